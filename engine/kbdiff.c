/*
 * kbdiff.c: what a change to a knowledge base moves (kbdiff.h). Two
 * sessions, one per file, are kept in step on the same events, and each
 * state is compared; each test case or saved session becomes an "item"
 * that keeps, per aspect, how many states moved, the first, and (for the
 * ranking) the largest move.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "buf.h"
#include "kbdiff.h"
#include "kbtest.h"
#include "paths.h"
#include "sessdb.h"
#include "session.h"
#include "store.h"
#include "text.h"

#define DIFF_TOP 3        /* causes of the ranking compared */
#define DIFF_FIXES 5      /* fixes of the plan compared */
#define DIFF_EPS 0.001    /* a probability moves by this much or more */

static char *const *diff_cases;
static int diff_ncases;
static const char *diff_sessions;
static int diff_most = -1;

void kbdiff_set_cases(char *const *files, int n)
{
	diff_cases = files;
	diff_ncases = n;
}

void kbdiff_set_sessions(const char *path, int most)
{
	diff_sessions = path;
	diff_most = most;
}

/* One aspect of an item: the states where it moved, the first. */
typedef struct aspect {
	int states;
	char at[160];                /* the first state that moved */
	char before[512], after[512];/* what each side said there */
} aspect;

typedef struct item {
	const char *kind;            /* "case" or "session" */
	char id[160], where[600];
	int states;                  /* states compared */
	aspect ranking, next, fixes;
	double most;                 /* the largest probability move ... */
	char most_at[160], most_cause[80];
	double most_b, most_a;       /* ... and its two sides */
	int outcome;                 /* the cases' outcomes differ */
	char out_b[600], out_a[600];
	int skipped;                 /* events one side could not take */
	char skip_first[300];
} item;

typedef struct diff {
	const tr_model *mb, *ma;
	FILE *out;
	int json;
	json_t *items;
	int cases, sessions, moved_cases, moved_sessions;
	int left;                    /* saved sessions on this knowledge base not replayed */
	tr_err *e;
	/* the item being compared */
	item *it;
	session *sa;                 /* after's session, kept in step */
	int synced;                  /* before's events given to sa */
	const char *path;
} diff;

/* ---- one state ---- */

static void label(session *s, char *out, size_t n)
{
	const session_event *ev;
	int k = session_events(s, &ev);

	if (k == 0)
		snprintf(out, n, "at the start");
	else if (ev[k - 1].kind == EV_RESULT)
		snprintf(out, n, "after %s %s", ev[k - 1].subject, ev[k - 1].value);
	else
		snprintf(out, n, "after %s=%s", ev[k - 1].subject, ev[k - 1].value);
}

static void describe(session *s, char *out, size_t n)
{
	const tr_model *m = session_model(s);
	const action *a = session_next(s);

	if (a->kind == ACT_QUESTION)
		snprintf(out, n, "ask %s", m->facts[a->fact].id);
	else if (a->kind == ACT_RECOMMEND)
		snprintf(out, n, "try %s", m->fixes[a->fix].id);
	else
		snprintf(out, n, "done (%s)", session_done_names[a->status]);
}

static void plan_text(session *s, char *out, size_t n)
{
	const tr_model *m = session_model(s);
	int *order = xcalloc((size_t)m->nfixes + 1, sizeof *order), k = session_plan(s, order);
	buf b = {0};

	for (int i = 0; i < k && i < DIFF_FIXES; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", m->fixes[order[i]].id);
	snprintf(out, n, "%s", k ? buf_str(&b) : "(none)");
	buf_free(&b);
	free(order);
}

static void moved(aspect *A, const char *at, const char *b, const char *a)
{
	if (A->states++ == 0) {
		snprintf(A->at, sizeof A->at, "%s", at);
		snprintf(A->before, sizeof A->before, "%s", b);
		snprintf(A->after, sizeof A->after, "%s", a);
	}
}

static double p_of(session *s, const char *cause)
{
	int c = model_cause(session_model(s), cause);

	return c < 0 ? 0 : session_p(s)[c];
}

/* The top causes of s: their ids into ids (at most DIFF_TOP); how many. */
static int top(session *s, const char **ids)
{
	const tr_model *m = session_model(s);
	int *order = xcalloc((size_t)m->ncauses + 1, sizeof *order), n = session_ranking(s, order);

	n = n < DIFF_TOP ? n : DIFF_TOP;
	for (int i = 0; i < n; i++)
		ids[i] = m->causes[order[i]].id;
	free(order);
	return n;
}

static void compare_ranking(diff *D, session *sb, session *sa, const char *at)
{
	item *it = D->it;
	const char *tb[DIFF_TOP], *ta[DIFF_TOP], *all[2 * DIFF_TOP];
	int nb = top(sb, tb), na = top(sa, ta), n = 0, move = nb != na;
	buf bb = {0}, ba = {0};

	for (int i = 0; i < nb; i++)
		all[n++] = tb[i];
	for (int i = 0; i < na; i++) {
		int dup = 0;

		for (int k = 0; k < nb; k++)
			dup |= strcmp(ta[i], tb[k]) == 0;
		if (!dup)
			all[n++] = ta[i];
		move |= i < nb && strcmp(ta[i], tb[i]) != 0;
	}
	for (int i = 0; i < n; i++) {
		double pb = p_of(sb, all[i]), pa = p_of(sa, all[i]), d = fabs(pa - pb);

		move |= d >= DIFF_EPS;
		if (d >= DIFF_EPS && d > it->most) {
			it->most = d;
			it->most_b = pb;
			it->most_a = pa;
			snprintf(it->most_at, sizeof it->most_at, "%s", at);
			snprintf(it->most_cause, sizeof it->most_cause, "%s", all[i]);
		}
	}
	if (move) {
		for (int i = 0; i < nb; i++)
			buf_printf(&bb, "%s%s %.1f%%", i ? ", " : "", tb[i], 100 * p_of(sb, tb[i]));
		for (int i = 0; i < na; i++)
			buf_printf(&ba, "%s%s %.1f%%", i ? ", " : "", ta[i], 100 * p_of(sa, ta[i]));
		moved(&it->ranking, at, buf_str(&bb), buf_str(&ba));
	}
	buf_free(&bb);
	buf_free(&ba);
}

/* Compares one state of both sides (sessions on the same events). */
static void compare(diff *D, session *sb, session *sa)
{
	char at[160], b[512], a[512];

	label(sb, at, sizeof at);
	D->it->states++;
	session_next(sb);
	session_next(sa);
	compare_ranking(D, sb, sa, at);
	describe(sb, b, sizeof b);
	describe(sa, a, sizeof a);
	if (strcmp(a, b) != 0)
		moved(&D->it->next, at, b, a);
	plan_text(sb, b, sizeof b);
	plan_text(sa, a, sizeof a);
	if (strcmp(a, b) != 0)
		moved(&D->it->fixes, at, b, a);
}

/* Gives s the event ev; an event s cannot take is counted and the first
 * said (which side, what and why). */
static void give(item *it, session *s, const session_event *ev, const char *side)
{
	tr_err e;

	tr_clear(&e);
	if (session_add(s, ev->kind, ev->subject, ev->value, &e) == TR_OK)
		return;
	if (it->skipped++ == 0)
		snprintf(it->skip_first, sizeof it->skip_first, "%s %s %s=%s: %s", side,
			 session_event_names[ev->kind], ev->subject, ev->value, e.msg);
}

/* ---- the test cases ---- */

static void watch_case(session *sb, const action *a, void *ctx)
{
	diff *D = ctx;
	const session_event *ev;
	int n = session_events(sb, &ev);
	tr_err e;

	(void)a;
	if (!D->sa && session_open(D->ma, SESSION_DEPTH, &D->sa, &e) != TR_OK)
		return;
	for (; D->synced < n; D->synced++)
		give(D->it, D->sa, &ev[D->synced], "after cannot take");
	compare(D, sb, D->sa);
}

static int item_moved(const item *it)
{
	return it->ranking.states || it->next.states || it->fixes.states || it->outcome || it->skipped;
}

static void report_item(diff *D, const item *it);

static int diff_case(json_t *cs, int lineno, const char *why, void *ctx)
{
	diff *D = ctx;
	item it;
	kbtest_outcome ob, oa;
	buf mb = {0}, ma = {0};

	if (!cs)
		return tr_fail(D->e, TR_ERR, "%s:%d: not a JSON case: %s", D->path, lineno, why);
	memset(&it, 0, sizeof it);
	it.kind = "case";
	snprintf(it.id, sizeof it.id, "%s", json_string_value(json_object_get(cs, "id"))
		 ? json_string_value(json_object_get(cs, "id")) : "?");
	snprintf(it.where, sizeof it.where, "%s:%d", D->path, lineno);
	D->it = &it;
	D->sa = NULL;
	D->synced = 0;
	kbtest_case(D->mb, cs, 30, SESSION_DEPTH, 0, watch_case, D, &ob, &mb);
	session_free(D->sa);
	D->sa = NULL;
	kbtest_case(D->ma, cs, 30, SESSION_DEPTH, 0, NULL, NULL, &oa, &ma);
	snprintf(it.out_b, sizeof it.out_b, "%s %s", ob.pass ? "ok" : "FAIL", buf_str(&mb));
	snprintf(it.out_a, sizeof it.out_a, "%s %s", oa.pass ? "ok" : "FAIL", buf_str(&ma));
	it.outcome = strcmp(it.out_b, it.out_a) != 0;
	buf_free(&mb);
	buf_free(&ma);
	D->cases++;
	if (item_moved(&it)) {
		D->moved_cases++;
		report_item(D, &it);
	}
	return TR_OK;
}

/* ---- saved sessions ---- */

typedef struct saved {
	sqlite3_int64 id;
	char *title, *kb_id;
} saved;

typedef struct saved_list {
	saved *v;
	int n, cap;
} saved_list;

static int collect(const sessdb_row *row, void *ctx)
{
	saved_list *S = ctx;

	if (S->n == S->cap)
		S->v = xrealloc(S->v, sizeof *S->v * (size_t)(S->cap = S->cap ? 2 * S->cap : 16));
	S->v[S->n].id = row->id;
	S->v[S->n].title = xstrdup(row->title ? row->title : "");
	S->v[S->n++].kb_id = xstrdup(row->kb_id ? row->kb_id : "");
	return 0;
}

/* Replays saved session one on both sides, comparing every state. */
static void diff_session(diff *D, sqlite3 *db, const saved *one)
{
	session *s = NULL, *sb = NULL, *sa = NULL;
	const session_event *ev;
	item it;
	tr_err e;
	int n;

	tr_clear(&e);
	if (sessdb_load(db, one->id, D->mb, SESSION_DEPTH, &s, NULL, NULL, &e) != TR_OK &&
	    sessdb_load(db, one->id, D->ma, SESSION_DEPTH, &s, NULL, NULL, &e) != TR_OK)
		return;
	memset(&it, 0, sizeof it);
	it.kind = "session";
	snprintf(it.id, sizeof it.id, "%lld", (long long)one->id);
	snprintf(it.where, sizeof it.where, "%s", one->title);
	D->it = &it;
	if (session_open(D->mb, SESSION_DEPTH, &sb, &e) == TR_OK &&
	    session_open(D->ma, SESSION_DEPTH, &sa, &e) == TR_OK) {
		n = session_events(s, &ev);
		compare(D, sb, sa);
		for (int i = 0; i < n; i++) {
			give(&it, sb, &ev[i], "before cannot take");
			give(&it, sa, &ev[i], "after cannot take");
			compare(D, sb, sa);
		}
		D->sessions++;
		if (item_moved(&it)) {
			D->moved_sessions++;
			report_item(D, &it);
		}
	}
	session_free(sb);
	session_free(sa);
	session_free(s);
}

static int diff_sessions_all(diff *D)
{
	char path[4096];
	const char *p = diff_sessions ? diff_sessions : paths_sessions(path, sizeof path);
	int most = diff_most < 0 ? KBDIFF_SESSIONS : diff_most, mine = 0, *pick;
	saved_list S = {0};
	sqlite3 *db;
	tr_err e;

	tr_clear(&e);
	if (!p || access(p, R_OK) != 0 || sessdb_open(p, &db, &e) != TR_OK)
		return TR_OK;   /* no saved sessions to compare */
	if (sessdb_list(db, NULL, collect, &S, &e) != TR_OK)
		S.n = 0;
	pick = xcalloc((size_t)S.n + 1, sizeof *pick);
	for (int i = 0; i < S.n; i++)   /* newest first: the most recent on this knowledge base */
		if (strcmp(S.v[i].kb_id, D->mb->kb_id) == 0 || strcmp(S.v[i].kb_id, D->ma->kb_id) == 0) {
			if (mine < most)
				pick[mine] = i;
			mine++;
		}
	D->left = mine > most ? mine - most : 0;
	for (int k = (mine < most ? mine : most) - 1; k >= 0; k--)   /* oldest first */
		diff_session(D, db, &S.v[pick[k]]);
	for (int i = 0; i < S.n; i++) {
		free(S.v[i].title);
		free(S.v[i].kb_id);
	}
	free(S.v);
	free(pick);
	sqlite3_close(db);
	return TR_OK;
}

/* ---- the report ---- */

static json_t *aspect_json(const aspect *A)
{
	return json_pack("{s:i, s:s, s:s, s:s}", "states", A->states, "at", A->at,
			 "before", A->before, "after", A->after);
}

static void put_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_line(FILE *f, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	text_put(f, line);
	fputc('\n', f);
}

static void aspect_text(FILE *f, const item *it, const aspect *A, const char *what)
{
	if (A->states)
		put_line(f, "  %s in %d of %d states, first %s: %s -> %s", what, A->states, it->states,
			 A->at, A->before, A->after);
}

/* Splits a plan's text ("a, b, c") into ids; returns how many. */
static int split_ids(const char *text, char ids[][80], int max)
{
	int n = 0;

	if (strcmp(text, "(none)") == 0)
		return 0;
	for (const char *p = text; *p && n < max;) {
		size_t k = strcspn(p, ",");

		snprintf(ids[n++], 80, "%.*s", (int)k, p);
		p += k;
		p += strspn(p, ", ");
	}
	return n;
}

static int find_id(char ids[][80], int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return i;
	return -1;
}

/* What changed between two plans' first fixes, for a person: the fixes
 * that came in and went out with their places, else the new order. */
static void plan_change(const char *before, const char *after, buf *out)
{
	char b[DIFF_FIXES][80], a[DIFF_FIXES][80];
	int nb = split_ids(before, b, DIFF_FIXES), na = split_ids(after, a, DIFF_FIXES), in = 0, gone = 0;

	for (int i = 0; i < na; i++)
		if (find_id(b, nb, a[i]) < 0)
			buf_printf(out, "%s%s (#%d)", in++ ? ", " : "in: ", a[i], i + 1);
	for (int i = 0; i < nb; i++)
		if (find_id(a, na, b[i]) < 0)
			buf_printf(out, "%s%s (#%d)", gone++ ? ", " : in ? "; out: " : "out: ", b[i], i + 1);
	if (in || gone)
		return;
	for (int i = 0, k = 0; i < na; i++) {
		int was = find_id(b, nb, a[i]);

		if (was != i)
			buf_printf(out, "%s%s #%d -> #%d", k++ ? ", " : "order: ", a[i], was + 1, i + 1);
	}
}

static void report_item(diff *D, const item *it)
{
	if (D->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i}", "kind", it->kind, "id", it->id,
				      "where", it->where, "states", it->states);

		if (it->ranking.states) {
			json_t *r = aspect_json(&it->ranking);

			json_object_set_new(r, "most", json_pack("{s:s, s:s, s:f, s:f}", "cause",
				it->most_cause, "at", it->most_at, "before", it->most_b, "after", it->most_a));
			json_object_set_new(o, "ranking", r);
		}
		if (it->next.states)
			json_object_set_new(o, "next", aspect_json(&it->next));
		if (it->fixes.states)
			json_object_set_new(o, "fixes", aspect_json(&it->fixes));
		if (it->outcome)
			json_object_set_new(o, "outcome", json_pack("{s:s, s:s}", "before", it->out_b,
								    "after", it->out_a));
		if (it->skipped)
			json_object_set_new(o, "skipped", json_pack("{s:i, s:s}", "events", it->skipped,
								    "first", it->skip_first));
		json_array_append_new(D->items, o);
		return;
	}
	if (strcmp(it->kind, "case") == 0)
		put_line(D->out, "case %s %s (%d state%s compared)", it->where, it->id, it->states,
			 it->states == 1 ? "" : "s");
	else
		put_line(D->out, "session %s%s%s%s (%d state%s compared)", it->id, *it->where ? " \"" : "",
			 it->where, *it->where ? "\"" : "", it->states, it->states == 1 ? "" : "s");
	if (it->ranking.states)
		put_line(D->out, "  ranking moves in %d of %d states, most %s: %s %.1f%% -> %.1f%% (%+.1f points)",
			 it->ranking.states, it->states, it->most_at, it->most_cause, 100 * it->most_b,
			 100 * it->most_a, 100 * (it->most_a - it->most_b));
	aspect_text(D->out, it, &it->next, "next action moves");
	if (it->fixes.states) {
		buf b = {0};

		plan_change(it->fixes.before, it->fixes.after, &b);
		put_line(D->out, "  recommended fixes move in %d of %d states, first %s: %s", it->fixes.states,
			 it->states, it->fixes.at, buf_str(&b));
		buf_free(&b);
	}
	if (it->outcome)
		put_line(D->out, "  outcome: %s -> %s", it->out_b, it->out_a);
	if (it->skipped)
		put_line(D->out, "  %d event%s not given (first: %s)", it->skipped,
			 it->skipped == 1 ? "" : "s", it->skip_first);
}

static int load(const char *path, sqlite3 **db, tr_model **m, tr_err *e)
{
	if (store_open(path, STORE_READ, db, e) != TR_OK)
		return TR_ERR;
	if (model_load(*db, m, e) != TR_OK) {
		char why[sizeof e->msg];

		snprintf(why, sizeof why, "%s", e->msg);
		return tr_fail(e, TR_ERR, "%s: %s", path, why);
	}
	return TR_OK;
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int kbdiff_report(const char *before_path, const char *after_path, FILE *out, int json, tr_err *e)
{
	sqlite3 *db_b = NULL, *db_a = NULL;
	tr_model *mb = NULL, *ma = NULL;
	diff D;
	int rc;

	memset(&D, 0, sizeof D);
	rc = load(before_path, &db_b, &mb, e);
	if (rc == TR_OK)
		rc = load(after_path, &db_a, &ma, e);
	D.mb = mb, D.ma = ma, D.out = out, D.json = json, D.e = e;
	D.items = json_array();
	for (int i = 0; rc == TR_OK && i < diff_ncases; i++) {
		D.path = diff_cases[i];
		rc = kbtest_read(diff_cases[i], diff_case, &D, e) == TR_OK ? TR_OK : TR_ERR;
	}
	if (rc == TR_OK)
		rc = diff_sessions_all(&D);
	if (rc == TR_OK && json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:O}", "before", before_path, "after",
				      after_path, "cases", D.cases, "sessions", D.sessions, "sessions_left",
				      D.left, "moved", D.moved_cases + D.moved_sessions, "items", D.items);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

		if (s)
			fprintf(out, "%s\n", s);
		free(s);
		json_decref(o);
	} else if (rc == TR_OK) {
		if (D.moved_cases + D.moved_sessions == 0)
			fprintf(out, "nothing moves: %d %s and %d saved %s give the same rankings, next "
				"actions, fixes and outcomes on both\n", D.cases, plural(D.cases, "case", "cases"),
				D.sessions, plural(D.sessions, "session", "sessions"));
		else
			fprintf(out, "%d of %d %s and %d of %d saved %s move\n", D.moved_cases, D.cases,
				plural(D.cases, "case", "cases"), D.moved_sessions, D.sessions,
				plural(D.sessions, "session", "sessions"));
		if (D.left)
			fprintf(out, "(%d older saved %s on this knowledge base not replayed)\n", D.left,
				plural(D.left, "session", "sessions"));
	}
	json_decref(D.items);
	model_free(mb);
	model_free(ma);
	sqlite3_close(db_b);
	sqlite3_close(db_a);
	return rc;
}
