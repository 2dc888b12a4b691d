build-test/paths.o: engine/paths.c engine/paths.h
engine/paths.h:
