/*
 * test_plan.c: plan.c orders fixes by efficiency with risk priced in, puts
 * a high-risk fix on weak evidence last, computes the expected cost of
 * repair, and asks a question only when it lowers the expected cost; with
 * depth 2 it finds a pair of questions that only pay off together.
 * Every expected number is worked out by hand in the comments.
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
	unsigned char ok[4];
	double p[3], ecr;
	int order[4], n = -1;

	jensen_nielsen(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	ecr = plan_sequence(m, p, ok, order, &n);
	/* efficiencies: reboot 0.8/1 = 0.8, antivirus 0.15*0.95/2 = 0.07125,
	 * reinstall 0.95*0.99/25 = 0.03762, new PC 1/500 = 0.002 */
	assert_int_equal(n, 4);
	assert_string_equal(m->fixes[order[0]].id, "reboot");
	assert_string_equal(m->fixes[order[1]].id, "antivirus");
	assert_string_equal(m->fixes[order[2]].id, "reinstall");
	assert_string_equal(m->fixes[order[3]].id, "new_pc");
	/* ECR = 1*1                                   reboot, always tried
	 *     + 2*(0.15 + 0.05)          = 0.4        antivirus when c1 is gone
	 *     + 25*(0.15*0.05 + 0.05)    = 1.4375     reinstall
	 *     + 500*(0.15*0.05*0.01 + 0.05) = 25.0375 new PC
	 *     + 60*0                                  nothing is left unresolved
	 *     = 27.875 */
	assert_near(ecr, 27.875, 1e-9);
	/* plan_sequence works without order and n */
	assert_near(plan_sequence(m, p, ok, NULL, NULL), 27.875, 1e-9);
}

static void test_unresolved_probability_is_charged_the_escalation_cost(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[4];
	double p[3];
	int order[4], n;

	jensen_nielsen(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	ok[tk_x(m, "new_pc")] = 0;
	/* without the new PC: 1 + 0.4 + 1.4375, and c3 (0.05) plus what the
	 * reinstall missed of c2 (0.000075) escalate: 60*0.050075 = 3.0045 */
	assert_near(plan_sequence(m, p, ok, order, &n), 1 + 0.4 + 1.4375 + 3.0045, 1e-9);
	assert_int_equal(n, 3);
	/* no fix at all: everything escalates */
	memset(ok, 0, sizeof ok);
	assert_near(plan_sequence(m, p, ok, order, &n), PLAN_ESCALATE, 1e-9);
	assert_int_equal(n, 0);
}

static void test_risk_prices_cost_by_one_and_a_half_and_three(void **state)
{
	fixture *F = *state;
	tr_model *m;

	tk_cause(F->db, "c", 1);
	tk_fix(F->db, "low_fix", 10, "low", "c=1");
	tk_fix(F->db, "medium_fix", 10, "medium", "c=1");
	tk_fix(F->db, "high_fix", 10, "high", "c=1");
	m = load(F);
	assert_near(plan_cost(m, tk_x(m, "low_fix")), 10, 1e-12);
	assert_near(plan_cost(m, tk_x(m, "medium_fix")), 15, 1e-12);
	assert_near(plan_cost(m, tk_x(m, "high_fix")), 30, 1e-12);
}

static void test_high_risk_fix_goes_after_a_low_risk_one_of_equal_chance_and_cost(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2];
	double p[2];
	int order[2], n;

	/* c is 0.7 likely (enough for a high-risk fix to go early); both
	 * fixes resolve it for sure at cost 5. a_high sorts first by id, so
	 * only the risk price can put it second: 0.7/15 < 0.7/5. */
	tk_cause(F->db, "c", 0.7);
	tk_cause(F->db, "d", 0.3);
	tk_fix(F->db, "a_high", 5, "high", "c=1");
	tk_fix(F->db, "b_low", 5, "low", "c=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	/* ECR = 5*1 + 15*0.3 (c is gone after b_low) + 60*0.3 = 27.5 */
	assert_near(plan_sequence(m, p, ok, order, &n), 27.5, 1e-9);
	assert_int_equal(n, 2);
	assert_string_equal(m->fixes[order[0]].id, "b_low");
	assert_string_equal(m->fixes[order[1]].id, "a_high");
}

static void test_high_risk_fix_on_weak_evidence_goes_after_low_risk_fixes(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[3];
	double p[2];
	int order[3], n;

	/* weak: P(c1) = 0.4 < PLAN_HIGH_RISK_MIN. risky's efficiency, even
	 * priced x3, is the best (0.4/3 = 0.133), above slow_c2 (0.6/10 =
	 * 0.06) and slow_c1 (0.4/20 = 0.02), yet it goes last. */
	tk_cause(F->db, "c1", 0.4);
	tk_cause(F->db, "c2", 0.6);
	tk_fix(F->db, "risky", 1, "high", "c1=1");
	tk_fix(F->db, "slow_c2", 10, "low", "c2=1");
	tk_fix(F->db, "slow_c1", 20, "low", "c1=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	plan_sequence(m, p, ok, order, &n);
	assert_int_equal(n, 3);
	assert_string_equal(m->fixes[order[0]].id, "slow_c2");
	assert_string_equal(m->fixes[order[1]].id, "slow_c1");
	assert_string_equal(m->fixes[order[2]].id, "risky");
}

static void test_high_risk_fix_on_strong_evidence_goes_by_efficiency(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[3];
	double p[2];
	int order[3], n;

	/* the same fixes with P(c1) = 0.6: risky 0.6/3 = 0.2 comes first */
	tk_cause(F->db, "c1", 0.6);
	tk_cause(F->db, "c2", 0.4);
	tk_fix(F->db, "risky", 1, "high", "c1=1");
	tk_fix(F->db, "slow_c2", 10, "low", "c2=1");
	tk_fix(F->db, "slow_c1", 20, "low", "c1=1");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	plan_sequence(m, p, ok, order, &n);
	assert_string_equal(m->fixes[order[0]].id, "risky");
	assert_string_equal(m->fixes[order[1]].id, "slow_c2");
}

/* Two causes 0.5/0.5, a fix for each (cost 10, certain), and one fact q
 * (cost 1, never "unknown") that tells them apart: c1 says yes 0.99,
 * c2 says yes 0.01. */
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
	int order[2];
	plan_in in;
	plan_out out = { 0, 0, 0, order, 0 };

	two_causes_one_question(F, 0);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = (plan_in){ m, p, ok, ask, 1 };
	plan_decide(&in, &out);
	/* ECR = 10 + 10*0.5 = 15. After yes (P 0.5): c1 0.99, so fix1 then
	 * fix2: 10 + 10*0.01 = 10.1; after no the same. ECO = 1 + 10.1 = 11.1 */
	assert_int_equal(out.ask, tk_f(m, "q"));
	assert_near(out.ecr, 15, 1e-9);
	assert_near(out.eco, 11.1, 1e-9);
	assert_int_equal(out.norder, 2);
	assert_near(plan_question(&in, tk_f(m, "q"), after), 11.1, 1e-9);
	assert_near(after[0], 10.1, 1e-9);
	assert_near(after[1], 10.1, 1e-9);
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
	in = (plan_in){ m, p, ok, ask, 1 };
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
	int order[2];
	plan_in in;
	plan_out out = { 0, 0, 0, order, 0 };

	two_causes_one_question(F, 0);
	tk_sql(F->db, "UPDATE fact SET cost = 5 WHERE id = 'q'");
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = (plan_in){ m, p, ok, ask, 2 };
	plan_decide(&in, &out);
	/* ECO = 5 + 10.1 = 15.1 > ECR 15: act */
	assert_int_equal(out.ask, -1);
	assert_near(out.eco, out.ecr, 0);
	assert_near(plan_question(&in, tk_f(m, "q"), NULL), 15.1, 1e-9);
	assert_string_equal(m->fixes[out.order[0]].id, "fix1");
}

static void test_fact_with_the_same_likelihoods_for_every_cause_is_never_asked(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[2], ask[1] = {1};
	double p[2];
	int order[2];
	plan_in in;
	plan_out out = { 0, 0, 0, order, 0 };

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
		in = (plan_in){ m, p, ok, ask, depth };
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
	int order[2];
	plan_in in;
	plan_out out = { 0, 0, 0, order, 0 };

	pair_of_questions(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = (plan_in){ m, p, ok, ask, 1 };
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
	int order[2];
	plan_in in;
	plan_out out = { 0, 0, 0, order, 0 };

	pair_of_questions(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = (plan_in){ m, p, ok, ask, 2 };
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

static void test_plan_decide_orders_fixes_when_nothing_may_be_asked(void **state)
{
	fixture *F = *state;
	tr_model *m;
	unsigned char ok[4], ask[1] = {0};
	double p[3];
	int order[4];
	plan_in in;
	plan_out out = { 0, 0, 0, order, 0 };

	jensen_nielsen(F);
	m = load(F);
	prior(m, p);
	all(ok, m->nfixes);
	in = (plan_in){ m, p, ok, ask, 2 };
	plan_decide(&in, &out);
	assert_int_equal(out.ask, -1);
	assert_near(out.ecr, 27.875, 1e-9);
	assert_near(out.eco, 27.875, 1e-9);
	assert_int_equal(out.norder, 4);
	assert_string_equal(m->fixes[out.order[0]].id, "reboot");
	assert_near(plan_chance(m, p, tk_x(m, "reinstall")), 0.95 * 0.99, 1e-12);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_jensen_nielsen_order_and_expected_cost_of_repair),
		T(test_unresolved_probability_is_charged_the_escalation_cost),
		T(test_risk_prices_cost_by_one_and_a_half_and_three),
		T(test_high_risk_fix_goes_after_a_low_risk_one_of_equal_chance_and_cost),
		T(test_high_risk_fix_on_weak_evidence_goes_after_low_risk_fixes),
		T(test_high_risk_fix_on_strong_evidence_goes_by_efficiency),
		T(test_question_is_asked_when_its_eco_is_below_the_ecr),
		T(test_unknown_rate_discounts_a_question),
		T(test_question_is_not_asked_when_acting_is_cheaper),
		T(test_fact_with_the_same_likelihoods_for_every_cause_is_never_asked),
		T(test_depth_1_acts_when_no_single_question_pays),
		T(test_depth_2_asks_two_questions_that_only_pay_together),
		T(test_plan_decide_orders_fixes_when_nothing_may_be_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
