/*
 * kbtest.c: `triage kb test`, knowledge tests. Each line of a case file is
 * one JSON case (lines starting with # are comments):
 *   {"id", "given": {FACT: VALUE}, "top": CAUSE}
 *       the given facts alone must rank CAUSE first;
 *   {"id", "cause", "facts": {...}, "reported": {...}}
 *       a whole session, as ../shared/eval/oracle.py plays it: the facts in
 *       "reported" are given up front, questions are answered from "facts"
 *       (else "unknown"), and a fix "works" when it addresses "cause". It
 *       passes when resolved within --max-steps with no wrong high-risk fix.
 * Prints one line per case and "N passed, M failed".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "buf.h"
#include "kbdiff.h"
#include "kbedit.h"
#include "kbtest.h"
#include "session.h"
#include "store.h"

typedef struct tally {
	int passed, failed;
	long effort, steps;      /* sums over session cases */
	int sessions;
} tally;

static int give(session *s, json_t *facts, enum event_kind kind, tr_err *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(facts, k, v)
		if (!json_is_string(v) || session_add(s, kind, k, json_string_value(v), e) != TR_OK)
			return TR_ERR;
	return TR_OK;
}

static int addresses(const tr_model *m, int x, int cause)
{
	return model_resolve(m, x, cause) > 0;
}

/* Plays a session case; returns 1 on pass and writes its line to msg. */
static int play(const tr_model *m, json_t *cs, int max_steps, int depth, int verbose,
		kbtest_watch watch, void *ctx, kbtest_outcome *o, buf *msg)
{
	json_t *facts = json_object_get(cs, "facts");
	const char *cname = json_string_value(json_object_get(cs, "cause"));
	int cause = model_cause(m, cname), q = 0, fx = 0, high = 0, ok = 0;
	session *s;
	tr_err e;
	buf trail = {0};

	tr_clear(&e);
	if (cause < 0 || !json_is_object(facts)) {
		buf_printf(msg, "unknown cause '%s' or no facts", cname ? cname : "");
		return 0;
	}
	if (session_open(m, depth, &s, &e) != TR_OK ||
	    (json_object_get(cs, "reported") && give(s, json_object_get(cs, "reported"), EV_GIVEN, &e))) {
		buf_printf(msg, "%s", e.msg);
		session_free(s);
		return 0;
	}
	while (q + fx < max_steps) {
		const action *a = session_next(s);

		if (watch)
			watch(s, a, ctx);
		if (a->kind == ACT_DONE)
			break;
		if (a->kind == ACT_QUESTION) {
			json_t *v = json_object_get(facts, m->facts[a->fact].id);

			q++;
			buf_printf(&trail, " ?%s=%s", m->facts[a->fact].id, json_is_string(v) ? json_string_value(v) : "unknown");
			session_answer(s, json_is_string(v) ? json_string_value(v) : "unknown", &e);
			continue;
		}
		fx++;
		buf_printf(&trail, " !%s", m->fixes[a->fix].id);
		if (addresses(m, a->fix, cause)) {
			ok = 1;
			break;
		}
		high += m->fixes[a->fix].risk == RISK_HIGH;
		session_result(s, "failed", &e);
	}
	if (watch && !ok && q + fx >= max_steps)
		watch(s, session_next(s), ctx);   /* the state the case stopped in */
	session_free(s);
	o->played = 1;
	o->resolved = ok;
	o->questions = q;
	o->fixes = fx;
	o->high = high;
	buf_printf(msg, "%s steps=%d questions=%d fixes=%d%s", cname, q + fx, q, fx,
		   high ? " (a wrong high-risk fix was tried)" : "");
	if (verbose)
		buf_printf(msg, "\n     %s", buf_str(&trail));
	buf_free(&trail);
	return ok && !high;
}

static int top_case(const tr_model *m, json_t *cs, kbtest_watch watch, void *ctx, buf *msg)
{
	const char *want = json_string_value(json_object_get(cs, "top"));
	int *order = xcalloc((size_t)m->ncauses + 1, sizeof *order), n, ok;
	session *s;
	tr_err e;

	tr_clear(&e);
	if (model_cause(m, want) < 0) {
		buf_printf(msg, "unknown cause '%s'", want ? want : "");
		free(order);
		return 0;
	}
	if (session_open(m, SESSION_DEPTH, &s, &e) != TR_OK || give(s, json_object_get(cs, "given"), EV_GIVEN, &e)) {
		buf_printf(msg, "%s", e.msg);
		session_free(s);
		free(order);
		return 0;
	}
	if (watch)
		watch(s, session_next(s), ctx);
	n = session_ranking(s, order);
	ok = n > 0 && strcmp(m->causes[order[0]].id, want) == 0;
	buf_printf(msg, "top %s (%.0f%%)%s%s", n ? m->causes[order[0]].id : "none",
		   n ? 100 * session_p(s)[order[0]] : 0.0, ok ? "" : ", expected ", ok ? "" : want);
	session_free(s);
	free(order);
	return ok;
}

int kbtest_case(const tr_model *m, json_t *cs, int max_steps, int depth, int verbose,
		kbtest_watch watch, void *ctx, kbtest_outcome *out, buf *msg)
{
	kbtest_outcome o = {0};

	o.whole = json_object_get(cs, "top") == NULL;
	o.pass = o.whole ? play(m, cs, max_steps, depth, verbose, watch, ctx, &o, msg)
			 : top_case(m, cs, watch, ctx, msg);
	if (out)
		*out = o;
	return o.pass;
}

int kbtest_read(const char *path, int (*fn)(json_t *cs, int lineno, const char *why, void *ctx),
		void *ctx, tr_err *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;

	if (!f)
		return tr_fail(e, TR_ERR, "%s: cannot open", path);
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *cs;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0' || line[0] == '#')
			continue;
		cs = json_loads(line, 0, &je);
		if (cs && !json_is_object(cs)) {
			json_decref(cs);
			cs = NULL;
			snprintf(je.text, sizeof je.text, "not an object");
		}
		rc = fn(cs, lineno, cs ? NULL : je.text, ctx);
		json_decref(cs);
	}
	free(line);
	fclose(f);
	return rc;
}

/* ---- before and after: kbtest_compare ---- */

typedef struct compare {
	const tr_model *before, *after;
	const char *path;
	int cases, pass[2], sessions, resolved[2];
	long effort[2];
	buf failing, passing, dearer, cheaper, broken;
} compare;

static long case_effort(const kbtest_outcome *o)
{
	return o->resolved ? o->questions + 3L * o->fixes : 3L * 30;
}

static int compare_one(json_t *cs, int lineno, const char *why, void *ctx)
{
	compare *C = ctx;
	kbtest_outcome o[2];
	buf msg[2] = {{0}, {0}};
	const char *id;

	C->cases++;
	if (!cs) {
		buf_printf(&C->broken, "    %s:%d: not a JSON case: %s\n", C->path, lineno, why);
		return 0;
	}
	id = json_string_value(json_object_get(cs, "id"));
	kbtest_case(C->before, cs, 30, SESSION_DEPTH, 0, NULL, NULL, &o[0], &msg[0]);
	kbtest_case(C->after, cs, 30, SESSION_DEPTH, 0, NULL, NULL, &o[1], &msg[1]);
	for (int k = 0; k < 2; k++)
		C->pass[k] += o[k].pass;
	if (o[0].pass != o[1].pass)
		buf_printf(o[1].pass ? &C->passing : &C->failing, "    %s:%d %s: %s\n", C->path, lineno,
			   id ? id : "?", buf_str(&msg[1]));
	if (o[0].whole && o[0].played && o[1].played) {
		long a = case_effort(&o[0]), b = case_effort(&o[1]);

		C->sessions++;
		for (int k = 0; k < 2; k++) {
			C->resolved[k] += o[k].resolved;
			C->effort[k] += case_effort(&o[k]);
		}
		if (a != b)
			buf_printf(b > a ? &C->dearer : &C->cheaper, "    %s:%d %s: effort %ld -> %ld\n", C->path,
				   lineno, id ? id : "?", a, b);
	}
	buf_free(&msg[0]);
	buf_free(&msg[1]);
	return 0;
}

int kbtest_compare(const tr_model *before, const tr_model *after, char *const *files, int nfiles,
		   FILE *out, tr_err *e)
{
	compare C;
	int rc = TR_OK;

	memset(&C, 0, sizeof C);
	C.before = before;
	C.after = after;
	for (int i = 0; rc == TR_OK && i < nfiles; i++) {
		C.path = files[i];
		rc = kbtest_read(files[i], compare_one, &C, e) == TR_OK ? TR_OK : TR_ERR;
	}
	if (rc == TR_OK) {
		fprintf(out, "  passed: %d -> %d of %d case%s\n", C.pass[0], C.pass[1], C.cases, C.cases == 1 ? "" : "s");
		if (C.sessions)
			fprintf(out, "  whole sessions: mean effort %.2f -> %.2f, resolved %d -> %d of %d\n",
				(double)C.effort[0] / C.sessions, (double)C.effort[1] / C.sessions, C.resolved[0],
				C.resolved[1], C.sessions);
		if (C.failing.len)
			fprintf(out, "  now failing:\n%s", buf_str(&C.failing));
		if (C.passing.len)
			fprintf(out, "  now passing:\n%s", buf_str(&C.passing));
		if (C.dearer.len)
			fprintf(out, "  costing more:\n%s", buf_str(&C.dearer));
		if (C.cheaper.len)
			fprintf(out, "  costing less:\n%s", buf_str(&C.cheaper));
		if (C.broken.len)
			fprintf(out, "  failing both ways, not a case:\n%s", buf_str(&C.broken));
	}
	buf_free(&C.failing);
	buf_free(&C.passing);
	buf_free(&C.dearer);
	buf_free(&C.cheaper);
	buf_free(&C.broken);
	return rc;
}

typedef struct file_run {
	cli *c;
	const char *path;
	int max_steps, depth, verbose;
	tally *t;
} file_run;

static int run_one(json_t *cs, int lineno, const char *why, void *ctx)
{
	file_run *F = ctx;
	kbtest_outcome o;
	char id[128];
	buf msg = {0};
	int ok;

	if (!cs) {
		printf("FAIL %s:%d: not a JSON case: %s\n", F->path, lineno, why);
		F->t->failed++;
		return 0;
	}
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(cs, "id"))
		 ? json_string_value(json_object_get(cs, "id")) : "?");
	ok = kbtest_case(F->c->m, cs, F->max_steps, F->depth, F->verbose, NULL, NULL, &o, &msg);
	if (o.played) {
		F->t->sessions++;
		F->t->steps += o.resolved ? o.questions + o.fixes : F->max_steps;
		F->t->effort += o.resolved ? o.questions + 3 * o.fixes : 3 * F->max_steps;
	}
	printf("%s %s:%d %s %s\n", ok ? "ok  " : "FAIL", F->path, lineno, id, buf_str(&msg));
	ok ? F->t->passed++ : F->t->failed++;
	buf_free(&msg);
	return 0;
}

static int run_file(cli *c, const char *path, int max_steps, int depth, int verbose, tally *t)
{
	file_run F = { c, path, max_steps, depth, verbose, t };

	return kbtest_read(path, run_one, &F, &c->err) == TR_OK ? TR_OK : TR_ERR;
}

/* kb test --changed [--before OLD] [--json] [FILE...]: what moves
 * (kbdiff.h); without OLD, what the newest change in the history moved
 * (the file before it: a private copy with that change reverted). */
static int changed(cli *c, const char *before, int json, int most)
{
	char **files = xcalloc((size_t)c->argc + 1, sizeof *files);
	char dir[512] = "", copy[600] = "";
	const char *tmp = getenv("TMPDIR");
	int n = 0, rc;
	long change;

	if (!before) {
		snprintf(dir, sizeof dir, "%s/triage-before-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			free(files);
			return tr_fail(&c->err, TR_ERR, "kb test --changed: cannot make a private directory: %s",
				       strerror(errno));
		}
		snprintf(copy, sizeof copy, "%s/before.sqlite", dir);
		if (kbedit_before_newest(c->kb_path, copy, &change, &c->err) != TR_OK) {
			char msg[sizeof c->err.msg];

			rmdir(dir);
			free(files);
			snprintf(msg, sizeof msg, "%s", c->err.msg);
			return tr_fail(&c->err, TR_ERR, "kb test --changed: %s", msg);
		}
		before = copy;
		if (!json)
			printf("What change %ld moved (kb log shows it):\n", change);
	}

	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--before") == 0 || strcmp(c->argv[i], "--sessions") == 0)
			i++;
		else if (c->argv[i][0] != '-')
			files[n++] = c->argv[i];
	}
	kbdiff_set_cases(files, n);
	kbdiff_set_sessions(NULL, most);
	rc = kbdiff_report(before, c->kb_path, stdout, json, &c->err);
	kbdiff_set_cases(NULL, 0);
	kbdiff_set_sessions(NULL, -1);
	free(files);
	if (*copy) {
		store_unlink(copy);
		rmdir(dir);
	}
	return rc;
}

int kb_cmd_test(cli *c)
{
	tally t = {0};
	int max_steps = 30, depth = SESSION_DEPTH, files = 0, verbose = 0, change = 0, json = 0, tuned = 0;
	int most = -1;
	const char *before = NULL;

	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (cli_flag(c, &i, "--max-steps", &v)) {
			if (!v || (max_steps = atoi(v)) < 1)
				return tr_fail(&c->err, TR_EUSAGE, "--max-steps takes a positive number");
			tuned = 1;
		} else if (cli_flag(c, &i, "--depth", &v)) {
			if (!v || (depth = atoi(v)) < 1 || depth > 2)
				return tr_fail(&c->err, TR_EUSAGE, "--depth is 1 or 2");
			tuned = 1;
		} else if (cli_flag(c, &i, "--sessions", &v)) {
			char *end;

			if (!v || (most = (int)strtol(v, &end, 10)) < 0 || *end || !*v)
				return tr_fail(&c->err, TR_EUSAGE, "--sessions takes a number (0: none)");
		} else if (cli_flag(c, &i, "--before", &v)) {
			if (!v)
				return TR_EUSAGE;
			before = v;
		} else if (strcmp(c->argv[i], "--verbose") == 0)
			verbose = 1;
		else if (strcmp(c->argv[i], "--changed") == 0)
			change = 1;
		else if (strcmp(c->argv[i], "--json") == 0)
			json = 1;
		else if (c->argv[i][0] == '-')
			return tr_fail(&c->err, TR_EUSAGE, "kb test: unknown option %s", c->argv[i]);
		else
			files++;
	}
	if (!change && (before || json || most >= 0))
		return tr_fail(&c->err, TR_EUSAGE, "kb test: %s is for --changed",
			       before ? "--before" : json ? "--json" : "--sessions");
	if (change && (tuned || verbose))
		return tr_fail(&c->err, TR_EUSAGE, "kb test --changed: compares at the default depth and steps "
			       "(no --depth, --max-steps or --verbose)");
	if (change)
		return changed(c, before, json, most);
	if (!files)
		return tr_fail(&c->err, TR_EUSAGE, "kb test: name one case file or more");
	for (int i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--max-steps") == 0 || strcmp(c->argv[i], "--depth") == 0)
			i++;
		else if (c->argv[i][0] != '-' && run_file(c, c->argv[i], max_steps, depth, verbose, &t) != TR_OK)
			return TR_ERR;
	}
	if (t.sessions)
		printf("sessions: %d, mean steps %.2f, mean effort %.2f\n", t.sessions,
		       (double)t.steps / t.sessions, (double)t.effort / t.sessions);
	printf("%d passed, %d failed\n", t.passed, t.failed);
	if (t.failed)
		return tr_fail(&c->err, TR_ERR, "%d case%s failed", t.failed, t.failed == 1 ? "" : "s");
	return TR_OK;
}
