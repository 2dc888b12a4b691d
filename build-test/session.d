build-test/session.o: engine/session.c engine/belief.h engine/model.h \
 engine/arena.h engine/err.h engine/buf.h engine/plan.h engine/session.h \
 engine/rules.h
engine/belief.h:
engine/model.h:
engine/arena.h:
engine/err.h:
engine/buf.h:
engine/plan.h:
engine/session.h:
engine/rules.h:
