/*
 * cmd_kbedit.c: the `kb` commands that change a live knowledge base: add,
 * edit, rm, revert, and log to read its history. Records come in the
 * shape `kb show --json` prints (or the text tree's); each change goes
 * through kbedit.h, all or nothing, checked as kb build checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "kbask.h"
#include "kbdiff.h"
#include "kbedit.h"
#include "store.h"
#include "text.h"

/* The options every changing command takes. */
typedef struct edit_opts {
	const char *json;      /* --json FILE or "-" */
	const char *message;   /* -m MSG */
	int dry_run;           /* --dry-run */
	int cascade;           /* --cascade (rm) */
	char *tests[16];       /* --test FILE: case files a dry run compares */
	int ntests;
	const char *pos[3];    /* positional arguments */
	int npos;
} edit_opts;

static int parse_opts(cli *c, const char *cmd, edit_opts *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];

		const char *t;

		if (cli_flag(c, &i, "--json", &o->json) || cli_flag(c, &i, "-m", &o->message)) {
			if (c->err.code)
				return TR_EUSAGE;
		} else if (cli_flag(c, &i, "--test", &t)) {
			if (c->err.code)
				return TR_EUSAGE;
			if (o->ntests == (int)(sizeof o->tests / sizeof *o->tests))
				return tr_fail(&c->err, TR_EUSAGE, "%s: at most %d --test files", cmd, o->ntests);
			o->tests[o->ntests++] = (char *)t;
		} else if (strcmp(a, "--dry-run") == 0)
			o->dry_run = 1;
		else if (strcmp(a, "--cascade") == 0 && strcmp(cmd, "kb rm") == 0)
			o->cascade = 1;
		else if (a[0] == '-' && a[1])
			return tr_fail(&c->err, TR_EUSAGE, "%s: unknown option %s", cmd, a);
		else if (o->npos < 3)
			o->pos[o->npos++] = a;
		else
			return tr_fail(&c->err, TR_EUSAGE, "%s: unexpected argument '%s'", cmd, a);
	}
	return TR_OK;
}

static int kind_of_word(const char *w, enum kb_kind *kind)
{
	for (int k = 0; k < KB_NKINDS; k++)
		if (strcmp(w, kbtext_kinds[k]) == 0) {
			*kind = (enum kb_kind)k;
			return 0;
		}
	return -1;
}

/* Reads a JSON object from path ("-": standard input). */
static json_t *read_json(cli *c, const char *cmd, const char *path, int list_ok)
{
	json_error_t je;
	json_t *j = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
		  : json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	if (!j) {
		if (strcmp(path, "-") != 0 && access(path, R_OK) != 0)
			tr_fail(&c->err, TR_ERR, "%s: %s: %s", cmd, path, strerror(errno));
		else
			tr_fail(&c->err, TR_ERR, "%s: %s: line %d: %s", cmd, strcmp(path, "-") ? path : "standard input",
				je.line, je.text);
		return NULL;
	}
	if (!json_is_object(j) && !(list_ok && json_is_array(j))) {
		json_decref(j);
		tr_fail(&c->err, TR_ERR, "%s: %s: a record is one JSON object%s", cmd, strcmp(path, "-") ? path : "standard input",
			list_ok ? " (or a list of records, each with its \"kind\")" : "");
		return NULL;
	}
	return j;
}

/* The record to store, from what the editor gave (the shape of `kb show
 * --json`, or of the text tree): derived keys left out (kbedit_expect
 * checks them), a fact's "choices" as its values. NULL with c->err set. */
static json_t *normalize(cli *c, const char *cmd, enum kb_kind kind, json_t *given)
{
	json_t *r = json_deep_copy(given), *kindv = json_object_get(given, "kind");

	if (kindv && (!json_is_string(kindv) || strcmp(json_string_value(kindv), kbtext_kinds[kind]) != 0)) {
		json_decref(r);
		tr_fail(&c->err, TR_ERR, "%s: the record says \"kind\": %s, not \"%s\"", cmd,
			json_is_string(kindv) ? json_string_value(kindv) : "(not a string)", kbtext_kinds[kind]);
		return NULL;
	}
	json_object_del(r, "kind");
	if (kind == KB_FACT && json_object_get(r, "choices")) {
		json_object_set(r, "values", json_object_get(r, "choices"));
		json_object_del(r, "choices");
	}
	if (kind == KB_FACT)
		json_object_del(r, "rules");
	else if (kind == KB_CAUSE)
		json_object_del(r, "fixes");
	else if (kind == KB_FIX)
		json_object_del(r, "causes");
	else if (kind == KB_RULE) {
		json_t *keep = json_object();

		json_object_set(keep, "id", json_object_get(r, "id"));
		json_object_set(keep, "source", json_object_get(r, "source"));
		json_decref(r);
		r = keep;
	}
	return r;
}

/* The id a record gives, checked to be a string. */
static const char *given_id(cli *c, const char *cmd, json_t *r)
{
	json_t *id = json_object_get(r, "id");

	if (!json_is_string(id)) {
		tr_fail(&c->err, TR_ERR, "%s: the record has no \"id\" (a string)", cmd);
		return NULL;
	}
	return json_string_value(id);
}

/* A dry run's second half: what the change would move (kbdiff.h) in the
 * knowledge tests named by --test and the saved sessions, comparing the
 * live file with the change built into a private copy (after). */
static int what_moves(cli *c, const char *cmd, const edit_opts *o, const char *after)
{
	int rc;

	printf("\nWhat it would move (kb test --changed):\n");
	fflush(stdout);
	kbdiff_set_cases(o->ntests ? (char *const *)o->tests : NULL, o->ntests);
	rc = kbdiff_report(c->kb_path, after, stdout, 0, &c->err);
	kbdiff_set_cases(NULL, 0);
	if (rc != TR_OK) {
		char msg[sizeof c->err.msg];

		snprintf(msg, sizeof msg, "%s", c->err.msg);
		return tr_fail(&c->err, TR_ERR, "%s --dry-run: %s; nothing changed", cmd, msg);
	}
	return TR_OK;
}

/* Ends a change: commit (or dry run, then what it would move), report on
 * stdout. */
static int finish(cli *c, const char *cmd, kbedit *k, const char *op, const edit_opts *o, long reverts)
{
	char msg[sizeof c->err.msg], dir[512] = "", after[600] = "";
	const char *tmp = getenv("TMPDIR");
	int rc = TR_OK;

	if (o->dry_run) {
		snprintf(dir, sizeof dir, "%s/triage-dry-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			kbedit_end(k);
			return tr_fail(&c->err, TR_ERR, "%s: cannot make a private directory for the dry run: %s", cmd,
				       strerror(errno));
		}
		snprintf(after, sizeof after, "%s/after.sqlite", dir);
		rc = kbedit_apply_to_copy(k, after, &c->err);
	}
	if (rc == TR_OK)
		rc = kbedit_commit(k, op, o->message, reverts, o->dry_run ? KBEDIT_DRY_RUN : KBEDIT_APPLY, stdout, &c->err);
	kbedit_end(k);  /* the lock goes before the comparison, which reads only */
	if (o->dry_run) {
		if (rc == TR_OK && access(after, F_OK) == 0)
			rc = what_moves(c, cmd, o, after);
		store_unlink(after);
		rmdir(dir);
		if (rc != TR_OK && strstr(c->err.msg, "--dry-run: "))
			return TR_ERR;
	}
	if (rc != TR_OK) {
		snprintf(msg, sizeof msg, "%s", c->err.msg);
		return tr_fail(&c->err, TR_ERR, "%s: %s; nothing changed", cmd, msg);
	}
	return TR_OK;
}

static int begin(cli *c, const char *cmd, kbedit **k)
{
	char msg[sizeof c->err.msg];

	if (kbedit_begin(c->kb_path, k, &c->err) == TR_OK)
		return TR_OK;
	snprintf(msg, sizeof msg, "%s", c->err.msg);
	return tr_fail(&c->err, TR_ERR, "%s: %s", cmd, msg);
}

/* Lets the editor change r in $VISUAL/$EDITOR; returns what was saved, or
 * NULL (c->err set) when the file does not parse or the editor failed. */
static json_t *edit_in_editor(cli *c, const char *cmd, json_t *r)
{
	char path[256];
	int fd;
	json_t *j;

	snprintf(path, sizeof path, "%s/triage-record-XXXXXX", getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		tr_fail(&c->err, TR_ERR, "%s: cannot make a file to edit: %s", cmd, strerror(errno));
		return NULL;
	}
	close(fd);
	if (json_dump_file(r, path, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) != 0 || kbask_editor(path) != 0) {
		remove(path);
		tr_fail(&c->err, TR_ERR, "%s: the editor ($VISUAL or $EDITOR) failed; nothing changed", cmd);
		return NULL;
	}
	j = read_json(c, cmd, path, 0);
	remove(path);
	return j;
}

/* kb add evidence / kb add resolves: a link, stored in its cause or fix. */
static int add_link(cli *c, const edit_opts *o, int evidence)
{
	const char *cmd = evidence ? "kb add evidence" : "kb add resolves";
	const char *owner_key = evidence ? "cause" : "fix", *other_key = evidence ? "fact" : "cause";
	const char *list = evidence ? "evidence" : "resolves";
	json_t *link, *rec, *item;
	const char *owner, *other;
	kbedit *k;
	size_t i;
	int rc;

	if (!o->json)
		return tr_fail(&c->err, TR_EUSAGE, "%s: give the link as --json FILE (or - for stdin): "
			       "{\"%s\", \"%s\", \"p\", \"why\"}", cmd, owner_key, other_key);
	if (!(link = read_json(c, cmd, o->json, 0)))
		return TR_ERR;
	owner = json_string_value(json_object_get(link, owner_key));
	other = json_string_value(json_object_get(link, other_key));
	if (!owner || !other) {
		json_decref(link);
		return tr_fail(&c->err, TR_ERR, "%s: the link needs \"%s\" and \"%s\" (strings)", cmd, owner_key, other_key);
	}
	if (begin(c, cmd, &k) != TR_OK) {
		json_decref(link);
		return TR_ERR;
	}
	if (!(rec = kbedit_get(k, evidence ? KB_CAUSE : KB_FIX, owner))) {
		kbedit_end(k);
		rc = tr_fail(&c->err, TR_ERR, "%s: no %s '%s' in %s", cmd, owner_key, owner, c->kb_path);
		json_decref(link);
		return rc;
	}
	json_array_foreach(json_object_get(rec, list), i, item)
		if (json_is_string(json_object_get(item, other_key)) &&
		    strcmp(json_string_value(json_object_get(item, other_key)), other) == 0) {
			tr_fail(&c->err, TR_ERR, "%s: %s %s already has %s on %s (kb edit %s changes it)",
				cmd, owner_key, owner, list, other, owner);
			json_decref(rec);
			json_decref(link);
			kbedit_end(k);
			return TR_ERR;
		}
	{
		char id[128];   /* owner lives in link, until its key goes */

		snprintf(id, sizeof id, "%s", owner);
		json_object_del(link, owner_key);
		json_array_append(json_object_get(rec, list), link);
		rc = kbedit_put(k, evidence ? KB_CAUSE : KB_FIX, id, rec, &c->err);
	}
	json_decref(rec);
	json_decref(link);
	if (rc != TR_OK) {
		kbedit_end(k);
		return TR_ERR;
	}
	return finish(c, cmd, k, "add", o, 0);
}

/* Reads a rule file (kb add rule FILE.lua): its id is the file's name. */
static json_t *rule_from_file(cli *c, const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);
	FILE *f;
	buf b = {0};
	char chunk[8192], id[80];
	size_t got;
	json_t *r;

	if (n <= 4 || strcmp(base + n - 4, ".lua") != 0) {
		tr_fail(&c->err, TR_EUSAGE, "kb add rule: %s: a rule file is ID.lua", file);
		return NULL;
	}
	if (!(f = fopen(file, "rb"))) {
		tr_fail(&c->err, TR_ERR, "kb add rule: %s: %s", file, strerror(errno));
		return NULL;
	}
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, got);
	fclose(f);
	snprintf(id, sizeof id, "%.*s", (int)(n - 4), base);
	r = json_pack("{s:s, s:s%}", "id", id, "source", b.data ? b.data : "", b.len);
	buf_free(&b);
	if (!r)
		tr_fail(&c->err, TR_ERR, "kb add rule: %s: not UTF-8 text", file);
	return r;
}

/* Puts one new record of a kb add (kind: from the command, or the
 * record's own "kind" when the command names none). */
static int add_one(cli *c, kbedit *k, int have_kind, enum kb_kind kind, json_t *given)
{
	json_t *rec, *there;
	const char *id, *kw = json_string_value(json_object_get(given, "kind"));
	int rc = TR_OK;

	if (!json_is_object(given))
		return tr_fail(&c->err, TR_ERR, "kb add: each record is a JSON object");
	if (!have_kind && (!kw || kind_of_word(kw, &kind) != 0))
		return tr_fail(&c->err, TR_ERR, "kb add: a record of the list has no \"kind\" (fact, cause, fix, rule or source)");
	if (!(rec = normalize(c, "kb add", kind, given)) || !(id = given_id(c, "kb add", rec))) {
		json_decref(rec);
		return TR_ERR;
	}
	if ((there = kbedit_get(k, kind, id)))
		rc = tr_fail(&c->err, TR_ERR, "kb add: %s %s already exists (kb edit %s changes it)",
			     kbtext_kinds[kind], id, id);
	json_decref(there);
	if (rc == TR_OK) {
		kbedit_expect(k, kind, id, given);
		rc = kbedit_put(k, kind, id, rec, &c->err);
	}
	json_decref(rec);
	return rc;
}

/* Adds {"fix", "cause", "p", "why"} to the resolves of an existing fix. */
static int link_fix(cli *c, kbedit *k, json_t *link)
{
	const char *fix = json_string_value(json_object_get(link, "fix"));
	json_t *rec = fix ? kbedit_get(k, KB_FIX, fix) : NULL;
	int rc;

	if (!rec)
		return tr_fail(&c->err, TR_ERR, "kb add: no fix '%s' in %s", fix ? fix : "?", c->kb_path);
	json_array_append_new(json_object_get(rec, "resolves"),
			      json_pack("{s:O, s:O, s:O}", "cause", json_object_get(link, "cause"),
					"p", json_object_get(link, "p"), "why", json_object_get(link, "why")));
	rc = kbedit_put(k, KB_FIX, fix, rec, &c->err);
	json_decref(rec);
	return rc;
}

int kb_cmd_add(cli *c)
{
	edit_opts o;
	enum kb_kind kind = KB_FACT;
	json_t *given = NULL, *item, *links = NULL;
	kbedit *k;
	size_t i;
	int rc, have_kind = 0;

	if (parse_opts(c, "kb add", &o) != TR_OK)
		return TR_EUSAGE;
	if (o.npos == 0 && !o.json)
		return tr_fail(&c->err, TR_EUSAGE, "kb add: say fact, cause, fix, rule, source, evidence or resolves");
	if (o.npos && (strcmp(o.pos[0], "evidence") == 0 || strcmp(o.pos[0], "resolves") == 0)) {
		if (o.npos > 1)
			return tr_fail(&c->err, TR_EUSAGE, "kb add %s: unexpected argument '%s'", o.pos[0], o.pos[1]);
		return add_link(c, &o, o.pos[0][0] == 'e');
	}
	if (o.npos && kind_of_word(o.pos[0], &kind) != 0)
		return tr_fail(&c->err, TR_EUSAGE, "kb add: '%s' is not fact, cause, fix, rule, source, evidence or resolves", o.pos[0]);
	have_kind = o.npos > 0;
	if (o.npos > 2 || (o.npos == 2 && kind != KB_RULE))
		return tr_fail(&c->err, TR_EUSAGE, "kb add %s: unexpected argument '%s'", o.pos[0], o.pos[o.npos - 1]);
	if (o.npos == 2 && o.json)
		return tr_fail(&c->err, TR_EUSAGE, "kb add rule: give FILE.lua or --json, not both");
	if (o.npos == 2)
		given = rule_from_file(c, o.pos[1]);
	else if (o.json)
		given = read_json(c, "kb add", o.json, 1);
	else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		sqlite3 *db;

		if (store_open(c->kb_path, STORE_READ, &db, &c->err) != TR_OK)
			return TR_ERR;
		given = kbask_record(kind, db, &links, &c->err);
		sqlite3_close(db);
		have_kind = 0;
	} else
		return tr_fail(&c->err, TR_EUSAGE, "kb add %s: give the record as --json FILE (or - for stdin)%s;"
			       " on a terminal, without it, triage asks for each field", o.pos[0],
			       kind == KB_RULE ? ", or a rule file ID.lua" : "");
	if (!given)
		return c->err.code ? c->err.code : TR_ERR;
	if ((rc = begin(c, "kb add", &k)) == TR_OK) {
		if (json_is_array(given)) {
			if (json_array_size(given) == 0)
				rc = tr_fail(&c->err, TR_ERR, "kb add: the list of records is empty");
			json_array_foreach(given, i, item)
				if (rc == TR_OK)
					rc = add_one(c, k, have_kind, kind, item);
		} else if (!have_kind && !json_object_get(given, "kind"))
			rc = tr_fail(&c->err, TR_EUSAGE, "kb add: say fact, cause, fix, rule or source (or give \"kind\")");
		else
			rc = add_one(c, k, have_kind, kind, given);
		json_array_foreach(links, i, item)
			if (rc == TR_OK)
				rc = link_fix(c, k, item);
		if (rc == TR_OK)
			rc = finish(c, "kb add", k, "add", &o, 0);
		else
			kbedit_end(k);
	}
	json_decref(given);
	json_decref(links);
	return rc;
}

/* Finds which kind id is in the live file (opened read-only to look). */
static int kind_in_file(cli *c, const char *cmd, const char *id, enum kb_kind *kind)
{
	sqlite3 *db;
	char msg[sizeof c->err.msg];
	int found;

	if (store_open(c->kb_path, STORE_READ, &db, &c->err) != TR_OK) {
		snprintf(msg, sizeof msg, "%s", c->err.msg);
		return tr_fail(&c->err, TR_ERR, "%s: %s", cmd, msg);
	}
	found = kbtext_kind_of(db, id, kind) == 0;
	sqlite3_close(db);
	if (!found)
		return tr_fail(&c->err, TR_ERR, "%s: no record '%s' in %s", cmd, id, c->kb_path);
	return TR_OK;
}

int kb_cmd_edit(cli *c)
{
	edit_opts o;
	enum kb_kind kind;
	json_t *given = NULL, *rec = NULL;
	const char *id;
	kbedit *k;
	int rc;

	if (parse_opts(c, "kb edit", &o) != TR_OK)
		return TR_EUSAGE;
	if (o.npos != 1)
		return tr_fail(&c->err, TR_EUSAGE, o.npos ? "kb edit: one ID at a time" : "kb edit: name the record to change");
	if (kind_in_file(c, "kb edit", o.pos[0], &kind) != TR_OK)
		return TR_ERR;
	if (o.json)
		given = read_json(c, "kb edit", o.json, 0);
	else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		sqlite3 *db;
		json_t *now = NULL;

		if (store_open(c->kb_path, STORE_READ, &db, &c->err) == TR_OK) {
			now = kbtext_record(db, kind, o.pos[0], 1, &c->err);
			sqlite3_close(db);
		}
		if (now)
			json_object_set_new(now, "kind", json_string(kbtext_kinds[kind]));
		given = now ? edit_in_editor(c, "kb edit", now) : NULL;
		json_decref(now);
	} else
		return tr_fail(&c->err, TR_EUSAGE, "kb edit: give the record as --json FILE (or - for stdin);"
			       " on a terminal, without it, the record opens in $VISUAL or $EDITOR");
	if (!given)
		return TR_ERR;
	if (!json_object_get(given, "id"))
		json_object_set_new(given, "id", json_string(o.pos[0]));
	if (!(rec = normalize(c, "kb edit", kind, given)) || !(id = given_id(c, "kb edit", rec))) {
		json_decref(rec);
		json_decref(given);
		return TR_ERR;
	}
	if (strcmp(id, o.pos[0]) != 0) {
		rc = tr_fail(&c->err, TR_ERR, "kb edit: the record's \"id\" is '%s', not '%s': an edit does not rename"
			     " (kb add the new one, then kb rm the old)", id, o.pos[0]);
	} else if ((rc = begin(c, "kb edit", &k)) == TR_OK) {
		kbedit_expect(k, kind, id, given);
		rc = kbedit_put(k, kind, id, rec, &c->err);
		if (rc == TR_OK)
			rc = finish(c, "kb edit", k, "edit", &o, 0);
		else
			kbedit_end(k);
	}
	json_decref(rec);
	json_decref(given);
	return rc;
}

/* kb rm evidence CAUSE FACT / kb rm resolves FIX CAUSE. */
static int rm_link(cli *c, const edit_opts *o, int evidence)
{
	const char *cmd = evidence ? "kb rm evidence" : "kb rm resolves";
	const char *list = evidence ? "evidence" : "resolves", *other_key = evidence ? "fact" : "cause";
	json_t *rec, *item;
	kbedit *k;
	size_t i;
	int rc, found = 0;

	if (o->npos != 3)
		return tr_fail(&c->err, TR_EUSAGE, "%s: name the %s and the %s", cmd, evidence ? "cause" : "fix", other_key);
	if (begin(c, cmd, &k) != TR_OK)
		return TR_ERR;
	if (!(rec = kbedit_get(k, evidence ? KB_CAUSE : KB_FIX, o->pos[1]))) {
		kbedit_end(k);
		return tr_fail(&c->err, TR_ERR, "%s: no %s '%s' in %s", cmd, evidence ? "cause" : "fix", o->pos[1], c->kb_path);
	}
	json_array_foreach(json_object_get(rec, list), i, item)
		if (!found && json_is_string(json_object_get(item, other_key)) &&
		    strcmp(json_string_value(json_object_get(item, other_key)), o->pos[2]) == 0) {
			json_array_remove(json_object_get(rec, list), i);
			found = 1;
			break;
		}
	if (!found) {
		json_decref(rec);
		kbedit_end(k);
		return tr_fail(&c->err, TR_ERR, "%s: %s %s has no %s on %s", cmd, evidence ? "cause" : "fix",
			       o->pos[1], list, o->pos[2]);
	}
	rc = kbedit_put(k, evidence ? KB_CAUSE : KB_FIX, o->pos[1], rec, &c->err);
	json_decref(rec);
	if (rc != TR_OK) {
		kbedit_end(k);
		return TR_ERR;
	}
	return finish(c, cmd, k, "rm", o, 0);
}

int kb_cmd_rm(cli *c)
{
	edit_opts o;
	enum kb_kind kind;
	kbedit *k;
	buf refs = {0};
	int rc;

	if (parse_opts(c, "kb rm", &o) != TR_OK)
		return TR_EUSAGE;
	if (o.npos >= 1 && (strcmp(o.pos[0], "evidence") == 0 || strcmp(o.pos[0], "resolves") == 0))
		return rm_link(c, &o, o.pos[0][0] == 'e');
	if (o.npos != 1)
		return tr_fail(&c->err, TR_EUSAGE, o.npos ? "kb rm: one ID at a time" : "kb rm: name the record to remove");
	if (kind_in_file(c, "kb rm", o.pos[0], &kind) != TR_OK)
		return TR_ERR;
	if (begin(c, "kb rm", &k) != TR_OK)
		return TR_ERR;
	if (o.cascade) {
		rc = kbedit_cascade(k, kind, o.pos[0], &refs, &c->err);
		fputs(buf_str(&refs), stdout);
	} else if (kbedit_referrers(k, kind, o.pos[0], &refs) > 0)
		rc = tr_fail(&c->err, TR_ERR, "kb rm: %s %s is still referred to by %s; change those first, or"
			     " --cascade (--dry-run shows what it would change)", kbtext_kinds[kind], o.pos[0], buf_str(&refs));
	else
		rc = kbedit_put(k, kind, o.pos[0], NULL, &c->err);
	buf_free(&refs);
	if (rc != TR_OK) {
		kbedit_end(k);
		return TR_ERR;
	}
	return finish(c, "kb rm", k, "rm", &o, 0);
}

int kb_cmd_revert(cli *c)
{
	edit_opts o;
	char *end, msg[96];
	long id;
	kbedit *k;

	if (parse_opts(c, "kb revert", &o) != TR_OK)
		return TR_EUSAGE;
	if (o.npos != 1)
		return tr_fail(&c->err, TR_EUSAGE, "kb revert: name one change (kb log lists them)");
	id = strtol(o.pos[0], &end, 10);
	if (!*o.pos[0] || *end || id <= 0)
		return tr_fail(&c->err, TR_EUSAGE, "kb revert: '%s' is not a change number", o.pos[0]);
	if (begin(c, "kb revert", &k) != TR_OK)
		return TR_ERR;
	if (kbedit_revert(k, id, &c->err) != TR_OK) {
		kbedit_end(k);
		return TR_ERR;
	}
	if (!o.message) {
		snprintf(msg, sizeof msg, "revert change %ld", id);
		o.message = msg;
	}
	return finish(c, "kb revert", k, "revert", &o, id);
}

int kb_cmd_log(cli *c)
{
	const char *id = NULL;
	int json = 0;

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--json") == 0)
			json = 1;
		else if (!id && c->argv[i][0] != '-')
			id = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "kb log: unexpected argument '%s'", c->argv[i]);
	}
	return kbedit_log(c->db, id, json, stdout, &c->err);
}
