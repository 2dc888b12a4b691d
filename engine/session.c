/*
 * session.c: a troubleshooting session (see session.h).
 *
 * State invariant: every field below "state" is what replaying ev[0..nev)
 * on a fresh session gives. seen[f] is the value rules see for fact f: the
 * person's answer if any, else what a rule derived, else NULL; changing it
 * marks dirty exactly the rules whose reads include f.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "belief.h"
#include "buf.h"
#include "plan.h"
#include "reach.h"
#include "session.h"
#include "text.h"
#include "slot.h"

const char *const session_origin_names[] = {"", "given", "answer", "set", "rule"};
const char *const session_event_names[] = {"given", "answer", "set", "result"};
const char *const session_done_names[] = {"resolved", "exhausted", "quit", "handover"};

/* A small growable list of indexes. */
typedef struct ivec {
	int *v;
	int n, cap;
} ivec;

struct session {
	const tr_model *m;
	rules *R;
	int depth;                /* planner lookahead */
	int exact;                /* plan without the large-model approximation */
	double tail, tail_fixes;  /* plan_tail of the model */
	session_event *ev;        /* the log */
	int nev, cap;
	/* state */
	int *given;               /* per fact: value index, or -1 */
	char **text;              /* per fact: free text given, or NULL */
	unsigned char *unknown;   /* per fact: answered "unknown" */
	unsigned char *origin;    /* per fact: enum origin of the given value */
	enum fix_state *fix;      /* per fix */
	int resolved, quit;
	/* rules */
	rule_effects *fx;         /* per rule: its effects now in force */
	int *derived;             /* per fact: value derived by a rule, or -1 */
	const char **dtext;       /* per fact: free text derived, or NULL */
	int *dby;                 /* per fact: the deriving rule, or -1 */
	const char **dwhy;
	int *hid_by;              /* per fact: the hiding rule, or -1 */
	const char **hid_why;
	double *scale;            /* per cause */
	char **seen;              /* per fact: heap copy of the value rules see */
	ivec *by_fact;            /* per fact: rules whose effects derive or hide it */
	ivec *by_cause;           /* per cause: rules whose effects scale it */
	ivec shown;               /* rules whose effects fill slots or warn */
	unsigned char *dirty;     /* per rule: in the queue */
	int *queue, nqueue;       /* dirty rules, a min-heap: the lowest runs first */
	int *nrun;                /* per rule: runs in the current settling */
	ivec ran;                 /* rules with nrun > 0 */
	unsigned char *fmark, *cmark; /* per fact, cause: in touched */
	ivec tfacts, tcauses;     /* facts and causes a rule run touched */
	long runs;
	char **notes;
	char **note_kinds;        /* per note: its warning kind (session_warn) */
	int nnotes;
	/* the decision, cached until the state changes */
	int fresh;
	action act;
	double *p;
	plan_step *steps;         /* the plan */
	int nsteps;
	plan_check *checks;       /* check-then-fix steps of the model (NULL until the first decision) */
	int nchecks;
	int *obs;                 /* per fact: observed value index for belief */
	unsigned char *fix_ok, *ask_ok;
	unsigned char *failed;    /* per fix: failed, for belief */
	int *within;              /* per fix: the failed fix that carried it out, or -1 */
	/* where fixes apply (issue 16) */
	int *excl_by;             /* per fix: the rule that excluded it, or -1 */
	const char **excl_why;
	double *applies;          /* per fix: P(it applies | evidence) */
	double *lapp;             /* per link: P(its fix applies | its cause, evidence),
				     times what it adds to failed included fixes */
	int *cond, ncond;         /* the fixes with conditions on where they apply */
	/* reach (issue 13) */
	unsigned reach;           /* reach.h; REACH_ALL: no limit */
	unsigned char *rok;       /* per fix: in reach here (plan_in.reach_ok) */
	unsigned char *ask_all;   /* per fact: askable were everything in reach */
	unsigned char *hfix_ok;   /* per fix: allowed in the next tier's plan */
	plan_step *hsteps;        /* the next tier's plan, when hfresh */
	int nhsteps, hask, hfresh;
};

void session_warn(session *s, const char *kind, const char *msg)
{
	s->notes = xrealloc(s->notes, sizeof *s->notes * (size_t)(s->nnotes + 1));
	s->note_kinds = xrealloc(s->note_kinds, sizeof *s->note_kinds * (size_t)(s->nnotes + 1));
	s->note_kinds[s->nnotes] = xstrdup(kind);
	s->notes[s->nnotes++] = xstrdup(msg);
	fprintf(stderr, "triage: %s\n", msg);
}

int session_warnings(const session *s, const char *const **kinds, const char *const **msgs)
{
	*kinds = (const char *const *)s->note_kinds;
	*msgs = (const char *const *)s->notes;
	return s->nnotes;
}

static void note(session *s, const char *msg)
{
	session_warn(s, "rule_off", msg);
}

static void ivec_push(ivec *a, int x)
{
	if (a->n == a->cap)
		a->v = xrealloc(a->v, sizeof *a->v * (size_t)(a->cap = a->cap ? 2 * a->cap : 4));
	a->v[a->n++] = x;
}

/* Inserts x into the sorted list a unless it is there. */
static void ivec_add(ivec *a, int x)
{
	int i = a->n;

	while (i > 0 && a->v[i - 1] > x)
		i--;
	if (i > 0 && a->v[i - 1] == x)
		return;
	ivec_push(a, x);
	memmove(&a->v[i + 1], &a->v[i], sizeof *a->v * (size_t)(a->n - 1 - i));
	a->v[i] = x;
}

/* Removes x from the sorted list a, if there. */
static void ivec_del(ivec *a, int x)
{
	for (int i = 0; i < a->n; i++)
		if (a->v[i] == x) {
			memmove(&a->v[i], &a->v[i + 1], sizeof *a->v * (size_t)(a->n - 1 - i));
			a->n--;
			return;
		}
}

/* ---- the rule fixpoint ----
 * Rule r's effects are s->fx[r]. Indexes say which rules touch each fact
 * and cause, so a rule run recomputes only what its old and new effects
 * touch, and a fact whose seen value changes queues only the rules that
 * read it (m->facts[f].rules). The queue runs the lowest rule first, as a
 * full pass in rule order would. */

static void queue_push(session *s, int r)
{
	int i;

	if (s->dirty[r] || !rules_active(s->R, r, NULL))
		return;
	s->dirty[r] = 1;
	i = s->nqueue++;
	while (i > 0 && s->queue[(i - 1) / 2] > r) {
		s->queue[i] = s->queue[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->queue[i] = r;
}

static int queue_pop(session *s)
{
	int top, last, i = 0;

	if (s->nqueue == 0)
		return -1;
	top = s->queue[0];
	last = s->queue[--s->nqueue];
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		int mv = last;

		if (l < s->nqueue && s->queue[l] < mv)
			m = l, mv = s->queue[l];
		if (r < s->nqueue && s->queue[r] < mv)
			m = r;
		if (m == i)
			break;
		s->queue[i] = s->queue[m];
		i = m;
	}
	if (s->nqueue > 0)
		s->queue[i] = last;
	s->dirty[top] = 0;
	return top;
}

static const char *value_seen(const session *s, int f)
{
	const tr_model *m = s->m;

	if (s->given[f] >= 0)
		return m->values[s->given[f]].value;
	if (s->text[f])
		return s->text[f];
	if (s->dby[f] >= 0)
		return s->derived[f] >= 0 ? m->values[s->derived[f]].value : s->dtext[f];
	return NULL;
}

static void touch_fact(session *s, int f)
{
	if (!s->fmark[f]) {
		s->fmark[f] = 1;
		ivec_push(&s->tfacts, f);
	}
}

static void touch_cause(session *s, int c)
{
	if (!s->cmark[c]) {
		s->cmark[c] = 1;
		ivec_push(&s->tcauses, c);
	}
}

/* Adds rule r to (add) or removes it from the indexes of its current
 * effects' targets, and marks those targets touched. */
static void index_rule(session *s, int r, int add)
{
	int shown = 0;

	for (int i = 0; i < s->fx[r].n; i++) {
		const rule_effect *e = &s->fx[r].v[i];

		if (e->kind == EFFECT_DERIVE || e->kind == EFFECT_HIDE) {
			(add ? ivec_add : ivec_del)(&s->by_fact[e->target], r);
			touch_fact(s, e->target);
		} else if (e->kind == EFFECT_SCALE) {
			(add ? ivec_add : ivec_del)(&s->by_cause[e->target], r);
			touch_cause(s, e->target);
		} else
			shown = 1;
	}
	if (shown)
		(add ? ivec_add : ivec_del)(&s->shown, r);
}

/* Recomputes the value rules see for fact f: the person's, else the
 * first deriving rule's (in rule order) whose free text, if any, fits the
 * fact's kind; the first hiding rule hides it. Returns 1 when the seen
 * value changed. */
static int refresh_fact(session *s, int f)
{
	const char *now;

	s->derived[f] = s->dby[f] = s->hid_by[f] = -1;
	s->dtext[f] = s->dwhy[f] = s->hid_why[f] = NULL;
	for (int k = 0; k < s->by_fact[f].n; k++) {
		int r = s->by_fact[f].v[k];

		for (int i = 0; i < s->fx[r].n; i++) {
			const rule_effect *e = &s->fx[r].v[i];
			tr_err bad;

			if (e->target != f)
				continue;
			if (e->kind == EFFECT_DERIVE && e->value < 0 &&
			    slot_check((enum slot_kind)s->m->facts[f].kind, e->text, &bad) != TR_OK)
				continue;  /* free text that does not fit its kind */
			if (e->kind == EFFECT_DERIVE && s->dby[f] < 0) {
				s->derived[f] = e->value;
				s->dtext[f] = e->text;
				s->dby[f] = r;
				s->dwhy[f] = e->why;
			} else if (e->kind == EFFECT_HIDE && s->hid_by[f] < 0) {
				s->hid_by[f] = r;
				s->hid_why[f] = e->why;
			}
		}
	}
	now = value_seen(s, f);
	if ((now == NULL) == (s->seen[f] == NULL) && (!now || strcmp(now, s->seen[f]) == 0))
		return 0;
	free(s->seen[f]);
	s->seen[f] = now ? xstrdup(now) : NULL;
	return 1;
}

/* The product of the rules' factors for cause c, in rule order. */
static void refresh_cause(session *s, int c)
{
	s->scale[c] = 1;
	for (int k = 0; k < s->by_cause[c].n; k++) {
		int r = s->by_cause[c].v[k];

		for (int i = 0; i < s->fx[r].n; i++)
			if (s->fx[r].v[i].kind == EFFECT_SCALE && s->fx[r].v[i].target == c)
				s->scale[c] *= s->fx[r].v[i].factor;
	}
}

/* Refreshes the touched facts and causes; a fact whose seen value changed
 * queues the rules that read it (when queue is set). */
static void refresh_touched(session *s, int queue)
{
	for (int i = 0; i < s->tfacts.n; i++) {
		int f = s->tfacts.v[i];

		s->fmark[f] = 0;
		if (refresh_fact(s, f) && queue)
			for (int k = 0; k < s->m->facts[f].nrules; k++)
				queue_push(s, s->m->facts[f].rules[k]);
	}
	for (int i = 0; i < s->tcauses.n; i++) {
		s->cmark[s->tcauses.v[i]] = 0;
		refresh_cause(s, s->tcauses.v[i]);
	}
	s->tfacts.n = s->tcauses.n = 0;
}

/* A rule that runs this often in one settling is in a cycle: its effects
 * keep changing the facts it (or a rule feeding it) reads. */
#define MAX_RUNS_PER_SETTLE 32

/* Runs the queued rules until nothing changes. Only a rule caught in a
 * cycle is switched off; the others settle as usual. */
static void settle(session *s)
{
	const tr_model *m = s->m;
	int r;

	while ((r = queue_pop(s)) >= 0) {
		tr_err e;

		if (!rules_active(s->R, r, NULL))
			continue;
		tr_clear(&e);
		if (s->nrun[r]++ == 0)
			ivec_push(&s->ran, r);
		index_rule(s, r, 0);
		if (s->nrun[r] > MAX_RUNS_PER_SETTLE) {
			snprintf(e.msg, sizeof e.msg, "rule %s: switched off: the rules did not settle "
				 "(its effects keep changing the facts it reads)", m->rules[r].id);
			rules_disable(s->R, r, e.msg);
			rules_effects_clear(&s->fx[r]);
			note(s, e.msg);
		} else {
			s->runs++;
			if (rules_run(s->R, r, (const char *const *)s->seen, &s->fx[r], NULL, &e) != TR_OK) {
				char msg[sizeof e.msg + 32];

				snprintf(msg, sizeof msg, "%s (rule switched off)", e.msg);
				note(s, msg);
			}
		}
		index_rule(s, r, 1);
		refresh_touched(s, 1);
	}
	for (int i = 0; i < s->ran.n; i++)
		s->nrun[s->ran.v[i]] = 0;
	s->ran.n = 0;
	s->fresh = 0;
}

/* Queues the rules that read fact f and settles, when its seen value
 * changed (after an event). */
static void fact_changed(session *s, int f)
{
	touch_fact(s, f);
	refresh_touched(s, 1);
	settle(s);
}

/* Sets every rule's effects to the starting state: the primed effects the
 * knowledge base holds, or (without them) a run of every rule. */
static void start_rules(session *s)
{
	const tr_model *m = s->m;

	for (int r = 0; r < m->nrules; r++)
		if (s->fx[r].n) {
			index_rule(s, r, 0);
			rules_effects_clear(&s->fx[r]);
		}
	for (int f = 0; f < m->nfacts; f++)
		touch_fact(s, f);
	for (int c = 0; c < m->ncauses; c++)
		touch_cause(s, c);
	refresh_touched(s, 0);
	if (!m->primed) {
		for (int r = 0; r < m->nrules; r++)
			queue_push(s, r);
		settle(s);
		return;
	}
	for (int i = 0; i < m->nprime; i++) {
		const tr_prime *p = &m->prime[i];
		rule_effect *e;
		rule_effects *fx = &s->fx[p->rule];

		if (!rules_active(s->R, p->rule, NULL))
			continue;
		if (p->kind < 0) {  /* it failed from the start: say so, as a run would */
			char msg[1200];

			snprintf(msg, sizeof msg, strstr(p->text, "switched off") ? "%s" : "%s (rule switched off)",
				 p->text);
			rules_disable(s->R, p->rule, p->text);
			note(s, msg);
			continue;
		}
		if (fx->n == fx->cap)
			fx->v = xrealloc(fx->v, sizeof *fx->v * (size_t)(fx->cap = fx->cap ? 2 * fx->cap : 4));
		e = &fx->v[fx->n++];
		e->kind = (enum effect_kind)p->kind;
		e->target = p->target;
		e->value = p->value;
		e->factor = p->factor;
		e->slot = p->slot ? xstrdup(p->slot) : NULL;
		e->text = p->kind == EFFECT_DERIVE && p->value >= 0 ? NULL
			: p->kind == EFFECT_DERIVE || p->kind == EFFECT_FILL || p->kind == EFFECT_WARN
			? xstrdup(p->text) : NULL;
		e->why = xstrdup(p->why);
	}
	for (int r = 0; r < m->nrules; r++)
		if (s->fx[r].n)
			index_rule(s, r, 1);
	refresh_touched(s, 0);
	s->fresh = 0;
}

static void reset_state(session *s)
{
	const tr_model *m = s->m;

	for (int f = 0; f < m->nfacts; f++) {
		s->given[f] = -1;
		free(s->text[f]);
		s->text[f] = NULL;
		s->unknown[f] = 0;
		s->origin[f] = ORIGIN_NONE;
	}
	for (int x = 0; x < m->nfixes; x++)
		s->fix[x] = FIX_UNTRIED;
	s->resolved = s->quit = 0;
	s->fresh = 0;
}

int session_open(const tr_model *m, int depth, session **out, tr_err *e)
{
	session *s = xcalloc(1, sizeof *s);
	size_t nf = (size_t)m->nfacts + 1, nc = (size_t)m->ncauses + 1;
	size_t nx = (size_t)m->nfixes + 1, nr = (size_t)m->nrules + 1;

	s->m = m;
	s->depth = depth < 1 ? 1 : depth > 3 ? 3 : depth;
	if (rules_open(m, &s->R, e) != TR_OK) {
		free(s);
		return TR_ERR;
	}
	s->given = xcalloc(nf, sizeof *s->given);
	s->text = xcalloc(nf, sizeof *s->text);
	s->unknown = xcalloc(nf, 1);
	s->origin = xcalloc(nf, 1);
	s->fix = xcalloc(nx, sizeof *s->fix);
	s->fx = xcalloc(nr, sizeof *s->fx);
	s->derived = xcalloc(nf, sizeof *s->derived);
	s->dtext = xcalloc(nf, sizeof *s->dtext);
	s->dby = xcalloc(nf, sizeof *s->dby);
	s->dwhy = xcalloc(nf, sizeof *s->dwhy);
	s->hid_by = xcalloc(nf, sizeof *s->hid_by);
	s->hid_why = xcalloc(nf, sizeof *s->hid_why);
	s->scale = xcalloc(nc, sizeof *s->scale);
	s->seen = xcalloc(nf, sizeof *s->seen);
	s->dirty = xcalloc(nr, 1);
	s->queue = xcalloc(nr, sizeof *s->queue);
	s->nrun = xcalloc(nr, sizeof *s->nrun);
	s->by_fact = xcalloc(nf, sizeof *s->by_fact);
	s->by_cause = xcalloc(nc, sizeof *s->by_cause);
	s->fmark = xcalloc(nf, 1);
	s->cmark = xcalloc(nc, 1);
	s->p = xcalloc(nc, sizeof *s->p);
	s->steps = xcalloc(nx, sizeof *s->steps);
	s->obs = xcalloc(nf, sizeof *s->obs);
	s->fix_ok = xcalloc(nx, 1);
	s->failed = xcalloc(nx, 1);
	s->within = xcalloc(nx, sizeof *s->within);
	for (size_t x = 0; x < nx; x++)
		s->within[x] = -1;
	s->ask_ok = xcalloc(nf, 1);
	s->excl_by = xcalloc(nx, sizeof *s->excl_by);
	s->excl_why = xcalloc(nx, sizeof *s->excl_why);
	s->applies = xcalloc(nx, sizeof *s->applies);
	s->lapp = xcalloc((size_t)m->nlinks + 1, sizeof *s->lapp);
	s->cond = xcalloc(nx, sizeof *s->cond);
	for (int x = 0; x < m->nfixes; x++)
		if (m->fixes[x].applies.n > 0)
			s->cond[s->ncond++] = x;
	s->reach = REACH_ALL;
	s->rok = xcalloc(nx, 1);
	s->ask_all = xcalloc(nf, 1);
	s->hfix_ok = xcalloc(nx, 1);
	s->hsteps = xcalloc(nx, sizeof *s->hsteps);
	reset_state(s);
	start_rules(s);
	*out = s;
	return TR_OK;
}

void session_free(session *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nev; i++) {
		free(s->ev[i].subject);
		free(s->ev[i].value);
	}
	for (int f = 0; f < s->m->nfacts; f++) {
		free(s->text[f]);
		free(s->seen[f]);
	}
	for (int r = 0; r < s->m->nrules; r++)
		rules_effects_free(&s->fx[r]);
	for (int i = 0; i < s->nnotes; i++) {
		free(s->notes[i]);
		free(s->note_kinds[i]);
	}
	free(s->note_kinds);
	rules_close(s->R);
	free(s->ev); free(s->given); free(s->text); free(s->unknown); free(s->origin);
	free(s->fix); free(s->fx); free(s->derived); free(s->dtext); free(s->dby);
	free(s->dwhy); free(s->hid_by); free(s->hid_why); free(s->scale); free(s->seen);
	for (int f = 0; f < s->m->nfacts; f++)
		free(s->by_fact[f].v);
	for (int c = 0; c < s->m->ncauses; c++)
		free(s->by_cause[c].v);
	free(s->by_fact); free(s->by_cause); free(s->shown.v); free(s->queue); free(s->nrun);
	free(s->ran.v); free(s->fmark); free(s->cmark); free(s->tfacts.v); free(s->tcauses.v);
	free(s->dirty); free(s->p); free(s->steps); free(s->checks); free(s->obs); free(s->fix_ok);
	free(s->ask_ok); free(s->failed); free(s->within); free(s->notes);
	free(s->excl_by); free(s->excl_why); free(s->applies); free(s->lapp); free(s->cond);
	free(s->rok); free(s->ask_all); free(s->hfix_ok); free(s->hsteps);
	free(s);
}

static void choices(const tr_model *m, int f, buf *b)
{
	for (int k = 0; k < m->facts[f].nvalues; k++)
		buf_printf(b, "%s, ", m->values[m->facts[f].first + k].value);
	buf_puts(b, "or unknown");
}

/* Checks an event; on TR_OK *target is the fact or fix and *v the value
 * index (-1 for unknown or free text). */
static int check(const session *s, enum event_kind kind, const char *subject,
		 const char *value, int *target, int *v, tr_err *e)
{
	const tr_model *m = s->m;

	if (!subject || !value)
		return tr_fail(e, TR_EUSAGE, "missing %s", subject ? "value" : "subject");
	if (kind == EV_RESULT) {
		if ((*target = model_fix(m, subject)) < 0)
			return tr_fail(e, TR_EUSAGE, "unknown fix '%s'", subject);
		if (strcmp(value, "worked") && strcmp(value, "failed") && strcmp(value, "skipped"))
			return tr_fail(e, TR_EUSAGE, "a fix result is worked, failed or skipped, not '%s'", value);
		return TR_OK;
	}
	if ((*target = model_fact(m, subject)) < 0)
		return tr_fail(e, TR_EUSAGE, "unknown fact '%s'", subject);
	*v = -1;
	if (strcmp(value, "unknown") == 0)
		return TR_OK;
	if (m->facts[*target].nvalues == 0) {
		char why[96];
		tr_err bad;

		/* free text is shown to people and pasted into shells (text.h) */
		if (text_inert(value, NULL, why, sizeof why) != 0)
			return tr_fail(e, TR_EUSAGE, "%s: text contains %s", subject, why);
		/* and must be what the fact holds (slot.h) */
		if (slot_check((enum slot_kind)m->facts[*target].kind, value, &bad) != TR_OK)
			return tr_fail(e, TR_EUSAGE, "%s: %s", subject, bad.msg);
		return TR_OK;
	}
	if ((*v = model_value(m, *target, value)) < 0) {
		buf b = {0};

		choices(m, *target, &b);
		tr_fail(e, TR_EUSAGE, "'%s' is not a choice for %s (choose %s)", value, subject, buf_str(&b));
		buf_free(&b);
		return TR_EUSAGE;
	}
	return TR_OK;
}

/* Applies a checked event to the state and settles the rules. */
static void apply(session *s, enum event_kind kind, int target, int v, const char *value)
{
	s->fresh = 0;
	if (kind == EV_RESULT) {
		s->fix[target] = strcmp(value, "worked") == 0 ? FIX_WORKED
			       : strcmp(value, "failed") == 0 ? FIX_FAILED : FIX_SKIPPED;
		s->resolved |= s->fix[target] == FIX_WORKED;
		return;
	}
	free(s->text[target]);
	s->text[target] = NULL;
	s->given[target] = v;
	s->unknown[target] = strcmp(value, "unknown") == 0;
	if (v < 0 && !s->unknown[target])
		s->text[target] = xstrdup(value);
	s->origin[target] = s->unknown[target] ? ORIGIN_NONE
			  : kind == EV_GIVEN ? ORIGIN_GIVEN : kind == EV_ANSWER ? ORIGIN_ANSWER : ORIGIN_SET;
	fact_changed(s, target);
}

static void log_event(session *s, enum event_kind kind, const char *subject, const char *value)
{
	if (s->nev == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->ev = xrealloc(s->ev, sizeof *s->ev * (size_t)s->cap);
	}
	s->ev[s->nev].kind = kind;
	s->ev[s->nev].subject = xstrdup(subject);
	s->ev[s->nev].value = xstrdup(value);
	s->nev++;
}

int session_add(session *s, enum event_kind kind, const char *subject,
		const char *value, tr_err *e)
{
	int target, v = -1;

	if (s->resolved || s->quit)
		return tr_fail(e, TR_EUSAGE, "the session is over (%s)", s->resolved ? "resolved" : "quit");
	if (check(s, kind, subject, value, &target, &v, e) != TR_OK)
		return TR_EUSAGE;
	if (kind == EV_RESULT && s->fix[target] == FIX_FAILED)
		return tr_fail(e, TR_EUSAGE, "fix %s already failed", subject);
	log_event(s, kind, subject, value);
	apply(s, kind, target, v, value);
	return TR_OK;
}

int session_answer(session *s, const char *value, tr_err *e)
{
	const action *a = session_next(s);

	if (a->kind != ACT_QUESTION)
		return tr_fail(e, TR_EUSAGE, "no question is pending: %s",
			       a->kind == ACT_RECOMMEND ? "reply worked, failed or skipped to the fix"
						       : "the session is over");
	return session_add(s, EV_ANSWER, s->m->facts[a->fact].id, value, e);
}

int session_result(session *s, const char *result, tr_err *e)
{
	const action *a = session_next(s);

	if (a->kind != ACT_RECOMMEND)
		return tr_fail(e, TR_EUSAGE, "no fix is pending: %s",
			       a->kind == ACT_QUESTION ? "answer the question" : "the session is over");
	return session_add(s, EV_RESULT, s->m->fixes[a->fix].id, result, e);
}

int session_back(session *s, tr_err *e)
{
	int last = s->nev - 1, n;
	session_event *ev;

	while (last >= 0 && s->ev[last].kind == EV_GIVEN)
		last--;
	if (last < 0)
		return tr_fail(e, TR_EUSAGE, "nothing to undo");
	/* replay the log without that event */
	ev = s->ev;
	n = s->nev;
	free(ev[last].subject);
	free(ev[last].value);
	memmove(&ev[last], &ev[last + 1], sizeof *ev * (size_t)(n - last - 1));
	n--;
	reset_state(s);
	start_rules(s);
	for (int i = 0; i < n; i++) {
		int target, v = -1;
		tr_err ignore;

		if (check(s, ev[i].kind, ev[i].subject, ev[i].value, &target, &v, &ignore) == TR_OK)
			apply(s, ev[i].kind, target, v, ev[i].value);
	}
	s->nev = n;
	return TR_OK;
}

void session_quit(session *s)
{
	s->quit = 1;
	s->fresh = 0;
}

/* Fills ok with the fixes that may be recommended: untried ones, or
 * the skipped ones when no untried fix has any chance left. */
static void allowed_into(const session *s, unsigned char *ok, int skipped_too)
{
	for (int x = 0; x < s->m->nfixes; x++)
		ok[x] = (s->fix[x] == FIX_UNTRIED || (skipped_too && s->fix[x] == FIX_SKIPPED)) &&
			s->within[x] < 0;
}

static void allowed_fixes(session *s, int skipped_too)
{
	allowed_into(s, s->fix_ok, skipped_too);
}

void session_set_exact(session *s, int exact)
{
	s->exact = exact;
	s->fresh = 0;
}

/* Sets excl_by/excl_why from the rules' exclude effects in force (the
 * first excluding rule in rule order names the reason). */
static void exclusions(session *s)
{
	for (int x = 0; x < s->m->nfixes; x++)
		s->excl_by[x] = -1, s->excl_why[x] = NULL;
	for (int k = 0; k < s->shown.n; k++)
		for (int i = 0, r = s->shown.v[k]; i < s->fx[r].n; i++) {
			const rule_effect *e = &s->fx[r].v[i];

			if (e->kind == EFFECT_EXCLUDE && s->excl_by[e->target] < 0) {
				s->excl_by[e->target] = r;
				s->excl_why[e->target] = e->why;
			}
		}
}

/* P(cause c meets w), with the facts in obs known (-1: not known): 1 or 0
 * for known facts, else the likelihood of the values named. */
static double where_given(const tr_model *m, const tr_where *w, const int *obs, int c)
{
	double p = 1;

	for (int i = 0; i < w->n && p > 0; i++) {
		const tr_cond *k = &w->v[i];
		double in = 0;

		if (obs[k->fact] >= 0) {
			for (int j = 0; j < k->nvalues; j++)
				in += k->values[j] == obs[k->fact];
		} else
			for (int j = 0; j < k->nvalues; j++)
				in += model_like(m, c, k->values[j]);
		p *= k->negate ? 1 - (in > 1 ? 1 : in) : (in > 1 ? 1 : in);
	}
	return p;
}

/* The probability that each fix applies: 0 when a rule excluded it or a
 * known fact rules it out; else P(its conditions hold | evidence), the
 * posterior's predictive probability of the facts it names (issue 16);
 * into lout, per link, the same given the link's cause (the fix of a VPN
 * fault applies where there is a VPN, which that cause all but implies).
 * excl_by must be current (exclusions). */
/* What link l of fix x still promises once fixes x includes have failed,
 * as a fraction of its p: the steps they share were done, so (q - q_y) /
 * (1 - q_y) of it is left, q_y the likeliest failed included fix's chance
 * at the same cause (x's links hold q >= q_y, model.c). 1 when none failed. */
static double beyond_included(const session *s, int x, int l)
{
	const tr_model *m = s->m;
	const tr_link *k = &m->links[l];
	double qy = 0;

	for (int j = 0; j < m->fixes[x].nincl; j++)
		if (s->fix[m->fixes[x].incl[j]] == FIX_FAILED)
			qy = fmax(qy, model_resolve(m, m->fixes[x].incl[j], k->cause));
	if (qy <= 0)
		return 1;
	return qy >= k->p || qy >= 1 ? 0 : (k->p - qy) / (1 - qy) / k->p;
}

static void fit_one(const session *s, const int *obs, const double *p, int x, double *out, double *lout)
{
	const tr_model *m = s->m;
	const tr_fix *fix = &m->fixes[x];
	const tr_where *w = &fix->applies;
	int known = model_where(m, w, obs);

	if (s->excl_by[x] >= 0 || known == 0)
		out[x] = 0;
	else if (known == 1)
		out[x] = 1;
	else {
		double a = 0, mass = 0;

		for (int c = 0; c < m->ncauses; c++)
			if (p[c] > 0) {
				a += p[c] * where_given(m, w, obs, c);
				mass += p[c];
			}
		out[x] = mass > 0 ? a / mass : 1;
	}
	for (int l = fix->link; l < fix->link + fix->nlink; l++) {
		lout[l] = out[x] <= 0 || out[x] >= 1 ? out[x] : where_given(m, w, obs, m->links[l].cause);
		lout[l] *= beyond_included(s, x, l);
	}
}

static void fit_applies(const session *s, const int *obs, const double *p, double *out, double *lout)
{
	for (int x = 0; x < s->m->nfixes; x++)
		fit_one(s, obs, p, x, out, lout);
}

/* plan_in.applies_after: applicability were value the answer. A fix
 * without conditions applies as it does now (only a rule excludes it, and
 * rules do not run on a hypothetical answer): its values are copied from
 * the current ones, and only the fixes with conditions are worked out. */
static void applies_after(const void *ctx, int value, const double *post, double *out, double *lout)
{
	const session *s = ctx;
	const tr_model *m = s->m;
	int *obs;

	memcpy(out, s->applies, sizeof *out * (size_t)m->nfixes);
	memcpy(lout, s->lapp, sizeof *lout * (size_t)m->nlinks);
	if (s->ncond == 0)
		return;
	obs = xmalloc(sizeof *obs * ((size_t)m->nfacts + 1));
	memcpy(obs, s->obs, sizeof *obs * (size_t)m->nfacts);
	obs[m->values[value].fact] = value;
	for (int i = 0; i < s->ncond; i++)
		fit_one(s, obs, post, s->cond[i], out, lout);
	free(obs);
}

/* Sets ok[x]: fix x is in the session's reach with fact values obs. */
static void reach_fixes(const session *s, const int *obs, unsigned char *ok)
{
	for (int x = 0; x < s->m->nfixes; x++)
		ok[x] = (unsigned char)reach_fix(s->m, s->reach, x, obs);
}

/* plan_in.reach_after: the fixes in reach were value the answer (an
 * answer can bring a fix into reach: a command known not to apply is not
 * needed). */
static void reach_after(const void *ctx, int value, unsigned char *out)
{
	const session *s = ctx;
	int *obs = xmalloc(sizeof *obs * ((size_t)s->m->nfacts + 1));

	memcpy(obs, s->obs, sizeof *obs * (size_t)s->m->nfacts);
	obs[s->m->values[value].fact] = value;
	reach_fixes(s, obs, out);
	free(obs);
}

/* The planner's inputs as if everything were in reach. What depends on
 * the model alone (its check-then-fix steps, the tail's cost) is worked
 * out at the first decision: a session only replayed (kb learn) never
 * needs it, and on a large model it is most of opening one. */
static void planner_all(session *s, plan_in *in)
{
	if (!s->checks) {
		s->nchecks = plan_checks(s->m, &s->checks);
		plan_tail(s->m, PLAN_STEP, &s->tail, &s->tail_fixes);
	}
	memset(in, 0, sizeof *in);
	in->m = s->m;
	in->p = s->p;
	in->fix_ok = s->fix_ok;
	in->ask_ok = s->ask_ok;
	in->checks = s->checks;
	in->nchecks = s->nchecks;
	in->depth = s->depth;
	in->step = PLAN_STEP;
	in->tail = s->tail;
	in->tail_fixes = s->tail_fixes;
	in->focus = s->exact ? 0 : PLAN_FOCUS;
	in->questions = s->exact ? 0 : PLAN_QUESTIONS;
	in->applies = s->applies;
	in->link_applies = s->lapp;
	in->applies_after = applies_after;
	in->applies_ctx = s;
}

void session_planner(session *s, plan_in *in)
{
	planner_all(s, in);
	if (s->reach != REACH_ALL) {
		in->reach_ok = s->rok;
		in->reach_after = reach_after;
		in->handover = PLAN_ESCALATE;
	}
}

/* The next tier's plan (session_handover), computed once per state. */
static void handover_plan(session *s)
{
	plan_in in;
	plan_out out = { -1, 0, 0, s->hsteps, 0 };

	planner_all(s, &in);
	in.fix_ok = s->hfix_ok;
	in.ask_ok = s->ask_all;
	allowed_into(s, s->hfix_ok, 0);
	plan_decide(&in, &out);
	if (out.ask < 0 && out.nsteps == 0) {
		allowed_into(s, s->hfix_ok, 1);
		plan_decide(&in, &out);
	}
	s->nhsteps = out.nsteps;
	s->hask = out.ask;
	s->hfresh = 1;
}

/* The chance that fix x resolves the problem at the current state: each
 * cause it resolves, by its probability, the link's chance and where the
 * fix applies were that cause the fault. */
static double chance_here(const session *s, int x)
{
	const tr_model *m = s->m;
	const tr_fix *fix = &m->fixes[x];
	double ch = 0;

	for (int l = fix->link; l < fix->link + fix->nlink; l++)
		ch += s->p[m->links[l].cause] * m->links[l].p * s->lapp[l];
	return ch;
}

/* Whether fact f has been stated more than once (answered again, or set
 * after an answer): confirmed, never rechecked. */
static int stated_twice(const session *s, int f)
{
	int n = 0;

	for (int i = 0; i < s->nev && n < 2; i++)
		n += s->ev[i].kind != EV_RESULT && strcmp(s->ev[i].subject, s->m->facts[f].id) == 0;
	return n >= 2;
}

/* The stated fact whose value keeps fix x out (a condition it fails), or
 * -1 when none does (a rule's exclude, a derived value). */
static int keeps_out(const session *s, int x)
{
	const tr_where *w = &s->m->fixes[x].applies;

	for (int i = 0; i < w->n; i++) {
		const tr_cond *c = &w->v[i];
		int v = s->given[c->fact], in = 0;

		if (v < 0)
			continue;
		for (int j = 0; j < c->nvalues; j++)
			in |= c->values[j] == v;
		if (in == c->negate)
			return c->fact;
	}
	return -1;
}

/* The fact to ask again (SESSION_RECHECK) before offering fix next (or
 * nothing, -1), with the fix its answer keeps out in *rx; -1 when none. */
static int recheck(const session *s, int next, int *rx)
{
	const tr_model *m = s->m;
	double top = next >= 0 ? chance_here(s, next) : 0, best = 0;
	int f = -1;

	for (int x = 0; x < m->nfixes; x++) {
		double ch;
		int g;

		if (s->fix[x] != FIX_UNTRIED || s->within[x] >= 0 || s->applies[x] > 0 || s->excl_by[x] >= 0 ||
		    (ch = plan_chance(m, s->p, x)) <= SESSION_RECHECK * top || ch <= best)
			continue;
		if ((g = keeps_out(s, x)) < 0 || stated_twice(s, g) ||
		    (s->reach != REACH_ALL && !reach_fact(m, s->reach, g)))
			continue;
		best = ch, f = g, *rx = x;
	}
	return f;
}

/* Sets within[] (a fix the steps of a failed fix carried out is tried
 * too) and failed[], the failures belief counts: a failed fix that a
 * failed fix includes adds nothing, the including fix's links hold its
 * own at least as likely (model.c), and trying both is trying it once. */
static void failures(session *s)
{
	const tr_model *m = s->m;

	for (int x = 0; x < m->nfixes; x++)
		s->within[x] = -1;
	for (int x = 0; x < m->nfixes; x++)
		for (int j = 0; s->fix[x] == FIX_FAILED && j < m->fixes[x].nincl; j++)
			if (s->within[m->fixes[x].incl[j]] < 0)
				s->within[m->fixes[x].incl[j]] = x;
	for (int x = 0; x < m->nfixes; x++)
		s->failed[x] = s->fix[x] == FIX_FAILED && s->within[x] < 0;
}

int session_within(const session *s, int x)
{
	return s->within[x];
}

const action *session_next(session *s)
{
	const tr_model *m = s->m;
	plan_in in;
	plan_out out = { -1, 0, 0, s->steps, 0 };

	if (s->fresh)
		return &s->act;
	memset(&s->act, 0, sizeof s->act);
	s->hfresh = 0;
	for (int f = 0; f < m->nfacts; f++) {
		s->obs[f] = s->given[f] >= 0 ? s->given[f] : s->dby[f] >= 0 ? s->derived[f] : -1;
		s->ask_ok[f] = m->facts[f].nvalues > 0 && s->given[f] < 0 && !s->unknown[f] &&
			       s->dby[f] < 0 && s->hid_by[f] < 0;
		s->ask_all[f] = s->ask_ok[f];
		if (s->reach != REACH_ALL && !reach_fact(m, s->reach, f))
			s->ask_ok[f] = 0;
	}
	failures(s);
	belief_posterior(m, s->obs, s->scale, s->failed, s->p);
	exclusions(s);
	fit_applies(s, s->obs, s->p, s->applies, s->lapp);
	if (s->reach != REACH_ALL)
		reach_fixes(s, s->obs, s->rok);
	s->fresh = 1;
	session_planner(s, &in);
	if (s->resolved || s->quit) {
		s->act.kind = ACT_DONE;
		s->act.status = s->resolved ? DONE_RESOLVED : DONE_QUIT;
		s->nsteps = 0;
		return &s->act;
	}
	allowed_fixes(s, 0);
	plan_decide(&in, &out);
	if (out.ask < 0 && out.nsteps == 0) {
		allowed_fixes(s, 1);
		plan_decide(&in, &out);
	}
	s->nsteps = out.nsteps;
	s->act.ecr = out.ecr;
	s->act.eco = out.eco;
	if (out.ask < 0 && (out.nsteps == 0 || s->reach == REACH_ALL || s->rok[s->steps[0].fix]) &&
	    (out.ask = recheck(s, out.nsteps > 0 ? s->steps[0].fix : -1, &s->act.fix)) >= 0)
		s->act.recheck = 1;
	if (out.ask >= 0) {
		s->act.kind = ACT_QUESTION;
		s->act.fact = out.ask;
	} else if (out.nsteps > 0 && (s->reach == REACH_ALL || s->rok[s->steps[0].fix])) {
		s->act.kind = ACT_RECOMMEND;
		s->act.fix = s->steps[0].fix;
	} else {
		/* nothing is left, or the best next step is out of reach: hand over */
		s->act.kind = ACT_DONE;
		s->act.status = out.nsteps > 0 ? DONE_HANDOVER : DONE_EXHAUSTED;
	}
	return &s->act;
}

void session_set_reach(session *s, unsigned reach)
{
	s->reach = reach & REACH_ALL;
	s->fresh = 0;
}

unsigned session_reach(const session *s) { return s->reach; }
const plan_check *session_checks(const session *s) { return s->checks; }

int session_fact_in_reach(const session *s, int f)
{
	return reach_fact(s->m, s->reach, f);
}

int session_fix_in_reach(session *s, int x)
{
	session_next(s);
	return reach_fix(s->m, s->reach, x, s->obs);
}

unsigned session_needs(session *s, int x)
{
	session_next(s);
	return reach_needs(s->m, x, s->obs);
}

int session_handover(session *s, const plan_step **steps, int *ask)
{
	session_next(s);
	if (!s->hfresh)
		handover_plan(s);
	*steps = s->hsteps;
	if (ask)
		*ask = s->hask;
	return s->nhsteps;
}

const double *session_p(session *s)
{
	session_next(s);
	return s->p;
}

typedef struct ranked { double p; int c; } ranked;

/* By probability, most likely first; equal ones in id order. */
static int by_rank(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	return x->p > y->p ? -1 : x->p < y->p ? 1 : (x->c > y->c) - (x->c < y->c);
}

int session_ranking(session *s, int *order)
{
	const double *p = session_p(s);
	ranked *r = xmalloc(sizeof *r * (size_t)(s->m->ncauses + 1));
	int n = 0;

	for (int c = 0; c < s->m->ncauses; c++)
		if (p[c] > 0)
			r[n++] = (ranked){ p[c], c };
	qsort(r, (size_t)n, sizeof *r, by_rank);
	for (int i = 0; i < n; i++)
		order[i] = r[i].c;
	free(r);
	return n;
}

int session_plan(session *s, int *order)
{
	int n = 0;

	session_next(s);
	for (int i = 0; i < s->nsteps; i++) {
		if (s->reach != REACH_ALL && !s->rok[s->steps[i].fix])
			break;  /* a hand-over: the rest is the next tier's (session_handover) */
		order[n++] = s->steps[i].fix;
	}
	return n;
}

int session_value(const session *s, int f) { return s->given[f] >= 0 ? s->given[f] : s->dby[f] >= 0 ? s->derived[f] : -1; }
const char *session_text(const session *s, int f) { return s->text[f] ? s->text[f] : s->dby[f] >= 0 ? s->dtext[f] : NULL; }
const char *session_shown(const session *s, int f) { return s->seen[f]; }
int session_is_unknown(const session *s, int f) { return s->unknown[f]; }
double session_scale(const session *s, int c) { return s->scale[c]; }
enum fix_state session_fix_state(const session *s, int x) { return s->fix[x]; }
long session_rule_runs(const session *s) { return s->runs; }
const tr_model *session_model(const session *s) { return s->m; }

enum origin session_origin(const session *s, int f)
{
	if (s->given[f] >= 0 || s->text[f])
		return (enum origin)s->origin[f];
	return s->dby[f] >= 0 ? ORIGIN_RULE : ORIGIN_NONE;
}

int session_is_hidden(const session *s, int f, const char **why, int *rule)
{
	if (why)
		*why = s->hid_why[f];
	if (rule)
		*rule = s->hid_by[f];
	return s->hid_by[f] >= 0;
}

int session_derived_by(const session *s, int f, const char **why)
{
	if (why)
		*why = s->dwhy[f];
	return s->dby[f];
}

int session_effects(const session *s, int r, const rule_effect **fx)
{
	*fx = s->fx[r].v;
	return s->fx[r].n;
}

int session_rule_on(const session *s, int r, const char **why)
{
	return rules_active(s->R, r, why);
}

int session_notes(const session *s, const char *const **notes)
{
	*notes = (const char *const *)s->notes;
	return s->nnotes;
}

int session_events(const session *s, const session_event **ev)
{
	*ev = s->ev;
	return s->nev;
}

int session_done(const session *s, enum done_status *status)
{
	session_next((session *)s);
	if (s->act.kind != ACT_DONE)
		return 0;
	if (status)
		*status = s->act.status;
	return 1;
}

/* slot_lookup over a session: the free-text fact that declares the slot
 * (its value as given or derived), else what a rule filled, if it fits the
 * kind of the fact that declares the slot. */
static const char *filled(const void *ctx, const char *slot, size_t n)
{
	const session *s = ctx;
	const tr_model *m = s->m;
	int kind = SLOT_TEXT;

	for (int f = 0; f < m->nfacts; f++)
		if (strlen(m->facts[f].slot) == n && strncmp(m->facts[f].slot, slot, n) == 0) {
			const char *t = session_text(s, f);

			if (t)
				return t;
			kind = m->facts[f].kind;
		}
	for (int k = 0; k < s->shown.n; k++)
		for (int i = 0, r = s->shown.v[k]; i < s->fx[r].n; i++) {
			const rule_effect *e = &s->fx[r].v[i];
			tr_err bad;

			if (e->kind == EFFECT_FILL && strlen(e->slot) == n && strncmp(e->slot, slot, n) == 0 &&
			    slot_check((enum slot_kind)kind, e->text, &bad) == TR_OK)
				return e->text;
		}
	return NULL;
}

char *session_fill(const session *s, const char *text, const char *shell, slot_report *rep)
{
	return slot_render(text, shell, filled, s, rep);
}

char *session_render(const session *s, const char *text)
{
	return slot_render(text, NULL, filled, s, NULL);
}

int session_where(session *s, const tr_where *w)
{
	session_next(s);
	return model_where(s->m, w, s->obs);
}

double session_applies(session *s, int x, const char **why)
{
	session_next(s);
	if (why)
		*why = s->excl_by[x] >= 0 ? s->excl_why[x] : NULL;
	return s->applies[x];
}

double session_fix_chance(session *s, int x)
{
	session_next(s);
	return chance_here(s, x);
}

int session_ruled_out(session *s, int *out, int max)
{
	const tr_model *m = s->m;
	double *key = xmalloc(sizeof *key * ((size_t)m->nfixes + 1));
	int n = 0;

	session_next(s);
	for (int x = 0; x < m->nfixes; x++) {
		double ch;

		if (s->fix[x] != FIX_UNTRIED || s->within[x] >= 0 || s->applies[x] > 0 ||
		    (ch = plan_chance(m, s->p, x)) <= 0)
			continue;
		/* insertion into the first max by chance, ties by fix order */
		int at = n < max ? n++ : max;

		while (at > 0 && key[at - 1] < ch) {
			if (at < max)
				key[at] = key[at - 1], out[at] = out[at - 1];
			at--;
		}
		if (at < max)
			key[at] = ch, out[at] = x;
	}
	free(key);
	return n;
}

const char *session_warning(const session *s, int x, int i)
{
	for (int j = 0; j < s->shown.n; j++)
		for (int k = 0, r = s->shown.v[j]; k < s->fx[r].n; k++) {
			const rule_effect *e = &s->fx[r].v[k];

			if (e->kind == EFFECT_WARN && e->target == x && i-- == 0)
				return e->text;
		}
	return NULL;
}

double session_question_value(session *s, int f, double *after)
{
	plan_in in;
	unsigned char keep;
	double v;

	session_next(s);
	session_planner(s, &in);
	keep = s->ask_ok[f];
	s->ask_ok[f] = 1;
	v = plan_question(&in, f, after);
	s->ask_ok[f] = keep;
	return v;
}
