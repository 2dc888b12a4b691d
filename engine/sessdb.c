/*
 * sessdb.c: saved sessions (see sessdb.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "paths.h"
#include "sessdb.h"
#include "store.h"

int sessdb_open(const char *path, sqlite3 **db, tr_err *e)
{
	char def[4096];

	if (!path && !(path = paths_sessions(def, sizeof def)))
		return tr_fail(e, TR_ERR, "no place for saved sessions: set HOME or TRIAGE_SESSIONS");
	return store_open_sessions(path, db, e);
}

static void now(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int fail_db(sqlite3 *db, tr_err *e, const char *what)
{
	tr_fail(e, TR_ERR, "cannot %s the session: %s", what, sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return TR_ERR;
}

/* A short title: the facts given up front, else the first answer. */
static void title_of(session *s, buf *b)
{
	const session_event *ev;
	int n = session_events(s, &ev);

	for (int i = 0; i < n && b->len < 80; i++)
		if (ev[i].kind != EV_RESULT && strcmp(ev[i].value, "unknown") != 0)
			buf_printf(b, "%s%s=%s", b->len ? " " : "", ev[i].subject, ev[i].value);
}

static int save_tx(sqlite3 *db, session *s, sqlite3_int64 *id, tr_err *e)
{
	const tr_model *m = session_model(s);
	const session_event *ev;
	int n = session_events(s, &ev);
	enum done_status st;
	const char *status = "open";
	sqlite3_stmt *q;
	char ts[32];
	buf title = {0};

	if (session_done(s, &st) && st != DONE_QUIT)
		status = session_done_names[st];
	now(ts, sizeof ts);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	if (*id == 0) {
		if (sqlite3_prepare_v2(db, "INSERT INTO session (created, updated, kb_id, kb_version, kb_digest, status, title)"
				       " VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6)", -1, &q, NULL) != SQLITE_OK)
			return fail_db(db, e, "save");
	} else if (sqlite3_prepare_v2(db, "UPDATE session SET updated = ?1, kb_id = ?2, kb_version = ?3,"
				      " kb_digest = ?4, status = ?5, title = ?6 WHERE id = ?7", -1, &q, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	title_of(s, &title);    /* only now: every return above would leak it (test_faults) */
	sqlite3_bind_text(q, 1, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m->kb_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, m->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, m->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, buf_str(&title), -1, SQLITE_TRANSIENT);
	if (*id)
		sqlite3_bind_int64(q, 7, *id);
	buf_free(&title);
	if (sqlite3_step(q) != SQLITE_DONE) {
		sqlite3_finalize(q);
		return fail_db(db, e, "save");
	}
	sqlite3_finalize(q);
	if (*id == 0)
		*id = sqlite3_last_insert_rowid(db);
	if (sqlite3_prepare_v2(db, "DELETE FROM session_event WHERE session = ?1", -1, &q, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	sqlite3_bind_int64(q, 1, *id);
	if (sqlite3_step(q) != SQLITE_DONE) {
		sqlite3_finalize(q);
		return fail_db(db, e, "save");
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "INSERT INTO session_event VALUES (?1, ?2, ?3, ?4, ?5)", -1, &q, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	for (int i = 0; i < n; i++) {
		sqlite3_bind_int64(q, 1, *id);
		sqlite3_bind_int(q, 2, i);
		sqlite3_bind_text(q, 3, session_event_names[ev[i].kind], -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, ev[i].subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, ev[i].value, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE) {
			sqlite3_finalize(q);
			return fail_db(db, e, "save");
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	return TR_OK;
}

/* A failed save rolls back, so a new session's id, taken from a row that
 * no longer exists, is given back: the next save inserts it afresh
 * (found by I/O-error injection, tests/unit/test_faults.c). */
int sessdb_save(sqlite3 *db, session *s, sqlite3_int64 *id, tr_err *e)
{
	sqlite3_int64 was = *id;
	int rc = save_tx(db, s, id, e);

	if (rc != TR_OK)
		*id = was;
	return rc;
}

int sessdb_load(sqlite3 *db, sqlite3_int64 id, const tr_model *m, int depth,
		session **out, char **note, tr_err *e)
{
	sqlite3_stmt *q;
	session *s;
	buf msg = {0};
	int skipped = 0, total = 0;

	*out = NULL;
	if (note)
		*note = NULL;
	if (sqlite3_prepare_v2(db, "SELECT kb_id, kb_version, kb_digest FROM session WHERE id = ?1", -1, &q, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "cannot read saved sessions: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return tr_fail(e, TR_ERR, "no saved session %lld", (long long)id);
	}
	if (strcmp((const char *)sqlite3_column_text(q, 0), m->kb_id) != 0)
		buf_printf(&msg, "saved on knowledge base '%s', resumed on '%s'. ",
			   (const char *)sqlite3_column_text(q, 0), m->kb_id);
	else if (strcmp((const char *)sqlite3_column_text(q, 2), m->digest) != 0)
		buf_printf(&msg, "the knowledge base changed since this session was saved "
			   "(version %s, now %s); the answers were replayed on the new one. ",
			   (const char *)sqlite3_column_text(q, 1), m->version);
	sqlite3_finalize(q);
	if (session_open(m, depth, &s, e) != TR_OK) {
		buf_free(&msg);
		return TR_ERR;
	}
	if (sqlite3_prepare_v2(db, "SELECT kind, subject, value FROM session_event WHERE session = ?1 ORDER BY seq",
			       -1, &q, NULL) != SQLITE_OK) {
		session_free(s);
		buf_free(&msg);
		return tr_fail(e, TR_ERR, "cannot read saved sessions: %s", sqlite3_errmsg(db));
	}
	sqlite3_bind_int64(q, 1, id);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(q, 0);
		enum event_kind k = EV_SET;
		tr_err le;

		for (int i = 0; i < 4; i++)
			if (strcmp(kind, session_event_names[i]) == 0)
				k = (enum event_kind)i;
		total++;
		tr_clear(&le);
		if (session_add(s, k, (const char *)sqlite3_column_text(q, 1),
				(const char *)sqlite3_column_text(q, 2), &le) != TR_OK) {
			buf_printf(&msg, "%sskipped %s %s=%s: %s", skipped ? "; " : "", kind,
				   (const char *)sqlite3_column_text(q, 1),
				   (const char *)sqlite3_column_text(q, 2), le.msg);
			skipped++;
		}
	}
	sqlite3_finalize(q);
	if (skipped)
		buf_printf(&msg, " (%d of %d events replayed)", total - skipped, total);
	if (note && msg.len)
		*note = buf_take(&msg);
	buf_free(&msg);
	*out = s;
	return TR_OK;
}

int sessdb_list(sqlite3 *db, int (*fn)(const sessdb_row *row, void *ctx), void *ctx, tr_err *e)
{
	sqlite3_stmt *q;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "SELECT s.id, created, updated, kb_id, kb_version, status, title,"
			       " (SELECT count(*) FROM session_event WHERE session = s.id)"
			       " FROM session s ORDER BY updated DESC, id DESC", -1, &q, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "cannot read saved sessions: %s", sqlite3_errmsg(db));
	while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
		sessdb_row r;

		r.id = sqlite3_column_int64(q, 0);
		r.created = (const char *)sqlite3_column_text(q, 1);
		r.updated = (const char *)sqlite3_column_text(q, 2);
		r.kb_id = (const char *)sqlite3_column_text(q, 3);
		r.kb_version = (const char *)sqlite3_column_text(q, 4);
		r.status = (const char *)sqlite3_column_text(q, 5);
		r.title = (const char *)sqlite3_column_text(q, 6);
		r.events = sqlite3_column_int(q, 7);
		rc = fn(&r, ctx);
	}
	sqlite3_finalize(q);
	return TR_OK;
}
