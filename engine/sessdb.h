/*
 * sessdb.h: saved sessions, in the user's own SQLite file (never the
 * knowledge base, which may be read-only and shared). A saved session is
 * its event log plus the knowledge base it ran on (id, version, digest);
 * resuming replays the log, so the state is exactly what it was.
 * Uses store.h for the file and session.h for the replay.
 */
#ifndef TR_SESSDB_H
#define TR_SESSDB_H
#include <sqlite3.h>
#include "buf.h"
#include "err.h"
#include "session.h"

/* Opens the session file at path (NULL: the default, see paths.h),
 * creating it when missing. *db is owned by the caller (sqlite3_close). */
int sessdb_open(const char *path, sqlite3 **db, tr_err *e);

/* Saves s: a new row when *id is 0 (then *id is set), else replaces the
 * log of session *id. One transaction. */
int sessdb_save(sqlite3 *db, session *s, sqlite3_int64 *id, tr_err *e);

/* Rebuilds session id on m. When the knowledge base is not the one the
 * session was saved on, or an event no longer applies (a fact or fix that
 * is gone), the session still opens and *note (when not NULL) says what
 * changed; the caller frees it. */
int sessdb_load(sqlite3 *db, sqlite3_int64 id, const tr_model *m, int depth,
		session **out, char **note, tr_err *e);

typedef struct sessdb_row {
	sqlite3_int64 id;
	const char *created, *updated, *kb_id, *kb_version, *status, *title;
	int events;
} sessdb_row;

/* Calls fn for each saved session, newest first; stops at a non-zero. */
int sessdb_list(sqlite3 *db, int (*fn)(const sessdb_row *row, void *ctx), void *ctx, tr_err *e);

#endif
