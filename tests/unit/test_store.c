/*
 * test_store.c: store.c opens, checks and migrates knowledge-base files.
 * A new file is stamped with the application id and the current schema
 * version; a version-1 file is migrated in place (STORE_WRITE) or in a
 * private copy (STORE_READ, the file untouched); every bad file is refused
 * with its one-line message and left exactly as it was; a failed migration
 * leaves no partial schema.
 */
#include "testkit.h"
#include <glob.h>

static const char *schema_dir(void)
{
	const char *d = getenv("TRIAGE_SCHEMA_DIR");

	return d && *d ? d : "schema";
}

/* Writes a version-1 knowledge base at path (schema/001_initial.sql only)
 * holding one fact; extra_sql (may be NULL) runs before the version stamp. */
static void make_v1(const char *path, const char *extra_sql)
{
	char *file = tk_fmt("%s/001_initial.sql", schema_dir());
	char *sql = tk_slurp(file, NULL);
	sqlite3 *db;

	if (!sql)
		fail_msg("cannot read %s (run from the repository root or set TRIAGE_SCHEMA_DIR)", file);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		fail_msg("sqlite3_open %s", path);
	tk_sql(db, "%s", sql);
	tk_sql(db, "INSERT INTO fact (id, text, help, asker, cost) "
		   "VALUES ('worked_before', 'Did it work?', 'Ask.', 'client', 1)");
	if (extra_sql)
		tk_sql(db, "%s", extra_sql);
	tk_sql(db, "PRAGMA application_id = %d; PRAGMA user_version = 1", STORE_APP_ID);
	sqlite3_close(db);
	free(sql);
	free(file);
}

/* A current knowledge base at path with a little content. */
static void make_current(const char *path)
{
	sqlite3 *db;
	tr_err e;

	tr_clear(&e);
	if (store_open(path, STORE_CREATE, &db, &e) != TR_OK)
		fail_msg("%s", e.msg);
	tk_fact(db, "worked_before", 1, 0.05, "yes=0.7 no=0.3");
	tk_cause(db, "cert_expired", 0.4);
	sqlite3_close(db);
}

/* Opens path in mode expecting failure with exactly msg, and the file (when
 * it exists) unchanged in bytes and mtime, with no journal left. */
static void expect_refused(const char *path, enum store_mode mode, const char *msg)
{
	int existed = tk_exists(path);
	tk_snap snap = {0};
	sqlite3 *db = (sqlite3 *)&snap;  /* not NULL: store_open must clear it */
	tr_err e;

	if (existed)
		snap = tk_snapshot(path);
	tr_clear(&e);
	assert_int_equal(store_open(path, mode, &db, &e), TR_ERR);
	assert_null(db);
	assert_int_equal(e.code, TR_ERR);
	assert_string_equal(e.msg, msg);
	if (existed)
		tk_assert_unchanged(path, &snap);
	else
		assert_false(tk_exists(path));
}

static void expect_refused_both(const char *path, const char *msg)
{
	expect_refused(path, STORE_READ, msg);
	expect_refused(path, STORE_WRITE, msg);
}

static void test_schema_version_is_the_number_of_migration_scripts(void **state)
{
	char *pattern = tk_fmt("%s/[0-9]*.sql", schema_dir());
	glob_t g;

	(void)state;
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_int_equal(store_schema_version(), (int)g.gl_pathc);
	globfree(&g);
	free(pattern);
}

static void test_create_stamps_application_id_and_current_version(void **state)
{
	char *path = tk_fmt("%s/new.sqlite", (char *)*state);
	sqlite3 *db;
	tr_err e;

	tr_clear(&e);
	assert_int_equal(store_open(path, STORE_CREATE, &db, &e), TR_OK);
	assert_non_null(db);
	assert_int_equal(tk_sql_int(db, "PRAGMA application_id"), 0x54726961);
	assert_int_equal(tk_sql_int(db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(tk_sql_int(db, "PRAGMA foreign_keys"), 1);
	assert_true(tk_has_column(db, "fix", "outcome"));
	assert_true(tk_has_column(db, "fact", "unknown_rate"));
	sqlite3_close(db);
	/* and it opens again, read-only, as a knowledge base */
	assert_int_equal(store_open(path, STORE_READ, &db, &e), TR_OK);
	assert_int_equal(tk_sql_int(db, "PRAGMA user_version"), store_schema_version());
	sqlite3_close(db);
	free(path);
}

static void test_create_refuses_an_existing_path(void **state)
{
	char *path = tk_fmt("%s/kb.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: already exists", path);
	tk_snap snap;
	sqlite3 *db;
	tr_err e;

	make_current(path);
	snap = tk_snapshot(path);
	tr_clear(&e);
	assert_int_equal(store_open(path, STORE_CREATE, &db, &e), TR_ERR);
	assert_null(db);
	assert_string_equal(e.msg, msg);
	tk_assert_unchanged(path, &snap);
	free(msg);
	free(path);
}

static void test_write_migrates_version_1_in_place_keeping_facts(void **state)
{
	char *path = tk_fmt("%s/v1.sqlite", (char *)*state);
	sqlite3 *db;
	tr_err e;

	make_v1(path, NULL);
	tr_clear(&e);
	assert_int_equal(store_open(path, STORE_WRITE, &db, &e), TR_OK);
	sqlite3_close(db);
	/* look at the file itself, with plain SQLite */
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(tk_sql_int(db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(tk_sql_int(db, "PRAGMA application_id"), STORE_APP_ID);
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM fact WHERE id = 'worked_before' "
				    "AND text = 'Did it work?' AND cost = 1"), 1);
	assert_true(tk_has_column(db, "fix", "outcome"));
	assert_true(tk_has_column(db, "fact", "unknown_rate"));
	/* the new column's default applies to the old row */
	assert_int_equal(tk_sql_int(db, "SELECT unknown_rate = 0.1 FROM fact"), 1);
	sqlite3_close(db);
	free(path);
}

static void test_read_migrates_a_private_copy_and_leaves_the_file_unchanged(void **state)
{
	char *path = tk_fmt("%s/v1.sqlite", (char *)*state);
	tk_snap snap;
	sqlite3 *db;
	tr_err e;

	make_v1(path, NULL);
	snap = tk_snapshot(path);
	tr_clear(&e);
	assert_int_equal(store_open(path, STORE_READ, &db, &e), TR_OK);
	/* the handle sees the current schema ... */
	assert_int_equal(tk_sql_int(db, "PRAGMA user_version"), store_schema_version());
	assert_true(tk_has_column(db, "fix", "outcome"));
	assert_true(tk_has_column(db, "fact", "unknown_rate"));
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM fact WHERE id = 'worked_before'"), 1);
	sqlite3_close(db);
	/* ... and the file is exactly what it was */
	tk_assert_unchanged(path, &snap);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(tk_sql_int(db, "PRAGMA user_version"), 1);
	assert_false(tk_has_column(db, "fact", "unknown_rate"));
	sqlite3_close(db);
	free(path);
}

static void test_newer_schema_version_is_refused(void **state)
{
	char *path = tk_fmt("%s/future.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: knowledge-base schema version 99 is newer than this triage reads (%d); "
			   "upgrade triage", path, store_schema_version());
	sqlite3 *db;

	make_current(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	tk_sql(db, "PRAGMA user_version = 99");
	sqlite3_close(db);
	expect_refused_both(path, msg);
	free(msg);
	free(path);
}

static void test_missing_file_is_refused_and_not_created(void **state)
{
	char *path = tk_fmt("%s/nosuch.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: No such file or directory", path);

	expect_refused_both(path, msg);
	free(msg);
	free(path);
}

static void test_directory_is_refused(void **state)
{
	char *msg = tk_fmt("%s: is a directory, not a knowledge base", (char *)*state);

	expect_refused_both(*state, msg);
	free(msg);
}

static void test_empty_file_is_refused_unchanged(void **state)
{
	char *path = tk_fmt("%s/empty.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: empty file, not a triage knowledge base", path);

	tk_write(path, "");
	expect_refused_both(path, msg);
	free(msg);
	free(path);
}

static void test_text_file_is_refused_unchanged(void **state)
{
	char *path = tk_fmt("%s/notes.txt", (char *)*state);
	char *msg = tk_fmt("%s: not a SQLite database, so not a triage knowledge base", path);

	tk_write(path, "These are my notes, not a knowledge base.\n");
	expect_refused_both(path, msg);
	free(msg);
	free(path);
}

static void test_sqlite_header_alone_is_a_truncated_database(void **state)
{
	char *path = tk_fmt("%s/header.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: truncated SQLite database (100 bytes)", path);
	char head[100] = "SQLite format 3";

	tk_write_bytes(path, head, sizeof head);
	expect_refused_both(path, msg);
	free(msg);
	free(path);
}

static void test_truncated_knowledge_base_is_refused_unchanged(void **state)
{
	char *real = tk_fmt("%s/real.sqlite", (char *)*state);
	char *path = tk_fmt("%s/cut.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: corrupt database: database disk image is malformed", path);
	size_t n;
	char *data;

	make_current(real);
	data = tk_slurp(real, &n);
	assert_true(n > 1000);
	tk_write_bytes(path, data, 1000);
	expect_refused_both(path, msg);
	free(data);
	free(msg);
	free(path);
	free(real);
}

static void test_another_applications_database_is_refused_unchanged(void **state)
{
	char *path = tk_fmt("%s/other.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: a SQLite database of another application (application_id 0x00000000), "
			   "not a triage knowledge base", path);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	tk_sql(db, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada')");
	sqlite3_close(db);
	expect_refused_both(path, msg);
	free(msg);
	free(path);
}

static void test_knowledge_base_without_version_is_refused(void **state)
{
	char *path = tk_fmt("%s/unversioned.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: knowledge base has no schema version", path);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	tk_sql(db, "CREATE TABLE t (x); PRAGMA application_id = %d", STORE_APP_ID);
	sqlite3_close(db);
	expect_refused_both(path, msg);
	free(msg);
	free(path);
}

/* 002 adds fix.outcome, then fact.unknown_rate. A version-1 file that
 * already has fact.unknown_rate makes the second statement fail after the
 * first succeeded: nothing of the migration may remain. */
static const char clash[] = "ALTER TABLE fact ADD COLUMN unknown_rate REAL";

static void test_failed_migration_in_place_rolls_back_everything(void **state)
{
	char *path = tk_fmt("%s/clash.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: schema migration to version %d failed: duplicate column name: unknown_rate",
			   path, store_schema_version());
	sqlite3 *db;

	make_v1(path, clash);
	expect_refused(path, STORE_WRITE, msg);
	expect_refused(path, STORE_READ, msg);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(tk_sql_int(db, "PRAGMA user_version"), 1);
	assert_false(tk_has_column(db, "fix", "outcome"));
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM fact"), 1);
	sqlite3_close(db);
	free(msg);
	free(path);
}

static void test_store_migrate_failure_changes_nothing(void **state)
{
	char *path = tk_fmt("%s/clash.sqlite", (char *)*state);
	char *msg = tk_fmt("schema migration to version %d failed: duplicate column name: unknown_rate",
			   store_schema_version());
	char *before, *after;
	sqlite3 *db;
	tr_err e;

	make_v1(path, clash);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	before = tk_db_content(db);
	tr_clear(&e);
	assert_int_equal(store_migrate(db, 1, &e), TR_ERR);
	assert_string_equal(e.msg, msg);
	after = tk_db_content(db);
	tk_assert_same_text("the database before and after the failed migration", before, after);
	assert_false(tk_has_column(db, "fix", "outcome"));
	assert_int_equal(sqlite3_get_autocommit(db), 1);  /* no transaction left open */
	sqlite3_close(db);
	free(before);
	free(after);
	free(msg);
	free(path);
}

static void test_session_file_is_created_and_a_knowledge_base_is_not_one(void **state)
{
	char *sessions = tk_fmt("%s/sub/sessions.sqlite", (char *)*state);
	char *kb = tk_fmt("%s/kb.sqlite", (char *)*state);
	char *msg = tk_fmt("%s: not a triage session file (application_id 0x54726961)", kb);
	tk_snap snap;
	sqlite3 *db;
	tr_err e;

	tk_mkparents(sessions);
	tr_clear(&e);
	assert_int_equal(store_open_sessions(sessions, &db, &e), TR_OK);
	assert_int_equal(tk_sql_int(db, "PRAGMA application_id"), STORE_SESSION_APP_ID);
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM session"), 0);
	sqlite3_close(db);
	make_current(kb);
	snap = tk_snapshot(kb);
	assert_int_equal(store_open_sessions(kb, &db, &e), TR_ERR);
	assert_null(db);
	assert_string_equal(e.msg, msg);
	tk_assert_unchanged(kb, &snap);
	free(msg);
	free(kb);
	free(sessions);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tk_setup_tmp, tk_teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_schema_version_is_the_number_of_migration_scripts),
		T(test_create_stamps_application_id_and_current_version),
		T(test_create_refuses_an_existing_path),
		T(test_write_migrates_version_1_in_place_keeping_facts),
		T(test_read_migrates_a_private_copy_and_leaves_the_file_unchanged),
		T(test_newer_schema_version_is_refused),
		T(test_missing_file_is_refused_and_not_created),
		T(test_directory_is_refused),
		T(test_empty_file_is_refused_unchanged),
		T(test_text_file_is_refused_unchanged),
		T(test_sqlite_header_alone_is_a_truncated_database),
		T(test_truncated_knowledge_base_is_refused_unchanged),
		T(test_another_applications_database_is_refused_unchanged),
		T(test_knowledge_base_without_version_is_refused),
		T(test_failed_migration_in_place_rolls_back_everything),
		T(test_store_migrate_failure_changes_nothing),
		T(test_session_file_is_created_and_a_knowledge_base_is_not_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
