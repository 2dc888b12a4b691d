/*
 * test_image.c: the model image (image.h). A model read from the image
 * equals the model read from the rows, field by field (the RDP knowledge
 * base and a generated one with 300 rules); a damaged, truncated, foreign
 * or forged image is refused with its reason and model_load falls back to
 * the rows; a page of the image SQLite finds damaged is named as the
 * file's corruption; any change to the content deletes the image.
 */
#include "testkit.h"
#include "image.h"
#include "kbtext.h"

/* ---- field-by-field comparison ---- */

#define SAME_STR(a, b, what) same_str((a), (b), what, __LINE__)
#define SAME_NUM(a, b, what) do { if ((a) != (b)) \
	fail_msg("%s: %.17g from the image, %.17g from the rows (line %d)", what, (double)(a), (double)(b), \
		 __LINE__); } while (0)

static void same_str(const char *a, const char *b, const char *what, int line)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		fail_msg("%s: \"%s\" from the image, \"%s\" from the rows (line %d)", what, a ? a : "(null)",
			 b ? b : "(null)", line);
}

static void same_ints(const int *a, const int *b, int n, const char *what)
{
	if ((a == NULL) != (b == NULL))
		fail_msg("%s: NULL in one model only", what);
	for (int i = 0; a && i < n; i++)
		SAME_NUM(a[i], b[i], what);
}

static void same_cites(const tr_cite *a, int na, const tr_cite *b, int nb)
{
	SAME_NUM(na, nb, "citations");
	for (int i = 0; i < na; i++) {
		SAME_STR(a[i].source, b[i].source, "citation source");
		SAME_STR(a[i].note, b[i].note, "citation note");
	}
}

static void same_where(const tr_where *a, const tr_where *b)
{
	SAME_NUM(a->n, b->n, "conditions");
	for (int i = 0; i < a->n; i++) {
		SAME_NUM(a->v[i].fact, b->v[i].fact, "condition fact");
		SAME_NUM(a->v[i].negate, b->v[i].negate, "condition negate");
		SAME_NUM(a->v[i].nvalues, b->v[i].nvalues, "condition values");
		same_ints(a->v[i].values, b->v[i].values, a->v[i].nvalues, "condition values");
	}
}

static void same_commands(const tr_command *a, int na, const tr_command *b, int nb)
{
	SAME_NUM(na, nb, "commands");
	for (int i = 0; i < na; i++) {
		SAME_STR(a[i].shell, b[i].shell, "command shell");
		SAME_STR(a[i].on, b[i].on, "command on");
		SAME_STR(a[i].text, b[i].text, "command text");
		same_where(&a[i].applies, &b[i].applies);
	}
}

static void same_ids(const tr_ids *a, const tr_ids *b)
{
	SAME_NUM(a->mask, b->mask, "id index size");
	same_ints(a->slot, b->slot, (int)a->mask + 1, "id index");
}

static void same_facts(const tr_model *a, const tr_model *b)
{
	SAME_NUM(a->nfacts, b->nfacts, "facts");
	for (int i = 0; i < a->nfacts; i++) {
		const tr_fact *x = &a->facts[i], *y = &b->facts[i];

		SAME_STR(x->id, y->id, "fact id");
		SAME_STR(x->text, y->text, "fact text");
		SAME_STR(x->help, y->help, "fact help");
		SAME_STR(x->asker, y->asker, "fact asker");
		SAME_NUM(x->cost, y->cost, "fact cost");
		SAME_NUM(x->unknown_rate, y->unknown_rate, "fact unknown_rate");
		SAME_NUM(x->first, y->first, "fact first");
		SAME_NUM(x->nvalues, y->nvalues, "fact nvalues");
		same_commands(x->check, x->ncheck, y->check, y->ncheck);
		same_cites(x->cites, x->ncites, y->cites, y->ncites);
		SAME_NUM(x->nev, y->nev, "fact evidence");
		same_ints(x->ev, y->ev, x->nev, "fact evidence");
		SAME_NUM(x->nrules, y->nrules, "fact rules");
		same_ints(x->rules, y->rules, x->nrules, "fact rules");
		SAME_NUM(x->kind, y->kind, "fact kind");
		SAME_STR(x->slot, y->slot, "fact slot");
	}
	SAME_NUM(a->nvalues, b->nvalues, "values");
	for (int i = 0; i < a->nvalues; i++) {
		SAME_NUM(a->values[i].fact, b->values[i].fact, "value fact");
		SAME_STR(a->values[i].value, b->values[i].value, "value");
		SAME_STR(a->values[i].text, b->values[i].text, "value text");
		SAME_NUM(a->values[i].p, b->values[i].p, "value p");
	}
}

static void same_causes(const tr_model *a, const tr_model *b)
{
	SAME_NUM(a->ncauses, b->ncauses, "causes");
	for (int i = 0; i < a->ncauses; i++) {
		const tr_cause *x = &a->causes[i], *y = &b->causes[i];

		SAME_STR(x->id, y->id, "cause id");
		SAME_STR(x->title, y->title, "cause title");
		SAME_STR(x->summary, y->summary, "cause summary");
		SAME_STR(x->prior_why, y->prior_why, "cause prior_why");
		SAME_NUM(x->prior, y->prior, "cause prior");
		same_cites(x->cites, x->ncites, y->cites, y->ncites);
		SAME_NUM(x->ev, y->ev, "cause evidence");
		SAME_NUM(x->nev, y->nev, "cause evidence");
		SAME_NUM(x->nlinks, y->nlinks, "cause links");
		same_ints(x->links, y->links, x->nlinks, "cause links");
	}
	SAME_NUM(a->nevidence, b->nevidence, "evidence rows");
	for (int i = 0; i < a->nevidence; i++) {
		const tr_evidence *x = &a->evidence[i], *y = &b->evidence[i];

		SAME_NUM(x->cause, y->cause, "evidence cause");
		SAME_NUM(x->fact, y->fact, "evidence fact");
		SAME_STR(x->why, y->why, "evidence why");
		for (int k = 0; k < a->facts[x->fact].nvalues; k++)
			SAME_NUM(x->lk[k], y->lk[k], "evidence likelihood");
	}
}

static void same_fixes(const tr_model *a, const tr_model *b)
{
	SAME_NUM(a->nfixes, b->nfixes, "fixes");
	for (int i = 0; i < a->nfixes; i++) {
		const tr_fix *x = &a->fixes[i], *y = &b->fixes[i];

		SAME_STR(x->id, y->id, "fix id");
		SAME_STR(x->title, y->title, "fix title");
		SAME_STR(x->summary, y->summary, "fix summary");
		SAME_STR(x->undo, y->undo, "fix undo");
		SAME_STR(x->outcome, y->outcome, "fix outcome");
		SAME_NUM(x->risk, y->risk, "fix risk");
		SAME_NUM(x->cost, y->cost, "fix cost");
		SAME_NUM(x->minutes, y->minutes, "fix minutes");
		SAME_NUM(x->admin, y->admin, "fix admin");
		SAME_NUM(x->reboot, y->reboot, "fix reboot");
		SAME_NUM(x->nsteps, y->nsteps, "fix steps");
		for (int k = 0; k < x->nsteps; k++) {
			SAME_STR(x->steps[k], y->steps[k], "fix step");
			same_where(&x->step_applies[k], &y->step_applies[k]);
		}
		same_commands(x->cmds, x->ncmds, y->cmds, y->ncmds);
		same_cites(x->cites, x->ncites, y->cites, y->ncites);
		SAME_NUM(x->link, y->link, "fix links");
		SAME_NUM(x->nlink, y->nlink, "fix links");
		same_where(&x->applies, &y->applies);
	}
	SAME_NUM(a->nlinks, b->nlinks, "links");
	for (int i = 0; i < a->nlinks; i++) {
		SAME_NUM(a->links[i].fix, b->links[i].fix, "link fix");
		SAME_NUM(a->links[i].cause, b->links[i].cause, "link cause");
		SAME_NUM(a->links[i].p, b->links[i].p, "link p");
		SAME_STR(a->links[i].why, b->links[i].why, "link why");
	}
}

static void same_rules(const tr_model *a, const tr_model *b)
{
	SAME_NUM(a->nrules, b->nrules, "rules");
	for (int i = 0; i < a->nrules; i++) {
		const tr_rule *x = &a->rules[i], *y = &b->rules[i];

		SAME_STR(x->id, y->id, "rule id");
		SAME_STR(x->description, y->description, "rule description");
		SAME_STR(x->source, y->source, "rule source");
		SAME_NUM(x->enabled, y->enabled, "rule enabled");
		SAME_NUM(x->nreads, y->nreads, "rule reads");
		same_ints(x->reads, y->reads, x->nreads, "rule reads");
		same_cites(x->cites, x->ncites, y->cites, y->ncites);
	}
	SAME_NUM(a->primed, b->primed, "primed");
	SAME_NUM(a->nprime, b->nprime, "starting effects");
	for (int i = 0; i < a->nprime; i++) {
		const tr_prime *x = &a->prime[i], *y = &b->prime[i];

		SAME_NUM(x->rule, y->rule, "starting effect rule");
		SAME_NUM(x->kind, y->kind, "starting effect kind");
		SAME_NUM(x->target, y->target, "starting effect target");
		SAME_NUM(x->value, y->value, "starting effect value");
		SAME_NUM(x->factor, y->factor, "starting effect factor");
		SAME_STR(x->slot, y->slot, "starting effect slot");
		SAME_STR(x->text, y->text, "starting effect text");
		SAME_STR(x->why, y->why, "starting effect why");
	}
}

/* Fails unless a (from the image) and b (from the rows) hold the same model. */
static void assert_same_model(const tr_model *a, const tr_model *b)
{
	SAME_STR(a->kb_id, b->kb_id, "kb id");
	SAME_STR(a->title, b->title, "kb title");
	SAME_STR(a->version, b->version, "kb version");
	SAME_STR(a->summary, b->summary, "kb summary");
	SAME_STR(a->digest, b->digest, "digest");
	same_facts(a, b);
	same_causes(a, b);
	same_fixes(a, b);
	same_rules(a, b);
	SAME_NUM(a->nsources, b->nsources, "sources");
	for (int i = 0; i < a->nsources; i++) {
		SAME_STR(a->sources[i].id, b->sources[i].id, "source id");
		SAME_STR(a->sources[i].file, b->sources[i].file, "source file");
		SAME_STR(a->sources[i].title, b->sources[i].title, "source title");
		SAME_STR(a->sources[i].note, b->sources[i].note, "source note");
	}
	same_ids(&a->fact_ids, &b->fact_ids);
	same_ids(&a->cause_ids, &b->cause_ids);
	same_ids(&a->fix_ids, &b->fix_ids);
	same_ids(&a->rule_ids, &b->rule_ids);
}

/* ---- helpers ---- */

/* Runs sql on the file at path, as another program (sqlite3) would. */
static void tk_sql_file(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	tk_sql(db, "%s", sql);
	sqlite3_close(db);
}

static char *build(const char *dir, const char *tree)
{
	char *kb = tk_fmt("%s/kb.sqlite", dir);
	tr_err e;

	tr_clear(&e);
	if (kbtext_build(tree, kb, NULL, NULL, &e) != TR_OK)
		fail_msg("kb build %s: %s", tree, e.msg);
	return kb;
}

/* Both loads of the file at kb, compared; the image must be usable. */
static void assert_image_is_the_rows(const char *kb, int min_prime)
{
	sqlite3 *db;
	tr_model *img, *rows, *any;
	tr_err e;
	char why[128] = "";

	tr_clear(&e);
	assert_int_equal(store_open(kb, STORE_READ, &db, &e), TR_OK);
	if (image_load(db, &img, why, sizeof why, &e) != TR_OK || !img)
		fail_msg("image_load: %s%s", e.msg, why);
	assert_int_equal(model_load_rows(db, &rows, &e), TR_OK);
	assert_int_equal(model_load(db, &any, &e), TR_OK);
	assert_true(rows->primed);
	assert_true(rows->nprime >= min_prime);
	assert_same_model(img, rows);
	assert_same_model(any, rows);
	model_free(img);
	model_free(rows);
	model_free(any);
	sqlite3_close(db);
}

static void test_image_of_the_rdp_kb_is_its_rows(void **state)
{
	char *kb = build(*state, ".");

	assert_image_is_the_rows(kb, 1);
	free(kb);
}

static void test_image_of_a_generated_kb_is_its_rows(void **state)
{
	char *tree = tk_fmt("%s/gen", (char *)*state);
	char *cmd = tk_fmt("/usr/bin/python3 tests/bench/gen_kb.py --causes 60 --facts 80 --fixes 70 "
			   "--evidence 400 --rules 300 --seed 3 %s", tree);
	char *kb;

	assert_int_equal(system(cmd), 0);
	kb = build(*state, tree);
	assert_image_is_the_rows(kb, 0);  /* no generated rule acts while no fact is known */
	free(kb);
	free(cmd);
	free(tree);
}

/* image_load's message on the file at kb after sql, and that model_load
 * still gives the rows' model. */
static void assert_refused(const char *kb, const char *sql, const char *msg)
{
	char why[128];
	sqlite3 *db;
	tr_model *m, *rows;
	tr_err e;

	tk_sql_file(kb, sql);
	tr_clear(&e);
	assert_int_equal(store_open(kb, STORE_READ, &db, &e), TR_OK);
	assert_int_equal(image_load(db, &m, why, sizeof why, &e), TR_OK);
	assert_null(m);
	assert_string_equal(why, msg);
	assert_int_equal(model_load(db, &m, &e), TR_OK);
	assert_int_equal(model_load_rows(db, &rows, &e), TR_OK);
	assert_same_model(m, rows);
	model_free(m);
	model_free(rows);
	sqlite3_close(db);
}

static void test_damaged_image_is_refused_and_rows_are_loaded(void **state)
{
	char *kb = build(*state, ".");

	/* one byte changed in the middle */
	assert_refused(kb, "UPDATE model_image SET data = substr(data, 1, length(data) / 2) || (CASE substr(data, "
		       "length(data) / 2 + 1, 1) WHEN x'ff' THEN x'00' ELSE x'ff' END) || substr(data, length(data) / 2 + 2)",
		       "model image damaged: its content does not match its sum");
	free(kb);
}

static void test_truncated_image_is_refused(void **state)
{
	char *kb = build(*state, ".");
	char *msg;
	long long size;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(kb, &db), SQLITE_OK);
	size = tk_sql_int(db, "SELECT size FROM model_image_use");
	sqlite3_close(db);
	msg = tk_fmt("model image damaged: %lld bytes, not the %lld its record says", size - 100, size);
	assert_refused(kb, "UPDATE model_image SET data = substr(data, 1, length(data) - 100)", msg);
	free(msg);
	free(kb);
}

static void test_image_of_another_build_is_not_used(void **state)
{
	char *kb = build(*state, ".");

	assert_refused(kb, "UPDATE model_image_use SET format = 'triage model image 1; source 0000'",
		       "model image written by another build of triage");
	free(kb);
}

static void test_changed_content_deletes_the_image(void **state)
{
	char *kb = build(*state, ".");
	sqlite3 *db;
	tr_model *m;
	tr_err e;

	assert_refused(kb, "UPDATE cause SET prior = prior / 2 WHERE id = (SELECT min(id) FROM cause)",
		       "no model image");
	tr_clear(&e);
	assert_int_equal(store_open(kb, STORE_READ, &db, &e), TR_OK);
	assert_int_equal(tk_sql_int(db, "SELECT count(*) FROM model_image_use"), 0);
	assert_int_equal(model_load(db, &m, &e), TR_OK);
	assert_false(m->primed);  /* the digest changed: the rules' starting state is stale too */
	model_free(m);
	sqlite3_close(db);
	free(kb);
}

/* Rewrites the image of kb with fn applied to its bytes and the sum made
 * to match again: a forgery only the range checks can catch. */
static void forge(const char *kb, void (*fn)(unsigned char *b, size_t n))
{
	sqlite3 *db;
	sqlite3_stmt *st;
	unsigned char *b;
	size_t n;
	char sum[17];

	assert_int_equal(sqlite3_open(kb, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM model_image", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (size_t)sqlite3_column_bytes(st, 0);
	b = malloc(n);
	memcpy(b, sqlite3_column_blob(st, 0), n);
	sqlite3_finalize(st);
	fn(b, n);
	snprintf(sum, sizeof sum, "%016llx", (unsigned long long)image_sum(b, n));
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE model_image SET data = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, b, (int)n, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	tk_sql(db, "UPDATE model_image_use SET sum = '%s'", sum);
	sqlite3_close(db);
	free(b);
}

/* The image's root is a tr_model with offsets + 1 in its pointers. */
static void many_facts(unsigned char *b, size_t n)
{
	int big = 1 << 29;

	(void)n;
	memcpy(b + offsetof(tr_model, nfacts), &big, sizeof big);
}

static void evidence_on_no_fact(unsigned char *b, size_t n)
{
	uintptr_t off;
	int bad = -1;

	(void)n;
	memcpy(&off, b + offsetof(tr_model, evidence), sizeof off);
	memcpy(b + off - 1 + offsetof(tr_evidence, fact), &bad, sizeof bad);
}

static void title_outside(unsigned char *b, size_t n)
{
	uintptr_t off = n + 10;

	memcpy(b + offsetof(tr_model, title), &off, sizeof off);
}

static void test_forged_image_is_refused_by_its_range_checks(void **state)
{
	static void (*const forgeries[])(unsigned char *, size_t) = { many_facts, evidence_on_no_fact, title_outside };
	static const char *const msgs[] = {
		"model image damaged: the facts out of range",
		"model image damaged: an evidence row out of range",
		"model image damaged: the model out of range",
	};

	for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++) {
		char *kb = build(*state, ".");

		forge(kb, forgeries[i]);
		assert_refused(kb, "SELECT 1", msgs[i]);
		remove(kb);
		free(kb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_image_of_the_rdp_kb_is_its_rows, tk_setup_tmp, tk_teardown_tmp),
		cmocka_unit_test_setup_teardown(test_image_of_a_generated_kb_is_its_rows, tk_setup_tmp, tk_teardown_tmp),
		cmocka_unit_test_setup_teardown(test_damaged_image_is_refused_and_rows_are_loaded, tk_setup_tmp,
						tk_teardown_tmp),
		cmocka_unit_test_setup_teardown(test_truncated_image_is_refused, tk_setup_tmp, tk_teardown_tmp),
		cmocka_unit_test_setup_teardown(test_image_of_another_build_is_not_used, tk_setup_tmp, tk_teardown_tmp),
		cmocka_unit_test_setup_teardown(test_changed_content_deletes_the_image, tk_setup_tmp, tk_teardown_tmp),
		cmocka_unit_test_setup_teardown(test_forged_image_is_refused_by_its_range_checks, tk_setup_tmp,
						tk_teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
