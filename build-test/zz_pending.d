build-test/zz_pending.o: engine/zz_pending.c engine/cli.h engine/err.h \
 engine/model.h engine/arena.h
engine/cli.h:
engine/err.h:
engine/model.h:
engine/arena.h:
