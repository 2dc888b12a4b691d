build-test/cmd_kb.o: engine/cmd_kb.c engine/buf.h engine/cli.h \
 engine/err.h engine/model.h engine/arena.h engine/kbtext.h engine/text.h
engine/buf.h:
engine/cli.h:
engine/err.h:
engine/model.h:
engine/arena.h:
engine/kbtext.h:
engine/text.h:
