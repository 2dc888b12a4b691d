build-test/diagnose.o: engine/diagnose.c engine/cli.h engine/err.h \
 engine/model.h engine/arena.h engine/jsonl.h engine/session.h \
 engine/plan.h engine/rules.h engine/text.h engine/buf.h
engine/cli.h:
engine/err.h:
engine/model.h:
engine/arena.h:
engine/jsonl.h:
engine/session.h:
engine/plan.h:
engine/rules.h:
engine/text.h:
engine/buf.h:
