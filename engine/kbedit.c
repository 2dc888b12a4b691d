/*
 * kbedit.c: one checked change to a live knowledge base (kbedit.h). The
 * write lock is taken first, so what the change is made against can never
 * be stale; the base is dumped to a private tree, changed there, built by
 * kb build's own code (every check it makes, the rules' dry run, the
 * checksums, the rules' starting state), and the built tables replace the
 * live ones in the transaction that records the change. Readers (WAL) see
 * the change whole or not at all.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "kbedit.h"
#include "session.h"
#include "store.h"
#include "text.h"

struct kbedit {
	sqlite3 *db;            /* the live file, inside BEGIN IMMEDIATE while locked */
	char path[2048];        /* the live file */
	char dir[1024];         /* the private tree (dir/kb, dir/rules) and the build */
	char lockfile[2100];    /* PATH-editor: who holds the lock, for the next editor */
	int locked;             /* BEGIN IMMEDIATE taken and not yet ended */
	json_t *before;         /* "kind id" -> the record as the file holds it, or null */
	json_t *order;          /* the "kind id" keys, in the order first put */
	json_t *expect;         /* "kind id" -> the record as the editor gave it */
	char vbefore[128];      /* the version before the change ... */
	char vafter[128];       /* ... and after it, once the tree says so */
};

/* The tree's subdirectory of each kind ("" for sources: one file). */
static const char *const subdir[KB_NKINDS] = {"kb/facts", "kb/causes", "kb/fixes", "rules", ""};

static void now_utc(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Who makes the change: $TRIAGE_EDITOR, else the login name. */
static void editor_name(char *out, size_t n)
{
	const char *who = getenv("TRIAGE_EDITOR");
	struct passwd *pw;

	if (who && *who)
		snprintf(out, n, "%s", who);
	else if ((pw = getpwuid(geteuid())) && pw->pw_name)
		snprintf(out, n, "%s", pw->pw_name);
	else
		snprintf(out, n, "uid %ld", (long)geteuid());
}

/* ---- the lock and why it cannot be had ---- */

/* Why path cannot be written (a read-only medium, no permission on the
 * file or on its directory, where SQLite keeps its write-ahead log), or
 * NULL when it can. */
static const char *not_writable(const char *path, char *why, size_t n)
{
	char dir[2048], *slash;

	if (access(path, W_OK) != 0 && errno != ENOENT) {
		snprintf(why, n, "%s", errno == EROFS ? "it is on a read-only file system"
			 : errno == EACCES ? "no permission to write it" : strerror(errno));
		return why;
	}
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(why, n, "%s", errno == EROFS ? "it is on a read-only file system"
			 : "no permission to write its directory (SQLite keeps the write-ahead log beside it)");
		return why;
	}
	return NULL;
}

/* Says who holds the lock, from the lock file when its process lives. */
static int busy(kbedit *k, int waited, tr_err *e)
{
	FILE *f = fopen(k->lockfile, "r");
	char line[256] = "", *nl;
	long pid = 0;
	const char *p;

	if (f) {
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
	}
	if ((nl = strchr(line, '\n')))
		*nl = '\0';
	if ((p = strstr(line, "(pid ")))
		pid = strtol(p + 5, NULL, 10);
	if (!line[0] || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
		snprintf(line, sizeof line, "another process");
	return tr_fail(e, TR_ERR, "%s is being edited by %s; waited %d s, try again when that change is done",
		       k->path, line, waited);
}

static int lock(kbedit *k, tr_err *e)
{
	const char *env = getenv("TRIAGE_EDIT_WAIT");
	double wait = env && *env ? strtod(env, NULL) : 30;
	char who[128], when[32];
	FILE *f;
	int rc;

	if (!(wait >= 0 && wait <= 3600))
		wait = 30;
	sqlite3_busy_timeout(k->db, (int)(wait * 1000));
	rc = sqlite3_exec(k->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_BUSY)
		return busy(k, (int)wait, e);
	if (rc != SQLITE_OK)
		return tr_fail(e, TR_ERR, "%s: cannot take the write lock: %s", k->path, sqlite3_errmsg(k->db));
	k->locked = 1;
	editor_name(who, sizeof who);
	now_utc(when);
	if ((f = fopen(k->lockfile, "w"))) {   /* advisory only: SQLite holds the lock */
		fprintf(f, "%s (pid %ld, since %s)\n", who, (long)getpid(), when);
		fclose(f);
	}
	return TR_OK;
}

/* ---- the private tree ---- */

static void tree_path(const kbedit *k, enum kb_kind kind, const char *id, char *out, size_t n)
{
	if (kind == KB_SOURCE)
		snprintf(out, n, "%s/kb/sources.json", k->dir);
	else
		snprintf(out, n, "%s/%s/%s.%s", k->dir, subdir[kind], id, kind == KB_RULE ? "lua" : "json");
}

static int write_json(const char *path, json_t *j, tr_err *e)
{
	if (json_dump_file(j, path, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0)
		return tr_fail(e, TR_ERR, "%s: cannot write: %s", path, strerror(errno));
	return TR_OK;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	buf b = {0};
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_putc(&b, '\0');
	b.len--;
	return buf_take(&b);
}

json_t *kbedit_get(kbedit *k, enum kb_kind kind, const char *id)
{
	char path[3200];
	json_t *all, *s, *r = NULL;
	size_t i;

	tree_path(k, kind, id, path, sizeof path);
	if (kind == KB_RULE) {
		char *src = read_all(path);

		if (!src)
			return NULL;
		r = json_pack("{s:s, s:s}", "id", id, "source", src);
		free(src);
		return r;
	}
	if (kind != KB_SOURCE)
		return json_load_file(path, 0, NULL);
	if (!(all = json_load_file(path, 0, NULL)))
		return NULL;
	json_array_foreach(all, i, s)
		if (json_is_string(json_object_get(s, "id")) &&
		    strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
			r = json_incref(s);
	json_decref(all);
	return r;
}

/* Puts or removes a source in kb/sources.json, kept in id order. */
static int put_source(kbedit *k, const char *id, json_t *record, tr_err *e)
{
	char path[3200];
	json_t *all, *s, *out = json_array();
	size_t i;
	int placed = record == NULL, rc;

	tree_path(k, KB_SOURCE, id, path, sizeof path);
	if (!(all = json_load_file(path, 0, NULL)))
		all = json_array();
	json_array_foreach(all, i, s) {
		const char *sid = json_string_value(json_object_get(s, "id"));

		if (sid && strcmp(sid, id) == 0)
			continue;
		if (!placed && sid && strcmp(sid, id) > 0) {
			json_array_append(out, record);
			placed = 1;
		}
		json_array_append(out, s);
	}
	if (!placed)
		json_array_append(out, record);
	rc = write_json(path, out, e);
	json_decref(all);
	json_decref(out);
	return rc;
}

int kbedit_put(kbedit *k, enum kb_kind kind, const char *id, json_t *record, tr_err *e)
{
	char key[128], path[3200];
	int rc;

	snprintf(key, sizeof key, "%s %s", kbtext_kinds[kind], id);
	if (!json_object_get(k->before, key)) {
		tr_err ignore;
		json_t *was = kbtext_record(k->db, kind, id, 0, &ignore);

		json_object_set_new(k->before, key, was ? was : json_null());
		json_array_append_new(k->order, json_string(key));
	}
	tree_path(k, kind, id, path, sizeof path);
	if (kind == KB_SOURCE)
		return put_source(k, id, record, e);
	if (!record) {
		if (remove(path) != 0 && errno != ENOENT)
			return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
		return TR_OK;
	}
	if (kind == KB_RULE) {
		const char *src = json_string_value(json_object_get(record, "source"));
		FILE *f;

		if (!src)
			return tr_fail(e, TR_ERR, "rule %s: 'source' (the rule's Lua text) is missing", id);
		if (!(f = fopen(path, "wb")))
			return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
		rc = fwrite(src, 1, json_string_length(json_object_get(record, "source")), f) ==
		     json_string_length(json_object_get(record, "source"));
		rc = (fclose(f) == 0) && rc;
		return rc ? TR_OK : tr_fail(e, TR_ERR, "%s: cannot write", path);
	}
	return write_json(path, record, e);
}

void kbedit_expect(kbedit *k, enum kb_kind kind, const char *id, json_t *given)
{
	char key[128];

	snprintf(key, sizeof key, "%s %s", kbtext_kinds[kind], id);
	json_object_set(k->expect, key, given);
}

/* ---- begin and end ---- */

int kbedit_begin(const char *path, kbedit **out, tr_err *e)
{
	kbedit *k = xcalloc(1, sizeof *k);
	const char *tmp = getenv("TMPDIR");
	char why[160];

	*out = NULL;
	snprintf(k->path, sizeof k->path, "%s", path);
	snprintf(k->lockfile, sizeof k->lockfile, "%s-editor", path);
	k->before = json_object();
	k->order = json_array();
	k->expect = json_object();
	if (access(path, F_OK) == 0 && not_writable(path, why, sizeof why)) {
		kbedit_end(k);
		return tr_fail(e, TR_ERR, "%s cannot be edited: %s (sessions can still read it)", path, why);
	}
	if (store_open(path, STORE_EDIT, &k->db, e) != TR_OK) {
		kbedit_end(k);
		return TR_ERR;
	}
	if (sqlite3_db_readonly(k->db, "main") == 1) {
		kbedit_end(k);
		return tr_fail(e, TR_ERR, "%s cannot be edited: SQLite opened it read-only (sessions can still read it)", path);
	}
	if (lock(k, e) != TR_OK) {
		kbedit_end(k);
		return TR_ERR;
	}
	snprintf(k->dir, sizeof k->dir, "%s/triage-edit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(k->dir)) {
		int err = errno;

		k->dir[0] = '\0';
		kbedit_end(k);
		return tr_fail(e, TR_ERR, "cannot make a private directory for the change: %s", strerror(err));
	}
	if (kbtext_dump(k->db, k->dir, 0, stderr, e) != TR_OK) {
		kbedit_end(k);
		return TR_ERR;
	}
	*out = k;
	return TR_OK;
}

int kbedit_before_newest(const char *path, const char *out_path, long *change, tr_err *e)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	kbedit *k;
	char msg[64];
	int rc;

	*change = 0;
	if (access(out_path, F_OK) == 0)
		return tr_fail(e, TR_ERR, "%s: already exists", out_path);
	if (store_open(path, STORE_READ, &db, e) != TR_OK)
		return TR_ERR;
	if (sqlite3_prepare_v2(db, "SELECT max(id) FROM kb_change", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			*change = (long)sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if (*change <= 0) {
		sqlite3_close(db);
		return tr_fail(e, TR_ERR, "%s: its history holds no change to compare with (name the file before "
			       "the change with --before)", path);
	}
	if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &q, NULL) != SQLITE_OK) {
		tr_fail(e, TR_ERR, "cannot copy %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return TR_ERR;
	}
	sqlite3_bind_text(q, 1, out_path, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		tr_fail(e, TR_ERR, "cannot copy %s to %s: %s", path, out_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		store_unlink(out_path);
		return TR_ERR;
	}
	sqlite3_close(db);
	snprintf(msg, sizeof msg, "before change %ld, for a comparison", *change);
	if (kbedit_begin(out_path, &k, e) != TR_OK)
		rc = TR_ERR;
	else {
		rc = kbedit_revert(k, *change, e);
		if (rc == TR_OK)
			rc = kbedit_commit(k, "revert", msg, *change, KBEDIT_APPLY, NULL, e);
		kbedit_end(k);
	}
	if (rc != TR_OK)
		store_unlink(out_path);
	return rc;
}

/* Removes the tree under dir (what the dump and the build put there:
 * files two levels deep at most). */
static void remove_tree(const char *dir)
{
	static const char *const subs[] = {"kb/facts", "kb/causes", "kb/fixes", "rules", "kb", "", NULL};

	for (int i = 0; subs[i]; i++) {
		char d[1200];
		DIR *dd;
		struct dirent *de;

		snprintf(d, sizeof d, "%s%s%s", dir, *subs[i] ? "/" : "", subs[i]);
		if ((dd = opendir(d))) {
			while ((de = readdir(dd))) {
				char f[1500];
				struct stat st;

				snprintf(f, sizeof f, "%s/%s", d, de->d_name);
				if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
					if (stat(f, &st) == 0 && !S_ISDIR(st.st_mode))
						remove(f);
			}
			closedir(dd);
		}
		rmdir(d);
	}
}

void kbedit_end(kbedit *k)
{
	if (!k)
		return;
	if (k->locked) {
		sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
		remove(k->lockfile);
	}
	if (k->dir[0])
		remove_tree(k->dir);
	sqlite3_close(k->db);
	json_decref(k->before);
	json_decref(k->order);
	json_decref(k->expect);
	free(k);
}

/* ---- what refers to a record, and removing it with them ---- */

static const char q_referrers[] =
	"SELECT 'cause', cause, 'evidence' FROM evidence WHERE fact = ?2 AND ?1 = 'fact'"
	" UNION SELECT 'rule', rule, 'reads' FROM rule_read WHERE fact = ?2 AND ?1 = 'fact'"
	" UNION SELECT CASE kind WHEN 'check' THEN 'fact' ELSE 'fix' END, record, 'applies'"
	"   FROM applies WHERE fact = ?2 AND ?1 = 'fact'"
	" UNION SELECT 'fix', fix, 'resolves' FROM resolves WHERE cause = ?2 AND ?1 = 'cause'"
	" UNION SELECT 'fix', fix, 'includes' FROM fix_includes WHERE includes = ?2 AND ?1 = 'fix'"
	" UNION SELECT kind, record, 'sources' FROM cites WHERE source = ?2 AND ?1 = 'source'"
	" ORDER BY 1, 2, 3";

/* Calls fn(kind, id, how) for each record referring to kind/id in the
 * file (the change is made on one record, so the file is the tree). */
static int each_referrer(kbedit *k, enum kb_kind kind, const char *id,
			 int (*fn)(kbedit *, const char *, const char *, const char *, void *), void *ctx)
{
	sqlite3_stmt *st;
	int n = 0, rc = TR_OK;

	if (sqlite3_prepare_v2(k->db, q_referrers, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, kbtext_kinds[kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	while (rc == TR_OK && sqlite3_step(st) == SQLITE_ROW) {
		n++;
		rc = fn(k, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2), ctx);
	}
	sqlite3_finalize(st);
	return rc == TR_OK ? n : -1;
}

/* At most this many referrers are named in a message; the rest counted. */
#define KBEDIT_NAMED 6

typedef struct namer {
	buf *out;
	int n;
} namer;

static int name_referrer(kbedit *k, const char *kind, const char *id, const char *how, void *ctx)
{
	namer *N = ctx;

	(void)k;
	if (N->n++ < KBEDIT_NAMED)
		buf_printf(N->out, "%s%s %s (%s)", N->out->len ? ", " : "", kind, id, how);
	return TR_OK;
}

int kbedit_referrers(kbedit *k, enum kb_kind kind, const char *id, buf *out)
{
	namer N = { out, 0 };
	int n = each_referrer(k, kind, id, name_referrer, &N);

	if (n > KBEDIT_NAMED)
		buf_printf(out, " and %d more", n - KBEDIT_NAMED);
	return n < 0 ? 0 : n;
}

/* The kind named by s ("cause", or a key "cause x"). */
static enum kb_kind kind_named(const char *s)
{
	size_t n = strcspn(s, " ");

	for (int i = 0; i < KB_NKINDS; i++)
		if (strlen(kbtext_kinds[i]) == n && strncmp(s, kbtext_kinds[i], n) == 0)
			return (enum kb_kind)i;
	return KB_FACT;
}

/* Removes from o["applies"] the conditions on fact; drops an emptied list.
 * Returns whether anything went. */
static int strip_conditions(json_t *o, const char *fact)
{
	json_t *a = json_object_get(o, "applies"), *c;
	size_t i;
	int gone = 0;

	if (!json_is_array(a))
		return 0;
	for (i = json_array_size(a); i-- > 0;) {
		c = json_array_get(a, i);
		if (json_is_string(json_object_get(c, "fact")) &&
		    strcmp(json_string_value(json_object_get(c, "fact")), fact) == 0) {
			json_array_remove(a, i);
			gone = 1;
		}
	}
	if (json_array_size(a) == 0)
		json_object_del(o, "applies");
	return gone;
}

/* Removes the items of list key of o whose field is value. */
static int strip_items(json_t *o, const char *key, const char *field, const char *value)
{
	json_t *a = json_object_get(o, key);
	size_t i;
	int gone = 0;

	for (i = json_array_size(a); i-- > 0;) {
		json_t *v = json_object_get(json_array_get(a, i), field);

		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0) {
			json_array_remove(a, i);
			gone = 1;
		}
	}
	return gone;
}

typedef struct cascade_ctx {
	enum kb_kind kind;    /* what is removed */
	const char *id;
	buf *out;
	tr_err *e;
} cascade_ctx;

/* A fix's or fact's conditions on fact, wherever they are. */
static void strip_all_conditions(json_t *r, const char *fact)
{
	static const char *const lists[] = {"check", "commands", NULL};
	json_t *steps = json_object_get(r, "steps"), *s;
	size_t i;

	strip_conditions(r, fact);
	for (int l = 0; lists[l]; l++)
		json_array_foreach(json_object_get(r, lists[l]), i, s)
			strip_conditions(s, fact);
	json_array_foreach(steps, i, s)
		if (json_is_object(s) && strip_conditions(s, fact) && !json_object_get(s, "applies"))
			json_array_set(steps, i, json_object_get(s, "text"));  /* a plain step again */
}

static int cascade_one(kbedit *k, const char *rkind, const char *rid, const char *how, void *ctx)
{
	cascade_ctx *C = ctx;
	enum kb_kind kind = kind_named(rkind);
	json_t *r;
	int rc;

	if (strcmp(how, "reads") == 0) {
		buf_printf(C->out, "removes rule %s (it reads %s)\n", rid, C->id);
		return kbedit_put(k, KB_RULE, rid, NULL, C->e);
	}
	if (kind == KB_RULE)   /* a rule cites in its source: the build says so */
		return TR_OK;
	if (!(r = kbedit_get(k, kind, rid)))
		return TR_OK;   /* already gone with another */
	if (strcmp(how, "evidence") == 0) {
		strip_items(r, "evidence", "fact", C->id);
		buf_printf(C->out, "changes cause %s: drops its evidence on %s\n", rid, C->id);
	} else if (strcmp(how, "applies") == 0) {
		strip_all_conditions(r, C->id);
		buf_printf(C->out, "changes %s %s: drops its conditions on %s\n", rkind, rid, C->id);
	} else if (strcmp(how, "resolves") == 0) {
		strip_items(r, "resolves", "cause", C->id);
		if (json_array_size(json_object_get(r, "resolves")) == 0) {
			buf_printf(C->out, "removes fix %s (it resolves only %s)\n", rid, C->id);
			json_decref(r);
			return kbedit_put(k, KB_FIX, rid, NULL, C->e);
		}
		buf_printf(C->out, "changes fix %s: no longer resolves %s\n", rid, C->id);
	} else if (strcmp(how, "includes") == 0) {
		json_t *a = json_object_get(r, "includes");

		for (size_t i = json_array_size(a); i-- > 0;)
			if (json_is_string(json_array_get(a, i)) &&
			    strcmp(json_string_value(json_array_get(a, i)), C->id) == 0)
				json_array_remove(a, i);
		if (json_array_size(a) == 0)
			json_object_del(r, "includes");
		buf_printf(C->out, "changes fix %s: no longer includes %s\n", rid, C->id);
	} else if (strcmp(how, "sources") == 0) {
		strip_items(r, "sources", "source", C->id);
		buf_printf(C->out, "changes %s %s: no longer cites %s\n", rkind, rid, C->id);
	}
	rc = kbedit_put(k, kind, rid, r, C->e);
	json_decref(r);
	return rc;
}

int kbedit_cascade(kbedit *k, enum kb_kind kind, const char *id, buf *out, tr_err *e)
{
	cascade_ctx C = { kind, id, out, e };

	if (each_referrer(k, kind, id, cascade_one, &C) < 0)
		return e->code ? TR_ERR : tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
	return kbedit_put(k, kind, id, NULL, e);
}

/* ---- building the changed tree ---- */

/* Rewrites a build message so it names records, not the private tree:
 * "DIR/kb/causes/x.json: x: 'prior' ..." -> "cause x: 'prior' ...". */
static void name_records(const kbedit *k, tr_err *e)
{
	char out[sizeof e->msg], *at;
	size_t dl = strlen(k->dir);
	buf b = {0};
	const char *p = e->msg;

	while ((at = strstr(p, k->dir))) {
		const char *rest = at + dl, *end;
		int matched = 0;

		buf_add(&b, p, (size_t)(at - p));
		for (int kind = 0; kind < KB_NKINDS && !matched; kind++) {
			size_t sl = strlen(subdir[kind]);
			const char *ext = kind == KB_RULE ? ".lua" : ".json";

			if (!sl || rest[0] != '/' || strncmp(rest + 1, subdir[kind], sl) != 0 || rest[1 + sl] != '/')
				continue;
			end = strstr(rest + 2 + sl, ext);
			if (!end)
				continue;
			{
				const char *id = rest + 2 + sl;
				size_t n = (size_t)(end - id);
				char dup[160];

				buf_printf(&b, "%s %.*s", kbtext_kinds[kind], (int)n, id);
				p = end + strlen(ext);
				snprintf(dup, sizeof dup, ": %.*s: ", (int)n, id);
				if (strncmp(p, dup, strlen(dup)) == 0)
					p += strlen(dup) - 2;
				matched = 1;
			}
		}
		if (!matched && strncmp(rest, "/kb/", 4) == 0) {
			p = rest + 4;    /* kb/sources.json, kb/kb.json */
			matched = 1;
		} else if (!matched && strncmp(rest, "/built.sqlite", 13) == 0) {
			buf_puts(&b, "the changed knowledge base");
			p = rest + 13;
			matched = 1;
		} else if (!matched) {
			buf_puts(&b, "the change");
			p = rest;
		}
	}
	buf_puts(&b, p);
	snprintf(out, sizeof out, "%s", buf_str(&b));
	snprintf(e->msg, sizeof e->msg, "%s", out);
	buf_free(&b);
}

/* The version after v: "2026.11.1" -> "2026.11.1+1", "...+4" -> "...+5". */
static void next_version(const char *v, char *out, size_t n)
{
	const char *plus = strrchr(v, '+');
	char *end;
	long r = plus ? strtol(plus + 1, &end, 10) : 0;

	if (plus && plus[1] && !*end && r >= 0)
		snprintf(out, n, "%.*s+%ld", (int)(plus - v), v, r + 1);
	else
		snprintf(out, n, "%s+1", v);
}

/* Advances kb/kb.json's version, once per change; the two versions into
 * before/after. */
static int bump(kbedit *k, char *before, char *after, size_t n, tr_err *e)
{
	char path[1200];
	json_t *meta;
	int rc;

	if (k->vafter[0]) {
		snprintf(before, n, "%s", k->vbefore);
		snprintf(after, n, "%s", k->vafter);
		return TR_OK;
	}
	snprintf(path, sizeof path, "%s/kb/kb.json", k->dir);
	if (!(meta = json_load_file(path, 0, NULL)))
		return tr_fail(e, TR_ERR, "%s: cannot read the version", k->path);
	snprintf(before, n, "%s", json_string_value(json_object_get(meta, "version")) ?
		 json_string_value(json_object_get(meta, "version")) : "");
	next_version(before, after, n);
	json_object_set_new(meta, "version", json_string(after));
	rc = write_json(path, meta, e);
	json_decref(meta);
	if (rc == TR_OK) {
		snprintf(k->vbefore, sizeof k->vbefore, "%s", before);
		snprintf(k->vafter, sizeof k->vafter, "%s", after);
	}
	return rc;
}

/* Builds k's tree at out; with the model image when the file is to be
 * used (a copy), not when it is only read back (a commit's check). */
static int build(kbedit *k, const char *out, int image, tr_err *e)
{
	if ((image ? kbtext_build(k->dir, out, NULL, NULL, e) : kbtext_build_plain(k->dir, out, e)) != TR_OK) {
		name_records(k, e);
		return TR_ERR;
	}
	return TR_OK;
}

int kbedit_apply_to_copy(kbedit *k, const char *out_path, tr_err *e)
{
	char before[128], after[128];

	if (access(out_path, F_OK) == 0)
		return tr_fail(e, TR_ERR, "%s: already exists", out_path);
	if (bump(k, before, after, sizeof before, e) != TR_OK)
		return TR_ERR;
	return build(k, out_path, 1, e);
}

/* Keys of `kb show --json` made from other records, and where from. */
static const struct { enum kb_kind kind; const char *key, *from; } derived[] = {
	{KB_FACT, "rules", "the rules' 'reads'"},
	{KB_FACT, "values", "'choices'"},
	{KB_CAUSE, "fixes", "the fixes' 'resolves'"},
	{KB_FIX, "causes", "'resolves'"},
	{KB_RULE, "description", "the rule's source"},
	{KB_RULE, "enabled", "the rule's source"},
	{KB_RULE, "reads", "the rule's source"},
	{KB_RULE, "sources", "the rule's source"},
	{KB_RULE, "file", "the rule's id"},
};

static char *compact(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY);

	return s ? s : xstrdup("?");
}

/* Refuses a derived key the editor changed (it differs from the record
 * as the file holds it) to something other than what it comes out as. */
static int check_derived(kbedit *k, sqlite3 *built, tr_err *e)
{
	const char *key;
	json_t *given;

	json_object_foreach(k->expect, key, given) {
		enum kb_kind kind = kind_named(key);
		const char *id = strchr(key, ' ') + 1;
		json_t *full = kbtext_record(built, kind, id, 1, e);
		tr_err ignore;
		json_t *was = kbtext_record(k->db, kind, id, 1, &ignore);

		for (size_t i = 0; full && i < sizeof derived / sizeof *derived; i++) {
			json_t *g = json_object_get(given, derived[i].key), *is = json_object_get(full, derived[i].key);

			if (derived[i].kind != kind || !g || json_equal(g, is) ||
			    (was && json_equal(g, json_object_get(was, derived[i].key))))
				continue;   /* as it comes out, or left as it was */
			if (kind == KB_FACT && strcmp(derived[i].key, "values") == 0 && !json_object_get(given, "choices"))
				continue;   /* the dump's shape: values are the record's own */
			{
				char *a = compact(g), *b = compact(is);

				tr_fail(e, TR_ERR, "%s: '%s' comes from %s: it would be %.200s, not %.200s; change it there",
					key, derived[i].key, derived[i].from, b, a);
				free(a);
				free(b);
			}
			json_decref(full);
			json_decref(was);
			return TR_ERR;
		}
		json_decref(full);
		json_decref(was);
	}
	return TR_OK;
}

/* Prints "  key: old -> new" for each top-level key that differs. */
static void report_fields(FILE *out, json_t *was, json_t *is)
{
	const char *key;
	json_t *v;

	json_object_foreach(was, key, v) {
		json_t *w = json_object_get(is, key);

		if (!json_equal(v, w)) {
			char *a = compact(v), *b = w ? compact(w) : xstrdup("(none)");

			fprintf(out, "  %s: %.160s%s -> %.160s%s\n", key, a, strlen(a) > 160 ? "..." : "",
				b, strlen(b) > 160 ? "..." : "");
			free(a);
			free(b);
		}
	}
	json_object_foreach(is, key, v)
		if (!json_object_get(was, key)) {
			char *b = compact(v);

			fprintf(out, "  %s: (none) -> %.160s%s\n", key, b, strlen(b) > 160 ? "..." : "");
			free(b);
		}
}

/* Copies every table of the built file (but the history) over the live
 * one's. The names are the built file's own, from schema/. */
static int copy_tables(kbedit *k, sqlite3 *built, tr_err *e)
{
	sqlite3_stmt *names;
	int rc = TR_OK;

	if (sqlite3_exec(k->db, "PRAGMA defer_foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(built, "SELECT name FROM sqlite_master WHERE type = 'table'"
			       " AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'kb_change%' ORDER BY name",
			       -1, &names, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
	while (rc == TR_OK && sqlite3_step(names) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(names, 0);
		sqlite3_stmt *sel = NULL, *ins = NULL;
		buf q = {0};
		int n;

		/* the names are identifiers of schema/ (checked), never user text */
		if (strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(t)) {
			rc = tr_fail(e, TR_ERR, "built file: unexpected table name");
			break;
		}
		buf_printf(&q, "SELECT * FROM \"%s\"", t);
		if (sqlite3_prepare_v2(built, buf_str(&q), -1, &sel, NULL) != SQLITE_OK)
			rc = tr_fail(e, TR_ERR, "built file: %s", sqlite3_errmsg(built));
		n = sel ? sqlite3_column_count(sel) : 0;
		buf_reset(&q);
		buf_printf(&q, "DELETE FROM main.\"%s\"", t);
		if (rc == TR_OK && sqlite3_exec(k->db, buf_str(&q), NULL, NULL, NULL) != SQLITE_OK)
			rc = tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
		buf_reset(&q);
		buf_printf(&q, "INSERT INTO main.\"%s\" VALUES (", t);
		for (int i = 0; i < n; i++)
			buf_puts(&q, i ? ", ?" : "?");
		buf_putc(&q, ')');
		if (rc == TR_OK && sqlite3_prepare_v2(k->db, buf_str(&q), -1, &ins, NULL) != SQLITE_OK)
			rc = tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
		while (rc == TR_OK && sqlite3_step(sel) == SQLITE_ROW) {
			for (int i = 0; i < n; i++)
				sqlite3_bind_value(ins, i + 1, sqlite3_column_value(sel, i));
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
			sqlite3_reset(ins);
		}
		sqlite3_finalize(sel);
		sqlite3_finalize(ins);
		buf_free(&q);
	}
	sqlite3_finalize(names);
	return rc;
}

static char *dump_or_null(json_t *j)
{
	return json_is_null(j) || !j ? NULL : json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
}

/* Records the change and its records; *id gets its number. */
static int record_change(kbedit *k, const char *op, const char *message, long reverts,
			 const char *vbefore, const char *vafter, json_t *afters, sqlite3_int64 *id, tr_err *e)
{
	sqlite3_stmt *st;
	char who[128], when[32];
	size_t i;
	json_t *key;
	int seq = 0, rc = TR_OK;

	editor_name(who, sizeof who);
	now_utc(when);
	if (sqlite3_prepare_v2(k->db, "INSERT INTO kb_change (time, who, op, message, version_before,"
			       " version_after, reverts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
	sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, message ? message : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, vbefore, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, vafter, -1, SQLITE_STATIC);
	if (reverts > 0)
		sqlite3_bind_int64(st, 7, reverts);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(k->db);
	if (rc || sqlite3_prepare_v2(k->db, "INSERT INTO kb_change_record VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				     -1, &st, NULL) != SQLITE_OK)
		return rc ? rc : tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
	json_array_foreach(k->order, i, key) {
		const char *kk = json_string_value(key);
		json_t *was = json_object_get(k->before, kk), *is = json_object_get(afters, kk);
		char *a, *b, kind[16];

		if (json_equal(was, is))
			continue;
		snprintf(kind, sizeof kind, "%.*s", (int)(strchr(kk, ' ') - kk), kk);
		a = dump_or_null(was);
		b = dump_or_null(is);
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int(st, 2, seq++);
		sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, strchr(kk, ' ') + 1, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, b, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE && rc == TR_OK)
			rc = tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
		sqlite3_reset(st);
		free(a);
		free(b);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Says what the change does to each record; returns how many it changes. */
static int report_records(kbedit *k, json_t *afters, FILE *report)
{
	size_t i;
	json_t *key;
	int n = 0;

	json_array_foreach(k->order, i, key) {
		const char *kk = json_string_value(key);
		json_t *was = json_object_get(k->before, kk), *is = json_object_get(afters, kk);

		if (json_equal(was, is))
			continue;
		n++;
		if (!report)
			continue;
		if (json_is_null(was))
			fprintf(report, "adds %s\n", kk);
		else if (json_is_null(is))
			fprintf(report, "removes %s\n", kk);
		else {
			fprintf(report, "changes %s\n", kk);
			report_fields(report, was, is);
		}
	}
	return n;
}

int kbedit_commit(kbedit *k, const char *op, const char *message, long reverts,
		  enum kbedit_mode mode, FILE *report, tr_err *e)
{
	char vbefore[128], vafter[128], built_path[1200];
	sqlite3 *built = NULL;
	json_t *afters = json_object(), *key;
	sqlite3_int64 id = 0;
	size_t i;
	int rc, n;

	snprintf(built_path, sizeof built_path, "%s/built.sqlite", k->dir);
	rc = bump(k, vbefore, vafter, sizeof vbefore, e);
	if (rc == TR_OK)
		rc = build(k, built_path, 0, e);
	if (rc == TR_OK && sqlite3_open_v2(built_path, &built, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		rc = tr_fail(e, TR_ERR, "%s: cannot read the changed knowledge base", k->path);
	json_array_foreach(k->order, i, key) {
		const char *kk = json_string_value(key);
		tr_err ignore;
		json_t *is;

		if (rc != TR_OK)
			break;
		is = kbtext_record(built, kind_named(kk), strchr(kk, ' ') + 1, 0, &ignore);
		json_object_set_new(afters, kk, is ? is : json_null());
	}
	if (rc == TR_OK)
		rc = check_derived(k, built, e);
	n = rc == TR_OK ? report_records(k, afters, NULL) : 0;
	if (rc == TR_OK && n == 0) {
		if (report)
			fprintf(report, "nothing to change: the records are as given\n");
	} else if (rc == TR_OK) {
		report_records(k, afters, report);
		if (mode == KBEDIT_DRY_RUN) {
			if (report)
				fprintf(report, "dry run: the change passes every check of kb build; nothing written"
					" (the version would be %s)\n", vafter);
		} else {
			rc = copy_tables(k, built, e);
			if (rc == TR_OK)
				rc = record_change(k, op, message, reverts, vbefore, vafter, afters, &id, e);
			if (rc == TR_OK && sqlite3_exec(k->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
				rc = tr_fail(e, TR_ERR, "%s: cannot commit: %s", k->path, sqlite3_errmsg(k->db));
			if (rc == TR_OK) {
				k->locked = 0;
				remove(k->lockfile);
				/* fold the log into the file when no reader holds it, so
				 * the file alone (copied to a share) has the change */
				sqlite3_busy_timeout(k->db, 0);
				sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
				/* readers go on reading while the next editor writes (a file
				 * kb build made is in rollback mode: switched once, when no
				 * reader has it open; else at a later change) */
				sqlite3_exec(k->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
				if (report)
					fprintf(report, "change %lld: version %s\n", (long long)id, vafter);
			}
		}
	}
	sqlite3_close(built);
	json_decref(afters);
	return rc;
}

/* ---- history ---- */

static json_t *parse_or_null(const unsigned char *s)
{
	return s ? json_loads((const char *)s, 0, NULL) : json_null();
}

int kbedit_revert(kbedit *k, long id, tr_err *e)
{
	sqlite3_stmt *st, *later;
	int n = 0, rc = TR_OK;

	if (sqlite3_prepare_v2(k->db, "SELECT kind, record, before, after FROM kb_change_record"
			       " WHERE change = ?1 ORDER BY seq", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(k->db, "SELECT max(change) FROM kb_change_record"
			       " WHERE kind = ?1 AND record = ?2 AND change > ?3", -1, &later, NULL) != SQLITE_OK)
		return tr_fail(e, TR_ERR, "%s: %s", k->path, sqlite3_errmsg(k->db));
	sqlite3_bind_int64(st, 1, id);
	while (rc == TR_OK && sqlite3_step(st) == SQLITE_ROW) {
		enum kb_kind kind = kind_named((const char *)sqlite3_column_text(st, 0));
		const char *rid = (const char *)sqlite3_column_text(st, 1);
		json_t *before = parse_or_null(sqlite3_column_text(st, 2));
		json_t *after = parse_or_null(sqlite3_column_text(st, 3));
		tr_err ignore;
		json_t *now = kbtext_record(k->db, kind, rid, 0, &ignore);

		n++;
		if (!json_equal(now ? now : json_null(), after)) {
			long long by = 0;

			sqlite3_bind_text(later, 1, kbtext_kinds[kind], -1, SQLITE_STATIC);
			sqlite3_bind_text(later, 2, rid, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(later, 3, id);
			if (sqlite3_step(later) == SQLITE_ROW)
				by = sqlite3_column_int64(later, 0);
			sqlite3_reset(later);
			if (by > 0)
				rc = tr_fail(e, TR_ERR, "kb revert: %s %s has changed since change %ld (by change %lld);"
					     " revert that first", kbtext_kinds[kind], rid, id, by);
			else
				rc = tr_fail(e, TR_ERR, "kb revert: %s %s is not as change %ld left it "
					     "(the file was rebuilt or changed outside triage)", kbtext_kinds[kind], rid, id);
		} else
			rc = kbedit_put(k, kind, rid, json_is_null(before) ? NULL : before, e);
		json_decref(before);
		json_decref(after);
		json_decref(now);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(later);
	if (rc == TR_OK && n == 0)
		rc = tr_fail(e, TR_ERR, "kb revert: no change %ld in %s (kb log lists them)", id, k->path);
	return rc;
}

static const char q_log[] =
	"SELECT id, time, who, op, message, version_before, version_after, reverts FROM kb_change"
	" WHERE ?1 IS NULL OR id IN (SELECT change FROM kb_change_record WHERE record = ?1)"
	" ORDER BY id DESC";

/* The top-level keys whose values differ between two records. */
static void changed_keys(buf *b, json_t *was, json_t *is)
{
	const char *key;
	json_t *v;
	int n = 0;

	json_object_foreach(was, key, v)
		if (!json_equal(v, json_object_get(is, key)))
			buf_printf(b, "%s%s", n++ ? ", " : "", key);
	json_object_foreach(is, key, v)
		if (!json_object_get(was, key))
			buf_printf(b, "%s%s", n++ ? ", " : "", key);
}

static int log_records(sqlite3 *db, sqlite3_int64 id, json_t *into, FILE *out)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT kind, record, before, after FROM kb_change_record"
			       " WHERE change = ?1 ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return TR_ERR;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *was = parse_or_null(sqlite3_column_text(st, 2));
		json_t *is = parse_or_null(sqlite3_column_text(st, 3));
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *rid = (const char *)sqlite3_column_text(st, 1);

		if (into)
			json_array_append_new(into, json_pack("{s:s, s:s, s:O, s:O}", "kind", kind, "id", rid,
							      "before", was, "after", is));
		else if (json_is_null(was))
			fprintf(out, "  adds %s %s\n", kind, rid);
		else if (json_is_null(is))
			fprintf(out, "  removes %s %s\n", kind, rid);
		else {
			buf b = {0};

			changed_keys(&b, was, is);
			fprintf(out, "  changes %s %s: %s\n", kind, rid, buf_str(&b));
			buf_free(&b);
		}
		json_decref(was);
		json_decref(is);
	}
	sqlite3_finalize(st);
	return TR_OK;
}

int kbedit_log(sqlite3 *db, const char *record, int json, FILE *out, tr_err *e)
{
	sqlite3_stmt *st;
	json_t *all = json_array();
	int rc;

	if (sqlite3_prepare_v2(db, q_log, -1, &st, NULL) != SQLITE_OK) {
		json_decref(all);
		return tr_fail(e, TR_ERR, "cannot read the history: %s", sqlite3_errmsg(db));
	}
	if (record)
		sqlite3_bind_text(st, 1, record, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);
		const char *msg = (const char *)sqlite3_column_text(st, 4);

		if (json) {
			json_t *c = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "change", (json_int_t)id,
					      "time", sqlite3_column_text(st, 1), "who", sqlite3_column_text(st, 2),
					      "op", sqlite3_column_text(st, 3), "message", msg,
					      "version_before", sqlite3_column_text(st, 5),
					      "version_after", sqlite3_column_text(st, 6));
			json_t *recs = json_array();

			if (sqlite3_column_type(st, 7) != SQLITE_NULL)
				json_object_set_new(c, "reverts", json_integer(sqlite3_column_int64(st, 7)));
			log_records(db, id, recs, out);
			json_object_set_new(c, "records", recs);
			json_array_append_new(all, c);
			continue;
		}
		fprintf(out, "change %lld  %s  ", (long long)id, (const char *)sqlite3_column_text(st, 1));
		text_put(out, (const char *)sqlite3_column_text(st, 2));
		fprintf(out, "  %s", (const char *)sqlite3_column_text(st, 3));
		if (sqlite3_column_type(st, 7) != SQLITE_NULL)
			fprintf(out, " of change %lld", (long long)sqlite3_column_int64(st, 7));
		fprintf(out, "  version %s", (const char *)sqlite3_column_text(st, 6));
		if (*msg) {
			fputs("\n  ", out);
			text_put(out, msg);
		}
		fputc('\n', out);
		log_records(db, id, NULL, out);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(all);
		return tr_fail(e, TR_ERR, "cannot read the history: %s", sqlite3_errmsg(db));
	}
	if (json) {
		char *s = json_dumps(all, JSON_INDENT(2) | JSON_REAL_PRECISION(12));

		if (s)
			fprintf(out, "%s\n", s);
		free(s);
	}
	json_decref(all);
	return TR_OK;
}

int kbedit_since(sqlite3 *db, const char *version, const char *const *ids, buf *note)
{
	sqlite3_stmt *first, *st;
	sqlite3_int64 from = 0;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT min(id) FROM kb_change WHERE version_before = ?1", -1, &first, NULL) != SQLITE_OK)
		return 0;   /* a knowledge base before schema 6: no history */
	sqlite3_bind_text(first, 1, version, -1, SQLITE_STATIC);
	if (sqlite3_step(first) == SQLITE_ROW)
		from = sqlite3_column_int64(first, 0);
	sqlite3_finalize(first);
	if (from <= 0 || sqlite3_prepare_v2(db, "SELECT c.id, c.who, c.message, r.kind, r.record,"
					    " r.before IS NULL, r.after IS NULL FROM kb_change c"
					    " JOIN kb_change_record r ON r.change = c.id WHERE c.id >= ?1"
					    " ORDER BY c.id, r.seq", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, from);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *rid = (const char *)sqlite3_column_text(st, 4);
		const char *msg = (const char *)sqlite3_column_text(st, 2);
		int named = 0;

		for (int i = 0; ids[i] && !named; i++)
			named = strcmp(ids[i], rid) == 0;
		if (!named)
			continue;
		buf_printf(note, "%s%s %s %s by %s (change %lld%s%s%s)", n++ ? "; " : "",
			   (const char *)sqlite3_column_text(st, 3), rid,
			   sqlite3_column_int(st, 5) ? "added" : sqlite3_column_int(st, 6) ? "removed" : "changed",
			   (const char *)sqlite3_column_text(st, 1), (long long)sqlite3_column_int64(st, 0),
			   *msg ? ": '" : "", msg, *msg ? "'" : "");
	}
	sqlite3_finalize(st);
	return n;
}

void kbedit_session_note(sqlite3 *kbdb, const char *version, session *s, char **note)
{
	const tr_model *m = session_model(s);
	const session_event *ev;
	int nev = session_events(s, &ev), n = 0, top;
	int *order = xcalloc((size_t)m->ncauses + 1, sizeof *order);
	const char **ids = xcalloc((size_t)nev + 6 * (size_t)(m->nfixes + 1) + 1, sizeof *ids);
	buf b = {0};

	for (int i = 0; i < nev; i++)
		ids[n++] = ev[i].subject;
	top = session_ranking(s, order);
	for (int i = 0; i < top && i < 5; i++) {
		const tr_cause *c = &m->causes[order[i]];

		ids[n++] = c->id;
		for (int l = 0; l < c->nlinks; l++)
			ids[n++] = m->fixes[m->links[c->links[l]].fix].id;
	}
	ids[n] = NULL;
	if (*note)
		buf_puts(&b, *note);
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	buf_puts(&b, b.len ? " Since then: " : "Since this session was saved: ");
	if (kbedit_since(kbdb, version, ids, &b) > 0) {
		buf_putc(&b, '.');
		free(*note);
		*note = buf_take(&b);
	}
	buf_free(&b);
	free(ids);
	free(order);
}
