/*
 * cmd_kb.c: the `kb` commands for knowledge editors: build, dump, list,
 * show. (`kb test` lives in kbtest.c.) Uses kbtext.h for the records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "cli.h"
#include "kbcheck.h"
#include "kbtext.h"
#include "store.h"
#include "text.h"

/* Warns on stderr, once per slot and record, of template slots in the
 * built file that nothing can fill (they would always show as <slot>). */
static void warn_slots(const char *path)
{
	sqlite3 *db;
	buf b = {0};
	tr_err e;
	const char *p;

	tr_clear(&e);
	if (store_open(path, STORE_READ, &db, &e) != TR_OK)
		return;
	kbtext_slots(db, &b);
	sqlite3_close(db);
	for (p = buf_str(&b); *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "triage: warning: %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	buf_free(&b);
}

int kb_cmd_build(cli *c)
{
	const char *out = NULL, *dir = NULL;

	for (int i = 0; i < c->argc; i++) {
		if (cli_flag(c, &i, "-o", &out)) {
			if (!out)
				return TR_EUSAGE;
		} else if (c->argv[i][0] == '-')
			return tr_fail(&c->err, TR_EUSAGE, "kb build: unknown option %s", c->argv[i]);
		else if (!dir)
			dir = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "kb build: one DIR at most");
	}
	if (!out)
		return tr_fail(&c->err, TR_EUSAGE, "kb build: -o FILE is required");
	if (kbtext_build(dir ? dir : ".", out, stdout, stderr, &c->err) != TR_OK)
		return TR_ERR;
	warn_slots(out);
	return TR_OK;
}

int kb_cmd_dump(cli *c)
{
	const char *dir = NULL;
	int force = 0;

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--force") == 0)
			force = 1;
		else if (c->argv[i][0] == '-')
			return tr_fail(&c->err, TR_EUSAGE, "kb dump: unknown option %s", c->argv[i]);
		else if (!dir)
			dir = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "kb dump: one DIR at most");
	}
	if (!dir)
		return tr_fail(&c->err, TR_EUSAGE, "kb dump: name the directory to write");
	return kbtext_dump(c->db, dir, force, stdout, &c->err);
}

typedef struct lister {
	cli *c;
	enum kb_kind kind;
	json_t *all;      /* the records, printed once all are read */
} lister;

static int list_one(const char *id, void *ctx)
{
	lister *L = ctx;
	json_t *r = kbtext_record(L->c->db, L->kind, id, 1, &L->c->err);

	if (!r)
		return TR_ERR;
	json_array_append_new(L->all, r);
	return 0;
}

/* One line per record, the columns aligned: id, a kind's own column
 * (a cause's prior, a fix's risk, a rule's state), title. */
static void list_text(const lister *L)
{
	size_t i, w = 0;
	json_t *r;

	json_array_foreach(L->all, i, r) {
		size_t n = strlen(json_string_value(json_object_get(r, "id")));

		w = n > w ? n : w;
	}
	json_array_foreach(L->all, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *title = json_string_value(json_object_get(r, "title"));

		if (!title)
			title = json_string_value(json_object_get(r, "text"));
		if (!title)
			title = json_string_value(json_object_get(r, "description"));
		text_put(stdout, id);
		printf("%*s", (int)(w - strlen(id)), "");
		if (L->kind == KB_CAUSE)
			printf("  %.3f", json_number_value(json_object_get(r, "prior")));
		else if (L->kind == KB_FIX)
			printf("  %-6s", json_string_value(json_object_get(r, "risk")));
		else if (L->kind == KB_RULE)
			printf("  %s", json_is_true(json_object_get(r, "enabled")) ? "on " : "off");
		fputs("  ", stdout);
		text_put(stdout, title ? title : "");
		putchar('\n');
	}
}

static int parse_kind(const char *word, enum kb_kind *kind)
{
	static const char *const plural[KB_NKINDS] = {"facts", "causes", "fixes", "rules", "sources"};

	for (int k = 0; k < KB_NKINDS; k++)
		if (strcmp(word, plural[k]) == 0 || strcmp(word, kbtext_kinds[k]) == 0) {
			*kind = (enum kb_kind)k;
			return 0;
		}
	return -1;
}

static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(12));

	if (!s)
		return TR_ERR;
	puts(s);
	free(s);
	return TR_OK;
}

int kb_cmd_list(cli *c)
{
	lister L = { c, KB_FACT, NULL };
	const char *what = NULL;
	int json = 0, rc;

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--json") == 0)
			json = 1;
		else if (!what && c->argv[i][0] != '-')
			what = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "kb list: unexpected argument '%s'", c->argv[i]);
	}
	if (!what || parse_kind(what, &L.kind) != 0)
		return tr_fail(&c->err, TR_EUSAGE, "kb list: say facts, causes, fixes, rules or sources");
	L.all = json_array();
	rc = kbtext_each(c->db, L.kind, list_one, &L);
	if (rc == 0 && json)
		rc = print_json(L.all);
	else if (rc == 0)
		list_text(&L);
	json_decref(L.all);
	return rc ? TR_ERR : TR_OK;
}

/* Appends v to b as a person reads it: text as is, numbers plainly, an
 * object as "key value, key value", anything else as compact JSON. */
static void plain(buf *b, json_t *v)
{
	const char *k;
	json_t *x;
	size_t n = 0;

	if (json_is_string(v))
		buf_puts(b, json_string_value(v));
	else if (json_is_number(v))
		buf_printf(b, "%.12g", json_number_value(v));
	else if (json_is_object(v))
		json_object_foreach(v, k, x) {
			buf_printf(b, "%s%s ", n++ ? ", " : "", k);
			plain(b, x);
		}
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY);

		buf_puts(b, s ? s : "");
		free(s);
	}
}

/* Prints one record for a person: each field on its own line; a list one
 * item a line ("- "), an item's fields joined by "; ". */
static void show_text(json_t *r, enum kb_kind kind)
{
	const char *k, *k2;
	json_t *v, *item, *x;
	size_t i;
	buf b = {0};

	printf("%s ", kbtext_kinds[kind]);
	text_put(stdout, json_string_value(json_object_get(r, "id")));
	putchar('\n');
	json_object_foreach(r, k, v) {
		if (strcmp(k, "id") == 0)
			continue;
		printf("  %s:", k);
		if (json_is_string(v) && strcmp(k, "source") == 0) {
			buf_reset(&b);
			text_safe(&b, json_string_value(v), 1);
			printf("\n%s\n", buf_str(&b));
			continue;
		}
		if (!json_is_array(v) || json_array_size(v) == 0) {
			buf_reset(&b);
			plain(&b, v);
			putchar(' ');
			text_put(stdout, buf_str(&b));
			putchar('\n');
			continue;
		}
		putchar('\n');
		json_array_foreach(v, i, item) {
			size_t n = 0;

			buf_reset(&b);
			if (json_is_object(item))
				json_object_foreach(item, k2, x) {
					buf_printf(&b, "%s%s: ", n++ ? "; " : "", k2);
					plain(&b, x);
				}
			else
				plain(&b, item);
			fputs("    - ", stdout);
			text_put(stdout, buf_str(&b));
			putchar('\n');
		}
	}
	buf_free(&b);
}

int kb_cmd_show(cli *c)
{
	const char *id = NULL;
	enum kb_kind kind;
	json_t *r;
	int json = 0, rc = TR_OK;

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--json") == 0)
			json = 1;
		else if (!id && c->argv[i][0] != '-')
			id = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "kb show: unexpected argument '%s'", c->argv[i]);
	}
	if (!id)
		return tr_fail(&c->err, TR_EUSAGE, "kb show: name the record to show");
	if (kbtext_kind_of(c->db, id, &kind) != 0) {
		int code = sqlite3_errcode(c->db);

		if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)  /* not "no record" */
			return tr_fail(&c->err, TR_ERR, "%s: corrupt database: %s", c->kb_path,
				       sqlite3_errmsg(c->db));
		return tr_fail(&c->err, TR_ERR, "kb show: no record '%s' in %s", id, c->kb_path);
	}
	if (!(r = kbtext_record(c->db, kind, id, 1, &c->err)))
		return TR_ERR;
	json_object_set_new(r, "kind", json_string(kbtext_kinds[kind]));
	if (json)
		rc = print_json(r);
	else {
		json_object_del(r, "kind");
		show_text(r, kind);
	}
	json_decref(r);
	return rc;
}

int kb_cmd_check(cli *c)
{
	buf out = {0};
	int n;

	if (c->argc > 0)
		return tr_fail(&c->err, TR_EUSAGE, "kb check: unexpected argument '%s' (the file is --kb FILE)",
			       c->argv[0]);
	n = kbcheck_run(c->kb_path, &out, &c->err);
	if (n < 0) {
		buf_free(&out);
		return TR_ERR;
	}
	for (const char *l = buf_str(&out); *l;) {
		size_t k = strcspn(l, "\n");
		char *line = xstrdup(l);

		line[k] = 0;
		printf("%s: ", c->kb_path);
		text_put(stdout, line);
		putchar('\n');
		free(line);
		l += k + (l[k] == '\n');
	}
	buf_free(&out);
	if (n > 0)
		return tr_fail(&c->err, TR_ERR, "kb check: %d problem%s in %s", n, n == 1 ? "" : "s", c->kb_path);
	printf("%s: ok\n", c->kb_path);
	return TR_OK;
}
