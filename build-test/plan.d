build-test/plan.o: engine/plan.c engine/belief.h engine/model.h \
 engine/arena.h engine/err.h engine/buf.h engine/plan.h
engine/belief.h:
engine/model.h:
engine/arena.h:
engine/err.h:
engine/buf.h:
engine/plan.h:
