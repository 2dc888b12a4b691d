/*
 * sessexport.c: `triage sessions export`, finished sessions as JSON Lines
 * for `kb learn` (format: README, "Learning from outcomes"). Free text
 * (free-text facts, values the knowledge base does not know, the ending's
 * note, the title) is left out unless --keep-text.
 * Uses sessdb.h (the session file), kbtext.h (record checksums), export.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "export.h"
#include "kbtext.h"
#include "sessdb.h"

typedef struct exporter {
	cli *c;
	sqlite3 *db;            /* the session file */
	const char *since;      /* YYYY-MM-DD..., or NULL */
	int keep_text;
	int n, skipped;         /* sessions written; not finished or too old */
	buf out;                /* the lines */
	json_t *events;         /* of the session being written */
	json_t *sums;           /* its records' checksums, or NULL: not known */
	int left_out;           /* its events left out as free text */
} exporter;

/* Whether value is a choice of fact f, or unknown. */
static int is_choice(const tr_model *m, int f, const char *value)
{
	return strcmp(value, "unknown") == 0 || model_value(m, f, value) >= 0;
}

/* Adds the checksum of record id (kind) as the knowledge base in effect
 * holds it to the session's "checksums" object, once. */
static void add_sum(exporter *X, enum kb_kind kind, const char *id)
{
	json_t *k;
	char sum[17];
	tr_err e;

	if (!X->sums)
		return;
	if (!(k = json_object_get(X->sums, kbtext_kinds[kind]))) {
		k = json_object();
		json_object_set_new(X->sums, kbtext_kinds[kind], k);
	}
	if (!json_object_get(k, id) && kbtext_checksum(X->c->db, kind, id, sum, &e) == 0)
		json_object_set_new(k, id, json_string(sum));
}

static int one_event(const char *kind, const char *subject, const char *value, void *ctx)
{
	exporter *X = ctx;
	const tr_model *m = X->c->m;
	int result = strcmp(kind, "result") == 0;
	int f = result ? -1 : model_fact(m, subject), x = result ? model_fix(m, subject) : -1;

	if (!X->keep_text && (result ? x < 0 : f < 0 || m->facts[f].nvalues == 0 || !is_choice(m, f, value))) {
		X->left_out++;
		return 0;
	}
	json_array_append_new(X->events, json_pack("{s:s,s:s,s:s}", "kind", kind, "subject", subject,
						   "value", value));
	if (f >= 0)
		add_sum(X, KB_FACT, subject);
	if (x >= 0)
		add_sum(X, KB_FIX, subject);
	return 0;
}

/* A session is finished when it has an ending or the engine ended it. */
static int finished(const sessdb_row *r)
{
	return *r->ending || strcmp(r->status, "resolved") == 0 || strcmp(r->status, "exhausted") == 0;
}

static int one_session(const sessdb_row *r, void *ctx)
{
	exporter *X = ctx;
	const tr_model *m = X->c->m;
	const char *when = *r->ended ? r->ended : r->updated;
	json_t *o, *kb;
	char *line;
	tr_err e;

	if (!finished(r) || (X->since && strcmp(when, X->since) < 0)) {
		X->skipped++;
		return 0;
	}
	X->events = json_array();
	X->left_out = 0;
	/* Checksums are known only when the session last ran on this very
	 * knowledge base; otherwise kb learn goes by the digest alone. */
	X->sums = strcmp(r->kb_id, m->kb_id) == 0 && strcmp(r->kb_digest, m->digest) == 0 ? json_object() : NULL;
	sessdb_each_event(X->db, r->id, one_event, X, &e);
	if (*r->ending_fix && model_fix(m, r->ending_fix) >= 0)
		add_sum(X, KB_FIX, r->ending_fix);
	kb = json_pack("{s:s,s:s,s:s}", "id", r->kb_id, "version", r->kb_version, "digest", r->kb_digest);
	o = json_pack("{s:s,s:i,s:I,s:s,s:s,s:o,s:o,s:o,s:s,s:s}", "format", "triage-session", "version", 1,
		      "session", (json_int_t)r->id, "created", r->created, "ended", when, "kb", kb,
		      "checksums", X->sums ? X->sums : json_null(), "events", X->events,
		      "status", r->status, "ending", r->ending);
	if (*r->ending_fix)
		json_object_set_new(o, "fix", json_string(r->ending_fix));
	if (X->keep_text) {
		json_object_set_new(o, "note", json_string(r->ending_note));
		json_object_set_new(o, "title", json_string(strcmp(r->title, r->summary) ? r->title : ""));
	} else
		json_object_set_new(o, "left_out", json_integer(X->left_out));
	if (*r->reach)
		json_object_set_new(o, "reach", json_string(r->reach));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	buf_puts(&X->out, line);
	buf_putc(&X->out, '\n');
	free(line);
	json_decref(o);
	X->n++;
	return 0;
}

/* A date YYYY-MM-DD, optionally followed by THH:MM:SSZ. */
static int is_date(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t n = strlen(s);

	if (n != 10 && n != sizeof shape - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

int sessexport_cmd(cli *c)
{
	exporter X;
	const char *out = NULL;
	int rc;

	memset(&X, 0, sizeof X);
	X.c = c;
	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (strcmp(c->argv[i], "--keep-text") == 0)
			X.keep_text = 1;
		else if (cli_flag(c, &i, "--since", &v)) {
			if (!v)
				return TR_EUSAGE;
			if (!is_date(v))
				return tr_fail(&c->err, TR_EUSAGE, "sessions export: --since takes a date "
					       "(YYYY-MM-DD), not '%s'", v);
			X.since = v;
		} else if (cli_flag(c, &i, "-o", &v)) {
			if (!(out = v))
				return TR_EUSAGE;
		} else
			return tr_fail(&c->err, TR_EUSAGE, "sessions export: unexpected argument '%s'", c->argv[i]);
	}
	if (sessdb_open(NULL, &X.db, &c->err) != TR_OK)
		return TR_ERR;
	rc = sessdb_list(X.db, NULL, one_session, &X, &c->err);
	sqlite3_close(X.db);
	if (rc == TR_OK && (rc = export_write(out, &X.out, &c->err)) == TR_OK && out && strcmp(out, "-"))
		fprintf(stderr, "%d finished session%s written to %s%s\n", X.n, X.n == 1 ? "" : "s", out,
			X.keep_text ? " (with free text)" : "");
	buf_free(&X.out);
	return rc;
}
