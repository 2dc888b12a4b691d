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

/* Events of a saved session that the knowledge base it was resumed on
 * cannot apply (a fact or fix it lacks). They are never dropped: each is
 * saved again where it stood, after the at-th applied event. */
typedef struct sessdb_kept {
	int n;
	struct sessdb_kept_event {
		int at;                        /* applied events before it */
		char *kind, *subject, *value;  /* as recorded */
	} *ev;
} sessdb_kept;

void sessdb_kept_free(sessdb_kept *k);

/* Saves s with the events in kept (NULL: none) in their places: a new row
 * when *id is 0 (then *id is set), else replaces the log of session *id.
 * One transaction. label, when not NULL, replaces the session's title.
 * A session resolved by a fix is recorded as ended 'fixed' by it; one no
 * longer resolved (after `back`) loses that ending (see sessdb_end). */
int sessdb_save(sqlite3 *db, session *s, const sessdb_kept *kept, const char *label,
		sqlite3_int64 *id, tr_err *e);

/* Rebuilds session id on m. When the knowledge base is not the one the
 * session was saved on, or an event no longer applies (a fact or fix that
 * is gone), the session still opens, such events go to *kept (when not
 * NULL; free with sessdb_kept_free) and *note (when not NULL) says what is
 * not applied; the caller frees it. */
int sessdb_load(sqlite3 *db, sqlite3_int64 id, const tr_model *m, int depth,
		session **out, char **note, sessdb_kept *kept, tr_err *e);

/* Deletes session id and its events; TR_ERR when there is none, or when
 * another process has it open (see sessdb_claim). */
int sessdb_remove(sqlite3 *db, sqlite3_int64 id, tr_err *e);

/* Writes the knowledge-base version saved session id last ran on into out
 * (n bytes); returns 0, or -1 when there is no such session. */
int sessdb_kb_version(sqlite3 *db, sqlite3_int64 id, char *out, size_t n);

/* One writer per session: claims session id for this process with an
 * fcntl lock on one byte of a lock file beside the session file (FILE.lock),
 * which the system releases when the process ends, however it ends. TR_ERR
 * naming the other process when another one holds it. Locks are per
 * process, so the one descriptor stays open until the process ends;
 * releasing is sessdb_release. Without a lock file (a read-only directory)
 * every claim succeeds. */
int sessdb_claim(sqlite3 *db, sqlite3_int64 id, tr_err *e);
void sessdb_release(sqlite3 *db, sqlite3_int64 id);
/* The process id of another process holding session id, or 0. */
long sessdb_holder(sqlite3 *db, sqlite3_int64 id);

/* Records how session id ended: ending is one of "fixed" (fix names the
 * knowledge base's fix that worked), "outside" (note says what did it),
 * "abandoned" or "handover" (fix and note may be NULL); the time is now.
 * Replaces an earlier ending. TR_ERR naming what is wrong for an unknown
 * ending, a "fixed" without a fix, or no session id. */
int sessdb_end(sqlite3 *db, sqlite3_int64 id, const char *ending, const char *fix,
	       const char *note, tr_err *e);

/* Records the reach session id runs with ("" or NULL: everything). */
int sessdb_set_reach(sqlite3 *db, sqlite3_int64 id, const char *reach, tr_err *e);

typedef struct sessdb_row {
	sqlite3_int64 id;
	const char *created, *updated, *kb_id, *kb_version, *status;
	const char *title;   /* the user's title, else the summary of the facts */
	const char *summary; /* the summary of the facts given and answered */
	int events;
	const char *ending, *ending_fix, *ending_note, *ended, *reach; /* "" when not said */
	const char *kb_digest;  /* the digest of the knowledge base it last ran on */
} sessdb_row;

/* Calls fn for each saved session, newest first, whose title or summary
 * contains search (any case; NULL: every one); stops at a non-zero. */
int sessdb_list(sqlite3 *db, const char *search, int (*fn)(const sessdb_row *row, void *ctx),
		void *ctx, tr_err *e);
/* Writes a report heading for session id to out: "Troubleshooting session
 * ID: TITLE (started DATE)", the title left out when there is none. */
void sessdb_heading(sqlite3 *db, sqlite3_int64 id, buf *out);

/* Calls fn for session id alone; TR_ERR when there is none. */
int sessdb_get(sqlite3 *db, sqlite3_int64 id, int (*fn)(const sessdb_row *row, void *ctx),
	       void *ctx, tr_err *e);

/* Calls fn for each recorded event of session id in order (kind, subject,
 * value as stored, including events a knowledge base could not apply);
 * stops at a non-zero. TR_ERR when the file cannot be read. */
int sessdb_each_event(sqlite3 *db, sqlite3_int64 id,
		      int (*fn)(const char *kind, const char *subject, const char *value, void *ctx),
		      void *ctx, tr_err *e);

#endif
