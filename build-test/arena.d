build-test/arena.o: engine/arena.c engine/arena.h engine/buf.h
engine/arena.h:
engine/buf.h:
