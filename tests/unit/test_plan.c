/*
 * test_plan.c: plan.c builds the repair sequence greedily by efficiency on
 * the belief left after each failed step, with risk (and the per-step
 * overhead, when asked for) priced in; puts a high-risk fix on weak
 * evidence last; computes the expected cost of repair; uses check-then-fix
 * steps; and asks a question only when it lowers the expected cost, with
 * depth 2 finding a pair of questions that only pay off together.
 * Every expected number is worked out by hand in the comments. Most tests
 * set the step overhead to 0 and offer no checks, to see one rule at a time.
 */
#include "testkit.h"
#include "belief.h"
#include "plan.h"

typedef struct fixture {
	char *dir;
	sqlite3 *db;
	tr_model *m;
} fixture;

static int setup(void **state)
{
	fixture *F = calloc(1, sizeof *F);

	F->dir = tk_mkdtemp();
	F->db = tk_kb_create(F->dir, "plan.sqlite");
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	fixture *F = *state;

	model_free(F->m);
	sqlite3_close(F->db);
	tk_rmrf(F->dir);
	free(F->dir);
	free(F);
	return 0;
}

static tr_model *load(fixture *F)
{
	return F->m = tk_load(F->db);
}

/* The posterior with nothing observed. */
static void prior(const tr_model *m, double *p)
{
	int obs[64];

	for (int f = 0; f < m->nfacts; f++)
		obs[f] = -1;
	belief_posterior(m, obs, NULL, NULL, p);
}

static void all(unsigned char *ok, int n)
{
	memset(ok, 1, (size_t)n);
}

/* A planner input with no check steps and the given step overhead. */
static plan_in input(const tr_model *m, const double *p, const unsigned char *fix_ok,
		     const unsigned char *ask_ok, int depth, double step)
{
	plan_in in = { .m = m, .p = p, .fix_ok = fix_ok, .ask_ok = ask_ok, .depth = depth, .step = step };

	return in;
}

static const char *fix_at(const tr_model *m, const plan_step *steps, int i)
{
	return m->fixes[steps[i].fix].id;
}

/* Jensen & Nielsen's example: P(c1, c2, c3) = 0.8, 0.15, 0.05; reboot
 * (cost 1) fixes c1; antivirus (2) fixes c2 with 0.95; reinstall (25) fixes
 * c1 and c2 with 0.99; a new PC (500) fixes everything. */
static void jensen_nielsen(fixture *F)
{
	tk_cause(F->db, "c1", 0.8);
	tk_cause(F->db, "c2", 0.15);
	tk_cause(F->db, "c3", 0.05);
	tk_fix(F->db, "reboot", 1, "low", "c1=1");
	tk_fix(F->db, "antivirus", 2, "low", "c2=0.95");
	tk_fix(F->db, "reinstall", 25, "low", "c1=0.99 c2=0.99");
	tk_fix(F->db, "new_pc", 500, "low", "c1=1 c2=1 c3=1");
}

static void test_jensen_nielsen_order_and_expected_cost_of_repair(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[4], ask[1] = {0};
	double p[3], ecr;
	plan_step steps[4];
	plan_in in;
	int n = -1;

	jensen_nielsen(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	ecr = plan_sequence(&in, p, steps, &n);
	/* reboot 0.8/1 first; then on what is left (c2 0.15, c3 0.05):
	 * antivirus 0.1425/(0.2*2), reinstall 0.1485/(0.2*25), new PC 0.2/(0.2*500);
	 * then (c2 0.0075, c3 0.05) reinstall beats the new PC */
	assert_int_equal(n, 4);
	assert_string_equal(fix_at(m, steps, 0), "reboot");
	assert_string_equal(fix_at(m, steps, 1), "antivirus");
	assert_string_equal(fix_at(m, steps, 2), "reinstall");
	assert_string_equal(fix_at(m, steps, 3), "new_pc");
	for (int i = 0; i < 4; i++)
		assert_int_equal(steps[i].check, -1);
	/* ECR = 1*1                                   reboot, always tried
	 *     + 2*(0.15 + 0.05)          = 0.4        antivirus when c1 is gone
	 *     + 25*(0.15*0.05 + 0.05)    = 1.4375     reinstall
	 *     + 500*(0.15*0.05*0.01 + 0.05) = 25.0375 new PC
	 *     + 60*0                                  nothing is left unresolved
	 *     = 27.875 */
	assert_near(ecr, 27.875, 1e-9);
	/* plan_sequence works without steps and n */
	assert_near(plan_sequence(&in, p, NULL, NULL), 27.875, 1e-9);
}

static void test_every_step_costs_the_step_overhead(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[4], ask[1] = {0};
	double p[3];
	plan_step steps[4];
	plan_in in;
	int n;

	jensen_nielsen(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, PLAN_STEP);
	/* costs 4, 5, 28, 503; the same order (reboot 0.8/4 leads; then
	 * antivirus 0.1425/(0.2*5) beats reinstall 0.1485/(0.2*28)):
	 * 4 + 5*0.2 + 28*0.0575 + 503*0.050075 = 31.797725 */
	assert_near(plan_sequence(&in, p, steps, &n), 31.797725, 1e-9);
	assert_int_equal(n, 4);
	assert_string_equal(fix_at(m, steps, 2), "reinstall");
	assert_near(plan_cost(&in, tk_x(m, "reboot")), 4, 1e-12);
}

static void test_unresolved_probability_is_charged_the_escalation_cost(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[4], ask[1] = {0};
	double p[3];
	plan_step steps[4];
	plan_in in;
	int n;

	jensen_nielsen(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	ok[tk_x(m, "new_pc")] = 0;
	in = input(m, p, ok, ask, 1, 0);
	/* without the new PC: 1 + 0.4 + 1.4375, and c3 (0.05) plus what the
	 * reinstall missed of c2 (0.000075) escalate: 60*0.050075 = 3.0045 */
	assert_near(plan_sequence(&in, p, steps, &n), 1 + 0.4 + 1.4375 + 3.0045, 1e-9);
	assert_int_equal(n, 3);
	/* no fix at all: everything escalates */
	memset(ok, 0, sizeof ok);
	assert_near(plan_sequence(&in, p, steps, &n), PLAN_ESCALATE, 1e-9);
	assert_int_equal(n, 0);
}

static void test_fix_whose_causes_are_all_resolved_is_dropped(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {0};
	double p[2];
	plan_step steps[2];
	plan_in in;
	int n;

	/* both fixes resolve c for sure; once the first failed, c is ruled
	 * out and the second has nothing left to fix */
	tk_cause(F->db, "c", 0.7);
	tk_cause(F->db, "d", 0.3);
	tk_fix(F->db, "first", 5, "low", "c=1");
	tk_fix(F->db, "second", 6, "low", "c=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	/* 5 + 60*0.3 */
	assert_near(plan_sequence(&in, p, steps, &n), 23, 1e-9);
	assert_int_equal(n, 1);
	assert_string_equal(fix_at(m, steps, 0), "first");
}

/* plan_in.applies (issue 16): a fix that does not apply is never in the
 * plan; one that may apply has its chance weighted, not its cost. */
static void test_applies_drops_or_weights_a_fix(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {0};
	double p[2], app[2];
	plan_step steps[2];
	plan_in in;
	int n;

	tk_cause(F->db, "c", 0.7);
	tk_cause(F->db, "d", 0.3);
	tk_fix(F->db, "first", 5, "low", "c=1");
	tk_fix(F->db, "other", 5, "low", "d=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	in.applies = app;
	/* first does not apply: other alone, 5, and c escalates: 60*0.7 */
	app[tk_x(m, "first")] = 0, app[tk_x(m, "other")] = 1;
	assert_near(plan_sequence(&in, p, steps, &n), 5 + 42, 1e-9);
	assert_int_equal(n, 1);
	assert_string_equal(fix_at(m, steps, 0), "other");
	/* first applies with 0.2: 0.2*0.7/5 = 0.028 per minute against 0.3/5,
	 * so other goes first (5); then first (0.7*5 = 3.5) resolves 0.2 of c,
	 * and 0.56 escalates: 60*0.56 = 33.6 */
	app[tk_x(m, "first")] = 0.2;
	assert_near(plan_sequence(&in, p, steps, &n), 5 + 3.5 + 33.6, 1e-9);
	assert_int_equal(n, 2);
	assert_string_equal(fix_at(m, steps, 0), "other");
	assert_string_equal(fix_at(m, steps, 1), "first");
	/* NULL: every fix applies; first leads by chance */
	in.applies = NULL;
	plan_sequence(&in, p, steps, &n);
	assert_string_equal(fix_at(m, steps, 0), "first");
}

/* plan_in.link_applies: a fix's chance is weighted link by link, by where
 * it applies were that link's cause the fault, not by the average. */
static void test_link_applies_weights_each_cause_by_its_own_chance(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {0};
	double p[2], app[2], lapp[3];
	plan_step steps[2];
	plan_in in;
	int n, lc = -1, ld = -1;

	/* one fix resolves both: on c it applies surely (c implies its
	 * context), on d with 0.1; overall 0.7*1 + 0.3*0.1 = 0.73 */
	tk_cause(F->db, "c", 0.7);
	tk_cause(F->db, "d", 0.3);
	tk_fix(F->db, "both", 5, "low", "c=1 d=1");
	tk_fix(F->db, "spare", 50, "low", "d=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	for (int l = 0; l < m->nlinks; l++)
		if (m->links[l].fix == tk_x(m, "both"))
			*(m->links[l].cause == tk_c(m, "c") ? &lc : &ld) = l;
	assert_true(lc >= 0 && ld >= 0 && m->nlinks == 3);
	in = input(m, p, ok, ask, 1, 0);
	app[tk_x(m, "both")] = 0.73, app[tk_x(m, "spare")] = 1;
	lapp[lc] = 1, lapp[ld] = 0.1;
	for (int l = 0; l < m->nlinks; l++)
		if (l != lc && l != ld)
			lapp[l] = 1;
	in.applies = app;
	in.link_applies = lapp;
	/* both (5) leaves 0.3*0.9 = 0.27 of d; spare (50*0.27 = 13.5)
	 * resolves it: 18.5, nothing escalates */
	assert_near(plan_sequence(&in, p, steps, &n), 5 + 13.5, 1e-9);
	assert_int_equal(n, 2);
	assert_string_equal(fix_at(m, steps, 0), "both");
	/* with the average on every link, 0.73 of c and of d is resolved:
	 * 5, then spare for 0.3*0.27 = 0.081 of d (50*(0.7*0.27+0.081) =
	 * 13.5), and 0.7*0.27 = 0.189 of c escalates: 60*0.189 = 11.34 */
	in.link_applies = NULL;
	assert_near(plan_sequence(&in, p, steps, &n), 5 + 13.5 + 11.34, 1e-9);
}

static void test_risk_prices_cost_by_one_and_a_half_and_three(void **state)
{
	fixture *F = *state;
	tr_model *m;
	plan_in in;

	tk_cause(F->db, "c", 1);
	tk_fix(F->db, "low_fix", 10, "low", "c=1");
	tk_fix(F->db, "medium_fix", 10, "medium", "c=1");
	tk_fix(F->db, "high_fix", 10, "high", "c=1");
	m = load(F);
	in = input(m, NULL, NULL, NULL, 1, 0);
	assert_near(plan_cost(&in, tk_x(m, "low_fix")), 10, 1e-12);
	assert_near(plan_cost(&in, tk_x(m, "medium_fix")), 15, 1e-12);
	assert_near(plan_cost(&in, tk_x(m, "high_fix")), 30, 1e-12);
	/* the step overhead is priced with the fix: (10 + 3) * 3 */
	in.step = PLAN_STEP;
	assert_near(plan_cost(&in, tk_x(m, "high_fix")), 39, 1e-12);
}

static void test_high_risk_fix_goes_after_a_low_risk_one_of_equal_chance_and_cost(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {0};
	double p[2];
	plan_step steps[2];
	plan_in in;
	int n;

	/* c is 0.7 likely (enough for a high-risk fix to go early); both
	 * fixes resolve it with 0.9 at cost 5. a_high sorts first by id, so
	 * only the risk price can put it second: 0.63/15 < 0.63/5. */
	tk_cause(F->db, "c", 0.7);
	tk_cause(F->db, "d", 0.3);
	tk_fix(F->db, "a_high", 5, "high", "c=0.9");
	tk_fix(F->db, "b_low", 5, "low", "c=0.9");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	/* ECR = 5*1 + 15*(0.07 + 0.3) + 60*(0.007 + 0.3) = 5 + 5.55 + 18.42 */
	assert_near(plan_sequence(&in, p, steps, &n), 28.97, 1e-9);
	assert_int_equal(n, 2);
	assert_string_equal(fix_at(m, steps, 0), "b_low");
	assert_string_equal(fix_at(m, steps, 1), "a_high");
}

static void test_high_risk_fix_on_weak_evidence_goes_after_low_risk_fixes(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[3], ask[1] = {0};
	double p[3];
	plan_step steps[3];
	plan_in in;
	int n;

	/* risky has the best efficiency even priced x3 (0.3/3 = 0.1, against
	 * 0.35/10 and 0.35/20), but c1 stays under PLAN_HIGH_RISK_MIN until
	 * both other causes are out (0.3, then 0.3/0.65 = 0.46): it goes last */
	tk_cause(F->db, "c1", 0.3);
	tk_cause(F->db, "c2", 0.35);
	tk_cause(F->db, "c3", 0.35);
	tk_fix(F->db, "risky", 1, "high", "c1=1");
	tk_fix(F->db, "fix_c2", 10, "low", "c2=1");
	tk_fix(F->db, "fix_c3", 20, "low", "c3=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	/* ECR = 10*1 + 20*0.65 + 3*0.3 = 23.9 */
	assert_near(plan_sequence(&in, p, steps, &n), 23.9, 1e-9);
	assert_int_equal(n, 3);
	assert_string_equal(fix_at(m, steps, 0), "fix_c2");
	assert_string_equal(fix_at(m, steps, 1), "fix_c3");
	assert_string_equal(fix_at(m, steps, 2), "risky");
}

static void test_high_risk_fix_on_strong_evidence_goes_by_efficiency(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[3], ask[1] = {0};
	double p[3];
	plan_step steps[3];
	plan_in in;
	int n;

	/* the same fixes with P(c1) = 0.6: risky (0.6/3 = 0.2) comes first */
	tk_cause(F->db, "c1", 0.6);
	tk_cause(F->db, "c2", 0.2);
	tk_cause(F->db, "c3", 0.2);
	tk_fix(F->db, "risky", 1, "high", "c1=1");
	tk_fix(F->db, "fix_c2", 10, "low", "c2=1");
	tk_fix(F->db, "fix_c3", 20, "low", "c3=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	plan_sequence(&in, p, steps, &n);
	assert_string_equal(fix_at(m, steps, 0), "risky");
	assert_string_equal(fix_at(m, steps, 1), "fix_c2");
}

/* Two causes 0.5/0.5, a fix for each (cost 10, certain), and one fact q
 * (cost 1) that tells them apart: c1 says yes 0.99, c2 says yes 0.01. */
static void two_causes_one_question(fixture *F, double unknown_rate)
{
	tk_fact(F->db, "q", 1, unknown_rate, "yes=0.5 no=0.5");
	tk_cause(F->db, "c1", 0.5);
	tk_cause(F->db, "c2", 0.5);
	tk_evidence(F->db, "c1", "q", "yes=0.99");
	tk_evidence(F->db, "c2", "q", "yes=0.01");
	tk_fix(F->db, "fix1", 10, "low", "c1=1");
	tk_fix(F->db, "fix2", 10, "low", "c2=1");
}

static void test_question_is_asked_when_its_eco_is_below_the_ecr(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {1};
	double p[2], after[2];
	plan_step steps[2];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	two_causes_one_question(F, 0);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	plan_decide(&in, &out);
	/* ECR = 10 + 10*0.5 = 15. After yes (P 0.5): c1 0.99, so fix1 then
	 * fix2: 10 + 10*0.01 = 10.1; after no the same. ECO = 1 + 10.1 = 11.1 */
	assert_int_equal(out.ask, tk_f(m, "q"));
	assert_near(out.ecr, 15, 1e-9);
	assert_near(out.eco, 11.1, 1e-9);
	assert_int_equal(out.nsteps, 2);
	assert_near(plan_question(&in, tk_f(m, "q"), after), 11.1, 1e-9);
	assert_near(after[0], 10.1, 1e-9);
	assert_near(after[1], 10.1, 1e-9);
}

static void test_question_pays_the_step_overhead_too(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {1};
	double p[2];
	plan_step steps[2];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	two_causes_one_question(F, 0);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, PLAN_STEP);
	plan_decide(&in, &out);
	/* fixes cost 13: ECR = 13 + 13*0.5 = 19.5;
	 * ECO = (1 + 3) + 13 + 13*0.01 = 17.13 */
	assert_int_equal(out.ask, tk_f(m, "q"));
	assert_near(out.ecr, 19.5, 1e-9);
	assert_near(out.eco, 17.13, 1e-9);
}

static void test_unknown_rate_discounts_a_question(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {1};
	double p[2];
	plan_in in;

	two_causes_one_question(F, 0.5);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	/* half the time the answer is "unknown" and nothing is learnt:
	 * ECO = 1 + 0.5*15 + 0.5*10.1 = 13.55 */
	assert_near(plan_question(&in, tk_f(m, "q"), NULL), 13.55, 1e-9);
}

static void test_question_is_not_asked_when_acting_is_cheaper(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {1};
	double p[2];
	plan_step steps[2];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	two_causes_one_question(F, 0);
	tk_sql(F->db, "UPDATE fact SET cost = 5 WHERE id = 'q'");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 2, 0);
	plan_decide(&in, &out);
	/* ECO = 5 + 10.1 = 15.1 > ECR 15: act */
	assert_int_equal(out.ask, -1);
	assert_near(out.eco, out.ecr, 0);
	assert_near(plan_question(&in, tk_f(m, "q"), NULL), 15.1, 1e-9);
	assert_string_equal(fix_at(m, out.steps, 0), "fix1");
}

static void test_fact_with_the_same_likelihoods_for_every_cause_is_never_asked(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {1};
	double p[2];
	plan_step steps[2];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	/* a free question (cost 0) that no cause speaks to: its ECO is the
	 * ECR itself (15), never below it, at any depth */
	tk_fact(F->db, "useless", 0, 0, "yes=0.3 no=0.7");
	tk_cause(F->db, "c1", 0.5);
	tk_cause(F->db, "c2", 0.5);
	tk_fix(F->db, "fix1", 10, "low", "c1=1");
	tk_fix(F->db, "fix2", 10, "low", "c2=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	for (int depth = 1; depth <= 2; depth++) {
		in = input(m, p, ok, ask, depth, 0);
		plan_decide(&in, &out);
		assert_int_equal(out.ask, -1);
		assert_near(out.ecr, 15, 1e-9);
		assert_near(plan_question(&in, 0, NULL), 15, 1e-9);
	}
}

/* Two causes, c2 less likely (0.25); a fix for each (cost 10, certain);
 * facts a and b (cost 0.25 each, never "unknown") each say yes with 0.3
 * under c1 and 0.7 under c2. One "yes" takes P(c2) to 0.4375, not enough
 * to change the fix order; two take it to 0.645 and the order flips. */
static void pair_of_questions(fixture *F)
{
	tk_fact(F->db, "a", 0.25, 0, "yes=0.5 no=0.5");
	tk_fact(F->db, "b", 0.25, 0, "yes=0.5 no=0.5");
	tk_cause(F->db, "c1", 0.75);
	tk_cause(F->db, "c2", 0.25);
	tk_evidence(F->db, "c1", "a", "yes=0.3");
	tk_evidence(F->db, "c2", "a", "yes=0.7");
	tk_evidence(F->db, "c1", "b", "yes=0.3");
	tk_evidence(F->db, "c2", "b", "yes=0.7");
	tk_fix(F->db, "fix1", 10, "low", "c1=1");
	tk_fix(F->db, "fix2", 10, "low", "c2=1");
}

static void test_depth_1_acts_when_no_single_question_pays(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[2] = {1, 1};
	double p[2], after[2];
	plan_step steps[2];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	pair_of_questions(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	plan_decide(&in, &out);
	/* ECR = 10 + 10*0.25 = 12.5. Asking a alone: yes (P 0.4) leaves P(c2)
	 * 0.4375, ECR 14.375; no (P 0.6) leaves 0.125, ECR 11.25; the order
	 * never changes, so ECO = 0.25 + 0.4*14.375 + 0.6*11.25 = 12.75 */
	assert_int_equal(out.ask, -1);
	assert_near(out.ecr, 12.5, 1e-9);
	assert_near(plan_question(&in, tk_f(m, "a"), after), 12.75, 1e-9);
	assert_near(after[0], 14.375, 1e-9);
	assert_near(after[1], 11.25, 1e-9);
}

static void test_depth_2_asks_two_questions_that_only_pay_together(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[2] = {1, 1};
	double p[2], after[2];
	plan_step steps[2];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	pair_of_questions(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 2, 0);
	plan_decide(&in, &out);
	/* After a = yes (P(c2) 0.4375) asking b: yes (P 0.475) gives P(c2)
	 * 0.644737, fix2 first, ECR 10 + 10*0.355263 = 13.55263; no (P 0.525)
	 * gives 0.25, ECR 12.5. Expected 0.475*13.55263 + 0.525*12.5 = 13.0,
	 * plus b's cost: 13.25 < 14.375, so b is asked.
	 * After a = no, b cannot flip the order: 11.25.
	 * ECO(a) = 0.25 + 0.4*13.25 + 0.6*11.25 = 12.3 < 12.5: ask a (a and b
	 * tie; the first fact wins). */
	assert_int_equal(out.ask, tk_f(m, "a"));
	assert_near(out.ecr, 12.5, 1e-9);
	assert_near(out.eco, 12.3, 1e-9);
	assert_near(plan_question(&in, tk_f(m, "a"), after), 12.3, 1e-9);
	assert_near(after[0], 13.25, 1e-9);
	assert_near(after[1], 11.25, 1e-9);
}

static void test_plan_decide_acts_when_nothing_may_be_asked(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[4], ask[1] = {0};
	double p[3];
	plan_step steps[4];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	jensen_nielsen(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 2, 0);
	plan_decide(&in, &out);
	assert_int_equal(out.ask, -1);
	assert_near(out.ecr, 27.875, 1e-9);
	assert_near(out.eco, 27.875, 1e-9);
	assert_int_equal(out.nsteps, 4);
	assert_string_equal(fix_at(m, out.steps, 0), "reboot");
	assert_near(plan_chance(m, p, tk_x(m, "reinstall")), 0.95 * 0.99, 1e-12);
}

/* c1, c2 0.5 each; fact s (cost 1, never unknown): yes under c1 0.9, the
 * default 0.1 elsewhere; fix1 (c1) and fix2 (c2) cost 30. */
static void signature_fact(fixture *F)
{
	tk_fact(F->db, "s", 1, 0, "yes=0.1 no=0.9");
	tk_cause(F->db, "c1", 0.5);
	tk_cause(F->db, "c2", 0.5);
	tk_evidence(F->db, "c1", "s", "yes=0.9");
	tk_fix(F->db, "fix1", 30, "low", "c1=1");
	tk_fix(F->db, "fix2", 30, "low", "c2=1");
}

static void test_checks_are_the_signature_values_of_each_fixs_cause(void **state)
{
	fixture *F = *state;
	plan_check *checks;
	tr_model *m;
	int n;

	signature_fact(F);
	m = load(F);
	n = plan_checks(m, &checks);
	/* s=yes: 0.9 under c1, at least 0.6 and 9 times its default: fix1's
	 * check. s=no under c2 is its default: no check for fix2. */
	assert_int_equal(n, 1);
	assert_int_equal(checks[0].fact, tk_f(m, "s"));
	assert_int_equal(checks[0].value, tk_v(m, "s", "yes"));
	assert_int_equal(checks[0].fix, tk_x(m, "fix1"));
	free(checks);
}

static void test_check_then_fix_step_leads_the_plan(void **state)
{
	fixture *F = *state;
	plan_check *checks;
	tr_model *m;
	unsigned char ok[2], ask[1] = {0};
	double p[2];
	plan_step steps[2];
	plan_in in;
	int n;

	signature_fact(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	in.checks = checks = NULL;
	in.nchecks = plan_checks(m, &checks);
	in.checks = checks;
	/* with s not askable the check cannot be used: fix1, fix2 = 30 + 15 */
	assert_near(plan_sequence(&in, p, steps, &n), 45, 1e-9);
	assert_int_equal(steps[0].check, -1);
	/* askable: "ask s, try fix1 on yes" reaches P(s=yes) = 0.5 and wins
	 * 0.45 for 1 + 0.5*30 = 16 (0.028 a minute, against 0.5/30 for a
	 * plain fix). Then c1 keeps 0.05, c2 0.5: fix2 costs 0.55*30 = 16.5;
	 * c1's 0.05 escalates: 3. ECR = 16 + 16.5 + 3 = 35.5 */
	ask[0] = 1;
	assert_near(plan_sequence(&in, p, steps, &n), 35.5, 1e-9);
	assert_int_equal(n, 2);
	assert_int_equal(steps[0].check, 0);
	assert_string_equal(fix_at(m, steps, 0), "fix1");
	assert_int_equal(steps[1].check, -1);
	assert_string_equal(fix_at(m, steps, 1), "fix2");
	free(checks);
}

static void test_plan_decide_asks_the_fact_of_a_leading_check(void **state)
{
	fixture *F = *state;
	plan_check *checks;
	tr_model *m;
	unsigned char ok[2], ask[1] = {1};
	double p[2];
	plan_step steps[2];
	plan_in in;
	plan_out out = { 0, 0, 0, steps, 0 };

	signature_fact(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = input(m, p, ok, ask, 1, 0);
	in.nchecks = plan_checks(m, &checks);
	in.checks = checks;
	plan_decide(&in, &out);
	/* ECO(s) = 1 + 0.5*(30 + 3) + 0.5*(30 + 3) = 34 < 35.5 */
	assert_int_equal(out.ask, tk_f(m, "s"));
	assert_near(out.ecr, 35.5, 1e-9);
	assert_near(out.eco, 34, 1e-9);
	free(checks);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_jensen_nielsen_order_and_expected_cost_of_repair),
		T(test_every_step_costs_the_step_overhead),
		T(test_unresolved_probability_is_charged_the_escalation_cost),
		T(test_fix_whose_causes_are_all_resolved_is_dropped),
		T(test_risk_prices_cost_by_one_and_a_half_and_three),
		T(test_high_risk_fix_goes_after_a_low_risk_one_of_equal_chance_and_cost),
		T(test_high_risk_fix_on_weak_evidence_goes_after_low_risk_fixes),
		T(test_high_risk_fix_on_strong_evidence_goes_by_efficiency),
		T(test_question_is_asked_when_its_eco_is_below_the_ecr),
		T(test_question_pays_the_step_overhead_too),
		T(test_unknown_rate_discounts_a_question),
		T(test_question_is_not_asked_when_acting_is_cheaper),
		T(test_fact_with_the_same_likelihoods_for_every_cause_is_never_asked),
		T(test_depth_1_acts_when_no_single_question_pays),
		T(test_depth_2_asks_two_questions_that_only_pay_together),
		T(test_plan_decide_acts_when_nothing_may_be_asked),
		T(test_checks_are_the_signature_values_of_each_fixs_cause),
		T(test_check_then_fix_step_leads_the_plan),
		T(test_plan_decide_asks_the_fact_of_a_leading_check),
		T(test_applies_drops_or_weights_a_fix),
		T(test_link_applies_weights_each_cause_by_its_own_chance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
