/*
 * kbcheck.c: `triage kb check` (kbcheck.h). Each check appends its
 * findings and the next runs on whatever can still be read: a file that is
 * not a triage knowledge base stops after the first lines.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image.h"
#include "kbcheck.h"
#include "kbtext.h"
#include "model.h"
#include "store.h"

extern const char *const schema_kb[];

static int problem(buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int problem(buf *out, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (char *p = line; (p = strchr(p, '\n'));)
		*p = ' ';     /* SQLite's integrity rows may span lines: one problem, one line */
	buf_puts(out, line);
	buf_putc(out, '\n');
	return 1;
}

/* PRAGMA integrity_check (the full one): every row but "ok" is a problem. */
static int integrity(sqlite3 *db, buf *out)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return problem(out, "integrity: %s", sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(st, 0);

		if (row && strcmp(row, "ok") != 0)
			n += problem(out, "integrity: %s", row);
	}
	if (rc != SQLITE_DONE)
		n += problem(out, "integrity: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return n;
}

static int pragma_int(sqlite3 *db, const char *q, int *v)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

/* The schema objects (type, name, sql) of db, as "type name\tsql" lines. */
static void schema_of(sqlite3 *db, buf *b)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT type, name, replace(replace(coalesce(sql, ''), char(10), ' '), char(9), ' ') FROM sqlite_schema "
			       "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name", -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_printf(b, "%s %s\t%s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			   sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
}

/* Whether the line for "type name" is in the schema listing s; its sql in *sql. */
static const char *find_object(const char *s, const char *key, size_t klen)
{
	for (const char *l = s; *l; l = strchr(l, '\n') + 1) {
		if (strncmp(l, key, klen) == 0 && l[klen] == '\t')
			return l;
		if (!strchr(l, '\n'))
			break;
	}
	return NULL;
}

static size_t line_len(const char *l)
{
	return strcspn(l, "\n");
}

/* The file's schema against the one schema/ builds: missing, changed and
 * unexpected tables, indexes, views and triggers. */
static int schema(sqlite3 *db, buf *out)
{
	sqlite3 *mem;
	buf want = {0}, have = {0};
	tr_err e;
	int n = 0;

	if (sqlite3_open(":memory:", &mem) != SQLITE_OK || store_migrate(mem, 0, &e) != TR_OK) {
		sqlite3_close(mem);
		return problem(out, "schema: cannot build the reference schema");
	}
	schema_of(mem, &want);
	schema_of(db, &have);
	sqlite3_close(mem);
	for (int pass = 0; pass < 2; pass++) {
		const char *a = buf_str(pass ? &have : &want), *b = buf_str(pass ? &want : &have);

		for (const char *l = a; *l; l += line_len(l) + 1) {
			size_t klen = strcspn(l, "\t");
			const char *m = find_object(b, l, klen);

			if (!m)
				n += problem(out, "schema: %s %.*s is %s", pass ? "unexpected" : "missing",
					     (int)klen, l, pass ? "not in triage's schema" : "missing");
			else if (!pass && (line_len(m) != line_len(l) || strncmp(m, l, line_len(l)) != 0))
				n += problem(out, "schema: %.*s differs from triage's schema", (int)klen, l);
			if (!l[line_len(l)])
				break;
		}
	}
	buf_free(&want);
	buf_free(&have);
	return n;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* Every record valid as kb build validates it: the file dumped to text in
 * a temporary directory and built again. */
static int records_valid(sqlite3 *db, buf *out)
{
	const char *base = getenv("TMPDIR");
	char dir[512], kb[600];
	tr_err e;
	int n = 0;

	snprintf(dir, sizeof dir, "%s/triage-check-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		return problem(out, "records: cannot make a temporary directory");
	snprintf(kb, sizeof kb, "%s/rebuilt.sqlite", dir);
	tr_clear(&e);
	if (kbtext_dump(db, dir, 0, stderr, &e) != TR_OK || kbtext_build_plain(dir, kb, &e) != TR_OK) {
		size_t dl = strlen(dir);
		const char *msg = e.msg;

		if (strncmp(msg, dir, dl) == 0 && msg[dl] == '/')
			msg += dl + 1;          /* "kb/fixes/x.json: ..." */
		n += problem(out, "records: %s", msg);
	}
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return n;
}

static int fk(sqlite3 *db, buf *out)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return problem(out, "foreign keys: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		n += problem(out, "foreign keys: a row of %s refers to a missing row of %s",
			     sqlite3_column_text(st, 0), sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return n;
}

typedef struct sums {
	sqlite3 *db;
	buf *out;
	enum kb_kind kind;
	sqlite3_stmt *get;
	int n;
} sums;

static int check_one(const char *id, void *ctx)
{
	sums *S = ctx;
	char sum[17];
	tr_err e;
	const char *kind = kbtext_kinds[S->kind];

	tr_clear(&e);
	sqlite3_reset(S->get);
	sqlite3_bind_text(S->get, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(S->get, 2, id, -1, SQLITE_TRANSIENT);
	if (kbtext_checksum(S->db, S->kind, id, sum, &e) != 0)
		S->n += problem(S->out, "%s %s: cannot be read: %s", kind, id, e.msg);
	else if (sqlite3_step(S->get) != SQLITE_ROW)
		S->n += problem(S->out, "%s %s: no checksum stored (added outside triage)", kind, id);
	else if (strcmp((const char *)sqlite3_column_text(S->get, 0), sum) != 0)
		S->n += problem(S->out, "%s %s: changed outside triage (its checksum does not match)", kind, id);
	return 0;
}

/* Every record against its stored checksum, and checksums left without a
 * record (a record deleted outside triage). */
static int checksums(sqlite3 *db, buf *out)
{
	static const char *const orphans =
		"SELECT kind, id FROM record_checksum WHERE NOT ("
		" (kind = 'fact' AND id IN (SELECT id FROM fact)) OR"
		" (kind = 'cause' AND id IN (SELECT id FROM cause)) OR"
		" (kind = 'fix' AND id IN (SELECT id FROM fix)) OR"
		" (kind = 'rule' AND id IN (SELECT id FROM rule)) OR"
		" (kind = 'source' AND id IN (SELECT id FROM source))) ORDER BY kind, id";
	sums S = { db, out, KB_FACT, NULL, 0 };
	sqlite3_stmt *st;
	int stored = 0;

	if (!pragma_int(db, "SELECT count(*) FROM record_checksum", &stored))
		return problem(out, "checksums: %s", sqlite3_errmsg(db));
	if (stored == 0)
		return problem(out, "checksums: none stored (built by an older triage): rebuild it with kb build");
	if (sqlite3_prepare_v2(db, "SELECT sum FROM record_checksum WHERE kind = ?1 AND id = ?2",
			       -1, &S.get, NULL) != SQLITE_OK)
		return problem(out, "checksums: %s", sqlite3_errmsg(db));
	for (int k = 0; k < KB_NKINDS; k++) {
		S.kind = (enum kb_kind)k;
		kbtext_each(db, S.kind, check_one, &S);
	}
	sqlite3_finalize(S.get);
	if (sqlite3_prepare_v2(db, orphans, -1, &st, NULL) != SQLITE_OK)
		return S.n + problem(out, "checksums: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		S.n += problem(out, "%s %s: deleted outside triage (its checksum remains)",
			       sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return S.n;
}

/* The model image, read as a session reads it: a damaged one is named
 * (sessions then load the rows). None, or one written by another build of
 * triage, is not a problem: the rows are the knowledge base. */
static int image(sqlite3 *db, buf *out)
{
	static const char damaged[] = "model image damaged";
	char why[128];
	tr_model *m;
	tr_err e;

	tr_clear(&e);
	if (image_load(db, &m, why, sizeof why, &e) != TR_OK)
		return problem(out, "model image: %s", e.msg);
	if (m) {
		model_free(m);
		return 0;
	}
	if (strncmp(why, damaged, sizeof damaged - 1) != 0)
		return 0;
	return problem(out, "%s (sessions load the rows instead; kb build writes a new one)", why);
}

int kbcheck_run(const char *path, buf *out, tr_err *e)
{
	sqlite3 *raw = NULL, *db = NULL;
	int n = 0, app = 0, version = -1;

	if (access(path, R_OK) != 0)
		return tr_fail(e, TR_ERR, "%s: cannot read it", path), -1;
	if (sqlite3_open_v2(path, &raw, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		n = problem(out, "cannot open: %s", sqlite3_errmsg(raw));
		sqlite3_close(raw);
		return n;
	}
	if (!pragma_int(raw, "PRAGMA application_id", &app)) {
		n = problem(out, "not an SQLite database (%s)", sqlite3_errmsg(raw));
		sqlite3_close(raw);
		return n;
	}
	n += integrity(raw, out);
	pragma_int(raw, "PRAGMA user_version", &version);
	if (app != STORE_APP_ID) {
		n += problem(out, "application_id is 0x%08x, not 0x%08x: not a triage knowledge base",
			     (unsigned)app, (unsigned)STORE_APP_ID);
		sqlite3_close(raw);
		return n;
	}
	if (version != store_schema_version()) {
		n += problem(out, "schema version %d, not %d: %s", version, store_schema_version(),
			     version > store_schema_version() ? "made by a newer triage"
							      : "older: rebuild it with kb build");
		sqlite3_close(raw);
		return n;
	}
	n += schema(raw, out);
	sqlite3_close(raw);
	if (n > 0)
		return n;           /* the rest reads a file whose structure is sound */
	if (store_open(path, STORE_READ, &db, e) != TR_OK)
		return problem(out, "%s", e->msg);
	n += fk(db, out);
	n += records_valid(db, out);
	n += checksums(db, out);
	n += image(db, out);
	sqlite3_close(db);
	return n;
}
