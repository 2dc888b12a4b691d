build-test/jsonl.o: engine/jsonl.c engine/explain.h engine/buf.h \
 engine/session.h engine/err.h engine/model.h engine/arena.h \
 engine/plan.h engine/rules.h engine/jsonl.h engine/cli.h
engine/explain.h:
engine/buf.h:
engine/session.h:
engine/err.h:
engine/model.h:
engine/arena.h:
engine/plan.h:
engine/rules.h:
engine/jsonl.h:
engine/cli.h:
