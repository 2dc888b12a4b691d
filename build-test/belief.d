build-test/belief.o: engine/belief.c engine/belief.h engine/model.h \
 engine/arena.h engine/err.h
engine/belief.h:
engine/model.h:
engine/arena.h:
engine/err.h:
