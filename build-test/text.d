build-test/text.o: engine/text.c engine/text.h engine/buf.h
engine/text.h:
engine/buf.h:
