/*
 * test_rules.c: the Lua sandbox of rules.c, and attempts to break it.
 * Every escape attempt gets its exact error, the rule is switched off,
 * another rule still runs, and the process survives: each probe runs in a
 * child process (testkit.h) with an alarm, so a crash, an abort or a hang
 * fails its test by name instead of taking the run down.
 *
 * The model: facts x (a, b), y (yes, no) and host (free text); causes c1,
 * c2; fix fx. Rule "bystander" (reads x) derives y=yes when x is a; rule
 * "probe" (reads x) is the code under test. Run-time code sits inside
 * run(f) starting on line 4 of rules/probe.lua; load-time code on line 3.
 */
#include "testkit.h"
#include <malloc.h>
#include "rules.h"
#include "session.h"

#define RUN_HEAD "description = \"probe\"\nreads = {\"x\"}\nfunction run(f)\n"
#define LOAD_HEAD "description = \"probe\"\nreads = {\"x\"}\n"

/* A model holding bystander and a probe rule with source src. */
static tr_model *model_with(const char *dir, const char *src, sqlite3 **db)
{
	*db = tk_kb_create(dir, "rules.sqlite");
	tk_fact(*db, "x", 1, 0, "a=0.5 b=0.5");
	tk_fact(*db, "y", 1, 0, "yes=0.5 no=0.5");
	tk_fact(*db, "host", 0, 0, "");
	tk_cause(*db, "c1", 0.6);
	tk_cause(*db, "c2", 0.4);
	tk_evidence(*db, "c1", "y", "yes=0.8");
	tk_fix(*db, "fx", 5, "low", "c1=0.9 c2=0.9");
	tk_rule(*db, "bystander", "x",
		"description = \"derives y from x\"\nreads = {\"x\"}\n"
		"function run(f)\n  if f.x == \"a\" then derive(\"y\", \"yes\", \"x is a\") end\nend\n");
	tk_rule(*db, "probe", "x", src);
	return tk_load(*db);
}

/* A model a test keeps past a probe; teardown frees it (also on failure). */
static tr_model *kept_model;
static sqlite3 *kept_db;

static int teardown(void **state)
{
	model_free(kept_model);
	sqlite3_close(kept_db);
	kept_model = NULL;
	kept_db = NULL;
	return tk_teardown_tmp(state);
}

static tr_model *keep(const char *dir, const char *src)
{
	return kept_model = model_with(dir, src, &kept_db);
}

typedef struct probe_out {
	int loaded;              /* probe on after rules_open (compiled on its first run) */
	char load_why[600];
	int rc;                  /* probe's first run */
	tr_err e;
	long cost;
	double seconds;
	int nfx;
	rule_effect fx[8];       /* the effects (pointers not followed) */
	char fx_text[8][64], fx_why[8][64], fx_slot[8][64];
	int active;              /* probe on after its run */
	char off_why[600];
	int again_rc;            /* probe run a second time */
	tr_err again;
	int by_rc, by_nfx, by_value;  /* bystander after the probe */
	int by_active;
} probe_out;

typedef struct probe_in {
	const tr_model *m;
	int runs;                /* how many times to run the probe (1 or 2) */
} probe_in;

static void run_probe(void *arg, void *out)
{
	probe_in *in = arg;
	probe_out *o = out;
	const tr_model *m = in->m;
	const char *facts[8] = {0}, *why;
	int probe = model_rule(m, "probe"), by = model_rule(m, "bystander");
	rule_effects fx = {0};
	rules *R;
	tr_err e;
	double t0;

	facts[model_fact(m, "x")] = "a";
	facts[model_fact(m, "host")] = "srv01";
	tr_clear(&e);
	if (rules_open(m, &R, &e) != TR_OK) {
		snprintf(o->load_why, sizeof o->load_why, "rules_open: %s", e.msg);
		return;
	}
	o->loaded = rules_active(R, probe, &why);
	snprintf(o->load_why, sizeof o->load_why, "%s", why ? why : "");
	if (o->loaded) {
		tr_clear(&o->e);
		t0 = tk_now();
		o->rc = rules_run(R, probe, facts, &fx, &o->cost, &o->e);
		if (in->runs > 1 && o->rc == TR_OK)
			o->rc = rules_run(R, probe, facts, &fx, &o->cost, &o->e);
		o->seconds = tk_now() - t0;
		o->nfx = fx.n < 8 ? fx.n : 8;
		for (int i = 0; i < o->nfx; i++) {
			o->fx[i] = fx.v[i];
			snprintf(o->fx_text[i], 64, "%s", fx.v[i].text ? fx.v[i].text : "(null)");
			snprintf(o->fx_why[i], 64, "%s", fx.v[i].why ? fx.v[i].why : "(null)");
			snprintf(o->fx_slot[i], 64, "%s", fx.v[i].slot ? fx.v[i].slot : "(null)");
		}
		o->active = rules_active(R, probe, &why);
		snprintf(o->off_why, sizeof o->off_why, "%s", why ? why : "");
		tr_clear(&o->again);
		o->again_rc = rules_run(R, probe, facts, &fx, NULL, &o->again);
	}
	tr_clear(&e);
	o->by_rc = rules_run(R, by, facts, &fx, NULL, &e);
	o->by_nfx = fx.n;
	o->by_value = fx.n ? fx.v[0].value : -2;
	o->by_active = rules_active(R, by, NULL);
	rules_effects_free(&fx);
	rules_close(R);
}

/* Runs the probe rule with source src (runs times) in a child process;
 * what names the attempt when the process dies or hangs. */
static probe_out probe_named(const char *what, const char *tmp, const char *src, int runs)
{
	sqlite3 *db;
	tr_model *m = model_with(tmp, src, &db);
	probe_in in = { m, runs };
	probe_out o;
	char why[512];
	int bad = tk_isolated_try(what, run_probe, &in, &o, sizeof o, 3, why, sizeof why);

	model_free(m);
	sqlite3_close(db);
	if (bad)
		fail_msg("%s", why);
	return o;
}

static probe_out probe_src(const char *tmp, const char *src, int runs)
{
	return probe_named("the sandbox", tmp, src, runs);
}

/* Indexes in the model (facts and values sorted by id; checked in
 * test_probe_model_layout): facts host 0, x 1, y 2; values x=a 0, x=b 1,
 * y=yes 2, y=no 3; causes c1 0, c2 1; fix fx 0. */
enum { F_HOST = 0, F_Y = 2, Y_YES = 2, Y_NO = 3, C2 = 1, FX = 0 };

/* Checks that the bystander rule still ran normally: y=yes derived. */
static void assert_bystander_ran(const probe_out *o)
{
	assert_int_equal(o->by_rc, TR_OK);
	assert_int_equal(o->by_active, 1);
	assert_int_equal(o->by_nfx, 1);
	assert_int_equal(o->by_value, Y_YES);
}

/* Runs body inside run(f) and expects the rule to fail with exactly
 * "rule probe: " msg, be switched off for good, and leave bystander be. */
static probe_out expect_run_error(void **state, const char *body, const char *msg)
{
	char src[4096], full[1024], again[1100];
	probe_out o;

	snprintf(src, sizeof src, RUN_HEAD "%s\nend\n", body);
	snprintf(full, sizeof full, "rule probe: %s", msg);
	snprintf(again, sizeof again, "rule probe is off: %s", full);
	o = probe_src(*state, src, 1);

	if (!o.loaded)
		fail_msg("the probe did not load: %s", o.load_why);
	assert_int_equal(o.rc, TR_ERR);
	assert_int_equal(o.e.code, TR_ERR);
	assert_string_equal(o.e.msg, full);
	assert_int_equal(o.nfx, 0);            /* effects of a failed run are dropped */
	assert_int_equal(o.active, 0);
	assert_string_equal(o.off_why, full);
	assert_int_equal(o.again_rc, TR_ERR);
	assert_string_equal(o.again.msg, again);
	assert_bystander_ran(&o);
	return o;
}

/* Runs body inside run(f) and expects success. */
static probe_out expect_run_ok(void **state, const char *body, int runs)
{
	char src[4096];
	probe_out o;

	snprintf(src, sizeof src, RUN_HEAD "%s\nend\n", body);
	o = probe_src(*state, src, runs);

	if (!o.loaded)
		fail_msg("the probe did not load: %s", o.load_why);
	if (o.rc != TR_OK)
		fail_msg("the probe failed: %s", o.e.msg);
	assert_int_equal(o.active, 1);
	assert_bystander_ran(&o);
	return o;
}

/* ---- rules_check, in a child process too ---- */

typedef struct check_in {
	const char *src;
} check_in;

typedef struct check_out {
	int rc;
	tr_err e;
	char description[128];
	int nreads, nsources, enabled;
	char reads[4][32], sources[4][32];
	double seconds;
} check_out;

static void check_probe(void *arg, void *out)
{
	check_in *in = arg;
	check_out *o = out;
	rule_meta meta;
	double t0 = tk_now();

	tr_clear(&o->e);
	o->rc = rules_check("rules/probe.lua", in->src, &meta, &o->e);
	o->seconds = tk_now() - t0;
	if (o->rc == TR_OK) {
		snprintf(o->description, sizeof o->description, "%s", meta.description);
		o->nreads = meta.nreads;
		o->nsources = meta.nsources;
		o->enabled = meta.enabled;
		for (int i = 0; i < meta.nreads && i < 4; i++)
			snprintf(o->reads[i], 32, "%s", meta.reads[i]);
		for (int i = 0; i < meta.nsources && i < 4; i++)
			snprintf(o->sources[i], 32, "%s", meta.sources[i]);
		rules_meta_free(&meta);
	}
}

static check_out check(const char *src)
{
	check_in in = { src };
	check_out o;

	tk_isolated("rules_check", check_probe, &in, &o, sizeof o, 5);
	return o;
}

static void expect_check_error(const char *src, const char *msg)
{
	check_out o = check(src);

	assert_int_equal(o.rc, TR_ERR);
	assert_string_equal(o.e.msg, msg);
}

/* ---- the model's indexes, checked once ---- */

static void test_probe_model_layout(void **state)
{
	tr_model *m = keep(*state, RUN_HEAD "end\n");

	assert_int_equal(tk_f(m, "host"), F_HOST);
	assert_int_equal(tk_f(m, "y"), F_Y);
	assert_int_equal(tk_v(m, "y", "yes"), Y_YES);
	assert_int_equal(tk_v(m, "y", "no"), Y_NO);
	assert_int_equal(tk_c(m, "c2"), C2);
	assert_int_equal(tk_x(m, "fx"), FX);
	assert_int_equal(model_rule(m, "bystander"), 0);
	assert_int_equal(model_rule(m, "probe"), 1);
}

/* ---- undeclared globals: the libraries that reach outside ---- */

#define UNDECLARED(name, code, global) \
	static void test_##name##_is_an_undeclared_global(void **state) \
	{ \
		expect_run_error(state, code, "rules/probe.lua:4: undeclared global '" global "'"); \
	}

UNDECLARED(io, "io.write('x')", "io")
UNDECLARED(os, "os.exit(1)", "os")
UNDECLARED(package, "package.loaded.os = nil", "package")
UNDECLARED(debug, "debug.sethook()", "debug")
UNDECLARED(require, "require('os')", "require")
UNDECLARED(load, "load('return 1')()", "load")
UNDECLARED(loadstring, "loadstring('return 1')()", "loadstring")
UNDECLARED(dofile, "dofile('/etc/passwd')", "dofile")
UNDECLARED(loadfile, "loadfile('/etc/passwd')", "loadfile")
UNDECLARED(collectgarbage, "collectgarbage('stop')", "collectgarbage")
UNDECLARED(print, "print('hello')", "print")
UNDECLARED(setmetatable, "setmetatable(f, nil)", "setmetatable")
UNDECLARED(getmetatable, "local idx = getmetatable('').__index", "getmetatable")
UNDECLARED(rawset, "rawset(string, 'upper', nil)", "rawset")
UNDECLARED(rawget, "rawget(string, 'upper')", "rawget")
UNDECLARED(coroutine, "coroutine.wrap(function() end)()", "coroutine")

static void test_string_dump_is_unavailable(void **state)
{
	expect_run_error(state, "local b = string.dump(run)",
			 "rules/probe.lua:4: attempt to call a nil value (field 'dump')");
}

static void test_table_move_is_unavailable(void **state)
{
	expect_run_error(state, "table.move({1}, 1, 1e9, 2)",
			 "rules/probe.lua:4: attempt to call a nil value (field 'move')");
}

static void test_globals_at_load_time_are_checked_too(void **state)
{
	(void)state;
	expect_check_error(LOAD_HEAD "io.write('x')\nfunction run(f) end\n",
			   "rules/probe.lua:3: undeclared global 'io'");
}

/* ---- shared tables are read-only ---- */

static void test_string_library_is_read_only(void **state)
{
	expect_run_error(state, "string.upper = nil",
			 "rules/probe.lua:4: attempt to change a read-only table (field 'upper')");
}

static void test_table_library_is_read_only(void **state)
{
	expect_run_error(state, "table.insert = function() end",
			 "rules/probe.lua:4: attempt to change a read-only table (field 'insert')");
}

static void test_math_library_is_read_only(void **state)
{
	expect_run_error(state, "math.pi = 3",
			 "rules/probe.lua:4: attempt to change a read-only table (field 'pi')");
}

static void test_library_change_at_load_time_is_refused(void **state)
{
	(void)state;
	expect_check_error(LOAD_HEAD "string.rep = function() return '' end\nfunction run(f) end\n",
			   "rules/probe.lua:3: attempt to change a read-only table (field 'rep')");
}

static void test_string_methods_work_but_the_metatable_is_out_of_reach(void **state)
{
	/* ("").__index looks "__index" up in the string library: nothing */
	probe_out o = expect_run_ok(state,
		"if (\"\").__index == nil and (\"ab\"):rep(2, \"-\") == \"ab-ab\" and (\"x\"):upper() == \"X\" "
		"then derive(\"y\", \"no\") end", 1);

	assert_int_equal(o.nfx, 1);
	assert_int_equal(o.fx[0].kind, EFFECT_DERIVE);
	assert_int_equal(o.fx[0].value, Y_NO);
}

/* ---- time and memory ---- */

static void test_huge_string_rep_is_refused(void **state)
{
	expect_run_error(state, "local s = (\"x\"):rep(1e9)",
			 "rules/probe.lua:4: string.rep: result too large for the sandbox");
}

static void test_huge_string_rep_with_separator_is_refused(void **state)
{
	expect_run_error(state, "local s = string.rep(\"x\", 3e6, (\"y\"):rep(3e6))",
			 "rules/probe.lua:4: string.rep: result too large for the sandbox");
}

static void test_empty_string_rep_of_any_count_returns(void **state)
{
	probe_out o = expect_run_ok(state,
		"if string.rep(\"\", 1e15) == \"\" then derive(\"y\", \"yes\") end", 1);

	assert_int_equal(o.nfx, 1);
}

static void test_endless_loop_exceeds_the_budget_naming_file_and_line(void **state)
{
	probe_out o = expect_run_error(state, "local n = 0\nwhile true do n = n + 1 end",
		"rules/probe.lua:5: instruction budget exceeded (2000000 instructions)");

	assert_true(o.cost > RULES_BUDGET);
}

static void test_pcall_cannot_swallow_the_budget(void **state)
{
	expect_run_error(state, "while true do pcall(function() while true do end end) end",
			 "rules/probe.lua:4: instruction budget exceeded (2000000 instructions)");
}

static void test_error_handler_of_xpcall_cannot_escape_the_budget(void **state)
{
	/* The budget error is raised from the count hook, and Lua runs an
	 * xpcall message handler for it with hooks off: a handler that loops
	 * must still be stopped (or xpcall must not be offered). */
	const char *src = RUN_HEAD
		"xpcall(function() while true do end end, function() while true do end end)\nend\n";
	probe_out o = probe_named("xpcall with a looping handler, after the budget ran out", *state, src, 1);

	assert_int_equal(o.rc, TR_ERR);
	assert_int_equal(strncmp(o.e.msg, "rule probe: rules/probe.lua:4: ", 31), 0);
	assert_int_equal(o.active, 0);
	assert_bystander_ran(&o);
}

static void test_error_handler_that_loops_on_a_plain_error_is_stopped(void **state)
{
	const char *src = RUN_HEAD "xpcall(error, function() while true do end end)\nend\n";
	probe_out o = probe_named("xpcall(error, a looping handler)", *state, src, 1);

	assert_int_equal(o.rc, TR_ERR);
	assert_int_equal(strncmp(o.e.msg, "rule probe: rules/probe.lua:4: ", 31), 0);
	assert_int_equal(o.active, 0);
}

static void test_gsub_callback_runs_under_the_budget(void **state)
{
	expect_run_error(state, "string.gsub((\"a\"):rep(10), \"a\", function() while true do end end)",
			 "rules/probe.lua:4: instruction budget exceeded (2000000 instructions)");
}

static void test_budget_is_per_run(void **state)
{
	/* 2 instructions an iteration: about 1.2 million a run, twice */
	probe_out o = expect_run_ok(state, "local n = 0\nfor i = 1, 600000 do n = n + i end", 2);

	assert_true(o.cost > 1000000);
	assert_true(o.cost <= RULES_BUDGET);
}

static void test_unbounded_allocation_hits_the_memory_limit(void **state)
{
	expect_run_error(state, "local t = {} while true do t[#t + 1] = (\"x\"):rep(1000) end",
			 "rules/probe.lua:4: memory limit exceeded (8 MiB)");
}

static void test_memory_limit_is_per_run(void **state)
{
	/* 4 MB a run (6 MB at the peak, while string.rep builds the second) */
	expect_run_ok(state, "local s, t = (\"x\"):rep(2e6), (\"y\"):rep(2e6)", 2);
}

typedef struct leak_out {
	long long growth;
	int rc;
	tr_err e;
} leak_out;

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void leak_probe(void *arg, void *out)
{
	const tr_model *m = arg;
	leak_out *o = out;
	const char *facts[8] = {0};
	size_t before = 0;

	facts[model_fact(m, "x")] = "a";
	for (int i = 0; i < 5; i++) {
		rule_effects fx = {0};
		rules *R;

		tr_clear(&o->e);
		rules_open(m, &R, &o->e);
		o->rc = rules_run(R, model_rule(m, "probe"), facts, &fx, NULL, &o->e);
		rules_effects_free(&fx);
		rules_close(R);
		if (i == 0)
			before = heap_in_use();  /* after one warm-up run */
	}
	o->growth = (long long)heap_in_use() - (long long)before;
}

static void test_string_rep_at_the_memory_limit_frees_its_buffer(void **state)
{
	/* the third 3 MB string no longer fits: the error must not leak the
	 * C buffer string.rep built it in (4 more runs: 16 MB if it does) */
	tr_model *m = keep(*state, RUN_HEAD
		"local a, b, c = (\"x\"):rep(3e6), (\"x\"):rep(3e6), (\"x\"):rep(3e6)\nend\n");
	leak_out o;

	tk_isolated("string.rep at the memory limit", leak_probe, m, &o, sizeof o, 10);
	assert_int_equal(o.rc, TR_ERR);
	assert_string_equal(o.e.msg, "rule probe: rules/probe.lua:4: memory limit exceeded (8 MiB)");
	if (o.growth > (1 << 20))
		fail_msg("the heap grew by %lld bytes over 4 runs: string.rep leaks its buffer "
			 "when the result does not fit", o.growth);
}

static void test_deep_recursion_is_stopped(void **state)
{
	/* Lua's own stack limit (1,000,000 slots, 16 MB) lies beyond the
	 * 8 MiB cap: the cap stops the recursion first */
	expect_run_error(state, "local function r(n) return r(n + 1) + 1 end\nr(1)",
			 "rules/probe.lua:4: memory limit exceeded (8 MiB)");
}

static void test_recursion_through_c_functions_is_a_stack_overflow(void **state)
{
	expect_run_error(state, "local function r() return string.gsub(\"a\", \"a\", r) end r()",
			 "rules/probe.lua:4: C stack overflow");
}

static void test_backtracking_pattern_is_stopped_by_the_budget(void **state)
{
	/* about 4000^10 steps: the matcher's meter stops it, no guess needed */
	expect_run_error(state,
		"string.find((\"a\"):rep(4000), (\"a*\"):rep(10) .. \"b\")",
		"rules/probe.lua:4: instruction budget exceeded (2000000 instructions)");
}

static void test_backtracking_through_a_string_method_is_stopped_by_the_budget(void **state)
{
	expect_run_error(state, "local s = (\"a\"):rep(4000) s:match((\"a-\"):rep(10) .. \"b\")",
			 "rules/probe.lua:4: instruction budget exceeded (2000000 instructions)");
}

static void test_pcall_cannot_swallow_the_budget_spent_in_a_pattern(void **state)
{
	expect_run_error(state, "local s = (\"a\"):rep(4000)\n"
			 "while true do pcall(string.find, s, (\"a*\"):rep(10) .. \"b\") end",
			 "rules/probe.lua:5: instruction budget exceeded (2000000 instructions)");
}

static void test_long_subject_is_matched_within_the_budget(void **state)
{
	/* no limit on the subject's length: a linear pattern on 100 kB is cheap */
	expect_run_ok(state, "local s, n = string.gsub((\"a\"):rep(100000), \"a\", \"b\")\n"
		      "assert(n == 100000 and s == (\"b\"):rep(100000))", 1);
}

static void test_too_many_results_are_refused(void **state)
{
	expect_run_error(state, "local t = table.unpack({}, 1, 1e8)",
			 "rules/probe.lua:4: too many results to unpack");
}

/* ---- globals and facts ---- */

static void test_new_global_inside_run_errors(void **state)
{
	expect_run_error(state, "counter = 1",
			 "rules/probe.lua:4: assignment to undeclared global 'counter' inside run()");
}

static void test_new_global_through_env_inside_run_errors(void **state)
{
	expect_run_error(state, "_ENV.counter = 1",
			 "rules/probe.lua:4: assignment to undeclared global 'counter' inside run()");
}

static void test_reading_a_fact_not_in_reads_errors(void **state)
{
	expect_run_error(state, "local v = f.y", "rules/probe.lua:4: fact 'y' is not in this rule's reads");
}

static void test_reading_an_unknown_fact_errors(void **state)
{
	expect_run_error(state, "local v = f.nosuch", "rules/probe.lua:4: unknown fact 'nosuch'");
}

static void test_facts_table_is_read_only(void **state)
{
	expect_run_error(state, "f.x = \"b\"",
			 "rules/probe.lua:4: attempt to change a read-only table (field 'x')");
}

static void test_facts_table_cannot_be_iterated(void **state)
{
	expect_run_error(state, "for k in pairs(f) do end",
			 "rules/probe.lua:4: the facts table cannot be iterated; read the facts named in reads");
}

/* ---- the effect API ---- */

static void test_derive_with_an_unknown_value_errors(void **state)
{
	expect_run_error(state, "derive(\"y\", \"maybe\")",
			 "rules/probe.lua:4: derive: 'maybe' is not a value of fact 'y'");
}

static void test_derive_of_an_unknown_fact_errors(void **state)
{
	expect_run_error(state, "derive(\"nosuch\", \"yes\")", "rules/probe.lua:4: unknown fact 'nosuch'");
}

static void test_scale_out_of_range_errors(void **state)
{
	expect_run_error(state, "scale(\"c1\", -1)",
			 "rules/probe.lua:4: scale: factor must be a number from 0 to 1000");
}

static void test_scale_of_nan_errors(void **state)
{
	expect_run_error(state, "scale(\"c1\", 0/0)",
			 "rules/probe.lua:4: scale: factor must be a number from 0 to 1000");
}

static void test_fill_with_a_bad_slot_errors(void **state)
{
	expect_run_error(state, "fill(\"Host Name\", \"x\")",
			 "rules/probe.lua:4: fill: slot must be an identifier");
}

static void test_fill_with_an_overlong_reason_errors(void **state)
{
	/* (in a sanitizer build the probe also checks the text is freed) */
	expect_run_error(state, "fill(\"host\", \"srv\", (\"w\"):rep(2000))",
			 "rules/probe.lua:4: fill: why is longer than 1024 bytes");
}

static void test_warn_about_an_unknown_fix_errors(void **state)
{
	expect_run_error(state, "warn(\"nofix\", \"careful\")", "rules/probe.lua:4: warn: unknown fix 'nofix'");
}

static void test_effects_are_recorded_with_their_reasons(void **state)
{
	probe_out o = expect_run_ok(state,
		"derive(\"y\", \"no\", \"because\")\n"
		"hide(\"y\", \"not here\")\n"
		"scale(\"c2\", 0, \"ruled out\")\n"
		"fill(\"host\", \"srv01\", \"the host\")\n"
		"warn(\"fx\", \"back up first\")\n"
		"derive(\"host\", \"free text\")", 1);

	assert_int_equal(o.nfx, 6);
	assert_int_equal(o.fx[0].kind, EFFECT_DERIVE);
	assert_int_equal(o.fx[0].target, F_Y);
	assert_int_equal(o.fx[0].value, Y_NO);
	assert_string_equal(o.fx_why[0], "because");
	assert_int_equal(o.fx[1].kind, EFFECT_HIDE);
	assert_int_equal(o.fx[1].target, F_Y);
	assert_string_equal(o.fx_why[1], "not here");
	assert_int_equal(o.fx[2].kind, EFFECT_SCALE);
	assert_int_equal(o.fx[2].target, C2);
	assert_true(o.fx[2].factor == 0.0);
	assert_string_equal(o.fx_why[2], "ruled out");
	assert_int_equal(o.fx[3].kind, EFFECT_FILL);
	assert_int_equal(o.fx[3].target, -1);
	assert_string_equal(o.fx_slot[3], "host");
	assert_string_equal(o.fx_text[3], "srv01");
	assert_int_equal(o.fx[4].kind, EFFECT_WARN);
	assert_int_equal(o.fx[4].target, FX);
	assert_string_equal(o.fx_text[4], "back up first");
	assert_string_equal(o.fx_why[4], "");
	assert_int_equal(o.fx[5].kind, EFFECT_DERIVE);
	assert_int_equal(o.fx[5].target, F_HOST);
	assert_int_equal(o.fx[5].value, -1);
	assert_string_equal(o.fx_text[5], "free text");
	assert_string_equal(o.fx_why[5], "");
}

static void test_effects_are_refused_at_load_time(void **state)
{
	(void)state;
	expect_check_error(LOAD_HEAD "derive(\"y\", \"yes\")\nfunction run(f) end\n",
			   "rules/probe.lua:3: derive() can only be called inside run()");
}

/* ---- loading ---- */

static void test_bytecode_is_refused_naming_the_file(void **state)
{
	check_out o = check("\x1bLua description = \"probe\"");

	(void)state;
	assert_int_equal(o.rc, TR_ERR);
	assert_non_null(strstr(o.e.msg, "attempt to load a binary chunk (mode is 't')"));
	/* rules.h: load errors name the file */
	if (strncmp(o.e.msg, "rules/probe.lua", 15) != 0)
		fail_msg("the message does not name the file: \"%s\"", o.e.msg);
}

static void test_bytecode_in_a_knowledge_base_is_not_loaded(void **state)
{
	probe_out o = probe_src(*state, "\x1bLua run = nil", 1);

	/* compiled on its first run: that run fails and switches it off */
	assert_int_equal(o.rc, TR_ERR);
	assert_string_equal(o.e.msg, "rule probe: rules/probe.lua: attempt to load a binary chunk (mode is 't')");
	assert_int_equal(o.active, 0);
	assert_string_equal(o.off_why, o.e.msg);
	assert_bystander_ran(&o);
}

static void test_load_time_loop_is_stopped(void **state)
{
	(void)state;
	expect_check_error(LOAD_HEAD "while true do end\nfunction run(f) end\n",
			   "rules/probe.lua:3: instruction budget exceeded (2000000 instructions)");
}

/* kb build checks every rule in one sandbox: each loads in a fresh _ENV,
 * so nothing one rule defines, nor a rule stopped mid-load, reaches the
 * next, and each gets its own metadata. */
static void test_checker_keeps_rules_apart(void **state)
{
	rules *R;
	rule_meta meta;
	tr_err e;

	(void)state;
	tr_clear(&e);
	assert_int_equal(rules_checker_open(&R, &e), TR_OK);
	assert_int_equal(rules_check_in(R, "rules/a.lua", "description = \"a\"\nreads = {\"x\"}\n"
					"leak = 1\nfunction run(f) end\n", &meta, &e), TR_OK);
	assert_string_equal(meta.description, "a");
	rules_meta_free(&meta);
	assert_int_equal(rules_check_in(R, "rules/b.lua", "description = \"b\"\nreads = {\"y\"}\n"
					"local v = leak\nfunction run(f) end\n", &meta, &e), TR_ERR);
	assert_string_equal(e.msg, "rules/b.lua:3: undeclared global 'leak'");
	tr_clear(&e);
	assert_int_equal(rules_check_in(R, "rules/c.lua", LOAD_HEAD "while true do end\n", &meta, &e), TR_ERR);
	assert_string_equal(e.msg, "rules/c.lua:3: instruction budget exceeded (2000000 instructions)");
	tr_clear(&e);
	assert_int_equal(rules_check_in(R, "rules/d.lua", "description = \"d\"\nreads = {\"z\", \"w\"}\n"
					"function run(f) end\n", &meta, &e), TR_OK);
	assert_string_equal(meta.description, "d");
	assert_int_equal(meta.nreads, 2);
	assert_string_equal(meta.reads[1], "w");
	rules_meta_free(&meta);
	rules_close(R);
}

static void test_missing_fields_are_named(void **state)
{
	(void)state;
	expect_check_error("reads = {}\nfunction run(f) end\n",
			   "rules/probe.lua: missing 'description' (a string saying what the rule does)");
	expect_check_error("description = \"d\"\nfunction run(f) end\n",
			   "rules/probe.lua: missing 'reads' (the list of facts run() reads)");
	expect_check_error("description = \"d\"\nreads = {}\n",
			   "rules/probe.lua: missing 'run' (a function run(f))");
	expect_check_error("description = \"d\"\nreads = {}\nrun = 1\n",
			   "rules/probe.lua: missing 'run' (a function run(f))");
}

static void test_malformed_fields_are_named(void **state)
{
	(void)state;
	expect_check_error("description = \"d\"\nreads = {\"x\", 2}\nfunction run(f) end\n",
			   "rules/probe.lua: 'reads' item 2 is not a string");
	expect_check_error("description = \"d\"\nreads = \"x\"\nfunction run(f) end\n",
			   "rules/probe.lua: 'reads' must be a list of fact ids");
	expect_check_error("description = \"d\"\nreads = {}\nsources = \"doc\"\nfunction run(f) end\n",
			   "rules/probe.lua: 'sources' must be a list of ids");
	expect_check_error("description = \"d\"\nreads = {}\nenabled = \"yes\"\nfunction run(f) end\n",
			   "rules/probe.lua: 'enabled' must be true or false");
}

static void test_syntax_error_names_file_and_line(void **state)
{
	(void)state;
	expect_check_error(LOAD_HEAD "function run(f)\n  if then end\nend\n",
			   "rules/probe.lua:4: unexpected symbol near 'then'");
}

static void test_metadata_is_read(void **state)
{
	check_out o = check("description = \"Hides y\"\nreads = {\"x\", \"host\"}\n"
			    "sources = {\"doc\"}\nenabled = false\nfunction run(f) end\n");

	(void)state;
	assert_int_equal(o.rc, TR_OK);
	assert_string_equal(o.description, "Hides y");
	assert_int_equal(o.nreads, 2);
	assert_string_equal(o.reads[0], "x");
	assert_string_equal(o.reads[1], "host");
	assert_int_equal(o.nsources, 1);
	assert_string_equal(o.sources[0], "doc");
	assert_int_equal(o.enabled, 0);
	o = check(LOAD_HEAD "function run(f) end\n");
	assert_int_equal(o.rc, TR_OK);
	assert_int_equal(o.enabled, 1);
	assert_int_equal(o.nsources, 0);
}

/* ---- a session goes on when a rule errs ---- */

typedef struct session_out {
	int open_rc, add_rc;
	tr_err e;
	int nnotes;
	char notes[4][300];
	int kind;
	int y_value, y_rule;
} session_out;

static void session_probe(void *arg, void *out)
{
	const tr_model *m = arg;
	session_out *o = out;
	const char *const *notes;
	session *s;

	tr_clear(&o->e);
	if ((o->open_rc = session_open(m, 2, &s, &o->e)) != TR_OK)
		return;
	o->add_rc = session_add(s, EV_SET, "x", "a", &o->e);
	o->kind = (int)session_next(s)->kind;
	o->nnotes = session_notes(s, &notes);
	for (int i = 0; i < o->nnotes && i < 4; i++)
		snprintf(o->notes[i], sizeof o->notes[i], "%s", notes[i]);
	o->y_value = session_value(s, model_fact(m, "y"));
	o->y_rule = session_derived_by(s, model_fact(m, "y"), NULL);
	session_free(s);
}

static void test_session_goes_on_after_a_rule_errs(void **state)
{
	tr_model *m = keep(*state, RUN_HEAD "if f.x == \"a\" then\n  error(\"boom\")\nend\nend\n");
	session_out o;

	tk_isolated("a session with a failing rule", session_probe, m, &o, sizeof o, 5);
	assert_int_equal(o.open_rc, TR_OK);
	assert_int_equal(o.add_rc, TR_OK);
	assert_int_equal(o.nnotes, 1);
	assert_string_equal(o.notes[0], "rule probe: rules/probe.lua:5: boom (rule switched off)");
	assert_int_not_equal(o.kind, ACT_DONE);
	/* bystander still derived y=yes from x=a */
	assert_int_equal(o.y_value, tk_v(m, "y", "yes"));
	assert_int_equal(o.y_rule, model_rule(m, "bystander"));
}

static void test_session_opens_when_a_rule_fails_to_load(void **state)
{
	tr_model *m = keep(*state, "description = \"probe\"\nreads = {\"x\"}\nos.exit(1)\n");
	session_out o;

	tk_isolated("a session with a rule that fails to load", session_probe, m, &o, sizeof o, 5);
	assert_int_equal(o.open_rc, TR_OK);
	assert_int_equal(o.nnotes, 1);
	assert_string_equal(o.notes[0], "rule probe: rules/probe.lua:3: "
			    "undeclared global 'os' (rule switched off)");
	assert_int_not_equal(o.kind, ACT_DONE);
	assert_int_equal(o.y_rule, model_rule(m, "bystander"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, tk_setup_tmp, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe_model_layout),
		T(test_checker_keeps_rules_apart),
		T(test_io_is_an_undeclared_global),
		T(test_os_is_an_undeclared_global),
		T(test_package_is_an_undeclared_global),
		T(test_debug_is_an_undeclared_global),
		T(test_require_is_an_undeclared_global),
		T(test_load_is_an_undeclared_global),
		T(test_loadstring_is_an_undeclared_global),
		T(test_dofile_is_an_undeclared_global),
		T(test_loadfile_is_an_undeclared_global),
		T(test_collectgarbage_is_an_undeclared_global),
		T(test_print_is_an_undeclared_global),
		T(test_setmetatable_is_an_undeclared_global),
		T(test_getmetatable_is_an_undeclared_global),
		T(test_rawset_is_an_undeclared_global),
		T(test_rawget_is_an_undeclared_global),
		T(test_coroutine_is_an_undeclared_global),
		T(test_string_dump_is_unavailable),
		T(test_table_move_is_unavailable),
		T(test_globals_at_load_time_are_checked_too),
		T(test_string_library_is_read_only),
		T(test_table_library_is_read_only),
		T(test_math_library_is_read_only),
		T(test_library_change_at_load_time_is_refused),
		T(test_string_methods_work_but_the_metatable_is_out_of_reach),
		T(test_huge_string_rep_is_refused),
		T(test_huge_string_rep_with_separator_is_refused),
		T(test_empty_string_rep_of_any_count_returns),
		T(test_endless_loop_exceeds_the_budget_naming_file_and_line),
		T(test_pcall_cannot_swallow_the_budget),
		T(test_error_handler_of_xpcall_cannot_escape_the_budget),
		T(test_error_handler_that_loops_on_a_plain_error_is_stopped),
		T(test_gsub_callback_runs_under_the_budget),
		T(test_budget_is_per_run),
		T(test_unbounded_allocation_hits_the_memory_limit),
		T(test_memory_limit_is_per_run),
		T(test_string_rep_at_the_memory_limit_frees_its_buffer),
		T(test_deep_recursion_is_stopped),
		T(test_recursion_through_c_functions_is_a_stack_overflow),
		T(test_backtracking_pattern_is_stopped_by_the_budget),
		T(test_backtracking_through_a_string_method_is_stopped_by_the_budget),
		T(test_pcall_cannot_swallow_the_budget_spent_in_a_pattern),
		T(test_long_subject_is_matched_within_the_budget),
		T(test_too_many_results_are_refused),
		T(test_new_global_inside_run_errors),
		T(test_new_global_through_env_inside_run_errors),
		T(test_reading_a_fact_not_in_reads_errors),
		T(test_reading_an_unknown_fact_errors),
		T(test_facts_table_is_read_only),
		T(test_facts_table_cannot_be_iterated),
		T(test_derive_with_an_unknown_value_errors),
		T(test_derive_of_an_unknown_fact_errors),
		T(test_scale_out_of_range_errors),
		T(test_scale_of_nan_errors),
		T(test_fill_with_a_bad_slot_errors),
		T(test_fill_with_an_overlong_reason_errors),
		T(test_warn_about_an_unknown_fix_errors),
		T(test_effects_are_recorded_with_their_reasons),
		T(test_effects_are_refused_at_load_time),
		T(test_bytecode_is_refused_naming_the_file),
		T(test_bytecode_in_a_knowledge_base_is_not_loaded),
		T(test_load_time_loop_is_stopped),
		T(test_missing_fields_are_named),
		T(test_malformed_fields_are_named),
		T(test_syntax_error_names_file_and_line),
		T(test_metadata_is_read),
		T(test_session_goes_on_after_a_rule_errs),
		T(test_session_opens_when_a_rule_fails_to_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
