/*
 * test_session.c: session.c runs the rules to a fixpoint, re-running only
 * the rules whose reads changed; derived facts count as evidence and are
 * not asked; the user's answer beats a rule's; hide and scale take effect;
 * a pair of rules that never settles is switched off; bad events change
 * nothing; back gives the state a fresh replay of the shorter log gives;
 * the same events give the same actions.
 *
 * The model: causes c1 0.4, c2 0.35, c3 0.25, a fix for each (cost 10).
 *   y (cost 0.5) is the telling question: yes 0.9 under c1, 0.1 under c2.
 *   x (cost 5), z, w (cost 2) carry some evidence; q (cost 0.5) tells c3
 *   apart best of all but rule_hide hides it.
 * Rules (run in id order):
 *   rule_a  reads x: derives y = yes when x is a, no when x is b
 *   rule_b  reads y: derives z = y
 *   rule_c  reads w: w = b scales c3 by 0
 *   rule_hide reads nothing: hides q
 */
#include "testkit.h"
#include "belief.h"
#include "jsonl.h"
#include "reach.h"
#include "session.h"
#include "explain.h"

typedef struct fixture {
	char *dir;
	sqlite3 *db;
	tr_model *m;
	session *s;
	sqlite3 *db2;      /* a second model a test builds, freed by teardown */
	tr_model *m2;
	session *s2;
} fixture;

static void base_model(sqlite3 *db)
{
	tk_fact(db, "x", 5, 0, "a=0.5 b=0.5");
	tk_fact(db, "y", 0.5, 0, "yes=0.5 no=0.5");
	tk_fact(db, "z", 2, 0, "yes=0.5 no=0.5");
	tk_fact(db, "w", 2, 0, "a=0.5 b=0.5");
	tk_fact(db, "q", 0.5, 0, "yes=0.5 no=0.5");
	tk_cause(db, "c1", 0.4);
	tk_cause(db, "c2", 0.35);
	tk_cause(db, "c3", 0.25);
	tk_evidence(db, "c1", "y", "yes=0.9");
	tk_evidence(db, "c2", "y", "yes=0.1");
	tk_evidence(db, "c1", "x", "a=0.7");
	tk_evidence(db, "c3", "z", "yes=0.8");
	tk_evidence(db, "c3", "w", "a=0.8");
	tk_evidence(db, "c3", "q", "yes=0.95");
	tk_evidence(db, "c1", "q", "yes=0.05");
	tk_evidence(db, "c2", "q", "yes=0.05");
	tk_fix(db, "f1", 10, "low", "c1=0.95");
	tk_fix(db, "f2", 10, "low", "c2=0.95");
	tk_fix(db, "f3", 10, "low", "c3=0.95");
}

static void base_rules(sqlite3 *db)
{
	tk_rule(db, "rule_a", "x",
		"description = \"y follows from x\"\nreads = {\"x\"}\n"
		"function run(f)\n"
		"  if f.x then derive(\"y\", f.x == \"a\" and \"yes\" or \"no\", \"x says so\") end\n"
		"end\n");
	tk_rule(db, "rule_b", "y",
		"description = \"z follows from y\"\nreads = {\"y\"}\n"
		"function run(f)\n  if f.y then derive(\"z\", f.y, \"y says so\") end\nend\n");
	tk_rule(db, "rule_c", "w",
		"description = \"w = b rules c3 out\"\nreads = {\"w\"}\n"
		"function run(f)\n  if f.w == \"b\" then scale(\"c3\", 0, \"w is b\") end\nend\n");
	tk_rule(db, "rule_hide", "",
		"description = \"q never applies\"\nreads = {}\n"
		"function run(f)\n  hide(\"q\", \"never here\")\nend\n");
}

static session *open_session(const tr_model *m)
{
	session *s;
	tr_err e;

	tr_clear(&e);
	if (session_open(m, 2, &s, &e) != TR_OK)
		fail_msg("session_open: %s", e.msg);
	return s;
}

static int setup_with(void **state, int with_rules)
{
	fixture *F = calloc(1, sizeof *F);

	F->dir = tk_mkdtemp();
	F->db = tk_kb_create(F->dir, "session.sqlite");
	base_model(F->db);
	if (with_rules)
		base_rules(F->db);
	F->m = tk_load(F->db);
	F->s = open_session(F->m);
	*state = F;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 1);
}

static int setup_no_rules(void **state)
{
	return setup_with(state, 0);
}

static int teardown(void **state)
{
	fixture *F = *state;

	session_free(F->s2);
	model_free(F->m2);
	sqlite3_close(F->db2);
	session_free(F->s);
	model_free(F->m);
	sqlite3_close(F->db);
	tk_rmrf(F->dir);
	free(F->dir);
	free(F);
	return 0;
}

static void add(session *s, enum event_kind kind, const char *subject, const char *value)
{
	tr_err e;

	tr_clear(&e);
	if (session_add(s, kind, subject, value, &e) != TR_OK)
		fail_msg("session_add(%s, %s): %s", subject, value, e.msg);
}

static void set(session *s, const char *fact, const char *value)
{
	add(s, EV_SET, fact, value);
}

/* The pending question's fact id, or "" when the action is not a question. */
static const char *asked(session *s)
{
	const action *a = session_next(s);

	return a->kind == ACT_QUESTION ? session_model(s)->facts[a->fact].id : "";
}

/* Fails unless two sessions on the same model are in the same state. */
static void assert_same_state(session *a, session *b)
{
	const tr_model *m = session_model(a);
	const action *x = session_next(a), *y = session_next(b);
	const double *pa = session_p(a), *pb = session_p(b);

	for (int f = 0; f < m->nfacts; f++) {
		const char *ta = session_shown(a, f), *tb = session_shown(b, f);
		const char *wa, *wb;
		int ra, rb;

		if (session_value(a, f) != session_value(b, f) || session_origin(a, f) != session_origin(b, f) ||
		    session_is_unknown(a, f) != session_is_unknown(b, f) ||
		    session_derived_by(a, f, NULL) != session_derived_by(b, f, NULL) ||
		    session_is_hidden(a, f, &wa, &ra) != session_is_hidden(b, f, &wb, &rb) || ra != rb ||
		    (ta == NULL) != (tb == NULL) || (ta && strcmp(ta, tb) != 0))
			fail_msg("fact %s differs: value %d/%d, origin %d/%d, derived by %d/%d, shown %s/%s",
				 m->facts[f].id, session_value(a, f), session_value(b, f),
				 session_origin(a, f), session_origin(b, f), session_derived_by(a, f, NULL),
				 session_derived_by(b, f, NULL), ta ? ta : "-", tb ? tb : "-");
	}
	for (int c = 0; c < m->ncauses; c++) {
		if (session_scale(a, c) != session_scale(b, c))
			fail_msg("scale of %s differs", m->causes[c].id);
		if (pa[c] != pb[c])
			fail_msg("p(%s) differs: %.17g / %.17g", m->causes[c].id, pa[c], pb[c]);
	}
	for (int k = 0; k < m->nfixes; k++)
		assert_int_equal(session_fix_state(a, k), session_fix_state(b, k));
	assert_int_equal(x->kind, y->kind);
	assert_int_equal(x->kind == ACT_QUESTION ? x->fact : x->kind == ACT_RECOMMEND ? x->fix : -1,
			 y->kind == ACT_QUESTION ? y->fact : y->kind == ACT_RECOMMEND ? y->fix : -1);
}

/* ---- dependency tracking ---- */

static void test_opening_runs_every_rule_once(void **state)
{
	fixture *F = *state;

	assert_int_equal(session_rule_runs(F->s), 4);
}

static void test_answering_x_runs_a_then_b_and_not_c(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;
	long before = session_rule_runs(F->s);

	set(F->s, "x", "a");
	/* rule_a (x changed), then rule_b (y changed); z is read by nobody */
	assert_int_equal(session_rule_runs(F->s) - before, 2);
	assert_int_equal(session_value(F->s, tk_f(m, "y")), tk_v(m, "y", "yes"));
	assert_int_equal(session_value(F->s, tk_f(m, "z")), tk_v(m, "z", "yes"));
	assert_int_equal(session_derived_by(F->s, tk_f(m, "y"), NULL), model_rule(m, "rule_a"));
	assert_int_equal(session_derived_by(F->s, tk_f(m, "z"), NULL), model_rule(m, "rule_b"));
	assert_int_equal(session_origin(F->s, tk_f(m, "y")), ORIGIN_RULE);
	assert_string_equal(session_shown(F->s, tk_f(m, "z")), "yes");
}

static void test_answering_w_runs_only_c(void **state)
{
	fixture *F = *state;
	long before = session_rule_runs(F->s);

	set(F->s, "w", "a");
	assert_int_equal(session_rule_runs(F->s) - before, 1);
	/* the same value again changes nothing the rules see */
	set(F->s, "w", "a");
	assert_int_equal(session_rule_runs(F->s) - before, 1);
}

static void test_changing_x_reruns_the_chain(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;
	long before;

	set(F->s, "x", "a");
	before = session_rule_runs(F->s);
	set(F->s, "x", "b");
	assert_int_equal(session_rule_runs(F->s) - before, 2);
	assert_int_equal(session_value(F->s, tk_f(m, "z")), tk_v(m, "z", "no"));
}

static void test_derived_fact_is_evidence_and_is_not_asked(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;
	int obs[5] = {-1, -1, -1, -1, -1};
	double p[3];
	const double *sp;

	/* with nothing known, y is the question worth asking */
	assert_string_equal(asked(F->s), "y");
	set(F->s, "x", "a");
	/* the posterior counts x (answered) and y, z (derived) */
	obs[tk_f(m, "x")] = tk_v(m, "x", "a");
	obs[tk_f(m, "y")] = tk_v(m, "y", "yes");
	obs[tk_f(m, "z")] = tk_v(m, "z", "yes");
	belief_posterior(m, obs, NULL, NULL, p);
	sp = session_p(F->s);
	for (int c = 0; c < 3; c++)
		assert_near(sp[c], p[c], 1e-12);
	/* and neither derived fact is asked for the rest of the session */
	for (int step = 0; step < 20 && session_next(F->s)->kind != ACT_DONE; step++) {
		const action *a = session_next(F->s);
		tr_err e;

		assert_string_not_equal(asked(F->s), "y");
		assert_string_not_equal(asked(F->s), "z");
		tr_clear(&e);
		if (a->kind == ACT_QUESTION)
			assert_int_equal(session_answer(F->s, "unknown", &e), TR_OK);
		else
			assert_int_equal(session_result(F->s, "failed", &e), TR_OK);
	}
}

static void test_user_answer_overrides_a_derived_value(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;
	long before;

	set(F->s, "x", "a");                 /* y derived yes, z yes */
	before = session_rule_runs(F->s);
	set(F->s, "y", "no");
	assert_int_equal(session_value(F->s, tk_f(m, "y")), tk_v(m, "y", "no"));
	assert_int_equal(session_origin(F->s, tk_f(m, "y")), ORIGIN_SET);
	assert_string_equal(session_shown(F->s, tk_f(m, "y")), "no");
	/* rule_b sees the person's answer: z follows it */
	assert_int_equal(session_rule_runs(F->s) - before, 1);
	assert_int_equal(session_value(F->s, tk_f(m, "z")), tk_v(m, "z", "no"));
}

static void test_hidden_fact_is_never_asked(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;
	int q = tk_f(m, "q"), rule;
	const char *why;

	assert_true(session_is_hidden(F->s, q, &why, &rule));
	assert_string_equal(why, "never here");
	assert_int_equal(rule, model_rule(m, "rule_hide"));
	for (int step = 0; step < 30 && session_next(F->s)->kind != ACT_DONE; step++) {
		const action *a = session_next(F->s);
		tr_err e;

		/* q would be worth asking (its ECO beats the action taken) */
		if (step == 0)
			assert_true(session_question_value(F->s, q, NULL) < a->eco);
		assert_string_not_equal(asked(F->s), "q");
		tr_clear(&e);
		if (a->kind == ACT_QUESTION)
			assert_int_equal(session_answer(F->s, "unknown", &e), TR_OK);
		else
			assert_int_equal(session_result(F->s, "failed", &e), TR_OK);
	}
}

static void test_scale_zero_removes_a_cause_from_the_ranking(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;
	int order[3], c3 = tk_c(m, "c3");

	assert_int_equal(session_ranking(F->s, order), 3);
	set(F->s, "w", "b");
	assert_true(session_scale(F->s, c3) == 0.0);
	assert_int_equal(session_ranking(F->s, order), 2);
	assert_int_not_equal(order[0], c3);
	assert_int_not_equal(order[1], c3);
	assert_true(session_p(F->s)[c3] == 0.0);
	assert_near(session_p(F->s)[order[0]] + session_p(F->s)[order[1]], 1, 1e-12);
	/* and its only fix is no longer planned */
	{
		int plan[3], n = session_plan(F->s, plan);

		for (int i = 0; i < n; i++)
			assert_string_not_equal(m->fixes[plan[i]].id, "f3");
	}
}

/* ---- back ---- */

static void test_back_returns_derived_facts_to_their_previous_state(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;
	session *fresh;

	set(F->s, "w", "a");
	set(F->s, "x", "a");
	assert_int_equal(session_value(F->s, tk_f(m, "y")), tk_v(m, "y", "yes"));
	assert_int_equal(session_back(F->s, NULL), TR_OK);
	/* x is gone: y and z are no longer derived */
	assert_int_equal(session_value(F->s, tk_f(m, "x")), -1);
	assert_int_equal(session_value(F->s, tk_f(m, "y")), -1);
	assert_int_equal(session_derived_by(F->s, tk_f(m, "y"), NULL), -1);
	assert_int_equal(session_value(F->s, tk_f(m, "z")), -1);
	assert_null(session_shown(F->s, tk_f(m, "z")));
	/* the state is what a fresh session given the same log is in */
	fresh = open_session(m);
	set(fresh, "w", "a");
	assert_same_state(F->s, fresh);
	session_free(fresh);
}

static void test_back_after_a_scale_restores_the_cause(void **state)
{
	fixture *F = *state;
	session *fresh;

	set(F->s, "x", "b");
	set(F->s, "w", "b");
	assert_true(session_scale(F->s, tk_c(F->m, "c3")) == 0.0);
	assert_int_equal(session_back(F->s, NULL), TR_OK);
	assert_true(session_scale(F->s, tk_c(F->m, "c3")) == 1.0);
	fresh = open_session(F->m);
	set(fresh, "x", "b");
	assert_same_state(F->s, fresh);
	session_free(fresh);
}

static void test_back_brings_the_same_question_back(void **state)
{
	fixture *F = *state;
	const session_event *ev;
	char first[64];
	tr_err e;

	snprintf(first, sizeof first, "%s", asked(F->s));
	assert_string_not_equal(first, "");
	tr_clear(&e);
	assert_int_equal(session_answer(F->s, "yes", &e), TR_OK);
	assert_int_equal(session_events(F->s, &ev), 1);
	assert_int_equal(session_back(F->s, &e), TR_OK);
	assert_int_equal(session_events(F->s, &ev), 0);
	assert_string_equal(asked(F->s), first);
}

static void test_back_does_not_undo_given_facts(void **state)
{
	fixture *F = *state;
	const session_event *ev;
	tr_err e;

	add(F->s, EV_GIVEN, "w", "a");
	tr_clear(&e);
	assert_int_equal(session_back(F->s, &e), TR_EUSAGE);
	assert_string_equal(e.msg, "nothing to undo");
	assert_int_equal(session_events(F->s, &ev), 1);
	assert_int_equal(session_origin(F->s, tk_f(F->m, "w")), ORIGIN_GIVEN);
}

/* ---- bad events ---- */

static void expect_rejected(fixture *F, enum event_kind kind, const char *subject, const char *value,
			    const char *msg)
{
	const session_event *ev;
	int nev = session_events(F->s, &ev);
	long runs = session_rule_runs(F->s);
	action before = *session_next(F->s);
	const action *after;
	tr_err e;

	tr_clear(&e);
	assert_int_equal(session_add(F->s, kind, subject, value, &e), TR_EUSAGE);
	assert_int_equal(e.code, TR_EUSAGE);
	assert_string_equal(e.msg, msg);
	assert_int_equal(session_events(F->s, &ev), nev);
	assert_int_equal(session_rule_runs(F->s), runs);
	after = session_next(F->s);
	assert_int_equal(after->kind, before.kind);
	assert_int_equal(after->fact, before.fact);
}

static void test_unknown_fact_is_rejected_and_nothing_changes(void **state)
{
	expect_rejected(*state, EV_SET, "nosuch", "a", "unknown fact 'nosuch'");
}

static void test_value_not_among_the_choices_is_rejected(void **state)
{
	expect_rejected(*state, EV_SET, "x", "c", "'c' is not a choice for x (choose a, b, or unknown)");
	expect_rejected(*state, EV_ANSWER, "y", "", "'' is not a choice for y (choose yes, no, or unknown)");
}

static void test_unknown_fix_or_result_is_rejected(void **state)
{
	expect_rejected(*state, EV_RESULT, "nofix", "worked", "unknown fix 'nofix'");
	expect_rejected(*state, EV_RESULT, "f1", "maybe", "a fix result is worked, failed or skipped, not 'maybe'");
}

static void test_reply_of_the_wrong_kind_is_rejected(void **state)
{
	fixture *F = *state;
	const session_event *ev;
	tr_err e;

	assert_int_equal(session_next(F->s)->kind, ACT_QUESTION);
	tr_clear(&e);
	assert_int_equal(session_result(F->s, "worked", &e), TR_EUSAGE);
	assert_string_equal(e.msg, "no fix is pending: answer the question");
	assert_int_equal(session_events(F->s, &ev), 0);
}

static void test_unknown_is_accepted_for_every_fact(void **state)
{
	fixture *F = *state;

	for (int f = 0; f < F->m->nfacts; f++) {
		set(F->s, F->m->facts[f].id, "unknown");
		assert_true(session_is_unknown(F->s, f));
		assert_int_equal(session_value(F->s, f), -1);
	}
}

/* ---- rules that never settle ---- */

/* p := not r, r := p: each run changes what the other reads. */
static tr_model *cycle_model(fixture *F, int with_rules, sqlite3 **db)
{
	*db = tk_kb_create(F->dir, "cycle.sqlite");
	base_model(*db);
	if (with_rules)
		base_rules(*db);
	tk_fact(*db, "p", 1, 0, "on=0.5 off=0.5");
	tk_fact(*db, "r", 1, 0, "on=0.5 off=0.5");
	tk_rule(*db, "cyc_a", "r",
		"description = \"p is the opposite of r\"\nreads = {\"r\"}\n"
		"function run(f)\n  derive(\"p\", f.r == \"on\" and \"off\" or \"on\")\nend\n");
	tk_rule(*db, "cyc_b", "p",
		"description = \"r follows p\"\nreads = {\"p\"}\n"
		"function run(f)\n  if f.p then derive(\"r\", f.p) end\nend\n");
	return tk_load(*db);
}

/* Fix f applies only where fact is value (kind 'fix', item -1). */
static void fix_applies(sqlite3 *db, const char *fix, const char *fact, const char *value)
{
	tk_sql(db, "INSERT INTO applies VALUES ('fix', %Q, -1, 0, %Q, 0)", fix, fact);
	tk_sql(db, "INSERT INTO applies_value VALUES ('fix', %Q, -1, 0, 0, %Q, %Q)", fix, fact, value);
}

/* session_ruled_out (issue 16): the untried fixes that what is known rules
 * out, by a fact outside where they apply or by a rule's exclude, likeliest
 * first by the chance they would have, capped; a tried fix, one that may
 * still apply and one without a chance are not among them. */
static void test_ruled_out_lists_what_the_context_keeps_away(void **state)
{
	fixture *F = *state;
	tr_model *m;
	session *s;
	int v[4], n;
	buf why = {0};
	tr_err e;

	F->db2 = tk_kb_create(F->dir, "ruled.sqlite");
	base_model(F->db2);
	tk_fix(F->db2, "f1_on_b", 10, "low", "c1=0.9");   /* c1 0.4: the likeliest ruled out */
	tk_fix(F->db2, "f3_on_b", 10, "low", "c3=0.9");   /* c3 0.25 */
	tk_fix(F->db2, "f2_excluded", 10, "low", "c2=0.5");
	tk_fix(F->db2, "f2_on_a", 10, "low", "c2=0.9");   /* applies where x is a: not ruled out */
	fix_applies(F->db2, "f1_on_b", "x", "b");
	fix_applies(F->db2, "f3_on_b", "x", "b");
	fix_applies(F->db2, "f2_on_a", "x", "a");
	tk_rule(F->db2, "no_f2", "y",
		"description = \"f2_excluded never on yes\"\nreads = {\"y\"}\n"
		"function run(f)\n  if f.y == \"yes\" then exclude(\"f2_excluded\", \"y is yes\") end\nend\n");
	m = F->m2 = tk_load(F->db2);
	s = F->s2 = open_session(m);
	/* nothing known: nothing is ruled out */
	assert_int_equal(session_ruled_out(s, v, 4), 0);
	assert_int_equal(session_add(s, EV_GIVEN, "x", "a", &e), TR_OK);
	n = session_ruled_out(s, v, 4);
	assert_int_equal(n, 2);
	assert_string_equal(m->fixes[v[0]].id, "f1_on_b");
	assert_string_equal(m->fixes[v[1]].id, "f3_on_b");
	explain_ruled_out(s, v[0], &why);
	assert_string_equal(buf_str(&why), "it applies only if x is b; here x is a");
	/* the rule's exclude joins, with its reason; the cap keeps the likeliest */
	assert_int_equal(session_add(s, EV_GIVEN, "y", "yes", &e), TR_OK);
	n = session_ruled_out(s, v, 4);
	assert_int_equal(n, 3);
	assert_int_equal(session_ruled_out(s, v, 1), 1);
	assert_string_equal(m->fixes[v[0]].id, "f1_on_b");
	n = session_ruled_out(s, v, 4);
	for (int i = 0; i < n; i++)
		if (strcmp(m->fixes[v[i]].id, "f2_excluded") == 0) {
			buf_reset(&why);
			explain_ruled_out(s, v[i], &why);
			assert_string_equal(buf_str(&why), "y is yes");
		}
	for (int i = 1; i < n; i++)
		assert_true(plan_chance(m, session_p(s), v[i - 1]) >= plan_chance(m, session_p(s), v[i]));
	/* set right, they come back */
	assert_int_equal(session_add(s, EV_SET, "x", "b", &e), TR_OK);
	n = session_ruled_out(s, v, 4);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++)
		assert_string_not_equal(m->fixes[v[i]].id, "f1_on_b");
	buf_free(&why);
}

/* A stated answer that rules out a fix with more than SESSION_RECHECK
 * times the chance of the next one is asked again (action.recheck), once:
 * answered the same, the plan goes on; back brings the recheck back;
 * answered otherwise, the fix it kept out comes first. A rule's exclude
 * is never a reason to ask again. */
static void test_a_stated_answer_is_asked_again_once(void **state)
{
	fixture *F = *state;
	tr_model *m;
	session *s;
	const action *a;
	tr_err e;

	F->db2 = tk_kb_create(F->dir, "recheck.sqlite");
	tk_fact(F->db2, "x", 1, 0, "a=0.5 b=0.5");
	tk_fact(F->db2, "y", 1, 0, "yes=0.5 no=0.5");
	tk_cause(F->db2, "c1", 0.1);
	tk_cause(F->db2, "c4", 0.9);
	tk_fix(F->db2, "f1", 10, "low", "c1=0.95");
	tk_fix(F->db2, "g_on_b", 10, "low", "c4=0.9");
	tk_fix(F->db2, "h", 10, "low", "c4=0.9");
	fix_applies(F->db2, "g_on_b", "x", "b");
	tk_rule(F->db2, "no_h", "y",
		"description = \"h never on yes\"\nreads = {\"y\"}\n"
		"function run(f)\n  if f.y == \"yes\" then exclude(\"h\", \"y is yes\") end\nend\n");
	m = F->m2 = tk_load(F->db2);
	s = F->s2 = open_session(m);
	/* x = a keeps g_on_b (c4: 0.9 x 0.9) out while f1 has 0.1 x 0.95: x is asked again */
	assert_int_equal(session_add(s, EV_GIVEN, "y", "yes", &e), TR_OK);
	assert_int_equal(session_add(s, EV_GIVEN, "x", "a", &e), TR_OK);
	a = session_next(s);
	assert_int_equal(a->kind, ACT_QUESTION);
	assert_true(a->recheck);
	assert_string_equal(m->facts[a->fact].id, "x");
	assert_string_equal(m->fixes[a->fix].id, "g_on_b");
	/* the same answer again: confirmed, the plan goes on with f1 */
	assert_int_equal(session_answer(s, "a", &e), TR_OK);
	a = session_next(s);
	assert_int_equal(a->kind, ACT_RECOMMEND);
	assert_string_equal(m->fixes[a->fix].id, "f1");
	assert_false(a->recheck);
	/* back: the recheck is pending again */
	assert_int_equal(session_back(s, &e), TR_OK);
	a = session_next(s);
	assert_true(a->kind == ACT_QUESTION && a->recheck);
	/* answered otherwise: the fix it kept out comes first */
	assert_int_equal(session_answer(s, "b", &e), TR_OK);
	a = session_next(s);
	assert_int_equal(a->kind, ACT_RECOMMEND);
	assert_string_equal(m->fixes[a->fix].id, "g_on_b");
	/* h, as likely, is kept out by the rule on y = yes: never a reason to ask y again */
	session_free(F->s2);
	s = F->s2 = open_session(m);
	assert_int_equal(session_add(s, EV_GIVEN, "y", "yes", &e), TR_OK);
	a = session_next(s);
	assert_false(a->recheck);
	assert_false(a->kind == ACT_QUESTION && strcmp(m->facts[a->fact].id, "y") == 0);
}

static const char unsettled[] =
	": switched off: the rules did not settle (its effects keep changing the facts it reads)";

static void test_rules_that_never_settle_are_switched_off(void **state)
{
	fixture *F = *state;
	const char *const *notes;
	char a[200], b[200];
	tr_model *m = F->m2 = cycle_model(F, 0, &F->db2);
	session *s = F->s2 = open_session(m);
	int n = session_notes(s, &notes);

	/* the pair (or the one of it that breaks the cycle) is switched
	 * off, each with this note; nothing else is */
	snprintf(a, sizeof a, "rule cyc_a%s", unsettled);
	snprintf(b, sizeof b, "rule cyc_b%s", unsettled);
	assert_in_range(n, 1, 2);
	for (int i = 0; i < n; i++)
		if (strcmp(notes[i], a) != 0 && strcmp(notes[i], b) != 0)
			fail_msg("unexpected note: %s", notes[i]);
	/* the session still produces an action, and goes on without new notes */
	assert_int_not_equal(session_next(s)->kind, ACT_DONE);
	set(s, "x", "a");
	assert_int_equal(session_notes(s, &notes), n);
	assert_int_not_equal(session_next(s)->kind, ACT_DONE);
}

static void test_rules_outside_a_cycle_keep_working(void **state)
{
	fixture *F = *state;
	const char *const *notes;
	tr_model *m = F->m2 = cycle_model(F, 1, &F->db2);
	session *s = F->s2 = open_session(m);
	int n = session_notes(s, &notes);

	/* rule_a .. rule_hide have nothing to do with the cycle (they sort
	 * after cyc_a and cyc_b, so they wait while the cycle runs) */
	for (int i = 0; i < n; i++)
		if (strncmp(notes[i], "rule cyc_", 9) != 0)
			fail_msg("a rule outside the cycle was switched off: %s", notes[i]);
	assert_true(session_is_hidden(s, tk_f(m, "q"), NULL, NULL));
	set(s, "x", "a");
	assert_int_equal(session_value(s, tk_f(m, "z")), tk_v(m, "z", "yes"));
}

/* ---- determinism ---- */

/* Plays a session to its end: every question answered with its first
 * choice, every fix failed; writes the actions into trail. */
static void play(const tr_model *m, char *trail, size_t n, double *ps)
{
	session *s = open_session(m);
	size_t len = 0;

	set(s, "w", "a");
	for (int step = 0; step < 40; step++) {
		const action *a = session_next(s);
		tr_err e;

		memcpy(ps + 3 * step, session_p(s), 3 * sizeof *ps);
		tr_clear(&e);
		if (a->kind == ACT_DONE) {
			len += (size_t)snprintf(trail + len, n - len, "done %s", session_done_names[a->status]);
			break;
		}
		if (a->kind == ACT_QUESTION) {
			const tr_fact *f = &m->facts[a->fact];

			len += (size_t)snprintf(trail + len, n - len, "?%s ", f->id);
			assert_int_equal(session_answer(s, m->values[f->first].value, &e), TR_OK);
		} else {
			len += (size_t)snprintf(trail + len, n - len, "!%s ", m->fixes[a->fix].id);
			assert_int_equal(session_result(s, "failed", &e), TR_OK);
		}
	}
	session_free(s);
}

static void test_same_events_give_the_same_actions(void **state)
{
	fixture *F = *state;
	char one[1024] = "", two[1024] = "";
	double p1[3 * 40] = {0}, p2[3 * 40] = {0};

	play(F->m, one, sizeof one, p1);
	play(F->m, two, sizeof two, p2);
	assert_string_equal(one, two);
	assert_memory_equal(p1, p2, sizeof p1);
	/* every fix failed: the session ends exhausted */
	assert_non_null(strstr(one, "done exhausted"));
}

static void test_worked_fix_resolves_and_ends_the_session(void **state)
{
	fixture *F = *state;
	enum done_status st;
	tr_err e;

	set(F->s, "x", "a");
	while (session_next(F->s)->kind == ACT_QUESTION) {
		tr_clear(&e);
		assert_int_equal(session_answer(F->s, "unknown", &e), TR_OK);
	}
	assert_int_equal(session_next(F->s)->kind, ACT_RECOMMEND);
	assert_int_equal(session_result(F->s, "worked", &e), TR_OK);
	assert_true(session_done(F->s, &st));
	assert_int_equal(st, DONE_RESOLVED);
	assert_int_equal(session_add(F->s, EV_SET, "w", "a", &e), TR_EUSAGE);
	assert_string_equal(e.msg, "the session is over (resolved)");
}

static void test_failed_fix_lowers_its_causes(void **state)
{
	fixture *F = *state;
	int c1 = tk_c(F->m, "c1");
	double before = session_p(F->s)[c1];

	add(F->s, EV_RESULT, "f1", "failed");
	/* c1: 0.4 * 0.05 against 0.35 and 0.25 */
	assert_near(session_p(F->s)[c1], 0.02 / 0.62, 1e-12);
	assert_true(session_p(F->s)[c1] < before);
	assert_int_equal(session_fix_state(F->s, tk_x(F->m, "f1")), FIX_FAILED);
}

/* What jsonl_ranking's object dumps to, with "session": id when id != 0. */
static char *ranking_dump(session *s, sqlite3_int64 id)
{
	json_t *o = jsonl_ranking(s);
	char *t;

	if (id)
		json_object_set_new(o, "session", json_integer(id));
	t = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(o);
	return t;
}

static void assert_line_is_dump(session *s, sqlite3_int64 id, jsonl_rank_cache **cache, buf *line)
{
	char *want = ranking_dump(s, id);

	assert_int_equal(jsonl_ranking_line(s, id, cache, line), 0);
	assert_string_equal(buf_str(line), want);
	free(want);
}

/* The ranking line written directly (session --jsonl) is byte for byte the
 * dump of the ranking object: titles that need escaping or are not UTF-8
 * (jansson drops that key), equal chances side by side, reach and a rule's
 * note after the causes, the session id last. */
static void test_ranking_line_is_the_objects_dump(void **state)
{
	fixture *F = *state;
	jsonl_rank_cache *cache = NULL;
	buf line = {0};

	F->db2 = tk_kb_create(F->dir, "rank.sqlite");
	base_model(F->db2);
	base_rules(F->db2);
	tk_rule(F->db2, "rule_bad", "x",
		"description = \"fails\"\nreads = {\"x\"}\nfunction run(f)\n  if f.x then error(\"boom\") end\nend\n");
	tk_sql(F->db2, "UPDATE cause SET title = 'quote \" back \\ slash / tab' || char(9) || 'nl' || char(10)"
	       " || 'e' || char(233) || ' ' || char(10003) || char(1) WHERE id = 'c1'");
	tk_sql(F->db2, "UPDATE cause SET title = CAST(x'41ff42' AS TEXT) WHERE id = 'c2'");
	tk_sql(F->db2, "UPDATE cause SET prior = 0.35 WHERE id = 'c3'");
	F->m2 = tk_load(F->db2);
	F->s2 = open_session(F->m2);
	assert_line_is_dump(F->s2, 0, &cache, &line);
	assert_line_is_dump(F->s2, 42, &cache, &line);
	assert_non_null(strstr(buf_str(&line), "\"title\":\"quote \\\" back \\\\ slash / tab\\tnl\\n"));
	assert_non_null(strstr(buf_str(&line), "{\"id\":\"c2\",\"p\":0.318181818182}]"));  /* not UTF-8: no title */
	session_set_reach(F->s2, REACH_CLIENT);
	add(F->s2, EV_ANSWER, "x", "a");
	assert_true(session_notes(F->s2, &(const char *const *){NULL}) > 0);
	assert_line_is_dump(F->s2, 7, &cache, &line);
	assert_non_null(strstr(buf_str(&line), "],\"reach\":\"client\",\"notes\":[\"rule rule_bad"));
	jsonl_ranking_line(F->s, 0, &cache, &line);  /* another model: the cache is remade */
	assert_line_is_dump(F->s, 3, &cache, &line);
	jsonl_rank_cache_free(cache);
	buf_free(&line);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_opening_runs_every_rule_once),
		T(test_answering_x_runs_a_then_b_and_not_c),
		T(test_answering_w_runs_only_c),
		T(test_changing_x_reruns_the_chain),
		T(test_derived_fact_is_evidence_and_is_not_asked),
		T(test_user_answer_overrides_a_derived_value),
		T(test_hidden_fact_is_never_asked),
		T(test_scale_zero_removes_a_cause_from_the_ranking),
		T(test_back_returns_derived_facts_to_their_previous_state),
		T(test_back_after_a_scale_restores_the_cause),
		T(test_back_brings_the_same_question_back),
		T(test_back_does_not_undo_given_facts),
		T(test_unknown_fact_is_rejected_and_nothing_changes),
		T(test_value_not_among_the_choices_is_rejected),
		T(test_unknown_fix_or_result_is_rejected),
		T(test_reply_of_the_wrong_kind_is_rejected),
		T(test_unknown_is_accepted_for_every_fact),
		T(test_rules_that_never_settle_are_switched_off),
		T(test_rules_outside_a_cycle_keep_working),
		T(test_same_events_give_the_same_actions),
		T(test_worked_fix_resolves_and_ends_the_session),
		T(test_ranking_line_is_the_objects_dump),
		T(test_ruled_out_lists_what_the_context_keeps_away),
		T(test_a_stated_answer_is_asked_again_once),
		cmocka_unit_test_setup_teardown(test_failed_fix_lowers_its_causes, setup_no_rules, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
