/*
 * test_roundtrip.c: kbtext.c builds a knowledge base from text and dumps it
 * back canonically. The repository's own knowledge base goes build, dump,
 * build, dump with the two dumps identical byte for byte and the two
 * databases identical row for row. A broken source file fails the build
 * with its exact message, leaves no output (nor temporary file) behind, and
 * never touches a good knowledge base already at the output path.
 * Builds run in a child process (testkit.h) so that an abort in the rule
 * loader fails one test instead of the whole run.
 */
#include "testkit.h"
#include "kbtext.h"

typedef struct build_job {
	const char *dir, *out;
} build_job;

typedef struct build_result {
	int rc;
	tr_err e;
} build_result;

static void build_probe(void *arg, void *out)
{
	build_job *j = arg;
	build_result *r = out;

	tr_clear(&r->e);
	r->rc = kbtext_build(j->dir, j->out, NULL, NULL, &r->e);
}

/* kbtext_build(dir, out) in a child process; returns its code, e its message. */
static int build(const char *dir, const char *out, tr_err *e)
{
	build_job j = { dir, out };
	build_result r;
	char what[2100];

	snprintf(what, sizeof what, "kbtext_build(\"%s\", \"%s\")", dir, out);
	tk_isolated(what, build_probe, &j, &r, sizeof r, 60);
	*e = r.e;
	return r.rc;
}

static void build_ok(const char *dir, const char *out)
{
	tr_err e;

	if (build(dir, out, &e) != TR_OK)
		fail_msg("building %s: %s", dir, e.msg);
}

static void dump(const char *kb, const char *dir)
{
	sqlite3 *db;
	tr_err e;

	tr_clear(&e);
	if (store_open(kb, STORE_READ, &db, &e) != TR_OK)
		fail_msg("%s", e.msg);
	if (kbtext_dump(db, dir, 0, stdout, &e) != TR_OK)
		fail_msg("dumping %s: %s", kb, e.msg);
	sqlite3_close(db);
}

static char *content(const char *kb)
{
	sqlite3 *db;
	char *text;

	if (sqlite3_open_v2(kb, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("cannot open %s", kb);
	text = tk_db_content(db);
	sqlite3_close(db);
	return text;
}

/* build src -> kb1, dump -> A, build A -> kb2, dump -> B; A == B, kb1 == kb2. */
static void round_trip(const char *src, const char *tmp)
{
	char *kb1 = tk_fmt("%s/one.sqlite", tmp), *kb2 = tk_fmt("%s/two.sqlite", tmp);
	char *a = tk_fmt("%s/A", tmp), *b = tk_fmt("%s/B", tmp);
	char *c1, *c2;

	build_ok(src, kb1);
	dump(kb1, a);
	build_ok(a, kb2);
	dump(kb2, b);
	tk_assert_same_tree(a, b);
	c1 = content(kb1);
	c2 = content(kb2);
	tk_assert_same_text("the two databases", c1, c2);
	free(c1); free(c2); free(kb1); free(kb2); free(a); free(b);
}

static void test_repository_kb_dump_build_dump_is_identical(void **state)
{
	size_t n;
	char *a = tk_fmt("%s/A", (char *)*state);
	char **files;
	int facts = 0, causes = 0, fixes = 0;

	round_trip(".", *state);
	/* the dump is the whole base: every kind of record made it through */
	files = tk_list_files(a, &n);
	for (size_t i = 0; i < n; i++) {
		facts += strncmp(files[i], "kb/facts/", 9) == 0;
		causes += strncmp(files[i], "kb/causes/", 10) == 0;
		fixes += strncmp(files[i], "kb/fixes/", 9) == 0;
	}
	assert_true(facts >= 35);   /* the contract's facts */
	assert_true(causes >= 27);  /* the contract's causes */
	assert_true(fixes >= 27);
	tk_free_list(files);
	free(a);
}

static void test_small_kb_with_a_rule_round_trips(void **state)
{
	char *src = tk_fmt("%s/src", (char *)*state);
	char *rule = tk_fmt("%s/A/rules/servers_only.lua", (char *)*state);
	char *orig = tk_fmt("%s/rules/servers_only.lua", src);
	char *got, *want;

	tk_text_kb(src);
	round_trip(src, *state);
	/* a rule is dumped as its source, byte for byte */
	got = tk_slurp(rule, NULL);
	want = tk_slurp(orig, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got); free(want); free(rule); free(orig); free(src);
}

static void test_dump_removes_records_no_longer_in_the_base_only_when_forced(void **state)
{
	char *src = tk_fmt("%s/src", (char *)*state);
	char *kb = tk_fmt("%s/kb.sqlite", (char *)*state);
	char *out = tk_fmt("%s/out", (char *)*state);
	char *stale = tk_fmt("%s/out/kb/facts/gone.json", (char *)*state);
	char *stale_rule = tk_fmt("%s/out/rules/gone.lua", (char *)*state);
	char *kept = tk_fmt("%s/out/kb/facts/host_kind.json", (char *)*state);

	tk_text_kb(src);
	build_ok(src, kb);
	tk_write(stale, "{}\n");
	tk_write(stale_rule, "-- gone\n");
	{	/* unforced: refused, nothing removed */
		sqlite3 *db;
		tr_err e;
		FILE *sink = fopen("/dev/null", "w");

		tr_clear(&e);
		assert_int_equal(store_open(kb, STORE_READ, &db, &e), TR_OK);
		assert_int_equal(kbtext_dump(db, out, 0, sink, &e), TR_ERR);
		assert_true(tk_exists(stale));
		assert_true(tk_exists(stale_rule));
		assert_int_equal(kbtext_dump(db, out, 1, sink, &e), TR_OK);
		sqlite3_close(db);
		fclose(sink);
	}
	assert_false(tk_exists(stale));
	assert_false(tk_exists(stale_rule));
	assert_true(tk_exists(kept));
	free(src); free(kb); free(out); free(stale); free(stale_rule); free(kept);
}

/* ---- build errors ---- */

/* Replaces the first occurrence of from by to in file dir/rel. */
static void edit(const char *dir, const char *rel, const char *from, const char *to)
{
	char *path = tk_fmt("%s/%s", dir, rel);
	char *text = tk_slurp(path, NULL), *at, *next;

	if (!text || !(at = strstr(text, from)))
		fail_msg("testkit: '%s' not in %s", from, path);
	next = tk_fmt("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	tk_write(path, next);
	free(next); free(text); free(path);
}

/* No file of dir starts with the name of out (no output, no temporary). */
static void assert_no_output(const char *dir, const char *name)
{
	size_t n;
	char **files = tk_list_files(dir, &n);

	for (size_t i = 0; i < n; i++)
		if (strncmp(files[i], name, strlen(name)) == 0)
			fail_msg("%s/%s left behind by a failed build", dir, files[i]);
	tk_free_list(files);
}

typedef void (*breaker)(const char *src);

/* Builds a broken copy of the small base: the exact message (made by
 * expect(src) since it names the file), no output; then over a good
 * knowledge base at the same path: the same message, the old file intact. */
static void expect_build_error(const char *tmp, breaker brk, const char *fmt)
{
	char *src = tk_fmt("%s/src", tmp), *out = tk_fmt("%s/out.sqlite", tmp);
	char *msg = tk_fmt(fmt, src);
	tk_snap snap;
	tr_err e;

	tk_text_kb(src);
	build_ok(src, out);           /* the base is good before the break */
	snap = tk_snapshot(out);
	brk(src);
	assert_int_equal(build(src, out, &e), TR_ERR);
	assert_string_equal(e.msg, msg);
	tk_assert_unchanged(out, &snap);
	remove(out);
	assert_int_equal(build(src, out, &e), TR_ERR);
	assert_string_equal(e.msg, msg);
	assert_no_output(tmp, "out.sqlite");
	free(msg); free(out); free(src);
}

static void id_mismatch(const char *src)
{
	edit(src, "kb/facts/worked_before.json", "\"id\": \"worked_before\"", "\"id\": \"worked_after\"");
}

static void test_fact_id_not_matching_its_file_name_fails(void **state)
{
	expect_build_error(*state, id_mismatch,
			   "%s/kb/facts/worked_before.json: id 'worked_after' does not match the file name");
}

static void unknown_key(const char *src)
{
	edit(src, "kb/facts/host_kind.json", "\"cost\": 1,", "\"cost\": 1, \"colour\": \"red\",");
}

static void test_unknown_key_fails(void **state)
{
	expect_build_error(*state, unknown_key, "%s/kb/facts/host_kind.json: fact: unknown key 'colour'");
}

static void extreme_risk(const char *src)
{
	edit(src, "kb/fixes/renew_cert.json", "\"risk\": \"low\"", "\"risk\": \"extreme\"");
}

static void test_risk_extreme_fails(void **state)
{
	expect_build_error(*state, extreme_risk,
			   "%s/kb/fixes/renew_cert.json: risk 'extreme' is not one of low, medium, high");
}

static void medium_without_undo(const char *src)
{
	edit(src, "kb/fixes/open_firewall.json", "\"undo\": \"Disable the rule again.\"", "\"undo\": \"\"");
}

static void test_medium_risk_fix_with_empty_undo_fails(void **state)
{
	expect_build_error(*state, medium_without_undo,
			   "%s/kb/fixes/open_firewall.json: a medium-risk fix must say how to undo it "
			   "('undo' is empty)");
}

static void certain_evidence(const char *src)
{
	edit(src, "kb/causes/cert_expired.json", "{\"yes\": 0.95}", "{\"yes\": 1.0}");
}

static void test_evidence_likelihood_of_one_fails(void **state)
{
	expect_build_error(*state, certain_evidence,
			   "%s/kb/causes/cert_expired.json: evidence on worked_before=yes: likelihood must be "
			   "a number from 0.01 to 0.99 (no single answer rules a cause in or out)");
}

static void rule_syntax(const char *src)
{
	edit(src, "rules/servers_only.lua", "if f.host_kind", "if if f.host_kind");
}

static void test_rule_with_a_syntax_error_fails(void **state)
{
	/* the chunk is named rules/ID.lua: the message names the file and line */
	expect_build_error(*state, rule_syntax,
			   "%.0srules/servers_only.lua:7: unexpected symbol near 'if'");
}

static void rule_without_run(const char *src)
{
	edit(src, "rules/servers_only.lua", "function run(f)", "function walk(f)");
}

static void test_rule_missing_run_fails(void **state)
{
	expect_build_error(*state, rule_without_run,
			   "%.0srules/servers_only.lua: missing 'run' (a function run(f))");
}

static void rule_reads_unknown(const char *src)
{
	edit(src, "rules/servers_only.lua", "reads = {\"host_kind\"}", "reads = {\"host_kind\", \"nosuch\"}");
}

static void test_rule_reading_an_unknown_fact_fails(void **state)
{
	expect_build_error(*state, rule_reads_unknown,
			   "%s/rules/servers_only.lua: reads 'nosuch': no such fact");
}

static void test_rule_file_of_bytecode_fails_naming_the_file(void **state)
{
	char *src = tk_fmt("%s/src", (char *)*state), *out = tk_fmt("%s/out.sqlite", (char *)*state);
	char *rule = tk_fmt("%s/rules/servers_only.lua", src);
	tr_err e;

	tk_text_kb(src);
	tk_write(rule, "\x1bLua description = \"sneaky\"\n");
	assert_int_equal(build(src, out, &e), TR_ERR);
	/* refused before Lua sees it: a binary chunk starts with ESC */
	assert_non_null(strstr(e.msg, "/rules/servers_only.lua: line 1 contains a control character "
			       "U+001B at byte 0"));
	assert_false(tk_exists(out));
	free(rule); free(out); free(src);
	/* kbtext.h: errors name the source file */
	if (!strstr(e.msg, "servers_only.lua"))
		fail_msg("the message does not name the file: \"%s\"", e.msg);
}

static void rule_without_enabled(const char *src)
{
	edit(src, "rules/servers_only.lua", "enabled = true\n", "");
}

/* enabled is optional (kb/README.md): a rule that leaves it out builds. */
static void test_rule_without_optional_enabled_builds(void **state)
{
	char *src = tk_fmt("%s/src", (char *)*state), *out = tk_fmt("%s/out.sqlite", (char *)*state);

	tk_text_kb(src);
	rule_without_enabled(src);
	build_ok(src, out);
	assert_true(tk_exists(out));
	free(src); free(out);
}

static void test_build_refuses_to_overwrite_a_file_that_is_not_a_kb(void **state)
{
	char *src = tk_fmt("%s/src", (char *)*state), *out = tk_fmt("%s/notes.txt", (char *)*state);
	char *msg = tk_fmt("refusing to overwrite %s (%s: not a SQLite database, so not a triage "
			   "knowledge base)", out, out);
	tk_snap snap;
	tr_err e;

	tk_text_kb(src);
	tk_write(out, "my notes\n");
	snap = tk_snapshot(out);
	assert_int_equal(build(src, out, &e), TR_ERR);
	assert_string_equal(e.msg, msg);
	tk_assert_unchanged(out, &snap);
	free(msg); free(src); free(out);
}

#define T(name) cmocka_unit_test_setup_teardown(name, tk_setup_tmp, tk_teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_repository_kb_dump_build_dump_is_identical),
		T(test_small_kb_with_a_rule_round_trips),
		T(test_dump_removes_records_no_longer_in_the_base_only_when_forced),
		T(test_fact_id_not_matching_its_file_name_fails),
		T(test_unknown_key_fails),
		T(test_risk_extreme_fails),
		T(test_medium_risk_fix_with_empty_undo_fails),
		T(test_evidence_likelihood_of_one_fails),
		T(test_rule_with_a_syntax_error_fails),
		T(test_rule_missing_run_fails),
		T(test_rule_reading_an_unknown_fact_fails),
		T(test_rule_file_of_bytecode_fails_naming_the_file),
		T(test_rule_without_optional_enabled_builds),
		T(test_build_refuses_to_overwrite_a_file_that_is_not_a_kb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
