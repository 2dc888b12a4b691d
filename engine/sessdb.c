/*
 * sessdb.c: saved sessions (see sessdb.h): the log, the titles, the
 * events a knowledge base cannot apply, and one writer per session.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "paths.h"
#include "sessdb.h"
#include "store.h"

int sessdb_open(const char *path, sqlite3 **db, tr_err *e)
{
	char def[4096];

	char dir[sizeof def], *slash;
	struct stat st;

	if (!path && !(path = paths_sessions(def, sizeof def)))
		return tr_fail(e, TR_ERR, "no place for saved sessions: set HOME or TRIAGE_SESSIONS");
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			return tr_fail(e, TR_ERR, "cannot keep sessions in %s: no directory %s", path, dir);
	}
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

void sessdb_kept_free(sessdb_kept *k)
{
	for (int i = 0; k && i < k->n; i++) {
		free(k->ev[i].kind);
		free(k->ev[i].subject);
		free(k->ev[i].value);
	}
	if (k) {
		free(k->ev);
		k->ev = NULL;
		k->n = 0;
	}
}

static int put_event(sqlite3_stmt *q, sqlite3_int64 id, int seq, const char *kind,
		     const char *subject, const char *value)
{
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, seq);
	sqlite3_bind_text(q, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, value, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		return TR_ERR;
	sqlite3_reset(q);
	return TR_OK;
}

/* Writes s's events with the kept ones in their places. */
static int put_events(sqlite3 *db, sqlite3_int64 id, session *s, const sessdb_kept *kept)
{
	const session_event *ev;
	int n = session_events(s, &ev), seq = 0, k = 0, rc = TR_OK;
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, "INSERT INTO session_event VALUES (?1, ?2, ?3, ?4, ?5)", -1, &q, NULL) != SQLITE_OK)
		return TR_ERR;
	for (int i = 0; i <= n && rc == TR_OK; i++) {
		for (; kept && k < kept->n && (kept->ev[k].at <= i || i == n) && rc == TR_OK; k++)
			rc = put_event(q, id, seq++, kept->ev[k].kind, kept->ev[k].subject, kept->ev[k].value);
		if (i < n && rc == TR_OK)
			rc = put_event(q, id, seq++, session_event_names[ev[i].kind], ev[i].subject, ev[i].value);
	}
	sqlite3_finalize(q);
	return rc;
}

/* The ending follows the log: a session resolved by a fix ended 'fixed'
 * by it (the time it was first so), and one no longer resolved (`back`
 * after worked) has no 'fixed' ending. Other endings are the person's. */
static int sync_fixed(sqlite3 *db, sqlite3_int64 id, session *s, const char *ts)
{
	const session_event *ev;
	int n = session_events(s, &ev), rc;
	const char *fix = "";
	enum done_status st;
	sqlite3_stmt *q;

	if (session_done(s, &st) && st == DONE_RESOLVED)
		for (int i = n - 1; i >= 0 && !*fix; i--)
			if (ev[i].kind == EV_RESULT && strcmp(ev[i].value, "worked") == 0)
				fix = ev[i].subject;
	if (sqlite3_prepare_v2(db, "UPDATE session SET"
			       " ended = CASE WHEN ?1 <> '' AND (ending <> 'fixed' OR ending_fix <> ?1) THEN ?2"
			       "  WHEN ?1 = '' AND ending = 'fixed' THEN '' ELSE ended END,"
			       " ending = CASE WHEN ?1 <> '' THEN 'fixed' WHEN ending = 'fixed' THEN '' ELSE ending END,"
			       " ending_fix = CASE WHEN ?1 <> '' THEN ?1 WHEN ending = 'fixed' THEN '' ELSE ending_fix END"
			       " WHERE id = ?3", -1, &q, NULL) != SQLITE_OK)
		return TR_ERR;
	sqlite3_bind_text(q, 1, fix, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, id);
	rc = sqlite3_step(q) == SQLITE_DONE ? TR_OK : TR_ERR;
	sqlite3_finalize(q);
	return rc;
}

static int save_tx(sqlite3 *db, session *s, const sessdb_kept *kept, const char *label,
		   sqlite3_int64 *id, tr_err *e)
{
	const tr_model *m = session_model(s);
	enum done_status st;
	const char *status = "open";
	sqlite3_stmt *q;
	char ts[32];
	buf title = {0};

	if (session_done(s, &st) && st != DONE_QUIT && st != DONE_HANDOVER)  /* a hand-over stays open */
		status = session_done_names[st];
	now(ts, sizeof ts);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	if (*id == 0) {
		if (sqlite3_prepare_v2(db, "INSERT INTO session (created, updated, kb_id, kb_version, kb_digest, status, title, label)"
				       " VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, ''))", -1, &q, NULL) != SQLITE_OK)
			return fail_db(db, e, "save");
	} else if (sqlite3_prepare_v2(db, "UPDATE session SET updated = ?1, kb_id = ?2, kb_version = ?3,"
				      " kb_digest = ?4, status = ?5, title = ?6, label = coalesce(?7, label)"
				      " WHERE id = ?8", -1, &q, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	title_of(s, &title);    /* only now: every return above would leak it (test_faults) */
	sqlite3_bind_text(q, 1, ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m->kb_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, m->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, m->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, buf_str(&title), -1, SQLITE_TRANSIENT);
	if (label)
		sqlite3_bind_text(q, 7, label, -1, SQLITE_STATIC);
	if (*id)
		sqlite3_bind_int64(q, 8, *id);
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
	if (put_events(db, *id, s, kept) != TR_OK || sync_fixed(db, *id, s, ts) != TR_OK)
		return fail_db(db, e, "save");
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(db, e, "save");
	return TR_OK;
}

/* A failed save rolls back, so a new session's id, taken from a row that
 * no longer exists, is given back: the next save inserts it afresh
 * (found by I/O-error injection, tests/unit/test_faults.c). */
int sessdb_save(sqlite3 *db, session *s, const sessdb_kept *kept, const char *label,
		sqlite3_int64 *id, tr_err *e)
{
	sqlite3_int64 was = *id;
	int rc = save_tx(db, s, kept, label, id, e);

	if (rc != TR_OK)
		*id = was;
	return rc;
}

int sessdb_load(sqlite3 *db, sqlite3_int64 id, const tr_model *m, int depth,
		session **out, char **note, sessdb_kept *kept, tr_err *e)
{
	sqlite3_stmt *q;
	session *s;
	buf msg = {0};
	int skipped = 0, total = 0;

	*out = NULL;
	if (note)
		*note = NULL;
	if (kept)
		memset(kept, 0, sizeof *kept);
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
			buf_printf(&msg, "%s%s %s=%s: %s", skipped ? "; " : "not applied (kept in the session): ",
				   kind, (const char *)sqlite3_column_text(q, 1),
				   (const char *)sqlite3_column_text(q, 2), le.msg);
			if (kept) {
				kept->ev = xrealloc(kept->ev, sizeof *kept->ev * (size_t)(kept->n + 1));
				kept->ev[kept->n].at = total - 1 - skipped;
				kept->ev[kept->n].kind = xstrdup(kind);
				kept->ev[kept->n].subject = xstrdup((const char *)sqlite3_column_text(q, 1));
				kept->ev[kept->n++].value = xstrdup((const char *)sqlite3_column_text(q, 2));
			}
			skipped++;
		}
	}
	sqlite3_finalize(q);
	if (skipped)
		buf_printf(&msg, " (%d of %d event%s applied)", total - skipped, total, total == 1 ? "" : "s");
	if (note && msg.len)
		*note = buf_take(&msg);
	buf_free(&msg);
	*out = s;
	return TR_OK;
}

static int each_row(sqlite3_stmt *q, int (*fn)(const sessdb_row *row, void *ctx), void *ctx)
{
	int rc = 0, found = 0;

	while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
		sessdb_row r;

		r.id = sqlite3_column_int64(q, 0);
		r.created = (const char *)sqlite3_column_text(q, 1);
		r.updated = (const char *)sqlite3_column_text(q, 2);
		r.kb_id = (const char *)sqlite3_column_text(q, 3);
		r.kb_version = (const char *)sqlite3_column_text(q, 4);
		r.status = (const char *)sqlite3_column_text(q, 5);
		r.summary = (const char *)sqlite3_column_text(q, 6);
		r.title = (const char *)sqlite3_column_text(q, 7);
		if (!*r.title)
			r.title = r.summary;
		r.events = sqlite3_column_int(q, 8);
		r.ending = (const char *)sqlite3_column_text(q, 9);
		r.ending_fix = (const char *)sqlite3_column_text(q, 10);
		r.ending_note = (const char *)sqlite3_column_text(q, 11);
		r.ended = (const char *)sqlite3_column_text(q, 12);
		r.reach = (const char *)sqlite3_column_text(q, 13);
		r.kb_digest = (const char *)sqlite3_column_text(q, 14);
		rc = fn(&r, ctx);
		found++;
	}
	sqlite3_finalize(q);
	return found;
}

#define ROW_COLUMNS "SELECT s.id, created, updated, kb_id, kb_version, status, title, label," \
	" (SELECT count(*) FROM session_event WHERE session = s.id)," \
	" ending, ending_fix, ending_note, ended, reach, kb_digest FROM session s"

int sessdb_list(sqlite3 *db, const char *search, int (*fn)(const sessdb_row *row, void *ctx),
		void *ctx, tr_err *e)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, ROW_COLUMNS " WHERE ?1 IS NULL OR instr(lower(title), lower(?1)) > 0"
			       " OR instr(lower(label), lower(?1)) > 0 ORDER BY updated DESC, id DESC",
			       -1, &q, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "cannot read saved sessions: %s", sqlite3_errmsg(db));
	if (search)
		sqlite3_bind_text(q, 1, search, -1, SQLITE_STATIC);
	each_row(q, fn, ctx);
	return TR_OK;
}

int sessdb_get(sqlite3 *db, sqlite3_int64 id, int (*fn)(const sessdb_row *row, void *ctx),
	       void *ctx, tr_err *e)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, ROW_COLUMNS " WHERE s.id = ?1", -1, &q, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "cannot read saved sessions: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(q, 1, id);
	if (!each_row(q, fn, ctx))
		return tr_fail(e, TR_ERR, "no saved session %lld", (long long)id);
	return TR_OK;
}

static int heading_row(const sessdb_row *r, void *ctx)
{
	buf *out = ctx;

	buf_printf(out, "Troubleshooting session %lld", (long long)r->id);
	if (*r->title)
		buf_printf(out, ": %s", r->title);
	buf_printf(out, " (started %.10s)", r->created);
	return 0;
}

void sessdb_heading(sqlite3 *db, sqlite3_int64 id, buf *out)
{
	tr_err e;

	if (!db || !id || sessdb_get(db, id, heading_row, out, &e) != TR_OK)
		buf_puts(out, "Troubleshooting session");
}

int sessdb_remove(sqlite3 *db, sqlite3_int64 id, tr_err *e)
{
	sqlite3_stmt *q;
	long pid = sessdb_holder(db, id);
	int rc;

	if (pid)
		return tr_fail(e, TR_ERR, "session %lld is open in another triage (process %ld); "
			       "quit it there first", (long long)id, pid);
	if (sqlite3_prepare_v2(db, "DELETE FROM session WHERE id = ?1", -1, &q, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "cannot remove the session: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return tr_fail(e, TR_ERR, "cannot remove the session: %s", sqlite3_errmsg(db));
	if (sqlite3_changes(db) == 0)
		return tr_fail(e, TR_ERR, "no saved session %lld", (long long)id);
	return TR_OK;
}

/* ---- one writer per session ---- */

/* The lock file's descriptor, one per process: fcntl locks belong to the
 * process, and closing any descriptor of the file would drop them all. */
static int lock_fd = -1;
static char lock_path[4200];

static int lock_file(sqlite3 *db)
{
	const char *file = sqlite3_db_filename(db, "main");
	char path[sizeof lock_path];

	if (!file || !*file)
		return -1;
	snprintf(path, sizeof path, "%s.lock", file);
	if (lock_fd >= 0 && strcmp(path, lock_path) == 0)
		return lock_fd;
	if (lock_fd >= 0)
		close(lock_fd);
	snprintf(lock_path, sizeof lock_path, "%s", path);
	lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	return lock_fd;
}

static void lock_byte(struct flock *fl, short type, sqlite3_int64 id)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)id;
	fl->l_len = 1;
}

long sessdb_holder(sqlite3 *db, sqlite3_int64 id)
{
	int fd = lock_file(db);
	struct flock fl;

	lock_byte(&fl, F_WRLCK, id);
	if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
		return 0;
	return (long)fl.l_pid;
}

int sessdb_claim(sqlite3 *db, sqlite3_int64 id, tr_err *e)
{
	int fd = lock_file(db);
	struct flock fl;
	long pid;

	if (fd < 0)
		return TR_OK;
	lock_byte(&fl, F_WRLCK, id);
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return TR_OK;
	if (errno != EACCES && errno != EAGAIN)
		return TR_OK;
	pid = sessdb_holder(db, id);
	return tr_fail(e, TR_ERR, "session %lld is open in another triage (process %ld); "
		       "quit it there first, or see it with: triage sessions show %lld",
		       (long long)id, pid, (long long)id);
}

void sessdb_release(sqlite3 *db, sqlite3_int64 id)
{
	int fd = lock_file(db);
	struct flock fl;

	lock_byte(&fl, F_UNLCK, id);
	if (fd >= 0)
		fcntl(fd, F_SETLK, &fl);
}

static int update_one(sqlite3 *db, sqlite3_stmt *q, sqlite3_int64 id, const char *what, tr_err *e)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return tr_fail(e, TR_ERR, "cannot record the %s of session %lld: %s", what,
			       (long long)id, sqlite3_errmsg(db));
	if (sqlite3_changes(db) != 1)
		return tr_fail(e, TR_ERR, "no saved session %lld", (long long)id);
	return TR_OK;
}

int sessdb_end(sqlite3 *db, sqlite3_int64 id, const char *ending, const char *fix,
	       const char *note, tr_err *e)
{
	static const char *const endings[] = { "fixed", "outside", "abandoned", "handover" };
	sqlite3_stmt *q;
	char ts[32];
	size_t i;

	for (i = 0; i < sizeof endings / sizeof *endings && strcmp(ending, endings[i]); i++)
		;
	if (i == sizeof endings / sizeof *endings)
		return tr_fail(e, TR_ERR, "unknown ending '%s' (fixed, outside, abandoned or handover)", ending);
	if (!strcmp(ending, "fixed") && (!fix || !*fix))
		return tr_fail(e, TR_ERR, "ending 'fixed' needs the fix that worked");
	now(ts, sizeof ts);
	if (sqlite3_prepare_v2(db, "UPDATE session SET ending = ?1, ending_fix = ?2, ending_note = ?3,"
			       " ended = ?4 WHERE id = ?5", -1, &q, NULL) != SQLITE_OK)
		return fail_db(db, e, "ending");
	sqlite3_bind_text(q, 1, ending, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, fix ? fix : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, note ? note : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, ts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, id);
	return update_one(db, q, id, "ending", e);
}

int sessdb_set_reach(sqlite3 *db, sqlite3_int64 id, const char *reach, tr_err *e)
{
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(db, "UPDATE session SET reach = ?1 WHERE id = ?2", -1, &q, NULL) != SQLITE_OK)
		return fail_db(db, e, "reach");
	sqlite3_bind_text(q, 1, reach ? reach : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, id);
	return update_one(db, q, id, "reach", e);
}

int sessdb_kb_version(sqlite3 *db, sqlite3_int64 id, char *out, size_t n)
{
	sqlite3_stmt *q;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT kb_version FROM session WHERE id = ?1", -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(q, 0));
		rc = 0;
	}
	sqlite3_finalize(q);
	return rc;
}

int sessdb_each_event(sqlite3 *db, sqlite3_int64 id,
		      int (*fn)(const char *kind, const char *subject, const char *value, void *ctx),
		      void *ctx, tr_err *e)
{
	sqlite3_stmt *q;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "SELECT kind, subject, value FROM session_event WHERE session = ?1 ORDER BY seq",
			       -1, &q, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "cannot read saved sessions: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(q, 1, id);
	while (rc == 0 && sqlite3_step(q) == SQLITE_ROW)
		rc = fn((const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
			(const char *)sqlite3_column_text(q, 2), ctx);
	sqlite3_finalize(q);
	return TR_OK;
}
