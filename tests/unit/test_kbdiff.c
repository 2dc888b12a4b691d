/*
 * test_kbdiff.c: kbdiff_report's contract, as the commands that will call
 * it with a temporary copy (kb add --dry-run) rely on it: nothing moves
 * between a file and itself; a tripled prior moves the case that tests
 * that cause, by the right amount and in the right direction (JSON); a
 * missing file fails naming it; the session file is never created.
 * Uses the repository's kb/ and tests/cases (run from the top directory).
 */
#include "testkit.h"
#include <jansson.h>
#include "kbdiff.h"
#include "kbtext.h"

static char *built(const char *dir, const char *name)
{
	char *out = tk_fmt("%s/%s", dir, name);
	tr_err e;

	tr_clear(&e);
	if (kbtext_build(".", out, NULL, NULL, &e) != TR_OK)
		fail_msg("kb build: %s", e.msg);
	return out;
}

/* Runs a report into a string; *rc gets its code. */
static char *report(const char *before, const char *after, int json, int *rc, tr_err *e)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	tr_clear(e);
	*rc = kbdiff_report(before, after, f, json, e);
	fclose(f);
	return text;
}

static char *cases[] = { "tests/cases/top_causes.jsonl" };

static void test_nothing_moves_between_a_file_and_itself(void **state)
{
	char *kb = built(*state, "a.sqlite"), *sess = tk_fmt("%s/sessions.sqlite", (char *)*state);
	char *out;
	tr_err e;
	int rc;

	kbdiff_set_cases(cases, 1);
	kbdiff_set_sessions(sess, -1);
	out = report(kb, kb, 0, &rc, &e);
	assert_int_equal(rc, TR_OK);
	assert_string_equal(out, "nothing moves: 30 cases and 0 saved sessions give the same rankings, "
			    "next actions, fixes and outcomes on both\n");
	assert_int_not_equal(access(sess, F_OK), 0);   /* never created */
	free(out);
	free(sess);
	free(kb);
}

static void test_a_tripled_prior_moves_the_case_that_tests_it(void **state)
{
	char *a = built(*state, "a.sqlite"), *b = built(*state, "b.sqlite");
	char *sess = tk_fmt("%s/sessions.sqlite", (char *)*state), *out;
	json_t *j, *item, *most = NULL;
	sqlite3 *db;
	size_t i;
	tr_err e;
	int rc;

	assert_int_equal(sqlite3_open(b, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE cause SET prior = prior * 3 WHERE id = 'rdp_port_changed'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	kbdiff_set_cases(cases, 1);
	kbdiff_set_sessions(sess, -1);
	out = report(a, b, 1, &rc, &e);
	assert_int_equal(rc, TR_OK);
	assert_non_null(j = json_loads(out, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(j, "cases")), 30);
	assert_true(json_integer_value(json_object_get(j, "moved")) > 0);
	json_array_foreach(json_object_get(j, "items"), i, item)
		if (strcmp(json_string_value(json_object_get(item, "id")), "custom-port-number") == 0)
			most = json_object_get(json_object_get(item, "ranking"), "most");
	assert_non_null(most);
	assert_string_equal(json_string_value(json_object_get(most, "cause")), "rdp_port_changed");
	assert_string_equal(json_string_value(json_object_get(most, "at")), "after rdp_port=3390");
	/* the posterior odds of the cause triple: p' = 3p / (3p + 1 - p) */
	{
		double p = json_real_value(json_object_get(most, "before"));

		assert_near(json_real_value(json_object_get(most, "after")), 3 * p / (3 * p + 1 - p), 1e-5);
	}
	json_decref(j);
	free(out);
	free(sess);
	free(a);
	free(b);
}

static void test_a_missing_file_fails_naming_it(void **state)
{
	char *a = built(*state, "a.sqlite"), *none = tk_fmt("%s/none.sqlite", (char *)*state), *out;
	tr_err e;
	int rc;

	kbdiff_set_cases(NULL, 0);
	out = report(none, a, 0, &rc, &e);
	assert_int_equal(rc, TR_ERR);
	assert_string_equal(out, "");
	assert_true(strncmp(e.msg, none, strlen(none)) == 0);
	free(out);
	free(none);
	free(a);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tk_setup_tmp, tk_teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_nothing_moves_between_a_file_and_itself),
		T(test_a_tripled_prior_moves_the_case_that_tests_it),
		T(test_a_missing_file_fails_naming_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
