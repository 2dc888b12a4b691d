build-test/model.o: engine/model.c engine/buf.h engine/model.h \
 engine/arena.h engine/err.h
engine/buf.h:
engine/model.h:
engine/arena.h:
engine/err.h:
