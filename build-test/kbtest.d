build-test/kbtest.o: engine/kbtest.c engine/cli.h engine/err.h \
 engine/model.h engine/arena.h engine/buf.h engine/session.h \
 engine/plan.h engine/rules.h
engine/cli.h:
engine/err.h:
engine/model.h:
engine/arena.h:
engine/buf.h:
engine/session.h:
engine/plan.h:
engine/rules.h:
