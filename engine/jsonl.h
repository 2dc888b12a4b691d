/*
 * jsonl.h: the session as JSON (the protocol of ../shared/protocol.md):
 * the builders of ranking and action objects, shared by `session --jsonl`
 * and `diagnose --json`, and the facts flag parser every front end uses.
 * Uses jansson and session.h.
 */
#ifndef TR_JSONL_H
#define TR_JSONL_H
#include <jansson.h>
#include "buf.h"
#include "cli.h"
#include "session.h"

/* {"type":"ranking","causes":[{"id","p","title"},...]}: the causes still
 * possible, most probable first. Caller json_decref. */
json_t *jsonl_ranking(session *s);
/* The keys of that object after "causes" ("reach", "notes"; none when
 * they have nothing to say), as an object. Caller json_decref. */
json_t *jsonl_ranking_rest(session *s);

/* The same ranking as one line in out (no newline), with "session": id
 * last unless id is 0: byte for byte what json_dumps writes for
 * jsonl_ranking's object (JSON_COMPACT, JSON_REAL_PRECISION(12)) with that
 * key added, without building 3 objects per cause: each cause's escaped id
 * and title are kept in *cache (made on first use, remade for another
 * model; free with jsonl_rank_cache_free), and each distinct chance is
 * formatted by jansson once. Returns 0, or -1 (out unspecified) when a
 * chance is not finite: build the object instead. */
typedef struct jsonl_rank_cache jsonl_rank_cache;
int jsonl_ranking_line(session *s, sqlite3_int64 id, jsonl_rank_cache **cache, buf *out);
void jsonl_rank_cache_free(jsonl_rank_cache *rc);
/* The pending action: a question, a recommend, or done. */
json_t *jsonl_action(session *s);
/* A fix as the recommend line shows it (commands rendered). */
json_t *jsonl_fix(session *s, int x);

/* {"type":"handover","reach","steps":[...],"ask_first"?,"facts","failed",
 * "ranking","markdown"}: the next tier's plan (session_handover), each step
 * a recommend without its type plus what it "needs" (reach names) and its
 * "check" when it is a check-then-fix step; the facts with their origin;
 * the failed fixes; the note as Markdown (export_handover; technician may
 * be NULL). Caller json_decref. */
json_t *jsonl_handover(session *s, const char *technician);

/* Opens a session on c->m with every --fact ID=VALUE among c's arguments
 * given, for any front end. On failure c->err is set (TR_EUSAGE for a bad
 * fact) and *out is NULL. */
int jsonl_session(cli *c, int depth, session **out);

/* Sets the reach of s, resumed from saved session id of db: the reach c
 * says when it was set (flag, environment, config file: who is at the
 * keyboard now), else the one recorded with the session, else all. */
void jsonl_reach_resumed(cli *c, sqlite3 *db, sqlite3_int64 id, session *s);

#endif
