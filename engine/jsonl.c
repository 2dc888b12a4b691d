/*
 * jsonl.c: `triage session --jsonl`, the JSON Lines front end
 * (../shared/protocol.md), and the JSON builders it shares with diagnose.
 * One request line in, one ranking and one action out, flushed. A bad line
 * gets an error line and the pending action again; nothing is lost.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "explain.h"
#include "export.h"
#include "jsonl.h"
#include "kbedit.h"
#include "plan.h"
#include "reach.h"
#include "sessdb.h"

#define MAX_LINE (1 << 16)

json_t *jsonl_ranking(session *s)
{
	const tr_model *m = session_model(s);
	const double *p = session_p(s);
	int *order = xcalloc((size_t)m->ncauses + 1, sizeof *order);
	int n = session_ranking(s, order);
	json_t *o = json_object(), *a = json_array(), *rest = jsonl_ranking_rest(s);

	json_object_set_new(o, "type", json_string("ranking"));
	for (int i = 0; i < n; i++) {
		json_t *c = json_object();

		json_object_set_new(c, "id", json_string(m->causes[order[i]].id));
		json_object_set_new(c, "p", json_real(p[order[i]]));
		json_object_set_new(c, "title", json_string(m->causes[order[i]].title));
		json_array_append_new(a, c);
	}
	json_object_set_new(o, "causes", a);
	json_object_update(o, rest);
	json_decref(rest);
	free(order);
	return o;
}

json_t *jsonl_ranking_rest(session *s)
{
	json_t *o = json_object();
	const char *const *notes;
	int nn = session_notes(s, &notes);

	if (session_reach(s) != REACH_ALL) {
		char r[64];

		json_object_set_new(o, "reach", json_string(reach_format(session_reach(s), r, sizeof r)));
	}
	if (nn) {
		json_t *na = json_array();

		for (int i = 0; i < nn; i++)
			json_array_append_new(na, json_string(notes[i]));
		json_object_set_new(o, "notes", na);
	}
	return o;
}

/* A string as JSON (escaped as json_dumps escapes it inside any value),
 * or NULL when jansson refuses it (not UTF-8). Caller frees. */
static char *json_text(const char *v)
{
	json_t *j = json_string(v);
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;

	json_decref(j);
	return t;
}

struct jsonl_rank_cache {
	const tr_model *m;
	char **head, **tail;  /* per cause: {"id":ID,"p":  and  ,"title":TITLE} */
};

static void rank_cache_fill(jsonl_rank_cache *rc, const tr_model *m)
{
	rc->m = m;
	rc->head = xcalloc((size_t)m->ncauses + 1, sizeof *rc->head);
	rc->tail = xcalloc((size_t)m->ncauses + 1, sizeof *rc->tail);
	for (int c = 0; c < m->ncauses; c++) {
		char *id = json_text(m->causes[c].id), *title = json_text(m->causes[c].title);
		buf h = {0}, t = {0};

		buf_puts(&h, "{");
		if (id)  /* json_object_set_new drops a key whose value is NULL */
			buf_printf(&h, "\"id\":%s,", id);
		buf_puts(&h, "\"p\":");
		if (title)
			buf_printf(&t, ",\"title\":%s", title);
		buf_puts(&t, "}");
		rc->head[c] = buf_take(&h);
		rc->tail[c] = buf_take(&t);
		free(id);
		free(title);
	}
}

void jsonl_rank_cache_free(jsonl_rank_cache *rc)
{
	for (int c = 0; rc && rc->m && c < rc->m->ncauses; c++) {
		free(rc->head[c]);
		free(rc->tail[c]);
	}
	if (rc) {
		free(rc->head);
		free(rc->tail);
	}
	free(rc);
}

int jsonl_ranking_line(session *s, sqlite3_int64 id, jsonl_rank_cache **cache, buf *out)
{
	const tr_model *m = session_model(s);
	const double *p = session_p(s);
	int *order = xcalloc((size_t)m->ncauses + 1, sizeof *order);
	int n = session_ranking(s, order);
	json_t *rest;
	char *last = NULL, *more;
	double lastp = 0;

	for (int i = 0; i < n; i++)
		if (!isfinite(p[order[i]])) {  /* json_real refuses it: the object's way */
			free(order);
			return -1;
		}
	if (!*cache || (*cache)->m != m) {
		jsonl_rank_cache_free(*cache);
		*cache = xcalloc(1, sizeof **cache);
		rank_cache_fill(*cache, m);
	}
	buf_reset(out);
	buf_puts(out, "{\"type\":\"ranking\",\"causes\":[");
	for (int i = 0; i < n; i++) {
		int c = order[i];

		if (!last || p[c] != lastp) {  /* sorted: equal chances come together */
			json_t *r = json_real(p[c]);

			free(last);
			last = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(12));
			lastp = p[c];
			json_decref(r);
		}
		if (i)
			buf_putc(out, ',');
		buf_puts(out, (*cache)->head[c]);
		buf_puts(out, last ? last : "");
		buf_puts(out, (*cache)->tail[c]);
	}
	buf_putc(out, ']');
	free(last);
	free(order);
	rest = jsonl_ranking_rest(s);  /* reach, notes: few keys, by jansson */
	if (id)
		json_object_set_new(rest, "session", json_integer(id));
	more = json_dumps(rest, JSON_COMPACT | JSON_REAL_PRECISION(12));
	if (more && strcmp(more, "{}") != 0) {
		buf_putc(out, ',');
		buf_add(out, more + 1, strlen(more) - 2);
	}
	free(more);
	json_decref(rest);
	buf_putc(out, '}');
	return 0;
}

/* Adds what rep left unfilled to the action's list (each slot once, with
 * the fact that fills it) and a warning for each value refused by a shell. */
static void unfilled(session *s, const slot_report *rep, json_t *slots, json_t *warn)
{
	const tr_model *m = session_model(s);

	for (int i = 0; i < rep->n; i++) {
		int f = model_slot_fact(m, rep->v[i].name), seen = 0;
		size_t k;
		json_t *o;

		json_array_foreach(slots, k, o)
			seen |= strcmp(json_string_value(json_object_get(o, "slot")), rep->v[i].name) == 0;
		if (!seen) {
			o = json_object();
			json_object_set_new(o, "slot", json_string(rep->v[i].name));
			json_object_set_new(o, "fact", f >= 0 ? json_string(m->facts[f].id) : json_null());
			json_array_append_new(slots, o);
		}
		if (rep->v[i].why && warn) {
			buf b = {0};

			buf_printf(&b, "<%s> left unfilled: %s", rep->v[i].name, rep->v[i].why);
			json_array_append_new(warn, json_string(buf_str(&b)));
			buf_free(&b);
		}
	}
}

/* A text a person reads, with its slots filled. */
static json_t *prose(session *s, const char *text, json_t *slots)
{
	slot_report rep;
	char *t = session_fill(s, text, NULL, &rep);
	json_t *o = json_string(t);

	unfilled(s, &rep, slots, NULL);
	free(t);
	return o;
}

/* Commands that may apply here, each filled and quoted for its shell; a
 * command whose context is not known yet says when it applies. */
static json_t *commands(const tr_command *cmds, int n, session *s, json_t *slots, json_t *warn)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		json_t *c;
		slot_report rep;
		char *text, when[512];

		if (s && session_where(s, &cmds[i].applies) == 0)
			continue;
		c = json_object();
		text = s ? session_fill(s, cmds[i].text, cmds[i].shell, &rep) : xstrdup(cmds[i].text);
		json_object_set_new(c, "shell", json_string(cmds[i].shell));
		json_object_set_new(c, "on", json_string(cmds[i].on));
		json_object_set_new(c, "text", json_string(text));
		if (cmds[i].applies.n) {
			model_where_text(session_model(s), &cmds[i].applies, when, sizeof when);
			json_object_set_new(c, "when", json_string(when));
		}
		if (s) {
			json_t *mine = json_array();

			unfilled(s, &rep, mine, warn);
			if (json_array_size(mine))
				json_object_set(c, "unfilled", mine);
			unfilled(s, &rep, slots, NULL);
			json_decref(mine);
		}
		json_array_append_new(a, c);
		free(text);
	}
	return a;
}

json_t *jsonl_fix(session *s, int x)
{
	const tr_model *m = session_model(s);
	const tr_fix *fix = &m->fixes[x];
	json_t *o = json_object(), *a = json_array(), *w = json_array(), *slots = json_array();
	const char *warn;

	json_object_set_new(o, "type", json_string("recommend"));
	json_object_set_new(o, "fix", json_string(fix->id));
	json_object_set_new(o, "title", json_string(fix->title));
	for (int i = fix->link; i < fix->link + fix->nlink; i++)
		json_array_append_new(a, json_string(m->causes[m->links[i].cause].id));
	json_object_set_new(o, "causes", a);
	if (fix->nincl) {
		a = json_array();
		for (int j = 0; j < fix->nincl; j++)
			json_array_append_new(a, json_string(m->fixes[fix->incl[j]].id));
		json_object_set_new(o, "includes", a);
	}
	json_object_set_new(o, "risk", json_string(model_risk_names[fix->risk]));
	for (int i = 0; (warn = session_warning(s, x, i)); i++)
		json_array_append_new(w, json_string(warn));
	a = json_array();
	for (int i = 0; i < fix->nsteps; i++)
		if (session_where(s, &fix->step_applies[i]) != 0)
			json_array_append_new(a, prose(s, fix->steps[i], slots));
	json_object_set_new(o, "steps", a);
	json_object_set_new(o, "commands", commands(fix->cmds, fix->ncmds, s, slots, w));
	json_object_set_new(o, "undo", prose(s, fix->undo, slots));
	json_object_set_new(o, "outcome", prose(s, fix->outcome, slots));
	json_object_set_new(o, "summary", prose(s, fix->summary, slots));
	json_object_set_new(o, "cost", json_real(fix->cost));
	json_object_set_new(o, "p", json_real(session_fix_chance(s, x)));
	if (fix->applies.n) {
		char when[512];

		model_where_text(m, &fix->applies, when, sizeof when);
		json_object_set_new(o, "applies", json_string(when));
		json_object_set_new(o, "p_applies", json_real(session_applies(s, x, NULL)));
	}
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "unfilled", slots);
	return o;
}

/* The fixes the known context rules out (session_ruled_out), for a
 * session that ends unresolved: [{"fix", "p", "why"}], likeliest first. */
static json_t *ruled_out(session *s)
{
	const tr_model *m = session_model(s);
	int v[EXPLAIN_RULED_OUT], n = session_ruled_out(s, v, EXPLAIN_RULED_OUT);
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		buf why = {0};

		explain_ruled_out(s, v[i], &why);
		json_object_set_new(o, "fix", json_string(m->fixes[v[i]].id));
		json_object_set_new(o, "p", json_real(plan_chance(m, session_p(s), v[i])));
		json_object_set_new(o, "why", json_string(buf_str(&why)));
		json_array_append_new(a, o);
		buf_free(&why);
	}
	return a;
}

json_t *jsonl_action(session *s)
{
	const tr_model *m = session_model(s);
	const action *a = session_next(s);
	json_t *o;
	buf why = {0};

	if (a->kind == ACT_DONE) {
		o = json_object();
		json_object_set_new(o, "type", json_string("done"));
		json_object_set_new(o, "status", json_string(session_done_names[a->status]));
		if (a->status == DONE_EXHAUSTED || a->status == DONE_HANDOVER)
			json_object_set_new(o, "ruled_out", ruled_out(s));
		return o;
	}
	if (a->kind == ACT_RECOMMEND)
		o = jsonl_fix(s, a->fix);
	else {
		const tr_fact *f = &m->facts[a->fact];
		json_t *ch = json_array();

		o = json_object();
		json_object_set_new(o, "type", json_string("question"));
		json_object_set_new(o, "fact", json_string(f->id));
		json_object_set_new(o, "text", json_string(f->text));
		for (int k = 0; k < f->nvalues; k++)
			json_array_append_new(ch, json_string(m->values[f->first + k].value));
		json_object_set_new(o, "choices", ch);
		ch = json_array();
		for (int k = 0; k < f->nvalues; k++)
			json_array_append_new(ch, json_string(m->values[f->first + k].text));
		json_object_set_new(o, "labels", ch);
		json_t *slots = json_array(), *w = json_array();

		json_object_set_new(o, "help", prose(s, f->help, slots));
		json_object_set_new(o, "check", commands(f->check, f->ncheck, s, slots, w));
		json_object_set_new(o, "asker", json_string(f->asker));
		json_object_set_new(o, "unfilled", slots);
		if (json_array_size(w))
			json_object_set_new(o, "warnings", w);
		else
			json_decref(w);
	}
	explain_brief(s, &why);
	json_object_set_new(o, "why", json_string(buf_str(&why)));
	if (a->recheck) {  /* a stated answer asked again (session.h, SESSION_RECHECK) */
		json_t *r = json_object();
		int v = session_value(s, a->fact);

		json_object_set_new(r, "was", json_string(v >= 0 ? m->values[v].value : ""));
		json_object_set_new(r, "fix", json_string(m->fixes[a->fix].id));
		json_object_set_new(r, "p", json_real(plan_chance(m, session_p(s), a->fix)));
		json_object_set_new(o, "recheck", r);
	}
	buf_free(&why);
	return o;
}

/* A reach as a JSON array of its names. */
static json_t *reach_names_json(unsigned r)
{
	json_t *a = json_array();

	for (int i = 0; i < REACH_NNAMES; i++)
		if (r & (1u << i))
			json_array_append_new(a, json_string(reach_names[i]));
	return a;
}

json_t *jsonl_handover(session *s, const char *technician)
{
	const tr_model *m = session_model(s);
	const plan_step *steps;
	int ask, n = session_handover(s, &steps, &ask);
	json_t *o = json_object(), *a = json_array(), *r = jsonl_ranking(s);
	char names[64];
	buf md = {0};

	json_object_set_new(o, "type", json_string("handover"));
	json_object_set_new(o, "reach", json_string(reach_format(session_reach(s), names, sizeof names)));
	for (int i = 0; i < n; i++) {
		json_t *st = jsonl_fix(s, steps[i].fix);

		json_object_del(st, "type");
		json_object_set_new(st, "needs", reach_names_json(session_needs(s, steps[i].fix)));
		if (steps[i].check >= 0) {
			const plan_check *ck = &session_checks(s)[steps[i].check];
			json_t *c = json_object();

			json_object_set_new(c, "fact", json_string(m->facts[ck->fact].id));
			json_object_set_new(c, "value", json_string(m->values[ck->value].value));
			json_object_set_new(st, "check", c);
		}
		json_array_append_new(a, st);
	}
	json_object_set_new(o, "steps", a);
	json_object_set_new(o, "ruled_out", ruled_out(s));
	if (ask >= 0) {
		json_t *q = json_object();

		json_object_set_new(q, "fact", json_string(m->facts[ask].id));
		json_object_set_new(q, "text", json_string(m->facts[ask].text));
		json_object_set_new(q, "asker", json_string(m->facts[ask].asker));
		json_object_set_new(o, "ask_first", q);
	}
	a = json_array();
	for (int f = 0; f < m->nfacts; f++) {
		enum origin from = session_origin(s, f);
		json_t *k;
		const char *v = session_shown(s, f);
		int rule;

		if (from == ORIGIN_NONE && !session_is_unknown(s, f))
			continue;
		k = json_object();
		json_object_set_new(k, "fact", json_string(m->facts[f].id));
		json_object_set_new(k, "value", json_string(from == ORIGIN_NONE || !v ? "unknown" : v));
		json_object_set_new(k, "origin", json_string(from == ORIGIN_NONE ? "answer" : session_origin_names[from]));
		if (from == ORIGIN_RULE && (rule = session_derived_by(s, f, NULL)) >= 0)
			json_object_set_new(k, "rule", json_string(m->rules[rule].id));
		json_array_append_new(a, k);
	}
	json_object_set_new(o, "facts", a);
	a = json_array();
	{
		const session_event *ev;
		int ne = session_events(s, &ev);

		for (int i = 0; i < ne; i++)   /* in the order they were tried */
			if (ev[i].kind == EV_RESULT && strcmp(ev[i].value, "failed") == 0 &&
			    model_fix(m, ev[i].subject) >= 0 && session_fix_state(s, model_fix(m, ev[i].subject)) == FIX_FAILED)
				json_array_append_new(a, json_string(ev[i].subject));
	}
	json_object_set_new(o, "failed", a);
	json_object_set(o, "ranking", json_object_get(r, "causes"));
	json_decref(r);
	export_handover(s, NULL, technician, &md);
	json_object_set_new(o, "markdown", json_string(buf_str(&md)));
	buf_free(&md);
	return o;
}

/* Parses "ID=VALUE" and adds it to s as a given fact; TR_EUSAGE with a
 * message on a malformed pair, an unknown fact or value. */
static int jsonl_given(session *s, const char *pair, tr_err *e)
{
	const char *eq = strchr(pair, '=');
	const session_event *ev;
	int n = session_events(s, &ev);
	char id[128];

	if (!eq || eq == pair || (size_t)(eq - pair) >= sizeof id)
		return tr_fail(e, TR_EUSAGE, "--fact takes ID=VALUE, not '%s'", pair);
	snprintf(id, sizeof id, "%.*s", (int)(eq - pair), pair);
	for (int i = 0; i < n; i++)   /* the same fact twice: once is enough, two values are a mistake */
		if (strcmp(ev[i].subject, id) == 0)
			return strcmp(ev[i].value, eq + 1) == 0 ? TR_OK
			     : tr_fail(e, TR_EUSAGE, "--fact %s is given twice (%s, then %s): give it once",
				       id, ev[i].value, eq + 1);
	return session_add(s, EV_GIVEN, id, eq + 1, e);
}

int jsonl_session(cli *c, int depth, session **out)
{
	*out = NULL;
	if (session_open(c->m, depth, out, &c->err) != TR_OK)
		return TR_ERR;
	session_set_exact(*out, c->exact);
	session_set_reach(*out, c->reach_set ? c->reach : REACH_ALL);
	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (cli_flag(c, &i, "--fact", &v) && (!v || jsonl_given(*out, v, &c->err) != TR_OK)) {
			session_free(*out);
			*out = NULL;
			return TR_EUSAGE;
		}
	}
	return TR_OK;
}

/* sessdb_get's callback: the reach recorded with the session ("" all). */
static int recorded_reach(const sessdb_row *r, void *ctx)
{
	unsigned *reach = ctx;
	tr_err e;

	if (*r->reach && reach_parse(r->reach, reach, &e) != TR_OK)
		*reach = REACH_ALL;
	return 0;
}

void jsonl_reach_resumed(cli *c, sqlite3 *db, sqlite3_int64 id, session *s)
{
	unsigned reach = REACH_ALL;
	tr_err e;

	if (c->reach_set)
		reach = c->reach;
	else if (db)
		sessdb_get(db, id, recorded_reach, &reach, &e);
	session_set_reach(s, reach);
}

static void send(json_t *o)
{
	char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));

	if (line) {
		fputs(line, stdout);
		fputc('\n', stdout);
		free(line);
	}
	fflush(stdout);
	json_decref(o);
}

/* Sends a warning line for each session warning after the first *sent. */
static void send_warnings(session *s, int *sent)
{
	const char *const *kinds, *const *msgs;
	int n = session_warnings(s, &kinds, &msgs);

	for (; *sent < n; (*sent)++) {
		json_t *o = json_object();

		json_object_set_new(o, "type", json_string("warning"));
		json_object_set_new(o, "kind", json_string(kinds[*sent]));
		json_object_set_new(o, "message", json_string(msgs[*sent]));
		send(o);
	}
}

static void send_error(const char *msg)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string("error"));
	json_object_set_new(o, "message", json_string(msg));
	send(o);
}

/* {"command":"end","ending":"outside","note":"..."}: how the session
 * ended when no fix of the knowledge base did it (protocol extension,
 * README "Learning from outcomes"). Checks it and copies the ending and
 * note to kind and note; TR_EUSAGE with e set when it is not one. */
static int ending_of(json_t *o, char kind[16], const char **note, tr_err *e)
{
	static const char *const kinds[] = { "outside", "abandoned", "handover" };
	json_t *k = json_object_get(o, "ending"), *n = json_object_get(o, "note");
	const char *v = json_string_value(k);

	kind[0] = '\0';
	if (!v)
		return tr_fail(e, TR_EUSAGE, "\"end\" needs \"ending\": outside, abandoned or handover");
	if (n && !json_is_string(n))
		return tr_fail(e, TR_EUSAGE, "\"note\" must be a string");
	*note = n ? json_string_value(n) : "";
	if (strcmp(v, "fixed") == 0)
		return tr_fail(e, TR_EUSAGE, "a fix that worked is reported as {\"result\":\"worked\"}, not as an ending");
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (strcmp(v, kinds[i]) == 0)
			snprintf(kind, 16, "%s", v);
	if (!kind[0])
		return tr_fail(e, TR_EUSAGE, "unknown ending '%s' (outside, abandoned or handover)", v);
	if (strcmp(kind, "outside") == 0 && !**note)
		return tr_fail(e, TR_EUSAGE, "ending \"outside\" needs a \"note\" saying what fixed it");
	return TR_OK;
}

/* Applies one client line. Returns TR_OK (state changed: send a fresh
 * ranking), TR_EUSAGE with e set (bad line), or TR_ERR to stop (quit; an
 * end fills ending and *note). */
static int handle(session *s, const char *line, char ending[16], char **note, tr_err *e)
{
	json_error_t je;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &je), *v;
	int rc;

	if (!o)
		return tr_fail(e, TR_EUSAGE, "not JSON: %s", je.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return tr_fail(e, TR_EUSAGE, "a request is a JSON object");
	}
	if ((v = json_object_get(o, "answer")))
		rc = json_is_string(v) ? session_answer(s, json_string_value(v), e)
				       : tr_fail(e, TR_EUSAGE, "\"answer\" must be a string");
	else if ((v = json_object_get(o, "result")))
		rc = json_is_string(v) ? session_result(s, json_string_value(v), e)
				       : tr_fail(e, TR_EUSAGE, "\"result\" must be a string");
	else if ((v = json_object_get(o, "fact"))) {
		json_t *val = json_object_get(o, "value");

		rc = json_is_string(v) && json_is_string(val)
		   ? session_add(s, EV_SET, json_string_value(v), json_string_value(val), e)
		   : tr_fail(e, TR_EUSAGE, "\"fact\" and \"value\" must be strings");
	} else if ((v = json_object_get(o, "reach"))) {
		unsigned r;

		rc = !json_is_string(v) ? tr_fail(e, TR_EUSAGE, "\"reach\" must be a string such as \"client,host\"")
		   : reach_parse(json_string_value(v), &r, e);
		if (rc == TR_OK)
			session_set_reach(s, r);
	} else if ((v = json_object_get(o, "command"))) {
		const char *cmd = json_string_value(v);

		if (cmd && strcmp(cmd, "back") == 0)
			rc = session_back(s, e);
		else if (cmd && strcmp(cmd, "quit") == 0) {
			session_quit(s);
			rc = TR_ERR;
		} else if (cmd && strcmp(cmd, "end") == 0) {
			const char *text = "";

			if ((rc = ending_of(o, ending, &text, e)) == TR_OK) {
				*note = xstrdup(text);
				session_quit(s);
				rc = TR_ERR;
			}
		} else
			rc = tr_fail(e, TR_EUSAGE, "unknown command (back, quit or end)");
	} else
		rc = tr_fail(e, TR_EUSAGE, "expected answer, result, fact, reach or command");
	json_decref(o);
	return rc;
}

/* Reads one line of at most MAX_LINE bytes into b; returns 0 at end of input. */
static int read_line(buf *b, int *too_long)
{
	int ch;

	buf_reset(b);
	*too_long = 0;
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (b->len < MAX_LINE)
			buf_putc(b, (char)ch);
		else
			*too_long = 1;
	}
	return ch != EOF || b->len > 0 || *too_long;
}

/* Where a JSON Lines session is saved: like the shell's, in the user's
 * session file. A front end's session must not die because that file
 * cannot be written, so a failure is said once on stderr and the session
 * goes on unsaved. */
typedef struct saver {
	sqlite3 *db;          /* NULL: not saving */
	sqlite3_int64 id;     /* the session's row; 0 while unsaved */
	sessdb_kept kept;     /* events of a resumed session this knowledge base cannot apply */
	const char *label;    /* --title */
	const char *technician;  /* the technician's name for the hand-over note */
	int reach_saved;      /* the reach recorded in the row, or -1 not yet */
	jsonl_rank_cache *rank;  /* the ranking line's fixed parts (jsonl_ranking_line) */
	buf rank_line;
} saver;

static void saver_stop(saver *sv, const char *msg)
{
	fprintf(stderr, "triage: %s; this session goes on unsaved\n", msg);
	fflush(stderr);
	if (sv->id)
		sessdb_release(sv->db, sv->id);
	sqlite3_close(sv->db);
	sv->db = NULL;
	sv->id = 0;
}

static void saver_save(saver *sv, session *s)
{
	tr_err e;
	sqlite3_int64 was = sv->id;

	tr_clear(&e);
	if (!sv->db)
		return;
	if (sessdb_save(sv->db, s, &sv->kept, sv->label, &sv->id, &e) != TR_OK)
		saver_stop(sv, e.msg);
	else if (!was && sessdb_claim(sv->db, sv->id, &e) != TR_OK)
		saver_stop(sv, e.msg);
	else if (sv->reach_saved != (int)session_reach(s)) {   /* the reach, when it changed */
		char r[64];
		unsigned now = session_reach(s);

		if (sessdb_set_reach(sv->db, sv->id, now == REACH_ALL ? "" : reach_format(now, r, sizeof r),
				     &e) != TR_OK)
			saver_stop(sv, e.msg);
		else
			sv->reach_saved = (int)now;
	}
}

/* Records a hand-over as the session's ending. */
static void saver_handover(saver *sv, session *s)
{
	tr_err e;
	char r[64], note[128];

	tr_clear(&e);
	if (!sv->db || !sv->id)
		return;
	snprintf(note, sizeof note, "handed over from reach %s", reach_format(session_reach(s), r, sizeof r));
	if (sessdb_end(sv->db, sv->id, "handover", NULL, note, &e) != TR_OK)
		saver_stop(sv, e.msg);
}

/* Records how the session ended (after saving it, so it has a row). */
static void saver_end(saver *sv, session *s, const char *ending, const char *note)
{
	tr_err e;

	tr_clear(&e);
	saver_save(sv, s);
	if (sv->db && sv->id && sessdb_end(sv->db, sv->id, ending, NULL, note, &e) != TR_OK)
		saver_stop(sv, e.msg);
}

/* The end: saved, or removed when the session recorded nothing. */
static void saver_close(saver *sv, session *s)
{
	const session_event *ev;
	tr_err e;

	tr_clear(&e);
	if (sv->db && sv->id && session_events(s, &ev) == 0 && sv->kept.n == 0 && !sv->label)
		sessdb_remove(sv->db, sv->id, &e);
	else
		saver_save(sv, s);
	if (sv->db && sv->id)
		sessdb_release(sv->db, sv->id);
	sqlite3_close(sv->db);
	sessdb_kept_free(&sv->kept);
}

/* Opens the session to drive: saved session resume (claimed, so no other
 * process writes it), else a new one with the --fact facts. */
static int open_session(cli *c, saver *sv, int save, const char *resume, int depth, session **s)
{
	tr_err e;

	tr_clear(&e);
	if ((save || resume) && sessdb_open(NULL, &sv->db, &e) != TR_OK) {
		if (resume)
			return tr_fail(&c->err, TR_ERR, "%s", e.msg);
		saver_stop(sv, e.msg);
	}
	if (resume) {
		char *end, *note = NULL;
		long long id = strtoll(resume, &end, 10);

		if (!*resume || *end || id <= 0)
			return tr_fail(&c->err, TR_EUSAGE, "session: '%s' is not a session ID", resume);
		if (sessdb_claim(sv->db, id, &c->err) != TR_OK)
			return TR_ERR;
		if (sessdb_load(sv->db, id, c->m, depth, s, &note, &sv->kept, &c->err) != TR_OK) {
			sessdb_release(sv->db, id);
			return TR_ERR;
		}
		{
			char ver[128];

			if (c->db && sessdb_kb_version(sv->db, id, ver, sizeof ver) == 0 && strcmp(ver, c->m->version) != 0)
				kbedit_session_note(c->db, ver, *s, &note);
		}
		sv->id = id;
		jsonl_reach_resumed(c, sv->db, id, *s);
		if (note) {
			fprintf(stderr, "triage: session %lld: %s\n", id, note);
			free(note);
		}
		if (!save)
			saver_stop(sv, "--no-save");
		return TR_OK;
	}
	return jsonl_session(c, depth, s);
}

/* The next action; a hand-over first sends its handover line and is
 * recorded as the session's ending. */
static void send_action(session *s, saver *sv)
{
	const action *a = session_next(s);

	if (a->kind == ACT_DONE && a->status == DONE_HANDOVER) {
		send(jsonl_handover(s, sv->technician));
		saver_handover(sv, s);
	}
	send(jsonl_action(s));
}

/* The ranking line: written directly (a knowledge base of 10,000 causes
 * sends them all at every step), the same bytes as the object's dump. */
static void send_ranking(session *s, saver *sv)
{
	json_t *r;

	if (jsonl_ranking_line(s, sv->id, &sv->rank, &sv->rank_line) == 0) {
		fputs(buf_str(&sv->rank_line), stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	r = jsonl_ranking(s);
	if (sv->id)
		json_object_set_new(r, "session", json_integer(sv->id));
	send(r);
}

int jsonl_cmd_session(cli *c)
{
	session *s;
	saver sv;
	buf line = {0};
	char ending[16] = "", *note = NULL;
	const char *resume = NULL;
	int jsonl = 0, save = 1, facts = 0, depth = SESSION_DEPTH, too_long, rc, warned = 0;

	memset(&sv, 0, sizeof sv);
	sv.reach_saved = -1;
	sv.technician = c->technician;
	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (strcmp(c->argv[i], "--jsonl") == 0)
			jsonl = 1;
		else if (strcmp(c->argv[i], "--no-save") == 0)
			save = 0;
		else if (cli_flag(c, &i, "--depth", &v)) {
			if (!v)
				return TR_EUSAGE;
			depth = atoi(v);
			if (depth < 1 || depth > 2)
				return tr_fail(&c->err, TR_EUSAGE, "--depth is 1 or 2");
		} else if (cli_flag(c, &i, "--title", &v)) {
			if (!(sv.label = v))
				return TR_EUSAGE;
		} else if (cli_flag(c, &i, "--resume", &v)) {
			if (!(resume = v))
				return TR_EUSAGE;
		} else if (!cli_flag(c, &i, "--fact", &v))
			return tr_fail(&c->err, TR_EUSAGE, "session: unexpected argument '%s'", c->argv[i]);
		else if (!v)
			return TR_EUSAGE;
		else
			facts++;
	}
	if (!jsonl)
		return tr_fail(&c->err, TR_EUSAGE, "session: only --jsonl is supported (the shell is `triage ask`)");
	if (resume && facts)
		return tr_fail(&c->err, TR_EUSAGE, "session: --fact starts a new session; in a resumed one send facts");
	if ((rc = open_session(c, &sv, save, resume, depth, &s)) != TR_OK) {
		sqlite3_close(sv.db);
		return rc;
	}
	if (save)
		saver_save(&sv, s);
	send_warnings(s, &warned);
	send_ranking(s, &sv);
	send_action(s, &sv);
	while (session_next(s)->kind != ACT_DONE) {
		tr_err e;

		tr_clear(&e);
		if (!read_line(&line, &too_long)) {
			session_quit(s);
			break;
		}
		if (too_long)
			rc = tr_fail(&e, TR_EUSAGE, "line longer than %d bytes", MAX_LINE);
		else if (strspn(buf_str(&line), " \t\r") == line.len)
			continue;
		else
			rc = handle(s, buf_str(&line), ending, &note, &e);
		if (rc == TR_EUSAGE) {
			send_error(e.msg);
			send_action(s, &sv);
			continue;
		}
		saver_save(&sv, s);
		if (rc == TR_OK || session_next(s)->kind != ACT_DONE) {
			send_warnings(s, &warned);
			send_ranking(s, &sv);
			send_action(s, &sv);
		}
	}
	if (*ending)
		saver_end(&sv, s, ending, note);
	if (session_next(s)->status == DONE_QUIT) {
		json_t *done = jsonl_action(s);

		if (*ending)
			json_object_set_new(done, "ending", json_string(ending));
		send(done);
	}
	free(note);
	saver_close(&sv, s);
	jsonl_rank_cache_free(sv.rank);
	buf_free(&sv.rank_line);
	buf_free(&line);
	session_free(s);
	return TR_OK;
}
