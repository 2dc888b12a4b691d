build-test/main.o: engine/main.c engine/cli.h engine/err.h engine/model.h \
 engine/arena.h engine/paths.h engine/store.h
engine/cli.h:
engine/err.h:
engine/model.h:
engine/arena.h:
engine/paths.h:
engine/store.h:
