build-test/explain.o: engine/explain.c engine/belief.h engine/model.h \
 engine/arena.h engine/err.h engine/explain.h engine/buf.h \
 engine/session.h engine/plan.h engine/rules.h
engine/belief.h:
engine/model.h:
engine/arena.h:
engine/err.h:
engine/explain.h:
engine/buf.h:
engine/session.h:
engine/plan.h:
engine/rules.h:
