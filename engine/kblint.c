/*
 * kblint.c: `triage kb lint` (kblint.h). Each check appends findings to
 * one JSON list; the command prints them a line each, or as JSON. The
 * checks read the loaded model; the rules are surveyed once (each run with
 * no fact known and with each value of each fact it reads, as kb build's
 * dry run does) to learn which causes each can scale.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "buf.h"
#include "cli.h"
#include "kblint.h"
#include "kbtest.h"
#include "kbtext.h"
#include "rules.h"
#include "session.h"
#include "text.h"

typedef struct lint {
	sqlite3 *db;
	const tr_model *m;
	json_t *found;       /* the findings, in order */
	json_t *undecided;   /* questions the gated check could not decide */
	int errors, warnings;
	unsigned char *scaled;  /* per cause: some rule can scale it */
} lint;

static void finding(lint *L, int error, const char *check, const char *kind, const char *id,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void finding(lint *L, int error, const char *check, const char *kind, const char *id,
		    const char *fmt, ...)
{
	char msg[1024], record[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(record, sizeof record, "%s %s", kind, id);
	json_array_append_new(L->found, json_pack("{s:s, s:s, s:s, s:s}", "level",
		error ? "error" : "warning", "check", check, "record", record, "message", msg));
	error ? L->errors++ : L->warnings++;
}

/* ---- what each rule can do ---- */

static void note_effects(lint *L, const rule_effects *fx)
{
	for (int i = 0; i < fx->n; i++)
		if (fx->v[i].kind == EFFECT_SCALE && fx->v[i].target >= 0)
			L->scaled[fx->v[i].target] = 1;
}

/* Runs every enabled rule with no fact known and with each value of each
 * fact it reads, noting the causes it scales. A rule that errs here is
 * left to the session (which switches it off and says so). */
static void survey(lint *L)
{
	const tr_model *m = L->m;
	const char **facts = xcalloc((size_t)m->nfacts + 1, sizeof *facts);
	rule_effects fx = {0};
	rules *R;
	tr_err e;

	tr_clear(&e);
	if (rules_open(m, &R, &e) != TR_OK) {
		free(facts);
		return;
	}
	for (int r = 0; r < m->nrules; r++) {
		if (!m->rules[r].enabled)
			continue;
		if (rules_active(R, r, NULL) && rules_run(R, r, facts, &fx, NULL, &e) == TR_OK)
			note_effects(L, &fx);
		for (int i = 0; i < m->rules[r].nreads && rules_active(R, r, NULL); i++) {
			const tr_fact *f = &m->facts[m->rules[r].reads[i]];

			for (int k = 0; k < f->nvalues; k++) {
				facts[m->rules[r].reads[i]] = m->values[f->first + k].value;
				if (rules_run(R, r, facts, &fx, NULL, &e) == TR_OK)
					note_effects(L, &fx);
			}
			facts[m->rules[r].reads[i]] = NULL;
		}
	}
	rules_effects_free(&fx);
	rules_close(R);
	free(facts);
}

/* ---- causes ---- */

/* Appends to b what cause c's evidence says, fact by fact, leaving out
 * rows equal to the defaults (a cause silent on a fact says the same). */
static void signature(const tr_model *m, int c, buf *b)
{
	const tr_cause *cs = &m->causes[c];
	int *rows = xcalloc((size_t)cs->nev + 1, sizeof *rows), n = 0;

	for (int i = 0; i < cs->nev; i++) {
		const tr_evidence *ev = &m->evidence[cs->ev + i];
		const tr_fact *f = &m->facts[ev->fact];
		int differs = 0;

		for (int k = 0; k < f->nvalues; k++)
			differs |= fabs(ev->lk[k] - m->values[f->first + k].p) > 1e-9;
		if (differs)
			rows[n++] = cs->ev + i;
	}
	for (int i = 1; i < n; i++)   /* by fact: a cause states a handful */
		for (int j = i; j > 0 && m->evidence[rows[j - 1]].fact > m->evidence[rows[j]].fact; j--) {
			int t = rows[j];

			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		const tr_evidence *ev = &m->evidence[rows[i]];

		buf_printf(b, "%d:", ev->fact);
		for (int k = 0; k < m->facts[ev->fact].nvalues; k++)
			buf_printf(b, "%.9g,", ev->lk[k]);
		buf_putc(b, ';');
	}
	free(rows);
}

typedef struct sig {
	int cause;
	char *text;
} sig;

static int sig_cmp(const void *a, const void *b)
{
	const sig *x = a, *y = b;
	int d = strcmp(x->text, y->text);

	return d ? d : x->cause - y->cause;
}

/* Causes that no answer tells apart: the same evidence on every fact, and
 * no rule scales either (a rule's factor can tell them apart). */
static void same_evidence(lint *L)
{
	const tr_model *m = L->m;
	sig *v = xcalloc((size_t)m->ncauses + 1, sizeof *v);
	int n = 0;

	for (int c = 0; c < m->ncauses; c++) {
		buf b = {0};

		if (L->scaled[c])
			continue;
		signature(m, c, &b);
		v[n].cause = c;
		v[n++].text = buf_take(&b);
		if (!v[n - 1].text)
			v[n - 1].text = xstrdup("");
	}
	qsort(v, (size_t)n, sizeof *v, sig_cmp);
	for (int i = 0; i < n;) {
		int j = i + 1;

		while (j < n && strcmp(v[j].text, v[i].text) == 0)
			j++;
		if (j - i > 1) {
			buf names = {0};

			for (int k = i + 1; k < j; k++)
				buf_printf(&names, "%s%s", k > i + 1 ? (k + 1 == j ? " and " : ", ") : "",
					   m->causes[v[k].cause].id);
			finding(L, 0, "same_evidence", "cause", m->causes[v[i].cause].id,
				"no fact tells it apart from %s: the same evidence on every fact%s; only "
				"trying their fixes can", buf_str(&names), *v[i].text ? "" : " (none stated)");
			buf_free(&names);
		}
		i = j;
	}
	for (int i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

static void without_fix(lint *L)
{
	for (int c = 0; c < L->m->ncauses; c++)
		if (L->m->causes[c].nlinks == 0)
			finding(L, 1, "cause_without_fix", "cause", L->m->causes[c].id,
				"no fix resolves it: a session can rank it first and never resolve it");
}

/* Evidence likelihoods at the compiler's clamps (0.01 and 0.99), stated or
 * completed (the values a cause leaves out share what is left): one line
 * per cause, fact and side. */
static void clamps(lint *L)
{
	const tr_model *m = L->m;

	for (int c = 0; c < m->ncauses; c++)
		for (int i = 0; i < m->causes[c].nev; i++) {
			const tr_evidence *ev = &m->evidence[m->causes[c].ev + i];
			const tr_fact *f = &m->facts[ev->fact];

			for (int high = 0; high < 2; high++) {
				buf vals = {0};
				double at = 0;
				int n = 0;

				for (int k = 0; k < f->nvalues; k++)
					if (high ? ev->lk[k] >= 0.99 - 1e-9 : ev->lk[k] <= 0.01 + 1e-9) {
						buf_printf(&vals, "%s%s", n++ ? "/" : "", m->values[f->first + k].value);
						at = ev->lk[k];
					}
				if (n)
					finding(L, 0, "likelihood_at_clamp", "cause", m->causes[c].id,
						"P(%s=%s | cause) is %.3g, at the clamp (0.01 to 0.99): that answer "
						"all but %s the cause; keep it for what the source says is certain",
						f->id, buf_str(&vals), at, high ? "decides" : "rules out");
				buf_free(&vals);
			}
		}
}

/* ---- facts ---- */

static void mark_where(const tr_where *w, unsigned char *used)
{
	for (int i = 0; i < w->n; i++)
		used[w->v[i].fact] = 1;
}

/* Marks in used the facts that a condition (a fix's, a step's, a
 * command's or a check command's "applies") reads. */
static void in_conditions(const tr_model *m, unsigned char *used)
{
	for (int x = 0; x < m->nfixes; x++) {
		const tr_fix *fx = &m->fixes[x];

		mark_where(&fx->applies, used);
		for (int i = 0; i < fx->nsteps && fx->step_applies; i++)
			mark_where(&fx->step_applies[i], used);
		for (int i = 0; i < fx->ncmds; i++)
			mark_where(&fx->cmds[i].applies, used);
	}
	for (int g = 0; g < m->nfacts; g++)
		for (int i = 0; i < m->facts[g].ncheck; i++)
			mark_where(&m->facts[g].check[i].applies, used);
}

static int has_slot(const char *text, const char *want)
{
	return text && strstr(text, want) != NULL;
}

/* Whether some text of m holds {{slot}}. */
static int slot_used(const tr_model *m, const char *slot)
{
	char want[80];

	snprintf(want, sizeof want, "{{%s}}", slot);
	for (int x = 0; x < m->nfixes; x++) {
		const tr_fix *fx = &m->fixes[x];

		if (has_slot(fx->summary, want) || has_slot(fx->undo, want) || has_slot(fx->outcome, want))
			return 1;
		for (int i = 0; i < fx->nsteps; i++)
			if (has_slot(fx->steps[i], want))
				return 1;
		for (int i = 0; i < fx->ncmds; i++)
			if (has_slot(fx->cmds[i].text, want))
				return 1;
	}
	for (int f = 0; f < m->nfacts; f++) {
		if (has_slot(m->facts[f].help, want))
			return 1;
		for (int i = 0; i < m->facts[f].ncheck; i++)
			if (has_slot(m->facts[f].check[i].text, want))
				return 1;
	}
	return 0;
}

static void unused_facts(lint *L)
{
	const tr_model *m = L->m;
	unsigned char *cond = xcalloc((size_t)m->nfacts + 1, 1);

	in_conditions(m, cond);
	for (int f = 0; f < m->nfacts; f++) {
		const tr_fact *fa = &m->facts[f];

		if (fa->nev || fa->nrules || cond[f] || (*fa->slot && slot_used(m, fa->slot)))
			continue;
		finding(L, 0, "unused_fact", "fact", fa->id, "no cause's evidence, rule, condition or "
			"template uses it: its answer changes nothing");
	}
	free(cond);
}

/* ---- questions gated off in every context ---- */

typedef struct ctxset {
	int *facts; int n;      /* the facts whose values make a context */
	int text;               /* a hiding rule reads free text: not decided */
} ctxset;

static void ctx_add_reads(const tr_model *m, ctxset *C, int r, int self)
{
	for (int i = 0; i < m->rules[r].nreads; i++) {
		int g = m->rules[r].reads[i], seen = g == self;

		if (!seen && m->facts[g].nvalues == 0) {   /* free text: too many values to try */
			C->text = 1;
			continue;
		}

		for (int k = 0; k < C->n && !seen; k++)
			seen = C->facts[k] == g;
		if (!seen)
			C->facts[C->n++] = g;
	}
}

/* Opens a session with the facts of C given the values in pick (a value
 * index, or nvalues for unknown); NULL when a value is refused. */
static session *context(const tr_model *m, const ctxset *C, const int *pick)
{
	session *s;
	tr_err e;

	if (session_open(m, SESSION_DEPTH, &s, &e) != TR_OK)
		return NULL;
	for (int i = 0; i < C->n; i++) {
		const tr_fact *f = &m->facts[C->facts[i]];

		if (pick[i] < f->nvalues &&
		    session_add(s, EV_GIVEN, f->id, m->values[f->first + pick[i]].value, &e) != TR_OK) {
			session_free(s);
			return NULL;
		}
	}
	return s;
}

/* Whether question f is never asked (hidden, or derived) in any context
 * made of the facts the hiding rules read: 1 yes (by the rules marked in
 * by), 0 no, -1 undecided (more than KBLINT_CONTEXTS contexts, or a hiding
 * rule reads free text). Rules found hiding it in one context add what
 * they read, and the contexts are tried again. */
static int hidden_everywhere(const tr_model *m, int f, int first, unsigned char *by)
{
	ctxset C = { xcalloc((size_t)m->nfacts + 1, sizeof(int)), 0, 0 };
	int *pick = xcalloc((size_t)m->nfacts + 1, sizeof *pick), verdict = -1;

	by[first] = 1;
	ctx_add_reads(m, &C, first, f);
	for (int grew = 1; grew;) {
		double total = 1;

		grew = 0;
		for (int i = 0; i < C.n; i++)
			total *= m->facts[C.facts[i]].nvalues + 1;
		if (total > KBLINT_CONTEXTS || C.text)
			break;
		memset(pick, 0, sizeof *pick * (size_t)(C.n + 1));
		verdict = 1;
		for (;;) {
			session *s = context(m, &C, pick);
			int r = -1, i;

			if (s && !session_is_hidden(s, f, NULL, &r) && session_value(s, f) < 0) {
				verdict = 0;
				session_free(s);
				break;
			}
			if (s && r >= 0 && !by[r]) {
				by[r] = 1;
				ctx_add_reads(m, &C, r, f);
				grew = 1;
			}
			session_free(s);
			if (grew)
				break;
			for (i = 0; i < C.n && ++pick[i] > m->facts[C.facts[i]].nvalues; i++)
				pick[i] = 0;
			if (i == C.n)
				break;
		}
		if (verdict == 0)
			break;
		if (grew)
			verdict = -1;
	}
	free(C.facts);
	free(pick);
	return verdict;
}

static void gated(lint *L)
{
	const tr_model *m = L->m;
	session *start;
	tr_err e;

	if (session_open(m, SESSION_DEPTH, &start, &e) != TR_OK)
		return;
	for (int f = 0; f < m->nfacts; f++) {
		unsigned char *by;
		int r = -1, v;

		if (m->facts[f].nvalues == 0 || !session_is_hidden(start, f, NULL, &r))
			continue;
		by = xcalloc((size_t)m->nrules + 1, 1);
		v = hidden_everywhere(m, f, r, by);
		if (v == 1) {
			buf names = {0};
			int k = 0;

			for (int i = 0; i < m->nrules; i++)
				if (by[i])
					buf_printf(&names, "%s%s", k++ ? ", " : "", m->rules[i].id);
			finding(L, 0, "gated_question", "fact", m->facts[f].id, "the question is never "
				"asked: rule%s %s hide%s it whatever the facts %s read%s", k > 1 ? "s" : "",
				buf_str(&names), k > 1 ? "" : "s", k > 1 ? "they" : "it", k > 1 ? "" : "s");
			buf_free(&names);
		} else if (v < 0)
			json_array_append_new(L->undecided, json_string(m->facts[f].id));
		free(by);
	}
	session_free(start);
}

/* ---- rules that never fire on the test cases ---- */

typedef struct firing {
	lint *L;
	unsigned char *fired;
	const char *path;
	tr_err *e;
} firing;

static void watch_rules(session *s, const action *a, void *ctx)
{
	firing *F = ctx;
	const rule_effect *fx;

	(void)a;
	for (int r = 0; r < F->L->m->nrules; r++)
		if (!F->fired[r] && session_effects(s, r, &fx) > 0)
			F->fired[r] = 1;
}

static int fire_case(json_t *cs, int lineno, const char *why, void *ctx)
{
	firing *F = ctx;
	buf msg = {0};

	if (!cs)
		return tr_fail(F->e, TR_ERR, "%s:%d: not a JSON case: %s", F->path, lineno, why);
	kbtest_case(F->L->m, cs, 30, SESSION_DEPTH, 0, watch_rules, F, NULL, &msg);
	buf_free(&msg);
	return TR_OK;
}

static int never_fire(lint *L, char *const *cases, int ncases, tr_err *e)
{
	firing F = { L, xcalloc((size_t)L->m->nrules + 1, 1), NULL, e };
	int rc = TR_OK;

	for (int i = 0; i < ncases && rc == TR_OK; i++) {
		F.path = cases[i];
		rc = kbtest_read(cases[i], fire_case, &F, e) == TR_OK ? TR_OK : TR_ERR;
	}
	for (int r = 0; rc == TR_OK && ncases > 0 && r < L->m->nrules; r++)
		if (L->m->rules[r].enabled && !F.fired[r])
			finding(L, 0, "rule_never_fires", "rule", L->m->rules[r].id, "no effect in any "
				"state of the %d case file%s: no test shows it works", ncases,
				ncases == 1 ? "" : "s");
	free(F.fired);
	return rc;
}

/* ---- fixes and commands ---- */

static int blank(const char *s)
{
	return !s || s[strspn(s, " \t\r\n")] == '\0';
}

static void risky(lint *L)
{
	for (int x = 0; x < L->m->nfixes; x++) {
		const tr_fix *fx = &L->m->fixes[x];

		if (fx->risk != RISK_LOW && blank(fx->undo))
			finding(L, 1, "risky_without_undo", "fix", fx->id, "a %s-risk fix must say how to "
				"undo it ('undo' is empty)", model_risk_names[fx->risk]);
	}
}

/* A fix that carries out another's steps (includes) is at least as risky
 * and as costly, and resolves each cause they share at least as often
 * (the model takes the higher chance, model.c): a fix that says otherwise
 * likely names the wrong fix, or is rated too low. */
static void nested(lint *L)
{
	const tr_model *m = L->m;
	sqlite3_stmt *st;

	for (int x = 0; x < m->nfixes; x++)
		for (int k = 0; k < m->fixes[x].nincl; k++) {
			const tr_fix *fx = &m->fixes[x], *in = &m->fixes[fx->incl[k]];

			if (in->risk > fx->risk)
				finding(L, 0, "includes_riskier", "fix", fx->id, "it carries out the steps of %s, "
					"which is %s risk: rate it at least that", in->id, model_risk_names[in->risk]);
			if (in->cost > fx->cost)
				finding(L, 0, "includes_costlier", "fix", fx->id, "it carries out the steps of %s, "
					"which costs %g: its cost %g is lower", in->id, in->cost, fx->cost);
		}
	if (sqlite3_prepare_v2(L->db, "SELECT i.fix, i.includes, r.cause, r.p, s.p FROM fix_includes i"
			       " JOIN resolves r ON r.fix = i.fix JOIN resolves s ON s.fix = i.includes"
			       " AND s.cause = r.cause WHERE r.p < s.p ORDER BY i.fix, i.seq, r.seq",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		finding(L, 0, "includes_resolves_less", "fix", (const char *)sqlite3_column_text(st, 0),
			"it resolves %s with p=%.2f, less than %s it carries out (p=%.2f); sessions use %.2f",
			(const char *)sqlite3_column_text(st, 2), sqlite3_column_double(st, 3),
			(const char *)sqlite3_column_text(st, 1), sqlite3_column_double(st, 4),
			sqlite3_column_double(st, 4));
	sqlite3_finalize(st);
}

/* A command is one line of inert text: any other control or format
 * character is an error; a tab or a newline a warning (pasted, a newline
 * runs what comes before it at once). */
static void command_text(lint *L, const char *kind, const char *id, const char *what, int i,
			 const char *text)
{
	char why[96];

	if (text_inert(text, "\t\n", why, sizeof why) != 0)
		finding(L, 1, "command_control", kind, id, "%s %d contains %s", what, i + 1, why);
	else if (strpbrk(text, "\t\n"))
		finding(L, 0, "command_control", kind, id, "%s %d contains a %s: pasted into a shell, "
			"a command runs line by line", what, i + 1, strchr(text, '\n') ? "newline" : "tab");
}

static void commands(lint *L)
{
	const tr_model *m = L->m;

	for (int f = 0; f < m->nfacts; f++)
		for (int i = 0; i < m->facts[f].ncheck; i++)
			command_text(L, "fact", m->facts[f].id, "check command", i, m->facts[f].check[i].text);
	for (int x = 0; x < m->nfixes; x++)
		for (int i = 0; i < m->fixes[x].ncmds; i++)
			command_text(L, "fix", m->fixes[x].id, "command", i, m->fixes[x].cmds[i].text);
}

/* Template slots nothing fills: kb build's own check (kbtext_slots). */
static void slots(lint *L)
{
	buf b = {0};

	kbtext_slots(L->db, &b);
	for (const char *p = buf_str(&b); *p;) {
		size_t n = strcspn(p, "\n");
		const char *sp = memchr(p, ' ', n), *colon = memchr(p, ':', n);

		if (sp && colon && colon > sp) {
			char kind[16], id[80];

			snprintf(kind, sizeof kind, "%.*s", (int)(sp - p), p);
			snprintf(id, sizeof id, "%.*s", (int)(colon - sp - 1), sp + 1);
			finding(L, 1, "unfilled_slot", kind, id, "%.*s: it always shows as a placeholder",
				(int)(n - (size_t)(colon + 2 - p)), colon + 2);
		}
		p += n + (p[n] == '\n');
	}
	buf_free(&b);
}

/* ---- titles ---- */

typedef struct titled {
	const char *kind;
	const char *(*id)(const tr_model *m, int i);
	const char *(*title)(const tr_model *m, int i);
	int (*count)(const tr_model *m);
	const char *verb;
} titled;

static const char *fact_id(const tr_model *m, int i) { return m->facts[i].id; }
static const char *fact_text(const tr_model *m, int i) { return m->facts[i].text; }
static int nfacts(const tr_model *m) { return m->nfacts; }
static const char *cause_id(const tr_model *m, int i) { return m->causes[i].id; }
static const char *cause_title(const tr_model *m, int i) { return m->causes[i].title; }
static int ncauses(const tr_model *m) { return m->ncauses; }
static const char *fix_id(const tr_model *m, int i) { return m->fixes[i].id; }
static const char *fix_title(const tr_model *m, int i) { return m->fixes[i].title; }
static int nfixes(const tr_model *m) { return m->nfixes; }

/* s without the spaces around it: *n bytes from the result. */
static const char *trimmed(const char *s, size_t *n)
{
	s += strspn(s, " \t");
	*n = strlen(s);
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

typedef struct title_key {
	const char *text;
	size_t n;      /* trimmed length */
	int index;
} title_key;

static int key_cmp(const void *x, const void *y)
{
	const title_key *a = x, *b = y;
	size_t n = a->n < b->n ? a->n : b->n;
	int d = strncasecmp(a->text, b->text, n);

	if (d)
		return d;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return a->index - b->index;
}

/* Records of one kind whose titles (a fact's question) are the same,
 * ignoring case and the spaces around them: a person cannot tell them
 * apart in a ranking, a plan or a question. Each is named once, against
 * the first of its kind (by id) with that title; sorted, not pairwise. */
static void same_titles(lint *L, const titled *T)
{
	int n = T->count(L->m), nd = 0;
	title_key *k = xcalloc((size_t)n + 1, sizeof *k);
	int *dup = xcalloc((size_t)n + 1, sizeof *dup);   /* index -> first with its title, + 1 */

	for (int i = 0; i < n; i++) {
		k[i].text = trimmed(T->title(L->m, i), &k[i].n);
		k[i].index = i;
	}
	qsort(k, (size_t)n, sizeof *k, key_cmp);
	for (int i = 1; i < n; i++)
		if (k[i].n && k[i].n == k[i - 1].n && strncasecmp(k[i].text, k[i - 1].text, k[i].n) == 0)
			dup[k[i].index] = (dup[k[i - 1].index] ? dup[k[i - 1].index] : k[i - 1].index + 1), nd++;
	for (int i = 0; nd && i < n; i++)
		if (dup[i]) {
			size_t len;
			const char *t = trimmed(T->title(L->m, i), &len);

			finding(L, 0, "duplicate_title", T->kind, T->id(L->m, i), "%s the same as %s %s: "
				"\"%.*s\"", T->verb, T->kind, T->id(L->m, dup[i] - 1), (int)len, t);
		}
	free(dup);
	free(k);
}

static void titles(lint *L)
{
	static const titled kinds[] = {
		{ "fact", fact_id, fact_text, nfacts, "asks" },
		{ "cause", cause_id, cause_title, ncauses, "is titled" },
		{ "fix", fix_id, fix_title, nfixes, "is titled" },
	};

	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		same_titles(L, &kinds[k]);
}

/* ---- the whole review ---- */

json_t *kblint_run(sqlite3 *db, const tr_model *m, char *const *cases, int ncases, tr_err *e)
{
	lint L = { db, m, json_array(), json_array(), 0, 0, xcalloc((size_t)m->ncauses + 1, 1) };
	json_t *out = NULL;

	survey(&L);
	without_fix(&L);
	risky(&L);
	nested(&L);
	commands(&L);
	slots(&L);
	same_evidence(&L);
	unused_facts(&L);
	gated(&L);
	if (never_fire(&L, cases, ncases, e) == TR_OK) {
		clamps(&L);
		titles(&L);
		out = json_pack("{s:i, s:i, s:b, s:O, s:O}", "errors", L.errors, "warnings", L.warnings,
				"rules_checked", ncases > 0, "undecided", L.undecided, "findings", L.found);
	}
	json_decref(L.found);
	json_decref(L.undecided);
	free(L.scaled);
	return out;
}

int kblint_cmd(cli *c)
{
	char **cases = xcalloc((size_t)c->argc + 1, sizeof *cases);
	int ncases = 0, json = 0, rc = TR_OK, nerr, nwarn;
	json_t *r, *f;
	size_t i;

	for (int k = 0; k < c->argc; k++) {
		if (strcmp(c->argv[k], "--json") == 0)
			json = 1;
		else if (c->argv[k][0] == '-' && c->argv[k][1]) {
			free(cases);
			return tr_fail(&c->err, TR_EUSAGE, "kb lint: unknown option %s", c->argv[k]);
		} else
			cases[ncases++] = c->argv[k];
	}
	r = kblint_run(c->db, c->m, cases, ncases, &c->err);
	free(cases);
	if (!r)
		return TR_ERR;
	nerr = (int)json_integer_value(json_object_get(r, "errors"));
	nwarn = (int)json_integer_value(json_object_get(r, "warnings"));
	if (json) {
		json_object_set_new(r, "kb", json_string(c->kb_path));
		char *s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (s)
			puts(s);
		free(s);
	} else {
		json_array_foreach(json_object_get(r, "findings"), i, f) {
			buf b = {0};

			buf_printf(&b, "%s: %s: %s [%s]", json_string_value(json_object_get(f, "level")),
				   json_string_value(json_object_get(f, "record")),
				   json_string_value(json_object_get(f, "message")),
				   json_string_value(json_object_get(f, "check")));
			text_put(stdout, buf_str(&b));
			putchar('\n');
			buf_free(&b);
		}
		if (!ncases)
			puts("note: rules not checked for firing: name the case files (as kb test takes them)");
		json_array_foreach(json_object_get(r, "undecided"), i, f)
			printf("note: fact %s: hidden at the start; not decided whether in every context "
			       "(more than %d contexts, or a hiding rule reads free text)\n",
			       json_string_value(f), KBLINT_CONTEXTS);
		printf("%s: %d error%s, %d warning%s\n", c->kb_path, nerr, nerr == 1 ? "" : "s",
		       nwarn, nwarn == 1 ? "" : "s");
	}
	if (nerr)
		rc = tr_fail(&c->err, TR_ERR, "kb lint: %d error%s in %s", nerr, nerr == 1 ? "" : "s",
			     c->kb_path);
	json_decref(r);
	return rc;
}
