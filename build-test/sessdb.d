build-test/sessdb.o: engine/sessdb.c engine/paths.h engine/sessdb.h \
 engine/buf.h engine/err.h engine/session.h engine/model.h engine/arena.h \
 engine/plan.h engine/rules.h engine/store.h
engine/paths.h:
engine/sessdb.h:
engine/buf.h:
engine/err.h:
engine/session.h:
engine/model.h:
engine/arena.h:
engine/plan.h:
engine/rules.h:
engine/store.h:
