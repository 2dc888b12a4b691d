build-test/kbtext.o: engine/kbtext.c engine/buf.h engine/kbtext.h \
 engine/err.h engine/model.h engine/arena.h engine/rules.h engine/store.h
engine/buf.h:
engine/kbtext.h:
engine/err.h:
engine/model.h:
engine/arena.h:
engine/rules.h:
engine/store.h:
