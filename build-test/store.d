build-test/store.o: engine/store.c engine/store.h engine/err.h
engine/store.h:
engine/err.h:
