/*
 * jsonl.h: the session as JSON (the protocol of ../shared/protocol.md):
 * the builders of ranking and action objects, shared by `session --jsonl`
 * and `diagnose --json`, and the facts flag parser every front end uses.
 * Uses jansson and session.h.
 */
#ifndef TR_JSONL_H
#define TR_JSONL_H
#include <jansson.h>
#include "cli.h"
#include "session.h"

/* {"type":"ranking","causes":[{"id","p","title"},...]}: the causes still
 * possible, most probable first. Caller json_decref. */
json_t *jsonl_ranking(session *s);
/* The pending action: a question, a recommend, or done. */
json_t *jsonl_action(session *s);
/* A fix as the recommend line shows it (commands rendered). */
json_t *jsonl_fix(session *s, int x);

/* Opens a session on c->m with every --fact ID=VALUE among c's arguments
 * given, for any front end. On failure c->err is set (TR_EUSAGE for a bad
 * fact) and *out is NULL. */
int jsonl_session(cli *c, int depth, session **out);

#endif
