/*
 * test_reach.c: reach.c parses and writes reach lists, maps askers and
 * places to reach names, and says what a fix needs (every command that may
 * apply, admin rights on the client); plan.c prices a hand-over once, at
 * the first step out of reach, so an in-reach fix goes first when it is
 * worth it and a long shot does not. Expected costs worked out by hand.
 */
#include "testkit.h"
#include "belief.h"
#include "plan.h"
#include "reach.h"

typedef struct fixture {
	char *dir;
	sqlite3 *db;
	tr_model *m;
} fixture;

static int setup(void **state)
{
	fixture *F = calloc(1, sizeof *F);

	F->dir = tk_mkdtemp();
	F->db = tk_kb_create(F->dir, "reach.sqlite");
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

static void test_lists_parse_to_sets_and_back(void **state)
{
	unsigned r = 0;
	char out[64];
	tr_err e;

	(void)state;
	assert_int_equal(reach_parse(" client , host", &r, &e), TR_OK);
	assert_int_equal(r, REACH_CLIENT | REACH_HOST);
	assert_string_equal(reach_format(r, out, sizeof out), "client,host");
	assert_int_equal(reach_parse("admin,gateway,network,portal", &r, &e), TR_OK);
	assert_string_equal(reach_format(r, out, sizeof out), "portal,network,gateway,admin");
	assert_int_equal(reach_parse("client,all", &r, &e), TR_OK);
	assert_int_equal(r, REACH_ALL);
	assert_string_equal(reach_format(r, out, sizeof out), "all");
	assert_int_equal(reach_parse("client,host,portal,network,gateway,admin", &r, &e), TR_OK);
	assert_string_equal(reach_format(r, out, sizeof out), "all");
	assert_int_equal(reach_parse("hots", &r, &e), TR_EUSAGE);
	assert_string_equal(e.msg, "unknown reach 'hots' (a reach is some of all, client, host, portal, "
			    "network, gateway, admin, separated by commas)");
	assert_int_equal(reach_parse("", &r, &e), TR_EUSAGE);
	assert_string_equal(e.msg, "the reach list is empty (a reach is some of all, client, host, portal, "
			    "network, gateway, admin, separated by commas)");
	assert_int_equal(reach_parse("client,", &r, &e), TR_EUSAGE);
	assert_string_equal(e.msg, "an empty name in the reach list (a reach is some of all, client, host, "
			    "portal, network, gateway, admin, separated by commas)");
}

static void test_askers_and_places_map_to_reach_names(void **state)
{
	(void)state;
	assert_int_equal(reach_asker("client"), REACH_CLIENT);
	assert_int_equal(reach_asker("host_admin"), REACH_HOST);
	assert_int_equal(reach_asker("cloud_admin"), REACH_PORTAL);
	assert_int_equal(reach_asker("network_admin"), REACH_NETWORK);
	assert_int_equal(reach_asker("someone_else"), REACH_ALL);
	assert_int_equal(reach_place("router"), REACH_NETWORK);
	assert_int_equal(reach_place("gateway"), REACH_GATEWAY);
	assert_int_equal(reach_place("portal"), REACH_PORTAL);
	assert_int_equal(reach_place("moon"), REACH_ALL);
}

/* Fix x's command seq runs on place; when fact is set, only where fact is value. */
static void command(fixture *F, const char *fix, int seq, const char *on, const char *fact, const char *value)
{
	tk_sql(F->db, "INSERT INTO fix_command VALUES (%Q, %d, 'cmd', %Q, 'echo')", fix, seq, on);
	if (!fact)
		return;
	tk_sql(F->db, "INSERT INTO applies VALUES ('command', %Q, %d, 0, %Q, 0)", fix, seq, fact);
	tk_sql(F->db, "INSERT INTO applies_value VALUES ('command', %Q, %d, 0, 0, %Q, %Q)", fix, seq, fact, value);
}

static void test_a_fix_needs_every_command_that_may_apply_and_admin_on_the_client(void **state)
{
	fixture *F = *state;
	tr_model *m;
	int obs[1] = { -1 };

	tk_cause(F->db, "c", 1);
	tk_fact(F->db, "kind", 1, 0, "vm=0.5 pc=0.5");
	tk_fix(F->db, "on_client", 1, "low", "c=1");
	command(F, "on_client", 0, "client", NULL, NULL);
	tk_fix(F->db, "on_client_admin", 1, "low", "c=1");
	command(F, "on_client_admin", 0, "client", NULL, NULL);
	command(F, "on_client_admin", 1, "client", NULL, NULL);
	tk_fix(F->db, "on_host_admin", 1, "low", "c=1");
	command(F, "on_host_admin", 0, "host", NULL, NULL);
	command(F, "on_host_admin", 1, "portal", "kind", "vm");
	tk_fix(F->db, "no_commands", 1, "low", "c=1");
	tk_sql(F->db, "UPDATE fix SET admin = 1 WHERE id IN ('on_client_admin', 'on_host_admin')");
	m = F->m = tk_load(F->db);
	assert_int_equal(reach_needs(m, tk_x(m, "on_client"), obs), REACH_CLIENT);
	assert_int_equal(reach_needs(m, tk_x(m, "on_client_admin"), obs), REACH_CLIENT | REACH_ADMIN);
	assert_int_equal(reach_needs(m, tk_x(m, "no_commands"), obs), REACH_CLIENT);
	/* the portal command may apply while kind is unknown: needed; on a pc it is not */
	assert_int_equal(reach_needs(m, tk_x(m, "on_host_admin"), obs), REACH_HOST | REACH_PORTAL);
	obs[0] = model_value(m, 0, "pc");
	assert_int_equal(reach_needs(m, tk_x(m, "on_host_admin"), obs), REACH_HOST);
	assert_true(reach_fix(m, REACH_HOST, tk_x(m, "on_host_admin"), obs));
	assert_false(reach_fix(m, REACH_CLIENT | REACH_HOST, tk_x(m, "on_client_admin"), obs));
	assert_true(reach_fix(m, REACH_CLIENT | REACH_ADMIN, tk_x(m, "on_client_admin"), obs));
	assert_true(reach_fact(m, REACH_CLIENT, tk_f(m, "kind")));
	assert_false(reach_fact(m, REACH_HOST | REACH_PORTAL, tk_f(m, "kind")));
}

/* Cause h (host fix, cost 5) and cause d (client fix, cost 5); only the
 * client fix is in reach; a hand-over costs 60; no step overhead. */
static double handover_plan(fixture *F, double ph, const char **first, int *n, const unsigned char *rok)
{
	unsigned char ok[2] = {1, 1}, ask[1] = {0};
	double p[2];
	int obs[1] = { -1 };
	plan_step steps[2];
	plan_in in = { .ask_ok = ask, .fix_ok = ok, .depth = 1, .step = 0 };
	double ecr;

	tk_cause(F->db, "h", ph);
	tk_cause(F->db, "d", 1 - ph);
	tk_fix(F->db, "host_fix", 5, "low", "h=1");
	tk_fix(F->db, "client_fix", 5, "low", "d=1");
	in.m = F->m = tk_load(F->db);
	belief_posterior(F->m, obs, NULL, NULL, p);
	in.p = p;
	in.reach_ok = rok;
	in.handover = rok ? PLAN_ESCALATE : 0;
	ecr = plan_sequence(&in, p, steps, n);
	*first = F->m->fixes[steps[0].fix].id;
	return ecr;
}

static void test_an_in_reach_fix_worth_it_goes_before_the_hand_over(void **state)
{
	fixture *F = *state;
	const char *first;
	unsigned char rok[2] = {1, 0};   /* records sort by id: client_fix, host_fix */
	int n;

	/* P(h) = 0.5: client_fix 0.5/5 beats host_fix with the hand-over 0.5/65;
	 * ECR = 5 + 0.5 * (5 + 60) = 37.5 */
	assert_near(handover_plan(F, 0.5, &first, &n, rok), 37.5, 1e-9);
	assert_string_equal(first, "client_fix");
	assert_int_equal(n, 2);
}

static void test_handing_over_now_beats_a_long_shot(void **state)
{
	fixture *F = *state;
	const char *first;
	unsigned char rok[2] = {1, 0};
	int n;

	/* P(h) = 0.98: host_fix with the hand-over 0.98/65 = 0.015 per minute
	 * beats client_fix 0.02/5 = 0.004: ECR = 65 + 0.02 * 5 = 65.1 */
	assert_near(handover_plan(F, 0.98, &first, &n, rok), 65.1, 1e-9);
	assert_string_equal(first, "host_fix");
}

static void test_without_reach_there_is_no_hand_over(void **state)
{
	fixture *F = *state;
	const char *first;
	int n;

	/* host_fix 0.98/5 first: ECR = 5 + 0.02 * 5 = 5.1 */
	assert_near(handover_plan(F, 0.98, &first, &n, NULL), 5.1, 1e-9);
	assert_string_equal(first, "host_fix");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists_parse_to_sets_and_back),
		cmocka_unit_test(test_askers_and_places_map_to_reach_names),
		T(test_a_fix_needs_every_command_that_may_apply_and_admin_on_the_client),
		T(test_an_in_reach_fix_worth_it_goes_before_the_hand_over),
		T(test_handing_over_now_beats_a_long_shot),
		T(test_without_reach_there_is_no_hand_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
