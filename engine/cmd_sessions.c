/*
 * cmd_sessions.c: `triage sessions` (list, search, --json), `sessions
 * show ID` and `sessions rm ID`: the user's saved sessions, found and
 * managed from the command line. Uses sessdb.h; the Markdown report is
 * `export session`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "sessdb.h"
#include "text.h"

typedef struct lister {
	sqlite3 *db;
	json_t *all;   /* --json: the rows; else NULL */
	int n;
} lister;

static json_t *row_json(sqlite3 *db, const sessdb_row *r)
{
	json_t *o = json_object();
	long pid = sessdb_holder(db, r->id);

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "title", json_string(r->title));
	json_object_set_new(o, "summary", json_string(r->summary));
	json_object_set_new(o, "status", json_string(r->status));
	json_object_set_new(o, "events", json_integer(r->events));
	json_object_set_new(o, "created", json_string(r->created));
	json_object_set_new(o, "updated", json_string(r->updated));
	json_object_set_new(o, "kb", json_string(r->kb_id));
	json_object_set_new(o, "kb_version", json_string(r->kb_version));
	json_object_set_new(o, "open_in", pid ? json_integer(pid) : json_null());
	json_object_set_new(o, "ending", json_string(r->ending));
	json_object_set_new(o, "ending_fix", json_string(r->ending_fix));
	json_object_set_new(o, "ending_note", json_string(r->ending_note));
	json_object_set_new(o, "ended", json_string(r->ended));
	return o;
}

/* "3 events: title" as a person reads it. */
static void describe(buf *b, sqlite3 *db, const sessdb_row *r)
{
	long pid = sessdb_holder(db, r->id);

	buf_printf(b, "%s, %s, %d event%s", r->updated, r->status, r->events, r->events == 1 ? "" : "s");
	if (pid)
		buf_printf(b, ", open in process %ld", pid);
	buf_printf(b, ": %s", *r->title ? r->title : r->events ? "(no fact known yet)" : "(nothing yet)");
}

static int list_one(const sessdb_row *r, void *ctx)
{
	lister *L = ctx;
	buf b = {0};

	L->n++;
	if (L->all) {
		json_array_append_new(L->all, row_json(L->db, r));
		return 0;
	}
	describe(&b, L->db, r);
	printf("%4lld  ", (long long)r->id);
	text_put(stdout, buf_str(&b));
	putchar('\n');
	buf_free(&b);
	return 0;
}

static int print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	if (!s)
		return TR_ERR;
	puts(s);
	free(s);
	return TR_OK;
}

int sessions_cmd_list(cli *c)
{
	const char *search = NULL;
	lister L = {0};
	int json = 0, rc;

	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (strcmp(c->argv[i], "--json") == 0)
			json = 1;
		else if (cli_flag(c, &i, "--search", &v)) {
			if (!v)
				return TR_EUSAGE;
			search = v;
		} else
			return tr_fail(&c->err, TR_EUSAGE, "sessions: unexpected argument '%s'", c->argv[i]);
	}
	if (sessdb_open(NULL, &L.db, &c->err) != TR_OK)
		return TR_ERR;
	if (json)
		L.all = json_array();
	rc = sessdb_list(L.db, search, list_one, &L, &c->err);
	if (rc == TR_OK && json)
		rc = print_json(L.all);
	else if (rc == TR_OK && L.n == 0)
		puts(search ? "No saved session has that text." : "No saved sessions yet.");
	json_decref(L.all);
	sqlite3_close(L.db);
	return rc;
}

/* The one positional ID of command name. */
static int one_id(cli *c, const char *name, sqlite3_int64 *id, int *json)
{
	const char *arg = NULL;
	char *end;
	long long v;

	for (int i = 0; i < c->argc; i++) {
		if (json && strcmp(c->argv[i], "--json") == 0)
			*json = 1;
		else if (!arg && c->argv[i][0] != '-')
			arg = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "%s: unexpected argument '%s'", name, c->argv[i]);
	}
	if (!arg)
		return tr_fail(&c->err, TR_EUSAGE, "%s: name the saved session (its ID)", name);
	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0)
		return tr_fail(&c->err, TR_EUSAGE, "%s: '%s' is not a session ID", name, arg);
	*id = v;
	return TR_OK;
}

/* Writes s (several lines) made safe, its newlines kept. */
static void put_lines(const char *s)
{
	buf b = {0};

	text_safe(&b, s, 1);
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

typedef struct shower {
	sqlite3 *db;
	int json;
	json_t *out;
} shower;

static int show_row(const sessdb_row *r, void *ctx)
{
	shower *S = ctx;
	buf b = {0};

	if (S->json) {
		S->out = row_json(S->db, r);
		return 0;
	}
	buf_printf(&b, "session %lld: %s\n", (long long)r->id, *r->title ? r->title : "(untitled)");
	if (*r->summary && strcmp(r->summary, r->title) != 0)
		buf_printf(&b, "  facts: %s\n", r->summary);
	buf_printf(&b, "  status: %s\n  started: %s\n  updated: %s\n  knowledge base: %s %s\n",
		   r->status, r->created, r->updated, r->kb_id, r->kb_version);
	if (*r->ending)
		buf_printf(&b, "  ending: %s%s%s%s%s (%s)\n", r->ending, *r->ending_fix ? " by " : "",
			   r->ending_fix, *r->ending_note ? ": " : "", r->ending_note, r->ended);
	put_lines(buf_str(&b));
	buf_free(&b);
	return 0;
}

int sessions_cmd_show(cli *c)
{
	shower S = {0};
	sqlite3_int64 id;
	session *s = NULL;
	sessdb_kept kept;
	char *note = NULL;
	const session_event *ev;
	int n, k = 0, rc;
	long pid;

	if (one_id(c, "sessions show", &id, &S.json) != TR_OK)
		return TR_EUSAGE;
	if (sessdb_open(NULL, &S.db, &c->err) != TR_OK)
		return TR_ERR;
	if ((rc = sessdb_get(S.db, id, show_row, &S, &c->err)) != TR_OK ||
	    (rc = sessdb_load(S.db, id, c->m, SESSION_DEPTH, &s, &note, &kept, &c->err)) != TR_OK) {
		json_decref(S.out);
		sqlite3_close(S.db);
		return rc;
	}
	n = session_events(s, &ev);
	pid = sessdb_holder(S.db, id);
	if (S.json) {
		json_t *a = json_array();

		for (int i = 0; i <= n; i++) {
			for (; k < kept.n && (kept.ev[k].at <= i || i == n); k++)
				json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b}", "kind", kept.ev[k].kind,
								   "subject", kept.ev[k].subject, "value",
								   kept.ev[k].value, "applied", 0));
			if (i < n)
				json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b}", "kind",
								   session_event_names[ev[i].kind], "subject",
								   ev[i].subject, "value", ev[i].value, "applied", 1));
		}
		json_object_set_new(S.out, "events", a);
		rc = print_json(S.out);
	} else {
		buf b = {0};

		if (pid)
			printf("  open in process %ld\n", pid);
		puts(n + kept.n ? "  events:" : "  events: none");
		for (int i = 0; i <= n; i++) {
			for (; k < kept.n && (kept.ev[k].at <= i || i == n); k++)
				buf_printf(&b, "    %s %s = %s (not applied)\n", kept.ev[k].kind,
					   kept.ev[k].subject, kept.ev[k].value);
			if (i < n)
				buf_printf(&b, "    %s %s = %s\n", session_event_names[ev[i].kind],
					   ev[i].subject, ev[i].value);
		}
		if (note)
			buf_printf(&b, "  note: %s\n", note);
		buf_printf(&b, "  resume: triage ask --resume %lld; report: triage export session %lld\n",
			   (long long)id, (long long)id);
		put_lines(buf_str(&b));
		buf_free(&b);
	}
	free(note);
	sessdb_kept_free(&kept);
	session_free(s);
	json_decref(S.out);
	sqlite3_close(S.db);
	return rc;
}

int sessions_cmd_rm(cli *c)
{
	sqlite3_int64 id;
	sqlite3 *db;
	int rc;

	if (one_id(c, "sessions rm", &id, NULL) != TR_OK)
		return TR_EUSAGE;
	if (sessdb_open(NULL, &db, &c->err) != TR_OK)
		return TR_ERR;
	if ((rc = sessdb_remove(db, id, &c->err)) == TR_OK)
		printf("Removed session %lld.\n", (long long)id);
	sqlite3_close(db);
	return rc;
}

int sessions_cmd_end(cli *c)
{
	const char *arg = NULL, *kind = NULL, *note = "";
	sqlite3 *db;
	char *end;
	long long id;
	int rc;

	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (cli_flag(c, &i, "--note", &v)) {
			if (!(note = v))
				return TR_EUSAGE;
		} else if (!arg && c->argv[i][0] != '-')
			arg = c->argv[i];
		else if (!kind && c->argv[i][0] != '-')
			kind = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "sessions end: unexpected argument '%s'", c->argv[i]);
	}
	if (!arg || !kind)
		return tr_fail(&c->err, TR_EUSAGE, "sessions end: name the session and how it ended "
			       "(outside, abandoned or handover)");
	id = strtoll(arg, &end, 10);
	if (*end || id <= 0)
		return tr_fail(&c->err, TR_EUSAGE, "sessions end: '%s' is not a session ID", arg);
	if (strcmp(kind, "fixed") == 0)
		return tr_fail(&c->err, TR_EUSAGE, "sessions end: a fix that worked is recorded when it is "
			       "reported worked; outside --note TEXT says what else fixed it");
	if (strcmp(kind, "outside") && strcmp(kind, "abandoned") && strcmp(kind, "handover"))
		return tr_fail(&c->err, TR_EUSAGE, "sessions end: unknown ending '%s' (outside, abandoned "
			       "or handover)", kind);
	if (strcmp(kind, "outside") == 0 && !*note)
		return tr_fail(&c->err, TR_EUSAGE, "sessions end: outside needs --note saying what fixed it");
	if (sessdb_open(NULL, &db, &c->err) != TR_OK)
		return TR_ERR;
	if ((rc = sessdb_claim(db, id, &c->err)) == TR_OK) {
		if ((rc = sessdb_end(db, id, kind, NULL, note, &c->err)) == TR_OK)
			printf("Session %lld ended: %s.\n", id, kind);
		sessdb_release(db, id);
	}
	sqlite3_close(db);
	return rc;
}
