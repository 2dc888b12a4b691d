/*
 * test_belief.c: belief.c's single-fault posterior, and model.c's
 * completion of likelihoods, against values computed by hand.
 *
 * The model (priors need not sum to 1; the engine normalises):
 *   causes  a: prior 0.2   b: prior 0.3   c: prior 0.1
 *   fact f1 defaults yes 0.6, no 0.4;   a states f1 yes 0.9 (so no 0.1)
 *   fact f2 defaults x 0.5, y 0.3, z 0.2; b states f2 x 0.1, so y and z
 *           share 0.9 in proportion 0.3 : 0.2, i.e. y 0.54, z 0.36
 *   fix fa resolves a with 0.9; fix fb resolves b with 0.5
 */
#include "testkit.h"
#include "belief.h"

typedef struct fixture {
	char *dir;
	sqlite3 *db;
	tr_model *m;
	int a, b, c, f1, f2;
	int obs[2];
} fixture;

static int setup(void **state)
{
	fixture *F = calloc(1, sizeof *F);

	F->dir = tk_mkdtemp();
	F->db = tk_kb_create(F->dir, "belief.sqlite");
	tk_fact(F->db, "f1", 1, 0, "yes=0.6 no=0.4");
	tk_fact(F->db, "f2", 1, 0, "x=0.5 y=0.3 z=0.2");
	tk_cause(F->db, "a", 0.2);
	tk_cause(F->db, "b", 0.3);
	tk_cause(F->db, "c", 0.1);
	tk_evidence(F->db, "a", "f1", "yes=0.9");
	tk_evidence(F->db, "b", "f2", "x=0.1");
	tk_fix(F->db, "fa", 5, "low", "a=0.9");
	tk_fix(F->db, "fb", 5, "low", "b=0.5");
	F->m = tk_load(F->db);
	F->a = tk_c(F->m, "a");
	F->b = tk_c(F->m, "b");
	F->c = tk_c(F->m, "c");
	F->f1 = tk_f(F->m, "f1");
	F->f2 = tk_f(F->m, "f2");
	F->obs[0] = F->obs[1] = -1;
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

static double like(const tr_model *m, int c, int v)
{
	return model_like(m, c, v);
}

static void test_completed_likelihoods_share_the_rest_by_defaults(void **state)
{
	fixture *F = *state;
	const tr_model *m = F->m;

	/* a names f1=yes 0.9: f1=no gets the whole rest, 0.1 */
	assert_near(like(m, F->a, tk_v(m, "f1", "yes")), 0.9, 1e-12);
	assert_near(like(m, F->a, tk_v(m, "f1", "no")), 0.1, 1e-12);
	/* b names f2=x 0.1: y gets 0.9 * 0.3/0.5 = 0.54, z 0.9 * 0.2/0.5 = 0.36 */
	assert_near(like(m, F->b, tk_v(m, "f2", "x")), 0.1, 1e-12);
	assert_near(like(m, F->b, tk_v(m, "f2", "y")), 0.54, 1e-12);
	assert_near(like(m, F->b, tk_v(m, "f2", "z")), 0.36, 1e-12);
	/* causes silent on a fact take its defaults */
	assert_near(like(m, F->c, tk_v(m, "f1", "yes")), 0.6, 1e-12);
	assert_near(like(m, F->c, tk_v(m, "f2", "y")), 0.3, 1e-12);
	assert_near(like(m, F->a, tk_v(m, "f2", "z")), 0.2, 1e-12);
	/* every completed row is a distribution */
	for (int c = 0; c < m->ncauses; c++)
		for (int f = 0; f < m->nfacts; f++) {
			double s = 0;

			for (int k = 0; k < m->facts[f].nvalues; k++)
				s += like(m, c, m->facts[f].first + k);
			assert_near(s, 1, 1e-12);
		}
}

static void test_no_evidence_gives_the_normalised_priors(void **state)
{
	fixture *F = *state;
	double p[3];

	/* 0.2, 0.3, 0.1 over 0.6 */
	assert_near(belief_posterior(F->m, F->obs, NULL, NULL, p), 0.6, 1e-9);
	assert_near(p[F->a], 1.0 / 3, 1e-9);
	assert_near(p[F->b], 0.5, 1e-9);
	assert_near(p[F->c], 1.0 / 6, 1e-9);
}

static void test_posterior_is_prior_times_likelihoods(void **state)
{
	fixture *F = *state;
	double p[3];

	/* f1=yes: a 0.2*0.9 = 0.18, b 0.3*0.6 = 0.18, c 0.1*0.6 = 0.06; sum 0.42 */
	F->obs[F->f1] = tk_v(F->m, "f1", "yes");
	assert_near(belief_posterior(F->m, F->obs, NULL, NULL, p), 0.42, 1e-9);
	assert_near(p[F->a], 3.0 / 7, 1e-9);
	assert_near(p[F->b], 3.0 / 7, 1e-9);
	assert_near(p[F->c], 1.0 / 7, 1e-9);
	/* and f2=y: a 0.18*0.3 = 0.054, b 0.18*0.54 = 0.0972, c 0.06*0.3 = 0.018;
	 * sum 0.1692 */
	F->obs[F->f2] = tk_v(F->m, "f2", "y");
	assert_near(belief_posterior(F->m, F->obs, NULL, NULL, p), 0.1692, 1e-9);
	assert_near(p[F->a], 0.054 / 0.1692, 1e-9);
	assert_near(p[F->b], 0.0972 / 0.1692, 1e-9);
	assert_near(p[F->c], 0.018 / 0.1692, 1e-9);
}

static void test_unknown_carries_no_evidence(void **state)
{
	fixture *F = *state;
	double p[3];

	/* f1 unknown (-1), f2=y: only f2 counts.
	 * a 0.2*0.3 = 0.06, b 0.3*0.54 = 0.162, c 0.1*0.3 = 0.03; sum 0.252 */
	F->obs[F->f1] = -1;
	F->obs[F->f2] = tk_v(F->m, "f2", "y");
	assert_near(belief_posterior(F->m, F->obs, NULL, NULL, p), 0.252, 1e-9);
	assert_near(p[F->a], 0.06 / 0.252, 1e-9);
	assert_near(p[F->b], 0.162 / 0.252, 1e-9);
	assert_near(p[F->c], 0.03 / 0.252, 1e-9);
	/* everything unknown: the normalised priors, 0.2/0.6, 0.3/0.6, 0.1/0.6 */
	F->obs[F->f2] = -1;
	belief_posterior(F->m, F->obs, NULL, NULL, p);
	assert_near(p[F->a], 1.0 / 3, 1e-9);
	assert_near(p[F->b], 0.5, 1e-9);
	assert_near(p[F->c], 1.0 / 6, 1e-9);
}

static void test_failed_fix_multiplies_by_one_minus_its_chance(void **state)
{
	fixture *F = *state;
	unsigned char failed[2] = {0, 0};
	double p[3];

	/* fa failed: a 0.2*(1-0.9) = 0.02, b 0.3, c 0.1; sum 0.42 */
	failed[tk_x(F->m, "fa")] = 1;
	assert_near(belief_posterior(F->m, F->obs, NULL, failed, p), 0.42, 1e-9);
	assert_near(p[F->a], 0.02 / 0.42, 1e-9);
	assert_near(p[F->b], 0.3 / 0.42, 1e-9);
	assert_near(p[F->c], 0.1 / 0.42, 1e-9);
	/* fb failed too: b 0.3*0.5 = 0.15; sum 0.27 */
	failed[tk_x(F->m, "fb")] = 1;
	assert_near(belief_posterior(F->m, F->obs, NULL, failed, p), 0.27, 1e-9);
	assert_near(p[F->a], 0.02 / 0.27, 1e-9);
	assert_near(p[F->b], 0.15 / 0.27, 1e-9);
	assert_near(p[F->c], 0.1 / 0.27, 1e-9);
}

static void test_scale_multiplies_and_zero_rules_a_cause_out(void **state)
{
	fixture *F = *state;
	double scale[3] = {1, 1, 1}, p[3];

	/* c x2: 0.2, 0.3, 0.2 over 0.7 */
	scale[F->c] = 2;
	belief_posterior(F->m, F->obs, scale, NULL, p);
	assert_near(p[F->c], 0.2 / 0.7, 1e-9);
	/* b x0: out for good, even against evidence that favours it */
	scale[F->c] = 1;
	scale[F->b] = 0;
	F->obs[F->f2] = tk_v(F->m, "f2", "y");
	belief_posterior(F->m, F->obs, scale, NULL, p);
	assert_true(p[F->b] == 0.0);
	assert_near(p[F->a] + p[F->c], 1, 1e-12);
	/* a 0.2*0.3 = 0.06, c 0.1*0.3 = 0.03 */
	assert_near(p[F->a], 2.0 / 3, 1e-9);
}

static void test_every_cause_ruled_out_gives_all_zero(void **state)
{
	fixture *F = *state;
	double scale[3] = {0, 0, 0}, p[3] = {9, 9, 9};

	assert_true(belief_posterior(F->m, F->obs, scale, NULL, p) == 0.0);
	for (int c = 0; c < 3; c++)
		assert_true(p[c] == 0.0);
}

static void test_soft_evidence_never_reaches_zero_or_one(void **state)
{
	fixture *F = *state;
	unsigned char failed[2] = {1, 1};
	double p[3];
	const char *const f1[] = {"yes", "no"}, *const f2[] = {"x", "y", "z"};

	/* every combination of answers, with and without the failed fixes */
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 3; k++)
			for (int fl = 0; fl < 2; fl++) {
				F->obs[F->f1] = tk_v(F->m, "f1", f1[i]);
				F->obs[F->f2] = tk_v(F->m, "f2", f2[k]);
				belief_posterior(F->m, F->obs, NULL, fl ? failed : NULL, p);
				for (int c = 0; c < 3; c++) {
					assert_true(p[c] > 0);
					assert_true(p[c] < 1);
				}
			}
}

static void test_observe_and_predict_agree_with_the_posterior(void **state)
{
	fixture *F = *state;
	double prior[3], q[3], direct[3], total = 0;
	int y = tk_v(F->m, "f2", "y");

	belief_posterior(F->m, F->obs, NULL, NULL, prior);
	/* P(f2=y) = (0.2*0.3 + 0.3*0.54 + 0.1*0.3) / 0.6 = 0.252 / 0.6 = 0.42 */
	assert_near(belief_predict(F->m, prior, y), 0.42, 1e-9);
	assert_near(belief_observe(F->m, prior, y, q), 0.42, 1e-9);
	F->obs[F->f2] = y;
	belief_posterior(F->m, F->obs, NULL, NULL, direct);
	for (int c = 0; c < 3; c++)
		assert_near(q[c], direct[c], 1e-12);
	/* the predictions over a fact's values sum to 1 */
	for (int k = 0; k < 3; k++)
		total += belief_predict(F->m, prior, F->m->facts[F->f2].first + k);
	assert_near(total, 1, 1e-12);
}

/* model_load refuses evidence that cannot be completed to a distribution. */
static void test_evidence_over_one_is_refused_by_model_load(void **state)
{
	char *dir = tk_mkdtemp();
	sqlite3 *db = tk_kb_create(dir, "bad.sqlite");
	tr_model *m = (tr_model *)dir;
	tr_err e;

	(void)state;
	tk_fact(db, "f2", 1, 0, "x=0.5 y=0.3 z=0.2");
	tk_cause(db, "b", 0.3);
	tk_evidence(db, "b", "f2", "x=0.6 y=0.5");
	tr_clear(&e);
	assert_int_equal(model_load(db, &m, &e), TR_ERR);
	assert_null(m);
	assert_string_equal(e.msg, "cause b: evidence on f2 sums to 1.1; the values it names must sum "
			    "to 1, or to less when some are left out");
	sqlite3_close(db);
	tk_rmrf(dir);
	free(dir);
}

static void test_evidence_naming_every_value_must_sum_to_one(void **state)
{
	char *dir = tk_mkdtemp();
	sqlite3 *db = tk_kb_create(dir, "bad.sqlite");
	tr_model *m;
	tr_err e;

	(void)state;
	tk_fact(db, "f1", 1, 0, "yes=0.6 no=0.4");
	tk_cause(db, "a", 0.3);
	tk_evidence(db, "a", "f1", "yes=0.5 no=0.4");
	tr_clear(&e);
	assert_int_equal(model_load(db, &m, &e), TR_ERR);
	assert_string_equal(e.msg, "cause a: evidence on f1 sums to 0.9; the values it names must sum "
			    "to 1, or to less when some are left out");
	sqlite3_close(db);
	tk_rmrf(dir);
	free(dir);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_completed_likelihoods_share_the_rest_by_defaults),
		T(test_no_evidence_gives_the_normalised_priors),
		T(test_posterior_is_prior_times_likelihoods),
		T(test_unknown_carries_no_evidence),
		T(test_failed_fix_multiplies_by_one_minus_its_chance),
		T(test_scale_multiplies_and_zero_rules_a_cause_out),
		T(test_every_cause_ruled_out_gives_all_zero),
		T(test_soft_evidence_never_reaches_zero_or_one),
		T(test_observe_and_predict_agree_with_the_posterior),
		cmocka_unit_test(test_evidence_over_one_is_refused_by_model_load),
		cmocka_unit_test(test_evidence_naming_every_value_must_sum_to_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
