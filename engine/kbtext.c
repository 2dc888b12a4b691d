/*
 * kbtext.c: build a knowledge base from text and dump it back (kbtext.h).
 * Building is strict: an unknown key, a missing field, a value out of its
 * domain or a dangling reference fails the build with "FILE: what", and
 * nothing is written. The finished file is loaded once with model_load so
 * that what the engine would refuse is refused here first.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "image.h"
#include "kbtext.h"
#include "prime.h"
#include "model.h"
#include "rules.h"
#include "slot.h"
#include "store.h"
#include "text.h"

const char *const kbtext_kinds[KB_NKINDS] = {"fact", "cause", "fix", "rule", "source"};

/* At most this many errors are listed by one build; the rest are counted. */
#define KB_BUILD_MAX_ERRORS 20
#define KB_STR_(x) #x
#define KB_STR(x) KB_STR_(x)

typedef struct build {
	sqlite3 *db;
	tr_err *e;             /* the first error */
	char file[512];        /* the source file being read, for messages */
	FILE *report;          /* every error, one line each, when there are several (NULL: none) */
	int nerrs;             /* errors so far */
	/* prepared statements, by their SQL's address (each is a literal):
	 * a record's rows are inserted without parsing SQL again */
	struct { const char *q; sqlite3_stmt *st; } stmts[64];
	int nstmts;
	rules *checker;        /* the sandbox rules are checked in (rules_checker_open) */
} build;

/* ---- reading JSON with messages that name the file and field ---- */

/* Records error one: the first goes to B->e, every one (up to the limit)
 * to B->report. Returns TR_ERR. */
static int record(build *B, const tr_err *one)
{
	if (B->nerrs == 0)
		*B->e = *one;
	else if (B->report && B->nerrs < KB_BUILD_MAX_ERRORS) {
		if (B->nerrs == 1)   /* a second error: the first is listed too */
			fprintf(B->report, "triage: %s\n", B->e->msg);
		fprintf(B->report, "triage: %s\n", one->msg);
	}
	B->nerrs++;
	return TR_ERR;
}

/* The only control characters a text field may hold: a multi-line command
 * or summary keeps its lines and tabs. */
#define TEXT_LINES "\t\n"

static int bad(build *B, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(build *B, const char *fmt, ...)
{
	char what[768];
	tr_err one;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	tr_fail(&one, TR_ERR, "%s: %s", B->file, what);
	return record(B, &one);
}

/* Fails on keys of o that are not in keys (NULL-terminated). */
static int only_keys(build *B, json_t *o, const char *where, const char *const *keys)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return bad(B, "%s must be an object", where);
	json_object_foreach(o, k, v) {
		int known = 0;

		for (int i = 0; keys[i]; i++)
			known |= strcmp(k, keys[i]) == 0;
		if (!known)
			return bad(B, "%s: unknown key '%s'", where, k);
	}
	return TR_OK;
}

static const char *str_at(build *B, json_t *o, const char *key, const char *where)
{
	json_t *v = json_object_get(o, key);
	char why[96];

	if (!json_is_string(v)) {
		bad(B, v ? "%s: '%s' must be a string" : "%s: '%s' is missing", where, key);
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		bad(B, "%s: '%s' contains a NUL character", where, key);
		return NULL;
	}
	if (text_inert(json_string_value(v), TEXT_LINES, why, sizeof why) != 0) {
		bad(B, "%s: '%s' contains %s", where, key, why);
		return NULL;
	}
	return json_string_value(v);
}

static int num_at(build *B, json_t *o, const char *key, const char *where,
		  double lo, double hi, double *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return bad(B, v ? "%s: '%s' must be a number" : "%s: '%s' is missing", where, key);
	*out = json_number_value(v);
	if (!(*out >= lo && *out <= hi))
		return bad(B, "%s: '%s' is %g, outside %g..%g", where, key, *out, lo, hi);
	return TR_OK;
}

static json_t *arr_at(build *B, json_t *o, const char *key, const char *where)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		bad(B, "%s: '%s' is missing", where, key);
	else if (!json_is_array(v))
		bad(B, "%s: '%s' must be a list", where, key);
	return json_is_array(v) ? v : NULL;
}

static int one_of(const char *s, const char *const *set)
{
	for (int i = 0; set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

static int is_ident(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* ---- running SQL ---- */

/* Runs sql with arguments typed by types: s text, d double, i int; a
 * failure is an error of the build unless quiet. */
/* Readies st for its next use: reset when B keeps it, else finalized. */
static void stmt_done(build *B, sqlite3_stmt *st)
{
	for (int i = 0; i < B->nstmts; i++)
		if (B->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	sqlite3_finalize(st);
}

/* Finalizes the statements B keeps. */
static void stmts_free(build *B)
{
	for (int i = 0; i < B->nstmts; i++)
		sqlite3_finalize(B->stmts[i].st);
	B->nstmts = 0;
}

static int vsql(build *B, int quiet, const char *q, const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int rc;

	for (int i = 0; i < B->nstmts && !st; i++)
		if (B->stmts[i].q == q)
			st = B->stmts[i].st;
	if (!st) {
		if (sqlite3_prepare_v2(B->db, q, -1, &st, NULL) != SQLITE_OK)
			return bad(B, "%s", sqlite3_errmsg(B->db));
		if (B->nstmts < (int)(sizeof B->stmts / sizeof *B->stmts)) {
			B->stmts[B->nstmts].q = q;
			B->stmts[B->nstmts++].st = st;
		}
	}
	for (int i = 0; types[i]; i++) {
		if (types[i] == 's')
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else if (types[i] == 'd')
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
		else
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		int code = sqlite3_extended_errcode(B->db);
		char msg[256];

		snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(B->db));
		stmt_done(B, st);
		if (quiet)
			return TR_ERR;
		if (code == SQLITE_CONSTRAINT_PRIMARYKEY)
			return bad(B, "duplicate record (%s)", msg);
		return bad(B, "%s", msg);
	}
	stmt_done(B, st);
	return TR_OK;
}

static int sql(build *B, const char *q, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = vsql(B, 0, q, types, ap);
	va_end(ap);
	return rc;
}

static int sql_quiet(build *B, const char *q, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = vsql(B, 1, q, types, ap);
	va_end(ap);
	return rc;
}

/* Whether table (fact, cause, source) has a record id. */
static int has(build *B, const char *table, const char *id)
{
	static const char *const q[] = {"SELECT 1 FROM fact WHERE id = ?1", "SELECT 1 FROM cause WHERE id = ?1",
					"SELECT 1 FROM source WHERE id = ?1"};
	sqlite3_stmt *st;
	int found;

	if (sqlite3_prepare_v2(B->db, q[table[0] == 'f' ? 0 : table[0] == 'c' ? 1 : 2], -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static json_t *load_json(build *B, const char *path)
{
	json_error_t je;
	json_t *j;

	snprintf(B->file, sizeof B->file, "%s", path);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		bad(B, "line %d: %s", je.line, je.text);
	return j;
}

static int cites(build *B, json_t *o, const char *kind, const char *id)
{
	static const char *const keys[] = {"source", "note", NULL};
	json_t *a = arr_at(B, o, "sources", id), *c;
	size_t i;

	if (!a)
		return TR_ERR;
	if (json_array_size(a) == 0)
		return bad(B, "%s: 'sources' is empty: every record cites its source document", id);
	json_array_foreach(a, i, c) {
		const char *src, *note = "";

		if (only_keys(B, c, "sources item", keys) || !(src = str_at(B, c, "source", "sources item")))
			return TR_ERR;
		if (json_object_get(c, "note") && !(note = str_at(B, c, "note", "sources item")))
			return TR_ERR;
		if (sql(B, "INSERT INTO cites VALUES (?1, ?2, ?3, ?4, ?5)", "ssiss", kind, id, (int)i, src, note))
			return TR_ERR;
	}
	return TR_OK;
}

static const char *const shells[] = {"powershell", "cmd", "reg", "gui", "azure-cli", NULL};
static const char *const places[] = {"client", "host", "router", "portal", "gateway", NULL};

/* Reads a list of conditions ("applies") on key of o into the applies
 * tables for (kind, record, item). A missing key is no condition. */
static int where(build *B, json_t *o, const char *kind, const char *record, int item,
		 const char *what)
{
	static const char *const keys[] = {"fact", "is", "not", NULL};
	json_t *a = json_object_get(o, "applies"), *c;
	size_t i;

	if (!a)
		return TR_OK;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return bad(B, "%s: 'applies' must be a non-empty list of conditions", what);
	json_array_foreach(a, i, c) {
		const char *fact, *value;
		json_t *is, *not, *vals, *v;
		sqlite3_stmt *st;
		size_t k;
		int nvalues = -1;

		if (only_keys(B, c, "applies item", keys) || !(fact = str_at(B, c, "fact", "applies item")))
			return TR_ERR;
		is = json_object_get(c, "is");
		not = json_object_get(c, "not");
		if (!is == !not)
			return bad(B, "%s: applies on %s: give exactly one of 'is' and 'not'", what, fact);
		vals = is ? is : not;
		if (!json_is_array(vals) || json_array_size(vals) == 0)
			return bad(B, "%s: applies on %s: '%s' must be a non-empty list of values", what, fact,
				   is ? "is" : "not");
		if (sqlite3_prepare_v2(B->db, "SELECT count(*) FROM fact_value WHERE fact = ?1", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, fact, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0)
				nvalues = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		if (nvalues < 0)
			return bad(B, "%s: applies on '%s': no such fact with values", what, fact);
		if (sql(B, "INSERT INTO applies VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "ssiisi", kind, record, item,
			(int)i, fact, is ? 0 : 1))
			return bad(B, "%s: applies on %s twice", what, fact);
		json_array_foreach(vals, k, v) {
			int found = 0;

			if (!json_is_string(v))
				return bad(B, "%s: applies on %s: values must be strings", what, fact);
			value = json_string_value(v);
			if (sqlite3_prepare_v2(B->db, "SELECT 1 FROM fact_value WHERE fact = ?1 AND value = ?2", -1, &st, NULL) == SQLITE_OK) {
				sqlite3_bind_text(st, 1, fact, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
				found = sqlite3_step(st) == SQLITE_ROW;
				sqlite3_finalize(st);
			}
			if (!found)
				return bad(B, "%s: applies on %s: '%s' is not one of its values", what, fact, value);
			if (sql(B, "INSERT INTO applies_value VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", "ssiiiss", kind,
				record, item, (int)i, (int)k, fact, value))
				return bad(B, "%s: applies on %s: '%s' named twice", what, fact, value);
		}
	}
	return TR_OK;
}

static int commands(build *B, json_t *o, const char *key, const char *table, const char *id)
{
	static const char *const keys[] = {"shell", "on", "text", "applies", NULL};
	json_t *a = arr_at(B, o, key, id), *c;
	char q[128], what[96];
	size_t i;

	if (!a)
		return TR_ERR;
	snprintf(q, sizeof q, "INSERT INTO %s VALUES (?1, ?2, ?3, ?4, ?5)", table);
	json_array_foreach(a, i, c) {
		const char *shell, *on, *text;

		if (only_keys(B, c, key, keys) || !(shell = str_at(B, c, "shell", key)) ||
		    !(on = str_at(B, c, "on", key)) || !(text = str_at(B, c, "text", key)))
			return TR_ERR;
		if (!one_of(shell, shells))
			return bad(B, "%s item %zu: shell '%s' is not one of powershell, cmd, reg, gui, azure-cli", key, i + 1, shell);
		if (!one_of(on, places))
			return bad(B, "%s item %zu: 'on' is '%s', not one of client, host, router, portal, gateway", key, i + 1, on);
		if (!*text)
			return bad(B, "%s item %zu: empty command", key, i + 1);
		if (sql(B, q, "siss" "s", id, (int)i, shell, on, text))
			return TR_ERR;
		snprintf(what, sizeof what, "%s item %zu", key, i + 1);
		if (where(B, c, strcmp(key, "check") == 0 ? "check" : "command", id, (int)i, what))
			return TR_ERR;
	}
	return TR_OK;
}

/* The id of a record file must be its file name. */
static const char *record_id(build *B, json_t *o, const char *name)
{
	const char *id = str_at(B, o, "id", "record");
	size_t n = strlen(name) - 5;  /* without ".json" */

	if (!id)
		return NULL;
	if (!is_ident(id)) {
		bad(B, "id '%s' is not an identifier (a-z, 0-9, _; starts with a letter; at most 64)", id);
		return NULL;
	}
	if (strlen(id) != n || strncmp(id, name, n) != 0) {
		bad(B, "id '%s' does not match the file name", id);
		return NULL;
	}
	return id;
}

static int add_fact(build *B, json_t *o, const char *name)
{
	static const char *const keys[] = {"id", "text", "help", "check", "asker", "cost",
		"unknown_rate", "holds", "slot", "values", "sources", NULL};
	static const char *const vkeys[] = {"value", "text", "p", NULL};
	static const char *const askers[] = {"client", "host_admin", "cloud_admin", "network_admin", NULL};
	const char *id, *text, *help, *asker, *kind = "", *slot = "";
	double cost, unk, sum = 0;
	json_t *vals, *v;
	size_t i;

	if (only_keys(B, o, "fact", keys) || !(id = record_id(B, o, name)) ||
	    !(text = str_at(B, o, "text", id)) || !(help = str_at(B, o, "help", id)) ||
	    !(asker = str_at(B, o, "asker", id)) || num_at(B, o, "cost", id, 0, 10000, &cost) ||
	    num_at(B, o, "unknown_rate", id, 0, 0.9, &unk) || !(vals = arr_at(B, o, "values", id)))
		return TR_ERR;
	if (!one_of(asker, askers))
		return bad(B, "asker '%s' is not one of client, host_admin, cloud_admin, network_admin", asker);
	if (json_array_size(vals) == 1)
		return bad(B, "a fact needs two values or more (or none, for free text)");
	if ((json_object_get(o, "holds") && !(kind = str_at(B, o, "holds", id))) ||
	    (json_object_get(o, "slot") && !(slot = str_at(B, o, "slot", id))))
		return TR_ERR;
	if ((*kind || *slot) && json_array_size(vals) > 0)
		return bad(B, "'holds' and 'slot' are for free-text facts (\"values\": [])");
	if (json_object_get(o, "holds") && slot_kind_of(kind) < 0)
		return bad(B, "holds '%s' is not one of text, host, ip, azure_name, port, path, name", kind);
	if (json_object_get(o, "slot") && !is_ident(slot))
		return bad(B, "slot '%s' is not an identifier", slot);
	if (sql(B, "INSERT INTO fact (id, text, help, asker, cost, unknown_rate, kind, slot)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", "ssssddss", id, text, help, asker, cost, unk, kind, slot))
		return TR_ERR;
	json_array_foreach(vals, i, v) {
		const char *value, *vtext;
		double p;

		if (only_keys(B, v, "values item", vkeys) || !(value = str_at(B, v, "value", "values item")) ||
		    !(vtext = str_at(B, v, "text", "values item")) ||
		    num_at(B, v, "p", "values item", 1e-9, 1 - 1e-9, &p))
			return TR_ERR;
		if (strcmp(value, "unknown") == 0)
			return bad(B, "'unknown' is never a value: it is the answer \"can't tell\"");
		sum += p;
		if (sql(B, "INSERT INTO fact_value VALUES (?1, ?2, ?3, ?4, ?5)", "sissd", id, (int)i, value, vtext, p))
			return TR_ERR;
	}
	if (json_array_size(vals) && fabs(sum - 1) > 1e-6)
		return bad(B, "the default likelihoods ('p' of the values) sum to %g, not 1", sum);
	return commands(B, o, "check", "fact_check", id) || cites(B, o, "fact", id);
}

static int add_evidence(build *B, json_t *o, const char *id)
{
	static const char *const keys[] = {"fact", "p", "why", NULL};
	json_t *a = arr_at(B, o, "evidence", id), *ev;
	size_t i;

	if (!a)
		return TR_ERR;
	json_array_foreach(a, i, ev) {
		const char *fact, *why, *value;
		json_t *ps, *p;

		if (only_keys(B, ev, "evidence item", keys) || !(fact = str_at(B, ev, "fact", "evidence item")) ||
		    !(why = str_at(B, ev, "why", "evidence item")))
			return TR_ERR;
		ps = json_object_get(ev, "p");
		if (!json_is_object(ps) || json_object_size(ps) == 0)
			return bad(B, "evidence on %s: 'p' must map values to likelihoods", fact);
		if (sql_quiet(B, "INSERT INTO evidence VALUES (?1, ?2, ?3, ?4)", "ssis", id, fact, (int)i, why))
			return bad(B, has(B, "fact", fact) ? "evidence on '%s': stated twice" : "evidence on '%s': no such fact", fact);
		json_object_foreach(ps, value, p) {
			double d = json_number_value(p);

			if (!json_is_number(p) || !(d >= 0.01 && d <= 0.99))
				return bad(B, "evidence on %s=%s: likelihood must be a number from 0.01 to 0.99 "
					   "(no single answer rules a cause in or out)", fact, value);
			if (sql(B, "INSERT INTO evidence_p VALUES (?1, ?2, ?3, ?4)", "sssd", id, fact, value, d))
				return bad(B, "evidence on %s: '%s' is not one of its values", fact, value);
		}
	}
	return TR_OK;
}

static int add_cause(build *B, json_t *o, const char *name)
{
	static const char *const keys[] = {"id", "title", "summary", "prior", "prior_why",
		"evidence", "sources", NULL};
	const char *id, *title, *summary, *why;
	double prior;

	if (only_keys(B, o, "cause", keys) || !(id = record_id(B, o, name)) ||
	    !(title = str_at(B, o, "title", id)) || !(summary = str_at(B, o, "summary", id)) ||
	    num_at(B, o, "prior", id, 1e-6, 1, &prior) || !(why = str_at(B, o, "prior_why", id)))
		return TR_ERR;
	if (sql(B, "INSERT INTO cause VALUES (?1, ?2, ?3, ?4, ?5)", "sssds", id, title, summary, prior, why))
		return TR_ERR;
	return add_evidence(B, o, id) || cites(B, o, "cause", id);
}

/* A fix's "includes": the fixes whose procedure its steps carry out in
 * full. The fixes named are checked once every fix is read (check_whole). */
static int includes(build *B, json_t *o, const char *id)
{
	json_t *a = json_object_get(o, "includes"), *v;
	size_t i;

	if (!a)
		return TR_OK;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return bad(B, "'includes' must be a non-empty list of fix ids");
	json_array_foreach(a, i, v) {
		const char *x = json_string_value(v);

		if (!x || !is_ident(x))
			return bad(B, "includes item %zu must be a fix id", i + 1);
		if (strcmp(x, id) == 0)
			return bad(B, "includes '%s': a fix cannot include itself", x);
		if (sql_quiet(B, "INSERT INTO fix_includes VALUES (?1, ?2, ?3)", "sis", id, (int)i, x))
			return bad(B, "includes '%s': named twice", x);
	}
	return TR_OK;
}

static int add_fix(build *B, json_t *o, const char *name)
{
	static const char *const keys[] = {"id", "title", "summary", "risk", "cost", "minutes",
		"admin", "reboot", "applies", "steps", "commands", "undo", "outcome", "resolves", "includes",
		"sources", NULL};
	static const char *const skeys[] = {"text", "applies", NULL};
	static const char *const risks[] = {"low", "medium", "high", NULL};
	static const char *const rkeys[] = {"cause", "p", "why", NULL};
	const char *id, *title, *summary, *risk, *undo, *outcome;
	double cost, minutes;
	json_t *steps, *res, *v;
	size_t i;

	if (only_keys(B, o, "fix", keys) || !(id = record_id(B, o, name)) ||
	    !(title = str_at(B, o, "title", id)) || !(summary = str_at(B, o, "summary", id)) ||
	    !(risk = str_at(B, o, "risk", id)) || num_at(B, o, "cost", id, 0.01, 10000, &cost) ||
	    num_at(B, o, "minutes", id, 0, 100000, &minutes) || !(undo = str_at(B, o, "undo", id)) ||
	    !(outcome = str_at(B, o, "outcome", id)) || !(steps = arr_at(B, o, "steps", id)) ||
	    !(res = arr_at(B, o, "resolves", id)))
		return TR_ERR;
	if (!one_of(risk, risks))
		return bad(B, "risk '%s' is not one of low, medium, high", risk);
	if (!json_is_boolean(json_object_get(o, "admin")) || !json_is_boolean(json_object_get(o, "reboot")))
		return bad(B, "'admin' and 'reboot' must be true or false");
	if (strcmp(risk, "low") != 0 && !*undo)
		return bad(B, "a %s-risk fix must say how to undo it ('undo' is empty)", risk);
	if (json_array_size(steps) == 0)
		return bad(B, "'steps' is empty");
	if (json_array_size(res) == 0)
		return bad(B, "'resolves' is empty: a fix addresses at least one cause");
	if (sql(B, "INSERT INTO fix (id, title, summary, risk, cost, minutes, admin, reboot, undo, outcome) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", "ssssdiiiss", id, title, summary, risk,
		cost, (int)minutes, json_is_true(json_object_get(o, "admin")),
		json_is_true(json_object_get(o, "reboot")), undo, outcome))
		return TR_ERR;
	if (where(B, o, "fix", id, -1, id))
		return TR_ERR;
	json_array_foreach(steps, i, v) {
		json_t *t = v;
		char what[64], why[96];

		snprintf(what, sizeof what, "steps item %zu", i + 1);
		if (json_is_object(v) && (only_keys(B, v, what, skeys) || where(B, v, "step", id, (int)i, what)))
			return TR_ERR;
		if (json_is_object(v) && !json_object_get(v, "applies"))
			return bad(B, "%s: a step object has 'text' and 'applies' (else write the text alone)", what);
		if (json_is_object(v))
			t = json_object_get(v, "text");
		if (!json_is_string(t) || !*json_string_value(t))
			return bad(B, "steps item %zu must be a non-empty string", i + 1);
		if (strlen(json_string_value(t)) != json_string_length(t))
			return bad(B, "steps item %zu contains a NUL character", i + 1);
		if (text_inert(json_string_value(t), TEXT_LINES, why, sizeof why) != 0)
			return bad(B, "steps item %zu contains %s", i + 1, why);
		if (sql(B, "INSERT INTO fix_step VALUES (?1, ?2, ?3)", "sis", id, (int)i, json_string_value(t)))
			return TR_ERR;
	}
	json_array_foreach(res, i, v) {
		const char *cause, *why;
		double p;

		if (only_keys(B, v, "resolves item", rkeys) || !(cause = str_at(B, v, "cause", "resolves item")) ||
		    num_at(B, v, "p", "resolves item", 1e-6, 1, &p) || !(why = str_at(B, v, "why", "resolves item")))
			return TR_ERR;
		if (sql_quiet(B, "INSERT INTO resolves VALUES (?1, ?2, ?3, ?4, ?5)", "ssids", id, cause, (int)i, p, why))
			return bad(B, has(B, "cause", cause) ? "resolves '%s': named twice" : "resolves '%s': no such cause", cause);
	}
	return includes(B, o, id) || commands(B, o, "commands", "fix_command", id) || cites(B, o, "fix", id);
}

static char *read_text(build *B, const char *path)
{
	FILE *f = fopen(path, "rb");
	buf b = {0};
	char chunk[8192];
	size_t n;

	snprintf(B->file, sizeof B->file, "%s", path);
	if (!f) {
		bad(B, "%s", strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (memchr(buf_str(&b), '\0', b.len)) {
		buf_free(&b);
		bad(B, "contains a NUL byte: not a text file");
		return NULL;
	}
	return buf_take(&b);
}

/* A rule's source may hold tabs, newlines and carriage returns, and no
 * other control or format character: a bidirectional override in Lua
 * source makes the code run differently from how it reads. */
static int source_inert(build *B, const char *src)
{
	char why[96];
	int line = 1;

	for (const char *l = src; *l; line++) {
		size_t n = strcspn(l, "\n");
		char *one = xstrdup(l);

		one[n] = 0;
		if (text_inert(one, "\t\r", why, sizeof why) != 0) {
			free(one);
			return bad(B, "line %d contains %s", line, why);
		}
		free(one);
		l += n + (l[n] == '\n');
	}
	return TR_OK;
}

static int add_rule(build *B, const char *dir, const char *name)
{
	char path[1024], chunk[256], *src, id[128];
	rule_meta meta;
	tr_err le;
	int rc;

	snprintf(id, sizeof id, "%.*s", (int)(strlen(name) - 4), name);
	snprintf(path, sizeof path, "%s/rules/%s", dir, name);
	if (!(src = read_text(B, path)))
		return TR_ERR;
	if (!is_ident(id)) {
		free(src);
		return bad(B, "rule file name '%s' is not an identifier", id);
	}
	if (source_inert(B, src) != TR_OK) {
		free(src);
		return TR_ERR;
	}
	snprintf(chunk, sizeof chunk, "rules/%s", name);
	tr_clear(&le);
	if (!B->checker && rules_checker_open(&B->checker, &le) != TR_OK) {
		free(src);
		return record(B, &le);
	}
	if (rules_check_in(B->checker, chunk, src, &meta, &le) != TR_OK) {
		free(src);
		return record(B, &le);
	}
	{
		char why[96];

		if (text_inert(meta.description, NULL, why, sizeof why) != 0) {
			rules_meta_free(&meta);
			free(src);
			return bad(B, "'description' contains %s", why);
		}
	}
	rc = sql(B, "INSERT INTO rule VALUES (?1, ?2, ?3, ?4)", "ssis", id, meta.description, meta.enabled, src);
	for (int i = 0; rc == TR_OK && i < meta.nreads; i++)
		if (sql_quiet(B, "INSERT INTO rule_read VALUES (?1, ?2)", "ss", id, meta.reads[i]))
			rc = bad(B, has(B, "fact", meta.reads[i]) ? "reads '%s': listed twice" : "reads '%s': no such fact",
				 meta.reads[i]);
	for (int i = 0; rc == TR_OK && i < meta.nsources; i++)
		if (sql_quiet(B, "INSERT INTO cites VALUES ('rule', ?1, ?2, ?3, '')", "sis", id, i, meta.sources[i]))
			rc = bad(B, has(B, "source", meta.sources[i]) ? "sources '%s': listed twice"
				 : "sources '%s': no such source", meta.sources[i]);
	if (rc == TR_OK && meta.nsources == 0)
		rc = bad(B, "missing 'sources': every rule cites the source document it came from");
	rules_meta_free(&meta);
	free(src);
	return rc;
}

/* Lists the names in path ending in ext, sorted; NULL-terminated. */
static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_dir(build *B, const char *path, const char *ext, int required)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **v;
	size_t n = 0, cap = 16, el = strlen(ext);

	if (!d) {
		if (required || errno != ENOENT) {
			snprintf(B->file, sizeof B->file, "%s", path);
			bad(B, "%s", strerror(errno));
			return NULL;
		}
		return xcalloc(1, sizeof(char *));
	}
	v = xcalloc(cap, sizeof *v);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l <= el || strcmp(de->d_name + l - el, ext) != 0)
			continue;
		if (n + 1 >= cap)
			v = xrealloc(v, sizeof *v * (cap *= 2));
		v[n++] = xstrdup(de->d_name);
		v[n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof *v, cmp_name);  /* 100,000 rules on a large knowledge base */
	return v;
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int add_records(build *B, const char *dir, const char *sub,
		       int (*add)(build *, json_t *, const char *))
{
	char path[1024];
	char **names;
	int rc = TR_OK;

	snprintf(path, sizeof path, "%s/kb/%s", dir, sub);
	if (!(names = list_dir(B, path, ".json", 1)))
		return TR_ERR;
	for (size_t i = 0; names[i]; i++) {   /* every file, so every error is told */
		char file[1200];
		json_t *j;

		snprintf(file, sizeof file, "%s/%s", path, names[i]);
		if (!(j = load_json(B, file)))
			rc = TR_ERR;
		else if (add(B, j, names[i]) != TR_OK)
			rc = TR_ERR;
		json_decref(j);
	}
	free_list(names);
	return rc;
}

static int add_meta_sources(build *B, const char *dir)
{
	static const char *const mkeys[] = {"id", "title", "version", "summary", NULL};
	static const char *const skeys[] = {"id", "file", "title", "note", NULL};
	char path[1024];
	json_t *j, *s;
	size_t i;
	int rc = TR_OK;

	snprintf(path, sizeof path, "%s/kb/kb.json", dir);
	if (!(j = load_json(B, path)))
		return TR_ERR;
	if (only_keys(B, j, "kb.json", mkeys))
		rc = TR_ERR;
	for (int k = 0; rc == TR_OK && mkeys[k]; k++) {
		const char *v = str_at(B, j, mkeys[k], "kb.json");

		rc = v ? sql(B, "INSERT INTO kb_meta VALUES (?1, ?2)", "ss", mkeys[k], v) : TR_ERR;
	}
	json_decref(j);
	if (rc)
		return rc;
	snprintf(path, sizeof path, "%s/kb/sources.json", dir);
	if (!(j = load_json(B, path)))
		return TR_ERR;
	if (!json_is_array(j))
		rc = bad(B, "must be a list of sources");
	json_array_foreach(j, i, s) {
		const char *id, *file, *title, *note;

		if (rc || only_keys(B, s, "source", skeys) || !(id = str_at(B, s, "id", "source")) ||
		    !(file = str_at(B, s, "file", id)) || !(title = str_at(B, s, "title", id)) ||
		    !(note = str_at(B, s, "note", id))) {
			rc = TR_ERR;
			break;
		}
		if (!is_ident(id)) {
			rc = bad(B, "source id '%s' is not an identifier", id);
			break;
		}
		if ((rc = sql(B, "INSERT INTO source VALUES (?1, ?2, ?3, ?4)", "ssss", id, file, title, note)))
			break;
	}
	json_decref(j);
	return rc;
}

/* Whole-base checks that no single file can make. */
static int check_whole(build *B)
{
	static const char *const q[] = {
		"SELECT 'id ' || id || ' is used by more than one record' FROM ("
		" SELECT id FROM fact UNION ALL SELECT id FROM cause UNION ALL SELECT id FROM fix"
		" UNION ALL SELECT id FROM rule UNION ALL SELECT id FROM source) GROUP BY id HAVING count(*) > 1",
		"SELECT 'cause ' || id || ': no fix resolves it' FROM cause"
		" WHERE id NOT IN (SELECT cause FROM resolves)",
		"SELECT kind || ' ' || record || ': cites unknown source ' || source FROM cites"
		" WHERE source NOT IN (SELECT id FROM source)",
		"SELECT 'slot ' || slot || ' is filled by more than one fact' FROM fact WHERE slot <> ''"
		" GROUP BY slot HAVING count(*) > 1",
		"SELECT 'fix ' || fix || ': includes ' || includes || ', which is not a fix' FROM fix_includes"
		" WHERE includes NOT IN (SELECT id FROM fix)",
		"WITH RECURSIVE reach(top, x) AS (SELECT fix, includes FROM fix_includes"
		" UNION SELECT top, i.includes FROM reach JOIN fix_includes i ON i.fix = reach.x)"
		" SELECT 'fix ' || top || ': includes itself through the fixes it includes' FROM reach WHERE x = top",
		NULL,
	};
	snprintf(B->file, sizeof B->file, "knowledge base");
	for (int i = 0; q[i]; i++) {
		sqlite3_stmt *st;
		int rc;

		if (sqlite3_prepare_v2(B->db, q[i], -1, &st, NULL) != SQLITE_OK)
			return bad(B, "%s", sqlite3_errmsg(B->db));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			bad(B, "%s", (const char *)sqlite3_column_text(st, 0));
			sqlite3_finalize(st);
			return TR_ERR;
		}
		sqlite3_finalize(st);
	}
	if (sqlite3_exec(B->db, "PRAGMA foreign_key_check", NULL, NULL, NULL) != SQLITE_OK)
		return bad(B, "%s", sqlite3_errmsg(B->db));
	return TR_OK;
}

static int fill(build *B, const char *dir)
{
	char path[1024];
	char **names;
	int rc;

	/* Every file of a kind is read even after an error; a kind that the
	 * next one refers to must be whole first (a cause names facts), so
	 * one mistake is not reported again as a dozen dangling references. */
	if (add_meta_sources(B, dir) || add_records(B, dir, "facts", add_fact) ||
	    add_records(B, dir, "causes", add_cause))
		return TR_ERR;
	rc = add_records(B, dir, "fixes", add_fix);
	snprintf(path, sizeof path, "%s/rules", dir);
	if (!(names = list_dir(B, path, ".lua", 0)))
		return TR_ERR;
	for (size_t i = 0; names[i]; i++)
		if (add_rule(B, dir, names[i]) != TR_OK)
			rc = TR_ERR;
	free_list(names);
	return rc ? rc : check_whole(B);
}

typedef struct sum_ctx {
	build *B;
	enum kb_kind kind;
} sum_ctx;

static int store_one(const char *id, void *ctx)
{
	sum_ctx *c = ctx;
	char sum[17];

	if (kbtext_checksum(c->B->db, c->kind, id, sum, c->B->e) != 0)
		return TR_ERR;
	return sql(c->B, "INSERT INTO record_checksum VALUES (?1, ?2, ?3)", "sss",
		   kbtext_kinds[c->kind], id, sum);
}

static void cache_begin(sqlite3 *db);
static void cache_end(void);

/* Stores every record's checksum (schema/003_record_checksum.sql). */
static int store_checksums(build *B)
{
	int rc = TR_OK;

	cache_begin(B->db);
	for (int k = 0; rc == TR_OK && k < KB_NKINDS; k++) {
		sum_ctx c = { B, (enum kb_kind)k };

		if (kbtext_each(B->db, (enum kb_kind)k, store_one, &c) != 0)
			rc = TR_ERR;
	}
	cache_end();
	return rc;
}

/* Runs rule r on facts, recording an error (the rule, file and line). */
static void dry_one(build *B, rules *R, int r, const char *const *facts, rule_effects *fx)
{
	tr_err le;

	tr_clear(&le);
	if (rules_active(R, r, NULL) && rules_run(R, r, facts, fx, NULL, &le) != TR_OK &&
	    strstr(le.msg, "is not in this rule's reads"))
		record(B, &le);
}

/* A dry run of every rule: once with every fact unknown, then once for
 * each value of each fact it declares reading (free text: "example"), so a
 * rule that reads a fact it did not declare (or no fact at all) fails the
 * build instead of a session. Other errors a value provokes (a budget or
 * memory limit, an effect refused) are the sandbox's to contain: a session
 * switches such a rule off and says so. Stops at a rule's first error. */
static void dry_run(build *B, const tr_model *m)
{
	const char **facts = xcalloc((size_t)m->nfacts + 1, sizeof *facts);
	rule_effects fx = {0};
	rules *R;
	tr_err le;

	tr_clear(&le);
	if (rules_open(m, &R, &le) != TR_OK) {
		record(B, &le);
		free(facts);
		return;
	}
	for (int r = 0; r < m->nrules; r++) {
		const char *why = NULL;
		int before = B->nerrs;

		if (m->rules[r].enabled && !rules_active(R, r, &why)) {
			tr_fail(&le, TR_ERR, "rule %s: %s", m->rules[r].id, why ? why : "does not load");
			record(B, &le);
			continue;
		}
		dry_one(B, R, r, facts, &fx);
		for (int i = 0; i < m->rules[r].nreads && B->nerrs == before; i++) {
			const tr_fact *f = &m->facts[m->rules[r].reads[i]];

			for (int k = 0; k < (f->nvalues ? f->nvalues : 1) && B->nerrs == before; k++) {
				facts[m->rules[r].reads[i]] = f->nvalues ? m->values[f->first + k].value : "example";
				dry_one(B, R, r, facts, &fx);
			}
			facts[m->rules[r].reads[i]] = NULL;
		}
	}
	rules_effects_free(&fx);
	rules_close(R);
	free(facts);
}

/* kbtext_build, with the model image when image is set. */
static int build_file(const char *dir, const char *out, FILE *report, FILE *errs, int image, tr_err *e)
{
	build B = { NULL, e, "", errs, 0, { { NULL, NULL } }, 0, NULL };
	char tmp[1100];
	struct stat st;
	tr_model *m = NULL;
	int rc;

	if (stat(out, &st) == 0) {
		sqlite3 *old;

		if (store_open(out, STORE_READ, &old, e) != TR_OK) {
			char why[sizeof e->msg];

			snprintf(why, sizeof why, "%s", e->msg);
			return tr_fail(e, TR_ERR, "refusing to overwrite %s (%s)", out, why);
		}
		sqlite3_close(old);
	}
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
	remove(tmp);
	if (store_open(tmp, STORE_CREATE, &B.db, e) != TR_OK)
		return TR_ERR;
	sqlite3_exec(B.db, "BEGIN", NULL, NULL, NULL);
	rc = fill(&B, dir);
	rules_close(B.checker);
	B.checker = NULL;
	if (rc == TR_OK)
		rc = store_checksums(&B);
	stmts_free(&B);
	if (rc == TR_OK && sqlite3_exec(B.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = tr_fail(e, TR_ERR, "%s: %s", out, sqlite3_errmsg(B.db));
	if (rc == TR_OK && (rc = model_load(B.db, &m, e)) == TR_OK) {
		dry_run(&B, m);
		rc = B.nerrs ? TR_ERR : TR_OK;
		if (rc == TR_OK)
			rc = prime_store(B.db, m, e);
	}
	if (rc == TR_OK && sqlite3_exec(B.db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		rc = tr_fail(e, TR_ERR, "%s: %s", out, sqlite3_errmsg(B.db));
	if (rc == TR_OK && image)  /* last, after the VACUUM: the image is written once, not copied */
		rc = image_store(B.db, e);
	if (sqlite3_close(B.db) != SQLITE_OK && rc == TR_OK)
		rc = tr_fail(e, TR_ERR, "%s: cannot close", out);
	if (rc == TR_OK && rename(tmp, out) != 0)
		rc = tr_fail(e, TR_ERR, "%s: %s", out, strerror(errno));
	if (rc != TR_OK)
		remove(tmp);
	if (rc == TR_OK && report)
		fprintf(report, "built %s: %d facts, %d causes, %d fixes, %d rules, %d sources\n", out,
			m->nfacts, m->ncauses, m->nfixes, m->nrules, m->nsources);
	else if (errs && B.nerrs > 1)
		tr_fail(e, TR_ERR, "kb build: %d errors%s; nothing written", B.nerrs,
			B.nerrs > KB_BUILD_MAX_ERRORS ? " (the first " KB_STR(KB_BUILD_MAX_ERRORS) " listed)" : "");
	model_free(m);
	return rc;
}

int kbtext_build(const char *dir, const char *out, FILE *report, FILE *errs, tr_err *e)
{
	return build_file(dir, out, report, errs, 1, e);
}

int kbtext_build_plain(const char *dir, const char *out, tr_err *e)
{
	return build_file(dir, out, NULL, NULL, 0, e);
}

/* ---- from SQLite back to JSON ---- */

/* ---- reading records back ----
 * Reading a record takes a dozen small queries. Between cache_begin and
 * cache_end (a build storing every record's checksum) their statements are
 * prepared once and reset after use instead of finalized: parsing them
 * again for each of 40,000 records was a fifth of a build. A statement in
 * use is never handed out twice (a nested read prepares its own). */
#define CACHE_MAX 48

static struct {
	sqlite3 *db;  /* NULL: no cache */
	int n;
	struct {
		char *sql;
		sqlite3_stmt *st;
		int busy;
	} e[CACHE_MAX];
} cache;

static void cache_begin(sqlite3 *db)
{
	cache.db = db;
	cache.n = 0;
}

static void cache_end(void)
{
	for (int i = 0; i < cache.n; i++) {
		sqlite3_finalize(cache.e[i].st);
		free(cache.e[i].sql);
	}
	cache.db = NULL;
	cache.n = 0;
}

/* sqlite3_prepare_v2, from the cache when one is open on db. */
static int prep(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail)
{
	int rc;

	if (cache.db == db)
		for (int i = 0; i < cache.n; i++)
			if (!cache.e[i].busy && strcmp(cache.e[i].sql, sql) == 0) {
				cache.e[i].busy = 1;
				*st = cache.e[i].st;
				return SQLITE_OK;
			}
	rc = sqlite3_prepare_v2(db, sql, n, st, tail);
	if (rc == SQLITE_OK && cache.db == db && cache.n < CACHE_MAX) {
		cache.e[cache.n].sql = xstrdup(sql);
		cache.e[cache.n].st = *st;
		cache.e[cache.n++].busy = 1;
	}
	return rc;
}

/* sqlite3_finalize, or back into the cache. */
static void unprep(sqlite3_stmt *st)
{
	for (int i = 0; cache.db && i < cache.n; i++)
		if (cache.e[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			cache.e[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

static json_t *jnum(double d)
{
	if (d == floor(d) && fabs(d) < 1e15)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static const char *text_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

/* Runs q with one text parameter and calls row() for each row. */
static int each_row(sqlite3 *db, const char *q, const char *arg,
		    void (*row)(sqlite3_stmt *, json_t *), json_t *into)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(db, q, -1, &st, NULL) != SQLITE_OK)
		return TR_ERR;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row(st, into);
	unprep(st);
	return rc == SQLITE_DONE ? TR_OK : TR_ERR;
}

static void row_cite(sqlite3_stmt *st, json_t *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "source", json_string(text_col(st, 0)));
	if (*text_col(st, 1))
		json_object_set_new(o, "note", json_string(text_col(st, 1)));
	json_array_append_new(a, o);
}

static void row_command(sqlite3_stmt *st, json_t *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "shell", json_string(text_col(st, 0)));
	json_object_set_new(o, "on", json_string(text_col(st, 1)));
	json_object_set_new(o, "text", json_string(text_col(st, 2)));
	json_array_append_new(a, o);
}

static void row_value(sqlite3_stmt *st, json_t *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "value", json_string(text_col(st, 0)));
	json_object_set_new(o, "text", json_string(text_col(st, 1)));
	json_object_set_new(o, "p", jnum(sqlite3_column_double(st, 2)));
	json_array_append_new(a, o);
}

static void row_string(sqlite3_stmt *st, json_t *a)
{
	json_array_append_new(a, json_string(text_col(st, 0)));
}

static void row_resolves(sqlite3_stmt *st, json_t *a)
{
	json_t *o = json_object();

	json_object_set_new(o, "cause", json_string(text_col(st, 0)));
	json_object_set_new(o, "p", jnum(sqlite3_column_double(st, 1)));
	json_object_set_new(o, "why", json_string(text_col(st, 2)));
	json_array_append_new(a, o);
}

static void row_evidence_p(sqlite3_stmt *st, json_t *o)
{
	json_object_set_new(o, text_col(st, 0), jnum(sqlite3_column_double(st, 1)));
}

static json_t *list(sqlite3 *db, const char *q, const char *id, void (*row)(sqlite3_stmt *, json_t *))
{
	json_t *a = json_array();

	each_row(db, q, id, row, a);
	return a;
}

static json_t *cites_json(sqlite3 *db, const char *kind, const char *id)
{
	char q[160];

	snprintf(q, sizeof q, "SELECT source, note FROM cites WHERE kind = '%s' AND record = ?1 ORDER BY seq",
		 kind);  /* kind is one of kbtext_kinds, never user text */
	return list(db, q, id, row_cite);
}

static sqlite3_stmt *one(sqlite3 *db, const char *q, const char *id)
{
	sqlite3_stmt *st;

	if (prep(db, q, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		unprep(st);
		return NULL;
	}
	return st;
}

/* The conditions of (kind, record, item) as JSON, or NULL when none. */
static json_t *applies_json(sqlite3 *db, const char *kind, const char *record, int item)
{
	sqlite3_stmt *cs, *vs;
	json_t *a = json_array();

	if (prep(db, "SELECT seq, fact, negate FROM applies WHERE kind = ?1 AND record = ?2"
			       " AND item = ?3 ORDER BY seq", -1, &cs, NULL) != SQLITE_OK)
		return json_decref(a), NULL;  /* a knowledge base before schema 4 */
	if (prep(db, "SELECT value FROM applies_value WHERE kind = ?1 AND record = ?2"
			       " AND item = ?3 AND seq = ?4 ORDER BY vseq", -1, &vs, NULL) != SQLITE_OK) {
		unprep(cs);
		return json_decref(a), NULL;
	}
	sqlite3_bind_text(cs, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(cs, 2, record, -1, SQLITE_STATIC);
	sqlite3_bind_int(cs, 3, item);
	while (sqlite3_step(cs) == SQLITE_ROW) {
		json_t *c = json_object(), *v = json_array();

		json_object_set_new(c, "fact", json_string(text_col(cs, 1)));
		sqlite3_bind_text(vs, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(vs, 2, record, -1, SQLITE_STATIC);
		sqlite3_bind_int(vs, 3, item);
		sqlite3_bind_int(vs, 4, sqlite3_column_int(cs, 0));
		while (sqlite3_step(vs) == SQLITE_ROW)
			json_array_append_new(v, json_string(text_col(vs, 0)));
		sqlite3_reset(vs);
		json_object_set_new(c, sqlite3_column_int(cs, 2) ? "not" : "is", v);
		json_array_append_new(a, c);
	}
	unprep(cs);
	unprep(vs);
	if (json_array_size(a) == 0)
		return json_decref(a), NULL;
	return a;
}

/* A fact's checks or a fix's commands, each with its conditions. */
static json_t *commands_json(sqlite3 *db, const char *q, const char *kind, const char *id)
{
	json_t *a = list(db, q, id, row_command), *c;
	size_t i;

	json_array_foreach(a, i, c) {
		json_t *w = applies_json(db, kind, id, (int)i);

		if (w)
			json_object_set_new(c, "applies", w);
	}
	return a;
}

/* A fix's steps: text, or {"text", "applies"} for a step with conditions. */
static json_t *steps_json(sqlite3 *db, const char *id)
{
	json_t *a = list(db, "SELECT text FROM fix_step WHERE fix = ?1 ORDER BY seq", id, row_string), *t;
	size_t i;

	json_array_foreach(a, i, t) {
		json_t *w = applies_json(db, "step", id, (int)i);

		if (w) {
			json_t *o = json_object();

			json_object_set(o, "text", t);
			json_object_set_new(o, "applies", w);
			json_array_set_new(a, i, o);
		}
	}
	return a;
}

/* Free-text kind and slot (schema 4), into o when set. */
static void fact_fit_json(sqlite3 *db, const char *id, json_t *o)
{
	sqlite3_stmt *st = one(db, "SELECT kind, slot FROM fact WHERE id = ?1", id);

	if (!st)
		return;
	if (*text_col(st, 0))
		json_object_set_new(o, "holds", json_string(text_col(st, 0)));
	if (*text_col(st, 1))
		json_object_set_new(o, "slot", json_string(text_col(st, 1)));
	unprep(st);
}

static json_t *fact_json(sqlite3 *db, const char *id, int full)
{
	sqlite3_stmt *st = one(db, "SELECT id, text, help, asker, cost, unknown_rate FROM fact WHERE id = ?1", id);
	json_t *o, *vals;

	if (!st)
		return NULL;
	o = json_object();
	json_object_set_new(o, "id", json_string(text_col(st, 0)));
	json_object_set_new(o, "text", json_string(text_col(st, 1)));
	json_object_set_new(o, "help", json_string(text_col(st, 2)));
	json_object_set_new(o, "check", commands_json(db, "SELECT shell, runs_on, text FROM fact_check WHERE fact = ?1 ORDER BY seq", "check", id));
	json_object_set_new(o, "asker", json_string(text_col(st, 3)));
	json_object_set_new(o, "cost", jnum(sqlite3_column_double(st, 4)));
	json_object_set_new(o, "unknown_rate", jnum(sqlite3_column_double(st, 5)));
	unprep(st);
	fact_fit_json(db, id, o);
	vals = list(db, "SELECT value, text, p FROM fact_value WHERE fact = ?1 ORDER BY seq", id, row_value);
	if (full) {
		json_object_set_new(o, "values", list(db, "SELECT value FROM fact_value WHERE fact = ?1 ORDER BY seq", id, row_string));
		json_object_set_new(o, "choices", vals);
		json_object_set_new(o, "rules", list(db, "SELECT rule FROM rule_read WHERE fact = ?1 ORDER BY rule", id, row_string));
	} else
		json_object_set_new(o, "values", vals);
	json_object_set_new(o, "sources", cites_json(db, "fact", id));
	return o;
}

static json_t *cause_json(sqlite3 *db, const char *id, int full)
{
	sqlite3_stmt *st = one(db, "SELECT id, title, summary, prior, prior_why FROM cause WHERE id = ?1", id);
	sqlite3_stmt *ev;
	json_t *o, *evs;

	if (!st)
		return NULL;
	o = json_object();
	json_object_set_new(o, "id", json_string(text_col(st, 0)));
	json_object_set_new(o, "title", json_string(text_col(st, 1)));
	json_object_set_new(o, "summary", json_string(text_col(st, 2)));
	json_object_set_new(o, "prior", jnum(sqlite3_column_double(st, 3)));
	json_object_set_new(o, "prior_why", json_string(text_col(st, 4)));
	unprep(st);
	evs = json_array();
	if (prep(db, "SELECT fact, why FROM evidence WHERE cause = ?1 ORDER BY seq", -1, &ev, NULL) == SQLITE_OK) {
		sqlite3_bind_text(ev, 1, id, -1, SQLITE_STATIC);
		while (sqlite3_step(ev) == SQLITE_ROW) {
			json_t *e = json_object(), *p = json_object();
			sqlite3_stmt *ps;

			json_object_set_new(e, "fact", json_string(text_col(ev, 0)));
			/* values in the fact's own order */
			if (prep(db, "SELECT ep.value, ep.p FROM evidence_p ep JOIN fact_value fv"
					       " ON fv.fact = ep.fact AND fv.value = ep.value"
					       " WHERE ep.cause = ?1 AND ep.fact = ?2 ORDER BY fv.seq", -1, &ps, NULL) == SQLITE_OK) {
				sqlite3_bind_text(ps, 1, id, -1, SQLITE_STATIC);
				sqlite3_bind_text(ps, 2, text_col(ev, 0), -1, SQLITE_TRANSIENT);
				while (sqlite3_step(ps) == SQLITE_ROW)
					row_evidence_p(ps, p);
				unprep(ps);
			}
			json_object_set_new(e, "p", p);
			json_object_set_new(e, "why", json_string(text_col(ev, 1)));
			json_array_append_new(evs, e);
		}
		unprep(ev);
	}
	json_object_set_new(o, "evidence", evs);
	if (full)
		json_object_set_new(o, "fixes", list(db, "SELECT fix FROM resolves WHERE cause = ?1 ORDER BY fix", id, row_string));
	json_object_set_new(o, "sources", cites_json(db, "cause", id));
	return o;
}

static json_t *fix_json(sqlite3 *db, const char *id, int full)
{
	sqlite3_stmt *st = one(db, "SELECT id, title, summary, risk, cost, minutes, admin, reboot, undo, outcome"
			       " FROM fix WHERE id = ?1", id);
	json_t *o;

	if (!st)
		return NULL;
	o = json_object();
	json_object_set_new(o, "id", json_string(text_col(st, 0)));
	json_object_set_new(o, "title", json_string(text_col(st, 1)));
	json_object_set_new(o, "summary", json_string(text_col(st, 2)));
	json_object_set_new(o, "risk", json_string(text_col(st, 3)));
	json_object_set_new(o, "cost", jnum(sqlite3_column_double(st, 4)));
	json_object_set_new(o, "minutes", json_integer(sqlite3_column_int(st, 5)));
	json_object_set_new(o, "admin", json_boolean(sqlite3_column_int(st, 6)));
	json_object_set_new(o, "reboot", json_boolean(sqlite3_column_int(st, 7)));
	{
		json_t *w = applies_json(db, "fix", id, -1);

		if (w)
			json_object_set_new(o, "applies", w);
	}
	json_object_set_new(o, "steps", steps_json(db, id));
	json_object_set_new(o, "commands", commands_json(db, "SELECT shell, runs_on, text FROM fix_command WHERE fix = ?1 ORDER BY seq", "command", id));
	json_object_set_new(o, "undo", json_string(text_col(st, 8)));
	json_object_set_new(o, "outcome", json_string(text_col(st, 9)));
	unprep(st);
	json_object_set_new(o, "resolves", list(db, "SELECT cause, p, why FROM resolves WHERE fix = ?1 ORDER BY seq", id, row_resolves));
	{
		json_t *inc = list(db, "SELECT includes FROM fix_includes WHERE fix = ?1 ORDER BY seq", id, row_string);

		if (json_array_size(inc))
			json_object_set_new(o, "includes", inc);
		else
			json_decref(inc);
	}
	if (full)
		json_object_set_new(o, "causes", list(db, "SELECT cause FROM resolves WHERE fix = ?1 ORDER BY seq", id, row_string));
	json_object_set_new(o, "sources", cites_json(db, "fix", id));
	return o;
}

static json_t *rule_json(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = one(db, "SELECT id, description, enabled, source FROM rule WHERE id = ?1", id);
	json_t *o;
	char file[128];

	if (!st)
		return NULL;
	o = json_object();
	snprintf(file, sizeof file, "rules/%s.lua", id);
	json_object_set_new(o, "id", json_string(text_col(st, 0)));
	json_object_set_new(o, "description", json_string(text_col(st, 1)));
	json_object_set_new(o, "enabled", json_boolean(sqlite3_column_int(st, 2)));
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "reads", list(db, "SELECT fact FROM rule_read WHERE rule = ?1 ORDER BY fact", id, row_string));
	json_object_set_new(o, "sources", cites_json(db, "rule", id));
	json_object_set_new(o, "source", json_string(text_col(st, 3)));
	unprep(st);
	return o;
}

static json_t *source_json(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = one(db, "SELECT id, file, title, note FROM source WHERE id = ?1", id);
	json_t *o;

	if (!st)
		return NULL;
	o = json_object();
	json_object_set_new(o, "id", json_string(text_col(st, 0)));
	json_object_set_new(o, "file", json_string(text_col(st, 1)));
	json_object_set_new(o, "title", json_string(text_col(st, 2)));
	json_object_set_new(o, "note", json_string(text_col(st, 3)));
	unprep(st);
	return o;
}

json_t *kbtext_record(sqlite3 *db, enum kb_kind kind, const char *id, int full, tr_err *e)
{
	json_t *o = NULL;

	switch (kind) {
	case KB_FACT: o = fact_json(db, id, full); break;
	case KB_CAUSE: o = cause_json(db, id, full); break;
	case KB_FIX: o = fix_json(db, id, full); break;
	case KB_RULE: o = rule_json(db, id); break;
	case KB_SOURCE: o = source_json(db, id); break;
	default: break;
	}
	if (!o)
		tr_fail(e, TR_ERR, "no %s '%s' in the knowledge base", kbtext_kinds[kind], id);
	return o;
}

static const char *const table_of[KB_NKINDS] = {
	"SELECT id FROM fact ORDER BY id", "SELECT id FROM cause ORDER BY id",
	"SELECT id FROM fix ORDER BY id", "SELECT id FROM rule ORDER BY id",
	"SELECT id FROM source ORDER BY id",
};

int kbtext_each(sqlite3 *db, enum kb_kind kind, int (*fn)(const char *id, void *ctx), void *ctx)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(db, table_of[kind], -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(text_col(st, 0), ctx);
	sqlite3_finalize(st);
	return rc;
}

int kbtext_kind_of(sqlite3 *db, const char *id, enum kb_kind *kind)
{
	static const char *const q[KB_NKINDS] = {
		"SELECT 1 FROM fact WHERE id = ?1", "SELECT 1 FROM cause WHERE id = ?1",
		"SELECT 1 FROM fix WHERE id = ?1", "SELECT 1 FROM rule WHERE id = ?1",
		"SELECT 1 FROM source WHERE id = ?1",
	};
	for (int k = 0; k < KB_NKINDS; k++) {
		sqlite3_stmt *st = one(db, q[k], id);

		if (st) {
			sqlite3_finalize(st);
			*kind = (enum kb_kind)k;
			return 0;
		}
	}
	return -1;
}

/* ---- writing files ---- */

static int mkdirs(const char *path, tr_err *e)
{
	char p[1024];

	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				return tr_fail(e, TR_ERR, "%s: %s", p, strerror(errno));
			*s = '/';
		}
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
		return tr_fail(e, TR_ERR, "%s: %s", p, strerror(errno));
	return TR_OK;
}

/* Writes text to path through a temporary file and a rename. */
static int write_file(const char *path, const char *text, size_t n, tr_err *e)
{
	char tmp[1200];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "wb")))
		return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	ok = fwrite(text, 1, n, f) == n;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno ? errno : EIO));
		remove(tmp);
		return TR_ERR;
	}
	return TR_OK;
}

/* A dump is planned whole before anything is written: every file it
 * would write (path and bytes), then the record files in the record
 * directories it would remove. Nothing is touched until the plan is known
 * to destroy nothing, or --force says it may. */
typedef struct dump_plan {
	char **path;         /* DIR/kb/facts/x.json and the like */
	buf *text;           /* their bytes */
	size_t n, cap;
	char **gone;         /* record files the knowledge base no longer holds */
	size_t ngone, capgone;
} dump_plan;

static void plan_add(dump_plan *P, const char *path, const char *text, size_t n)
{
	if (P->n == P->cap) {
		P->cap = P->cap ? 2 * P->cap : 64;
		P->path = xrealloc(P->path, sizeof *P->path * P->cap);
		P->text = xrealloc(P->text, sizeof *P->text * P->cap);
	}
	P->path[P->n] = xstrdup(path);
	memset(&P->text[P->n], 0, sizeof P->text[P->n]);
	buf_add(&P->text[P->n++], text, n);
}

static void plan_gone(dump_plan *P, const char *path)
{
	if (P->ngone == P->capgone) {
		P->capgone = P->capgone ? 2 * P->capgone : 16;
		P->gone = xrealloc(P->gone, sizeof *P->gone * P->capgone);
	}
	P->gone[P->ngone++] = xstrdup(path);
}

static void plan_free(dump_plan *P)
{
	for (size_t i = 0; i < P->n; i++) {
		free(P->path[i]);
		buf_free(&P->text[i]);
	}
	for (size_t i = 0; i < P->ngone; i++)
		free(P->gone[i]);
	free(P->path);
	free(P->text);
	free(P->gone);
}

static int plan_json(dump_plan *P, const char *path, json_t *j, tr_err *e)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	buf b = {0};

	if (!s)
		return tr_fail(e, TR_ERR, "%s: cannot encode JSON", path);
	buf_puts(&b, s);
	buf_putc(&b, '\n');
	free(s);
	plan_add(P, path, b.data, b.len);
	buf_free(&b);
	return TR_OK;
}

typedef struct dumper {
	sqlite3 *db;
	const char *dir;     /* DIR/kb/facts and the like */
	enum kb_kind kind;
	dump_plan *P;
	tr_err *e;
} dumper;

static int dump_one(const char *id, void *ctx)
{
	dumper *D = ctx;
	char path[1200];
	json_t *j;
	int rc;

	if (D->kind == KB_RULE) {
		sqlite3_stmt *st = one(D->db, "SELECT source FROM rule WHERE id = ?1", id);

		if (!st)
			return tr_fail(D->e, TR_ERR, "rule %s vanished", id);
		snprintf(path, sizeof path, "%s/%s.lua", D->dir, id);
		plan_add(D->P, path, text_col(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		sqlite3_finalize(st);
		return TR_OK;
	}
	if (!(j = kbtext_record(D->db, D->kind, id, 0, D->e)))
		return TR_ERR;
	snprintf(path, sizeof path, "%s/%s.json", D->dir, id);
	rc = plan_json(D->P, path, j, D->e);
	json_decref(j);
	return rc;
}

/* Plans the removal of record files in dir (ending in ext) whose id is
 * not a record of kind in db. A missing dir has none. */
static int prune(sqlite3 *db, const char *dir, const char *ext, enum kb_kind kind,
		 dump_plan *P, tr_err *e)
{
	build B = { db, e, "", NULL, 0, { { NULL, NULL } }, 0, NULL };
	char **names = list_dir(&B, dir, ext, 0);
	enum kb_kind k;

	if (!names)
		return TR_ERR;
	for (size_t i = 0; names[i]; i++) {
		char id[256], path[1400];

		snprintf(id, sizeof id, "%.*s", (int)(strlen(names[i]) - strlen(ext)), names[i]);
		if (kbtext_kind_of(db, id, &k) == 0 && k == kind)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		plan_gone(P, path);
	}
	free_list(names);
	return TR_OK;
}

/* Whether path holds exactly text: 1 same, 0 differs, -1 missing. */
static int same_file(const char *path, const buf *text)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n, at = 0;
	int same = 1;

	if (!f)
		return -1;
	while (same && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		same = at + n <= text->len && memcmp(chunk, text->data + at, n) == 0;
		at += n;
	}
	fclose(f);
	return same && at == text->len;
}

/* Plans the whole dump of db into dir. */
static int dump_plan_make(sqlite3 *db, const char *dir, dump_plan *P, tr_err *e)
{
	static const struct { const char *sub, *ext; enum kb_kind kind; } parts[] = {
		{"kb/facts", ".json", KB_FACT}, {"kb/causes", ".json", KB_CAUSE},
		{"kb/fixes", ".json", KB_FIX}, {"rules", ".lua", KB_RULE},
	};
	char path[1100];
	json_t *meta, *sources;
	sqlite3_stmt *st;
	int rc = TR_OK;

	for (size_t i = 0; i < sizeof parts / sizeof *parts && rc == TR_OK; i++) {
		dumper D = { db, path, parts[i].kind, P, e };

		snprintf(path, sizeof path, "%s/%s", dir, parts[i].sub);
		if (prune(db, path, parts[i].ext, parts[i].kind, P, e))
			return TR_ERR;
		rc = kbtext_each(db, parts[i].kind, dump_one, &D) ? TR_ERR : TR_OK;
	}
	if (rc)
		return e->code ? TR_ERR : store_read_fail(db, e);
	meta = json_object();
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM kb_meta", -1, &st, NULL) == SQLITE_OK) {
		json_t *kv = json_object();

		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(kv, text_col(st, 0), json_string(text_col(st, 1)));
		sqlite3_finalize(st);
		for (const char *const *k = (const char *const[]){"id", "title", "version", "summary", NULL}; *k; k++)
			if (json_object_get(kv, *k))
				json_object_set(meta, *k, json_object_get(kv, *k));
		json_decref(kv);
	}
	snprintf(path, sizeof path, "%s/kb/kb.json", dir);
	rc = plan_json(P, path, meta, e);
	json_decref(meta);
	if (rc)
		return rc;
	sources = json_array();
	if (sqlite3_prepare_v2(db, "SELECT id FROM source ORDER BY id", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(sources, source_json(db, text_col(st, 0)));
		sqlite3_finalize(st);
	}
	snprintf(path, sizeof path, "%s/kb/sources.json", dir);
	rc = plan_json(P, path, sources, e);
	json_decref(sources);
	return rc;
}

/* Adds "what path" to b for the first few of n names; counts the rest. */
static void name_some(buf *b, const char *what, char *const *names, size_t n, size_t *shown)
{
	for (size_t i = 0; i < n; i++) {
		if (*shown < 3)
			buf_printf(b, "%s%s %s", b->len ? ", " : "", what, names[i]);
		++*shown;
	}
}

int kbtext_dump(sqlite3 *db, const char *dir, int force, FILE *report, tr_err *e)
{
	dump_plan P = {0};
	char **changed = NULL;
	size_t nchanged = 0, shown = 0;
	buf b = {0};
	int rc;

	if ((rc = dump_plan_make(db, dir, &P, e)) != TR_OK) {
		plan_free(&P);
		return rc;
	}
	changed = xcalloc(P.n + 1, sizeof *changed);
	for (size_t i = 0; i < P.n; i++)
		if (same_file(P.path[i], &P.text[i]) == 0)
			changed[nchanged++] = P.path[i];
	if (!force && nchanged + P.ngone) {
		name_some(&b, "would replace", changed, nchanged, &shown);
		name_some(&b, "would remove", P.gone, P.ngone, &shown);
		if (shown > 3)
			buf_printf(&b, " and %zu more", shown - 3);
		rc = tr_fail(e, TR_ERR, "kb dump: %s holds edits the knowledge base does not have (%s); "
			     "nothing written (build them first, dump elsewhere, or --force)", dir, buf_str(&b));
	}
	for (size_t i = 0; rc == TR_OK && i < P.n; i++) {
		char parent[1200], *slash;

		snprintf(parent, sizeof parent, "%s", P.path[i]);
		if ((slash = strrchr(parent, '/')))
			*slash = '\0';
		if (same_file(P.path[i], &P.text[i]) != 1)
			rc = mkdirs(parent, e) ? TR_ERR : write_file(P.path[i], P.text[i].data, P.text[i].len, e);
	}
	/* every kind's directory, even an empty one: kb build reads them all */
	for (int k = 0; rc == TR_OK && k < 3; k++) {
		static const char *const kinds[] = {"kb/facts", "kb/causes", "kb/fixes"};
		char sub[1200];

		snprintf(sub, sizeof sub, "%s/%s", dir, kinds[k]);
		rc = mkdirs(sub, e) ? TR_ERR : TR_OK;
	}
	for (size_t i = 0; rc == TR_OK && i < nchanged; i++)
		fprintf(report, "replaced %s\n", changed[i]);
	for (size_t i = 0; rc == TR_OK && i < P.ngone; i++) {
		if (remove(P.gone[i]) != 0)
			rc = tr_fail(e, TR_ERR, "%s: %s", P.gone[i], strerror(errno));
		else
			fprintf(report, "removed %s\n", P.gone[i]);
	}
	buf_free(&b);
	free(changed);
	plan_free(&P);
	return rc;
}

int kbtext_checksum(sqlite3 *db, enum kb_kind kind, const char *id, char out[17], tr_err *e)
{
	json_t *r = kbtext_record(db, kind, id, 0, e);
	char *text;
	uint64_t h = 0xcbf29ce484222325u;   /* FNV-1a, 64 bits */

	if (!r)
		return -1;
	text = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(r);
	if (!text) {
		tr_fail(e, TR_ERR, "%s %s: cannot encode", kbtext_kinds[kind], id);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3u;
	}
	free(text);
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	return 0;
}

/* ---- slots no fact fills ---- */

/* Whether db can fill slot (n bytes): a fact declares it, or a rule's
 * source calls fill("slot" or fill('slot'. */
static int fillable(sqlite3 *db, const char *slot, size_t n)
{
	sqlite3_stmt *st;
	char a[80], b[80];
	int ok = 0;

	snprintf(a, sizeof a, "%%fill(\"%.*s\"%%", (int)n, slot);
	snprintf(b, sizeof b, "%%fill('%.*s'%%", (int)n, slot);
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM fact WHERE slot = ?1 UNION ALL"
			       " SELECT 1 FROM rule WHERE source LIKE ?2 OR source LIKE ?3", -1, &st, NULL) != SQLITE_OK)
		return 1;  /* before schema 4: nothing to say */
	sqlite3_bind_text(st, 1, slot, (int)n, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ok;
}

int kbtext_slots(sqlite3 *db, buf *out)
{
	static const char *const q =
		"SELECT 'fact ' || id, help FROM fact UNION ALL SELECT 'fact ' || fact, text FROM fact_check"
		" UNION ALL SELECT 'fix ' || id, summary || ' ' || undo || ' ' || outcome FROM fix"
		" UNION ALL SELECT 'fix ' || fix, text FROM fix_step"
		" UNION ALL SELECT 'fix ' || fix, text FROM fix_command ORDER BY 1";
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *p = text_col(st, 1), *open, *close;

		while ((open = strstr(p, "{{")) && (close = strstr(open + 2, "}}"))) {
			size_t k = (size_t)(close - open - 2);
			char line[256];

			p = close + 2;
			if (k == 0 || k > 64 || strspn(open + 2, "abcdefghijklmnopqrstuvwxyz0123456789_") != k ||
			    fillable(db, open + 2, k))
				continue;
			snprintf(line, sizeof line, "%s: {{%.*s}} is filled by no fact (\"slot\") nor rule\n",
				 text_col(st, 0), (int)k, open + 2);
			if (!strstr(buf_str(out), line)) {
				buf_puts(out, line);
				n++;
			}
		}
	}
	sqlite3_finalize(st);
	return n;
}
