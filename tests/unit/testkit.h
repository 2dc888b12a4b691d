/*
 * testkit.h: helpers shared by the cmocka unit tests: temporary
 * directories, files, small knowledge bases written as SQL (store_open
 * STORE_CREATE plus inserts) or as kb/ text, whole-database comparison, and
 * running a probe in a child process so that a crash, an abort or a hang
 * fails one test with a message instead of killing the whole run.
 * Every helper fails the current test (cmocka fail_msg) on a setup error.
 */
#ifndef TR_TESTKIT_H
#define TR_TESTKIT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "model.h"
#include "store.h"

/* cmocka 1.1's assert_float_equal compares floats; the engine's numbers
 * are doubles, checked here to the precision asked. */
#define assert_near(a, b, eps) tk_assert_near((a), (b), (eps), #a, __FILE__, __LINE__)

static inline void tk_assert_near(double a, double b, double eps, const char *expr,
				  const char *file, int line)
{
	if (!(a - b <= eps && b - a <= eps)) {
		print_error("%s is %.17g, expected %.17g (within %g)\n", expr, a, b, eps);
		_fail(file, line);
	}
}

/* ---- files and directories ---- */

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the path. */
static inline char *tk_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	char *dir;

	snprintf(tmpl, sizeof tmpl, "%s/triage-unit-XXXXXX", base && *base ? base : "/tmp");
	if (!(dir = mkdtemp(tmpl)))
		fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
	return strdup(dir);
}

/* Removes path and everything under it; a missing path is fine. */
static inline void tk_rmrf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (!path || lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			char sub[4096];

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			tk_rmrf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* cmocka fixtures: *state is a temporary directory, removed afterwards
 * (also when the test failed). */
static inline int tk_setup_tmp(void **state)
{
	*state = tk_mkdtemp();
	return 0;
}

static inline int tk_teardown_tmp(void **state)
{
	tk_rmrf(*state);
	free(*state);
	return 0;
}

/* Returns a heap string made with printf. */
static inline char *tk_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *tk_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		fail_msg("out of memory");
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Creates every directory leading to path (not path itself). */
static inline void tk_mkparents(const char *path)
{
	char p[1024];

	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				fail_msg("mkdir %s: %s", p, strerror(errno));
			*s = '/';
		}
}

/* Writes n bytes to path, creating its directories. */
static inline void tk_write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f;

	tk_mkparents(path);
	if (!(f = fopen(path, "wb")))
		fail_msg("cannot write %s: %s", path, strerror(errno));
	if (n && fwrite(data, 1, n, f) != n)
		fail_msg("cannot write %s", path);
	fclose(f);
}

static inline void tk_write(const char *path, const char *text)
{
	tk_write_bytes(path, text, strlen(text));
}

/* Reads a whole file (NUL-terminated for convenience); NULL when it
 * cannot be read. *n (may be NULL) receives its size. */
static inline char *tk_slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			data = realloc(data, cap);
		}
		got = fread(data + len, 1, cap - len - 1, f);
		len += got;
	} while (got > 0);
	fclose(f);
	data[len] = '\0';
	if (n)
		*n = len;
	return data;
}

static inline int tk_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* What a test keeps of a file to show it was not touched. */
typedef struct tk_snap {
	char *data;
	size_t n;
	struct timespec mtime;
	ino_t ino;
} tk_snap;

static inline tk_snap tk_snapshot(const char *path)
{
	tk_snap s = {0};
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	s.data = tk_slurp(path, &s.n);
	s.mtime = st.st_mtim;
	s.ino = st.st_ino;
	return s;
}

/* Fails unless path still has the bytes, mtime and inode of s, and no
 * SQLite journal or WAL file was left beside it. Frees s. */
static inline void tk_assert_unchanged(const char *path, tk_snap *s)
{
	struct stat st;
	size_t n = 0;
	char *now = tk_slurp(path, &n);
	char *side;

	if (!now || stat(path, &st) != 0)
		fail_msg("%s: gone after the call", path);
	if (n != s->n || memcmp(now, s->data, n) != 0)
		fail_msg("%s: bytes changed (%zu bytes before, %zu after)", path, s->n, n);
	if (st.st_mtim.tv_sec != s->mtime.tv_sec || st.st_mtim.tv_nsec != s->mtime.tv_nsec)
		fail_msg("%s: mtime changed", path);
	if (st.st_ino != s->ino)
		fail_msg("%s: replaced by another file (inode changed)", path);
	free(now);
	free(s->data);
	s->data = NULL;
	for (int i = 0; i < 3; i++) {
		static const char *const ext[] = {"-journal", "-wal", "-shm"};

		side = tk_fmt("%s%s", path, ext[i]);
		if (tk_exists(side))
			fail_msg("%s left behind", side);
		free(side);
	}
}

static inline int tk_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void tk_list_rec(const char *root, const char *rel, char ***v, size_t *n)
{
	char *dir = *rel ? tk_fmt("%s/%s", root, rel) : tk_fmt("%s", root);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		fail_msg("opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char *sub, *full;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = *rel ? tk_fmt("%s/%s", rel, de->d_name) : tk_fmt("%s", de->d_name);
		full = tk_fmt("%s/%s", root, sub);
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			tk_list_rec(root, sub, v, n);
			free(sub);
		} else {
			*v = realloc(*v, sizeof **v * (*n + 2));
			(*v)[(*n)++] = sub;
			(*v)[*n] = NULL;
		}
		free(full);
	}
	closedir(d);
	free(dir);
}

/* The files under root, as sorted paths relative to root; NULL-terminated.
 * *n receives the count. Free with tk_free_list. */
static inline char **tk_list_files(const char *root, size_t *n)
{
	char **v = calloc(1, sizeof *v);

	*n = 0;
	tk_list_rec(root, "", &v, n);
	qsort(v, *n, sizeof *v, tk_cmp_str);
	return v;
}

static inline void tk_free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Fails unless trees a and b hold the same files with the same bytes. */
static inline void tk_assert_same_tree(const char *a, const char *b)
{
	size_t na, nb;
	char **la = tk_list_files(a, &na), **lb = tk_list_files(b, &nb);

	for (size_t i = 0; i < na || i < nb; i++) {
		char *pa, *pb, *da, *db;
		size_t sa = 0, sb = 0;

		if (i >= na || i >= nb || strcmp(la[i], lb[i]) != 0)
			fail_msg("file lists differ at %zu: %s in %s, %s in %s", i,
				 i < na ? la[i] : "(end)", a, i < nb ? lb[i] : "(end)", b);
		pa = tk_fmt("%s/%s", a, la[i]);
		pb = tk_fmt("%s/%s", b, lb[i]);
		da = tk_slurp(pa, &sa);
		db = tk_slurp(pb, &sb);
		if (!da || !db || sa != sb || memcmp(da, db, sa) != 0) {
			size_t k = 0;

			while (da && db && k < sa && k < sb && da[k] == db[k])
				k++;
			fail_msg("%s and %s differ (%zu and %zu bytes, first difference at byte %zu)",
				 pa, pb, sa, sb, k);
		}
		free(pa); free(pb); free(da); free(db);
	}
	if (na == 0)
		fail_msg("%s is empty", a);
	tk_free_list(la);
	tk_free_list(lb);
}

/* ---- SQLite ---- */

/* Runs SQL made with sqlite3_mprintf (%Q quotes a string, %w an
 * identifier); fails the test on an error. */
static inline void tk_sql(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	char *q, *msg = NULL;

	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("SQL failed: %s\n  %s", msg ? msg : sqlite3_errmsg(db), q);
	sqlite3_free(q);
}

/* The first column of the first row of a query, as an integer (-1 when
 * there is no row). */
static inline long long tk_sql_int(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	char *q;
	sqlite3_stmt *st;
	long long v = -1;

	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		fail_msg("SQL failed: %s\n  %s", sqlite3_errmsg(db), q);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(q);
	return v;
}

/* Whether table has a column named col. */
static inline int tk_has_column(sqlite3 *db, const char *table, const char *col)
{
	return tk_sql_int(db, "SELECT count(*) FROM pragma_table_info(%Q) WHERE name = %Q",
			  table, col) == 1;
}

/* Every table of db (sorted by name), every row in the order of all its
 * columns, one line per row: a canonical text of the content. Caller frees. */
static inline char *tk_db_content(sqlite3 *db)
{
	sqlite3_stmt *tables, *st;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fprintf(f, "application_id=%lld user_version=%lld\n",
		tk_sql_int(db, "PRAGMA application_id"), tk_sql_int(db, "PRAGMA user_version"));
	if (sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
			       "AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &tables, NULL) != SQLITE_OK)
		fail_msg("sqlite_schema: %s", sqlite3_errmsg(db));
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(tables, 0);
		int ncol = (int)tk_sql_int(db, "SELECT count(*) FROM pragma_table_info(%Q)", name);
		char *q = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1", name);

		for (int c = 2; c <= ncol; c++) {
			char *more = sqlite3_mprintf("%s, %d", q, c);

			sqlite3_free(q);
			q = more;
		}
		fprintf(f, "table %s: %s\n", name, (const char *)sqlite3_column_text(tables, 1));
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
			fail_msg("%s: %s", q, sqlite3_errmsg(db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			fputs(" ", f);
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				int t = sqlite3_column_type(st, c);

				if (t == SQLITE_NULL)
					fputs(" NULL", f);
				else if (t == SQLITE_INTEGER)
					fprintf(f, " i:%lld", (long long)sqlite3_column_int64(st, c));
				else if (t == SQLITE_FLOAT)
					fprintf(f, " r:%.17g", sqlite3_column_double(st, c));
				else {
					char *v = sqlite3_mprintf("%Q", (const char *)sqlite3_column_text(st, c));

					fprintf(f, " %c:%s", t == SQLITE_TEXT ? 't' : 'b', v);
					sqlite3_free(v);
				}
			}
			fputc('\n', f);
		}
		sqlite3_finalize(st);
		sqlite3_free(q);
	}
	sqlite3_finalize(tables);
	fclose(f);
	return out;
}

/* Fails unless the two strings are equal, naming the first differing line. */
static inline void tk_assert_same_text(const char *what, const char *a, const char *b)
{
	size_t i = 0, line = 1, start = 0;

	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	if (a[i] == b[i])
		return;
	fail_msg("%s differ at line %zu:\n  %.200s\n  %.200s", what, line, a + start, b + start);
}

/* ---- small models written as SQL ---- */

/* A new, empty knowledge base at dir/name (STORE_CREATE). */
static inline sqlite3 *tk_kb_create(const char *dir, const char *name)
{
	char *path = tk_fmt("%s/%s", dir, name);
	sqlite3 *db;
	tr_err e;

	tr_clear(&e);
	if (store_open(path, STORE_CREATE, &db, &e) != TR_OK)
		fail_msg("store_open(STORE_CREATE): %s", e.msg);
	free(path);
	tk_sql(db, "PRAGMA synchronous = OFF");  /* a scratch file: no fsync per insert */
	tk_sql(db, "INSERT INTO kb_meta VALUES ('id', 'unit'), ('title', 'a unit-test model'), "
		   "('version', '1'), ('summary', 'built by testkit.h')");
	return db;
}

/* Splits "a=0.5 b=0.5" and calls fn(name, number) for each pair. */
static inline void tk_pairs(const char *spec, void (*fn)(void *ctx, int i, const char *name, double p),
			    void *ctx)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			fail_msg("testkit: '%s' in '%s' is not NAME=NUMBER", tok, spec);
		*eq = '\0';
		fn(ctx, i++, tok, strtod(eq + 1, NULL));
	}
	free(copy);
}

typedef struct tk_ctx {
	sqlite3 *db;
	const char *a, *b;
} tk_ctx;

static inline void tk_value_row(void *ctx, int i, const char *name, double p)
{
	tk_ctx *c = ctx;

	tk_sql(c->db, "INSERT INTO fact_value VALUES (%Q, %d, %Q, %Q, %.17g)", c->a, i, name, name, p);
}

/* A fact with values "yes=0.6 no=0.4" (the defaults), or "" for free text. */
static inline void tk_fact(sqlite3 *db, const char *id, double cost, double unknown_rate,
			   const char *values)
{
	tk_ctx c = { db, id, NULL };

	tk_sql(db, "INSERT INTO fact (id, text, help, asker, cost, unknown_rate) "
		   "VALUES (%Q, %Q, '', 'client', %.17g, %.17g)", id, id, cost, unknown_rate);
	tk_pairs(values, tk_value_row, &c);
}

static inline void tk_cause(sqlite3 *db, const char *id, double prior)
{
	tk_sql(db, "INSERT INTO cause VALUES (%Q, %Q, '', %.17g, 'unit test')", id, id, prior);
}

static inline void tk_evidence_row(void *ctx, int i, const char *name, double p)
{
	tk_ctx *c = ctx;

	(void)i;
	tk_sql(c->db, "INSERT INTO evidence_p VALUES (%Q, %Q, %Q, %.17g)", c->a, c->b, name, p);
}

/* A cause's stated evidence on a fact: "yes=0.9". */
static inline void tk_evidence(sqlite3 *db, const char *cause, const char *fact, const char *ps)
{
	tk_ctx c = { db, cause, fact };

	tk_sql(db, "INSERT INTO evidence VALUES (%Q, %Q, (SELECT count(*) FROM evidence), 'unit test')",
	       cause, fact);
	tk_pairs(ps, tk_evidence_row, &c);
}

static inline void tk_resolves_row(void *ctx, int i, const char *name, double p)
{
	tk_ctx *c = ctx;

	tk_sql(c->db, "INSERT INTO resolves VALUES (%Q, %Q, %d, %.17g, 'unit test')", c->a, name, i, p);
}

/* A fix of risk "low", "medium" or "high" resolving "cause=p ...". */
static inline void tk_fix(sqlite3 *db, const char *id, double cost, const char *risk,
			  const char *resolves)
{
	tk_ctx c = { db, id, NULL };

	tk_sql(db, "INSERT INTO fix (id, title, summary, risk, cost, minutes, admin, reboot, undo, outcome) "
		   "VALUES (%Q, %Q, '', %Q, %.17g, 1, 0, 0, 'undo it', '')", id, id, risk, cost);
	tk_sql(db, "INSERT INTO fix_step VALUES (%Q, 0, 'do it')", id);
	tk_pairs(resolves, tk_resolves_row, &c);
}

/* A rule reading the facts in reads ("x y", may be ""), with Lua source src. */
static inline void tk_rule(sqlite3 *db, const char *id, const char *reads, const char *src)
{
	char *copy = strdup(reads), *save = NULL, *tok;

	tk_sql(db, "INSERT INTO rule VALUES (%Q, %Q, 1, %Q)", id, id, src);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		tk_sql(db, "INSERT INTO rule_read VALUES (%Q, %Q)", id, tok);
	free(copy);
}

/* Loads db as a model; fails the test when model_load refuses it. */
static inline tr_model *tk_load(sqlite3 *db)
{
	tr_model *m;
	tr_err e;

	tr_clear(&e);
	if (model_load(db, &m, &e) != TR_OK)
		fail_msg("model_load: %s", e.msg);
	return m;
}

/* Index helpers that fail the test on a typo. */
static inline int tk_f(const tr_model *m, const char *id)
{
	int i = model_fact(m, id);

	if (i < 0)
		fail_msg("no fact %s", id);
	return i;
}

static inline int tk_c(const tr_model *m, const char *id)
{
	int i = model_cause(m, id);

	if (i < 0)
		fail_msg("no cause %s", id);
	return i;
}

static inline int tk_x(const tr_model *m, const char *id)
{
	int i = model_fix(m, id);

	if (i < 0)
		fail_msg("no fix %s", id);
	return i;
}

static inline int tk_v(const tr_model *m, const char *fact, const char *value)
{
	int v = model_value(m, tk_f(m, fact), value);

	if (v < 0)
		fail_msg("no value %s=%s", fact, value);
	return v;
}

/* ---- small knowledge bases written as text (kb/ and rules/) ---- */

/* Writes a minimal, valid text knowledge base under dir: one source, facts
 * worked_before and host_kind, causes cert_expired and firewall, fixes
 * renew_cert (low) and open_firewall (medium), and rule servers_only. */
static inline void tk_text_kb(const char *dir)
{
	char *p;

	p = tk_fmt("%s/kb/kb.json", dir);
	tk_write(p, "{\"id\": \"unit\", \"title\": \"Unit\", \"version\": \"1\", \"summary\": \"A test base.\"}\n");
	free(p);
	p = tk_fmt("%s/kb/sources.json", dir);
	tk_write(p, "[{\"id\": \"doc\", \"file\": \"doc.txt\", \"title\": \"Doc\", \"note\": \"\"}]\n");
	free(p);
	p = tk_fmt("%s/kb/facts/worked_before.json", dir);
	tk_write(p,
		 "{\"id\": \"worked_before\", \"text\": \"Did it work before?\", \"help\": \"Ask.\",\n"
		 " \"check\": [], \"asker\": \"client\", \"cost\": 1, \"unknown_rate\": 0.05,\n"
		 " \"values\": [{\"value\": \"yes\", \"text\": \"yes\", \"p\": 0.7},\n"
		 "            {\"value\": \"no\", \"text\": \"no\", \"p\": 0.3}],\n"
		 " \"sources\": [{\"source\": \"doc\"}]}\n");
	free(p);
	p = tk_fmt("%s/kb/facts/host_kind.json", dir);
	tk_write(p,
		 "{\"id\": \"host_kind\", \"text\": \"What host?\", \"help\": \"Look.\",\n"
		 " \"check\": [{\"shell\": \"cmd\", \"on\": \"host\", \"text\": \"ver\"}],\n"
		 " \"asker\": \"client\", \"cost\": 1, \"unknown_rate\": 0.1,\n"
		 " \"values\": [{\"value\": \"server\", \"text\": \"a server\", \"p\": 0.5},\n"
		 "            {\"value\": \"workstation\", \"text\": \"a PC\", \"p\": 0.5}],\n"
		 " \"sources\": [{\"source\": \"doc\", \"note\": \"section 2\"}]}\n");
	free(p);
	p = tk_fmt("%s/kb/causes/cert_expired.json", dir);
	tk_write(p,
		 "{\"id\": \"cert_expired\", \"title\": \"Expired certificate\", \"summary\": \"It expired.\",\n"
		 " \"prior\": 0.4, \"prior_why\": \"common\",\n"
		 " \"evidence\": [{\"fact\": \"worked_before\", \"p\": {\"yes\": 0.95}, \"why\": \"it used to work\"}],\n"
		 " \"sources\": [{\"source\": \"doc\"}]}\n");
	free(p);
	p = tk_fmt("%s/kb/causes/firewall.json", dir);
	tk_write(p,
		 "{\"id\": \"firewall\", \"title\": \"Firewall\", \"summary\": \"It blocks.\",\n"
		 " \"prior\": 0.6, \"prior_why\": \"very common\", \"evidence\": [],\n"
		 " \"sources\": [{\"source\": \"doc\"}]}\n");
	free(p);
	p = tk_fmt("%s/kb/fixes/renew_cert.json", dir);
	tk_write(p,
		 "{\"id\": \"renew_cert\", \"title\": \"Renew it\", \"summary\": \"Renew.\", \"risk\": \"low\",\n"
		 " \"cost\": 10, \"minutes\": 10, \"admin\": true, \"reboot\": false,\n"
		 " \"steps\": [\"Delete the certificate.\"],\n"
		 " \"commands\": [{\"shell\": \"powershell\", \"on\": \"host\", \"text\": \"Restart-Service TermService\"}],\n"
		 " \"undo\": \"\", \"outcome\": \"It connects.\",\n"
		 " \"resolves\": [{\"cause\": \"cert_expired\", \"p\": 0.95, \"why\": \"a new one is made\"}],\n"
		 " \"sources\": [{\"source\": \"doc\"}]}\n");
	free(p);
	p = tk_fmt("%s/kb/fixes/open_firewall.json", dir);
	tk_write(p,
		 "{\"id\": \"open_firewall\", \"title\": \"Open the firewall\", \"summary\": \"Open.\", \"risk\": \"medium\",\n"
		 " \"cost\": 5, \"minutes\": 5, \"admin\": true, \"reboot\": false,\n"
		 " \"steps\": [\"Enable the rule.\"], \"commands\": [],\n"
		 " \"undo\": \"Disable the rule again.\", \"outcome\": \"\",\n"
		 " \"resolves\": [{\"cause\": \"firewall\", \"p\": 0.9, \"why\": \"the rule lets it in\"}],\n"
		 " \"sources\": [{\"source\": \"doc\"}]}\n");
	free(p);
	p = tk_fmt("%s/rules/servers_only.lua", dir);
	tk_write(p,
		 "description = \"Certificates matter on servers\"\n"
		 "reads = {\"host_kind\"}\n"
		 "sources = {\"doc\"}\n"
		 "enabled = true\n"
		 "\n"
		 "function run(f)\n"
		 "  if f.host_kind == \"workstation\" then\n"
		 "    scale(\"cert_expired\", 0.5, \"workstations renew their own\")\n"
		 "  end\n"
		 "end\n");
	free(p);
}

/* ---- running a probe in a child process ---- */

typedef void (*tk_probe_fn)(void *arg, void *out);

/* Present only in a sanitizer build: lets a probe's child process report
 * memory the probe leaked before it leaves with _exit. */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* Runs fn(arg, out) in a child process and copies its out (outsz bytes)
 * back. Returns 0, or -1 with why set when the child died of a signal (a
 * Lua panic aborts, a crash segfaults), ran past timeout seconds, exited
 * early, or (in a sanitizer build) leaked memory; what names the attempt
 * in why. fn must not use cmocka asserts: it reports through out. The
 * caller frees what it holds and then fails (tk_isolated does both). */
static inline int tk_isolated_try(const char *what, tk_probe_fn fn, void *arg, void *out,
				  size_t outsz, unsigned timeout, char *why, size_t whysz)
{
	int fd[2], status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	fflush(NULL);
	if (pipe(fd) != 0 || (pid = fork()) < 0) {
		snprintf(why, whysz, "%s: cannot start a child process: %s", what, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		size_t off = 0;
		int leaked;

		close(fd[0]);
		/* make valgrind runs everything some 30 times slower: TK_TIME_SCALE */
		alarm(timeout * (getenv("TK_TIME_SCALE") ? (unsigned)atoi(getenv("TK_TIME_SCALE")) : 1u));
		memset(out, 0, outsz);
		fn(arg, out);
		leaked = __lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check();
		while (off < outsz && (r = write(fd[1], (char *)out + off, outsz - off)) > 0)
			off += (size_t)r;
		_exit(off != outsz ? 3 : leaked ? 4 : 0);
	}
	close(fd[1]);
	while (got < outsz && (r = read(fd[0], (char *)out + got, outsz - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += (size_t)r;
	}
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		snprintf(why, whysz, "%s: the process died of signal %d (%s)%s", what, WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WTERMSIG(status) == SIGALRM ? ": it hung" : "");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		snprintf(why, whysz, "%s: memory leaked (the LeakSanitizer report is above)", what);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != outsz)
		snprintf(why, whysz, "%s: the probe process exited with status %d", what,
			 WEXITSTATUS(status));
	else
		return 0;
	return -1;
}

/* tk_isolated_try, failing the test on a problem. */
static inline void tk_isolated(const char *what, tk_probe_fn fn, void *arg, void *out,
			       size_t outsz, unsigned timeout)
{
	char why[512];

	if (tk_isolated_try(what, fn, arg, out, outsz, timeout, why, sizeof why) != 0)
		fail_msg("%s", why);
}

/* Seconds on a monotonic clock. */
static inline double tk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
