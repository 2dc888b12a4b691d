/*
 * store.c: open, check and migrate triage's SQLite files (see store.h).
 * Checks run from the cheapest to the dearest, so each bad file gets the
 * most specific message: missing, not a regular file, empty, not SQLite,
 * truncated (the header's page count against the file's size), another
 * application's, too new, corrupt. Opening to read does not read the whole
 * file: SQLite checks every page it reads (cell_size_check on), so a
 * damaged page the command needs is named as corrupt when it is read, and
 * `kb check` runs the full integrity check. Opening to write runs
 * quick_check over all of it first, so nothing is written into a damaged
 * file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store.h"

/* Generated from the schema directory by the Makefile (build/schema.c). */
extern const char *const schema_kb[];
extern const char *const schema_session[];

static int count(const char *const *scripts)
{
	int n = 0;

	while (scripts[n])
		n++;
	return n;
}

int store_schema_version(void)
{
	return count(schema_kb);
}

/* Reads one integer pragma; returns -1 when the file can't be read. */
static int pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int run_scripts(sqlite3 *db, const char *const *scripts, int from,
		       int app_id, tr_err *e)
{
	char sql[96];
	char *msg = NULL;
	int n = count(scripts);

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	for (int v = from; v < n; v++)
		if (sqlite3_exec(db, scripts[v], NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
	snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
		 app_id, n);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	return TR_OK;
fail:
	tr_fail(e, TR_ERR, "schema migration to version %d failed: %s", n,
		msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return TR_ERR;
}

int store_migrate(sqlite3 *db, int from, tr_err *e)
{
	return run_scripts(db, schema_kb, from, STORE_APP_ID, e);
}

/* A big-endian integer of n bytes at p. */
static unsigned long be(const unsigned char *p, int n)
{
	unsigned long v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Whether a writer may be changing path now: its write-ahead log or
 * rollback journal is beside it. */
static int in_flux(const char *path)
{
	char side[4200];
	struct stat st;

	snprintf(side, sizeof side, "%s-wal", path);
	if (stat(side, &st) == 0)
		return 1;
	snprintf(side, sizeof side, "%s-journal", path);
	return stat(side, &st) == 0;
}

/* Checks what the file system says of path before SQLite sees it, and the
 * database header's own size against the file's. That header is read
 * without SQLite's locks, so it is only compared while no writer can be
 * at work: with a write-ahead log or a rollback journal beside the file
 * the main file may be short of its header's page count (a checkpoint
 * writes page 1 before the pages that extend the file, and a writer
 * killed in the middle leaves it so until the next one, the log holding
 * every page), and SQLite's own reads say whether it is damaged. */
static int check_file(const char *path, tr_err *e)
{
	static const char magic[16] = "SQLite format 3";
	unsigned char head[100];
	struct stat st;
	unsigned long page, pages;
	FILE *f;
	size_t n;

	if (stat(path, &st) != 0)
		return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return tr_fail(e, TR_ERR, "%s: is a directory, not a knowledge base", path);
	if (!S_ISREG(st.st_mode))
		return tr_fail(e, TR_ERR, "%s: not a regular file", path);
	if (st.st_size == 0)
		return tr_fail(e, TR_ERR, "%s: empty file, not a triage knowledge base", path);
	if (!(f = fopen(path, "rb")))
		return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	n = fread(head, 1, sizeof head, f);
	fclose(f);
	if (n < sizeof magic || memcmp(head, magic, sizeof magic) != 0)
		return tr_fail(e, TR_ERR, "%s: not a SQLite database, so not a triage knowledge base", path);
	if (st.st_size < 512)
		return tr_fail(e, TR_ERR, "%s: truncated SQLite database (%lld bytes)", path,
			       (long long)st.st_size);
	/* the page count at offset 28 holds when the counter at 92 matches the
	 * change counter at 24 (file format, "The database header") */
	page = be(head + 16, 2) == 1 ? 65536 : be(head + 16, 2);
	pages = be(head + 28, 4);
	if (n == sizeof head && be(head + 92, 4) == be(head + 24, 4) && pages > 0 &&
	    (unsigned long long)st.st_size < (unsigned long long)page * pages && !in_flux(path))
		return tr_fail(e, TR_ERR, "%s: corrupt database: database disk image is malformed", path);
	return TR_OK;
}

/* Checks the identity and version of an open knowledge base, and (full:
 * before writing) the integrity of all of it. */
static int check_db(sqlite3 *db, const char *path, int full, int *version, tr_err *e)
{
	sqlite3_stmt *st;
	int app, rc;

	app = pragma_int(db, "PRAGMA application_id");
	*version = pragma_int(db, "PRAGMA user_version");
	if (app < 0 || *version < 0)
		return tr_fail(e, TR_ERR, "%s: corrupt database: %s", path, sqlite3_errmsg(db));
	if (app != STORE_APP_ID)
		return tr_fail(e, TR_ERR, "%s: a SQLite database of another application "
			       "(application_id 0x%08x), not a triage knowledge base", path,
			       (unsigned)app);
	if (*version > store_schema_version())
		return tr_fail(e, TR_ERR, "%s: knowledge-base schema version %d is newer than "
			       "this triage reads (%d); upgrade triage", path, *version,
			       store_schema_version());
	if (*version < 1)
		return tr_fail(e, TR_ERR, "%s: knowledge base has no schema version", path);
	if (!full)
		return TR_OK;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "%s: corrupt database: %s", path, sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		char what[512], *p;

		/* quick_check reports several lines; the message stays one line */
		snprintf(what, sizeof what, "%s", rc == SQLITE_ROW
			 ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
		for (p = what; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		tr_fail(e, TR_ERR, "%s: corrupt database: %s", path, what);
		sqlite3_finalize(st);
		return TR_ERR;
	}
	sqlite3_finalize(st);
	return TR_OK;
}

int store_read_fail(sqlite3 *db, tr_err *e)
{
	int code = sqlite3_errcode(db);

	if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
		return tr_fail(e, TR_ERR, "corrupt database: %s", sqlite3_errmsg(db));
	return tr_fail(e, TR_ERR, "cannot read the knowledge base: %s", sqlite3_errmsg(db));
}

/* Copies db into a fresh in-memory database, so an old file can be read
 * at the current schema without writing to it. */
static int to_memory(sqlite3 **db, const char *path, tr_err *e)
{
	sqlite3 *mem;
	sqlite3_backup *bk;
	int rc;

	if (sqlite3_open(":memory:", &mem) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "%s: cannot make an in-memory copy", path);
	bk = sqlite3_backup_init(mem, "main", *db, "main");
	rc = bk ? sqlite3_backup_step(bk, -1) : SQLITE_ERROR;
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		tr_fail(e, TR_ERR, "%s: cannot copy: %s", path, sqlite3_errmsg(mem));
		sqlite3_close(mem);
		return TR_ERR;
	}
	sqlite3_close(*db);
	*db = mem;
	return TR_OK;
}

static int open_create(const char *path, sqlite3 **out, tr_err *e)
{
	struct stat st;
	sqlite3 *db;

	if (stat(path, &st) == 0)
		return tr_fail(e, TR_ERR, "%s: already exists", path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		tr_fail(e, TR_ERR, "%s: cannot create: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return TR_ERR;
	}
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (store_migrate(db, 0, e) != TR_OK) {
		sqlite3_close(db);
		remove(path);
		return TR_ERR;
	}
	*out = db;
	return TR_OK;
}

/* Reopens a knowledge base in WAL mode that a reader cannot open as usual:
 * on a read-only medium SQLite can make no -shm file beside it. Opened as
 * immutable (nothing can change it there), it is read as the main file
 * holds it. Returns TR_OK with *db replaced, or TR_ERR leaving it. */
static int open_immutable(const char *path, sqlite3 **db)
{
	unsigned char head[20];
	char uri[8192];
	size_t n = 0;
	sqlite3 *ro = NULL;
	FILE *f = fopen(path, "rb");
	int wal = f && fread(head, 1, sizeof head, f) == sizeof head && head[18] == 2;

	if (f)
		fclose(f);
	if (!wal)
		return TR_ERR;
	n = (size_t)snprintf(uri, sizeof uri, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < sizeof uri; p++)
		n += (size_t)(strchr("?#%", *p) || *p < 0x21 || *p > 0x7e
			      ? snprintf(uri + n, sizeof uri - n, "%%%02X", *p)
			      : snprintf(uri + n, sizeof uri - n, "%c", *p));
	snprintf(uri + n, sizeof uri - n, "?immutable=1");
	if (sqlite3_open_v2(uri, &ro, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		sqlite3_close(ro);
		return TR_ERR;
	}
	sqlite3_close(*db);
	*db = ro;
	sqlite3_exec(ro, "PRAGMA cell_size_check = ON", NULL, NULL, NULL);
	return TR_OK;
}

/* A journal left by a writer killed in the middle of a transaction (a hot
 * journal) must be rolled back before the file can be read, and a
 * read-only handle cannot do it ("attempt to write a readonly database").
 * A read-write handle that reads the schema rolls it back, as the next
 * editor would on opening; with no journal beside the file nothing is
 * opened, and where the file cannot be written the read reports what
 * SQLite says, as before. */
static void recover_hot_journal(const char *path)
{
	char journal[4200];
	struct stat st;
	sqlite3 *rw = NULL;

	snprintf(journal, sizeof journal, "%s-journal", path);
	if (stat(journal, &st) != 0 || st.st_size == 0)
		return;
	if (sqlite3_open_v2(path, &rw, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(rw, 5000);
		sqlite3_exec(rw, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	sqlite3_close(rw);
}

int store_open(const char *path, enum store_mode mode, sqlite3 **out, tr_err *e)
{
	sqlite3 *db = NULL;
	int version, flags;

	*out = NULL;
	if (mode == STORE_CREATE)
		return open_create(path, out, e);
	if (check_file(path, e) != TR_OK)
		return TR_ERR;
	if (mode == STORE_READ)
		recover_hot_journal(path);
	flags = mode == STORE_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;  /* WRITE, EDIT */
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		tr_fail(e, TR_ERR, "%s: cannot open: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return TR_ERR;
	}
	/* an editor's commit (WAL) or its switch to WAL is waited for */
	sqlite3_busy_timeout(db, 5000);
	/* every page read is checked, not only the ones quick_check reads */
	sqlite3_exec(db, "PRAGMA cell_size_check = ON", NULL, NULL, NULL);
	if (check_db(db, path, mode != STORE_READ, &version, e) != TR_OK) {
		if (mode != STORE_READ || open_immutable(path, &db) != TR_OK ||
		    check_db(db, path, 0, &version, e) != TR_OK)
			goto fail;
	}
	if (version < store_schema_version()) {
		if (mode == STORE_READ && to_memory(&db, path, e) != TR_OK)
			goto fail;
		if (store_migrate(db, version, e) != TR_OK) {
			char why[sizeof e->msg];

			snprintf(why, sizeof why, "%s", e->msg);
			tr_fail(e, TR_ERR, "%s: %s", path, why);
			goto fail;
		}
	}
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	/* Saved after every reply: a write-ahead log without a sync per commit
	 * keeps a step fast (a crash of the process loses nothing; a power
	 * failure may lose the last replies, never the file). */
	if (mode != STORE_EDIT)
		sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	/* Nor a checkpoint (and its sync) as every process ends: the log is
	 * folded back every 1000 pages, by whichever process reaches that. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	*out = db;
	return TR_OK;
fail:
	sqlite3_close(db);
	return TR_ERR;
}

int store_open_sessions(const char *path, sqlite3 **out, tr_err *e)
{
	struct stat st;
	sqlite3 *db = NULL;
	int exists = stat(path, &st) == 0 && st.st_size > 0;
	int app, version;

	*out = NULL;
	if (exists && check_file(path, e) != TR_OK)
		return TR_ERR;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		tr_fail(e, TR_ERR, "%s: cannot open: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return TR_ERR;
	}
	sqlite3_busy_timeout(db, 2000);
	app = pragma_int(db, "PRAGMA application_id");
	version = pragma_int(db, "PRAGMA user_version");
	if (exists && app != STORE_SESSION_APP_ID) {
		tr_fail(e, TR_ERR, "%s: not a triage session file (application_id 0x%08x)", path,
			(unsigned)app);
		goto fail;
	}
	if (version > count(schema_session)) {
		tr_fail(e, TR_ERR, "%s: session file version %d is newer than this triage reads (%d)",
			path, version, count(schema_session));
		goto fail;
	}
	if (version < count(schema_session) &&
	    run_scripts(db, schema_session, version < 0 ? 0 : version, STORE_SESSION_APP_ID, e) != TR_OK)
		goto fail;
	sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	/* Saved after every reply: a write-ahead log without a sync per commit
	 * keeps a step fast (a crash of the process loses nothing; a power
	 * failure may lose the last replies, never the file). */
	sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	/* Nor a checkpoint (and its sync) as every process ends: the log is
	 * folded back every 1000 pages, by whichever process reaches that. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	*out = db;
	return TR_OK;
fail:
	sqlite3_close(db);
	return TR_ERR;
}

void store_unlink(const char *path)
{
	static const char *const sides[] = { "", "-wal", "-shm", "-journal" };
	char side[4096];

	for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
		snprintf(side, sizeof side, "%s%s", path, sides[i]);
		unlink(side);
	}
}
