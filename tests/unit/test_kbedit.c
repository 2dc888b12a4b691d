/*
 * test_kbedit.c: kbedit.c on the repository's knowledge base built into a
 * temporary directory: a change applied to a copy (the after side for a
 * comparison) and a dry run leave the file untouched, byte for byte; a
 * refused change names the record and field; a committed one is recorded
 * with its versions; a second editor is told who holds the lock.
 */
#include "testkit.h"
#include "kbedit.h"
#include "kbtext.h"

#define CAUSE "corrupt_machinekeys"

/* Builds the repository's kb/ + rules/ into dir/kb.sqlite; returns its path. */
static char *built(const char *dir)
{
	char *path = tk_fmt("%s/kb.sqlite", dir);
	tr_err e;

	tr_clear(&e);
	if (kbtext_build(".", path, NULL, NULL, &e) != TR_OK)
		fail_msg("kb build: %s", e.msg);
	return path;
}

/* Begins a change that sets the cause's prior. */
static kbedit *with_prior(const char *path, double prior)
{
	kbedit *k;
	json_t *r;
	tr_err e;

	tr_clear(&e);
	if (kbedit_begin(path, &k, &e) != TR_OK)
		fail_msg("kbedit_begin: %s", e.msg);
	r = kbedit_get(k, KB_CAUSE, CAUSE);
	assert_non_null(r);
	json_object_set_new(r, "prior", json_real(prior));
	assert_int_equal(kbedit_put(k, KB_CAUSE, CAUSE, r, &e), TR_OK);
	json_decref(r);
	return k;
}

static double prior_in(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	double p = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT prior FROM cause WHERE id = '" CAUSE "'", -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		p = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return p;
}

static void test_apply_to_copy_leaves_the_file_and_builds_the_change(void **state)
{
	char *path = built(*state), *copy = tk_fmt("%s/after.sqlite", (char *)*state);
	tk_snap s = tk_snapshot(path);
	kbedit *k = with_prior(path, 0.2);
	tr_err e;

	tr_clear(&e);
	assert_int_equal(kbedit_apply_to_copy(k, copy, &e), TR_OK);
	assert_int_equal(kbedit_apply_to_copy(k, copy, &e), TR_ERR);   /* never over a file */
	kbedit_end(k);
	tk_assert_unchanged(path, &s);
	assert_near(prior_in(copy), 0.2, 1e-12);
	assert_near(prior_in(path), 0.03, 1e-12);
	free(path);
	free(copy);
}

static void test_dry_run_changes_nothing(void **state)
{
	char *path = built(*state);
	tk_snap s = tk_snapshot(path);
	kbedit *k = with_prior(path, 0.2);
	FILE *out = tmpfile();
	tr_err e;

	tr_clear(&e);
	assert_int_equal(kbedit_commit(k, "edit", "", 0, KBEDIT_DRY_RUN, out, &e), TR_OK);
	kbedit_end(k);
	fclose(out);
	tk_assert_unchanged(path, &s);
	free(path);
}

static void test_refused_change_names_the_record_and_field(void **state)
{
	char *path = built(*state);
	tk_snap s = tk_snapshot(path);
	kbedit *k = with_prior(path, 2);
	tr_err e;

	tr_clear(&e);
	assert_int_equal(kbedit_commit(k, "edit", "", 0, KBEDIT_APPLY, NULL, &e), TR_ERR);
	assert_string_equal(e.msg, "cause " CAUSE ": 'prior' is 2, outside 1e-06..1");
	kbedit_end(k);
	tk_assert_unchanged(path, &s);
	free(path);
}

static void test_commit_records_the_change_and_its_versions(void **state)
{
	char *path = built(*state);
	kbedit *k = with_prior(path, 0.2);
	sqlite3 *db;
	tr_err e;

	tr_clear(&e);
	setenv("TRIAGE_EDITOR", "unit", 1);
	assert_int_equal(kbedit_commit(k, "edit", "why", 0, KBEDIT_APPLY, NULL, &e), TR_OK);
	kbedit_end(k);
	assert_near(prior_in(path), 0.2, 1e-12);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM kb_change WHERE who = 'unit' AND message = 'why'"
				    " AND version_before = '2026.11.1' AND version_after = '2026.11.1+1'"), 1);
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM kb_meta WHERE key = 'version' AND value = '2026.11.1+1'"), 1);
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM kb_change_record WHERE kind = 'cause' AND record = '"
				    CAUSE "' AND json_extract(before, '$.prior') = 0.03 AND json_extract(after, '$.prior') = 0.2"), 1);
	sqlite3_close(db);
	free(path);
}

static void test_second_editor_is_told_who_holds_the_lock(void **state)
{
	char *path = built(*state), *want;
	kbedit *k = with_prior(path, 0.2), *k2 = NULL;
	tr_err e;

	setenv("TRIAGE_EDITOR", "unit", 1);
	setenv("TRIAGE_EDIT_WAIT", "0", 1);
	kbedit_end(k);                       /* the lock file goes with it */
	k = with_prior(path, 0.2);
	tr_clear(&e);
	assert_int_equal(kbedit_begin(path, &k2, &e), TR_ERR);
	assert_null(k2);
	want = tk_fmt("%s is being edited by unit (pid %ld, since ", path, (long)getpid());
	assert_true(strncmp(e.msg, want, strlen(want)) == 0);
	assert_non_null(strstr(e.msg, "); waited 0 s, try again when that change is done"));
	kbedit_end(k);
	unsetenv("TRIAGE_EDIT_WAIT");
	free(want);
	free(path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tk_setup_tmp, tk_teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_apply_to_copy_leaves_the_file_and_builds_the_change),
		T(test_dry_run_changes_nothing),
		T(test_refused_change_names_the_record_and_field),
		T(test_commit_records_the_change_and_its_versions),
		T(test_second_editor_is_told_who_holds_the_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
