/*
 * diagnose.c: `triage diagnose`, one shot: given facts, the ranking, the
 * next question worth asking and the ranked fixes, as text or one JSON
 * object. Uses the same session and planner as every front end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "jsonl.h"
#include "plan.h"
#include "text.h"

static void print_text(session *s)
{
	const tr_model *m = session_model(s);
	const double *p = session_p(s);
	const action *a = session_next(s);
	int *order = xcalloc((size_t)(m->ncauses + m->nfixes) + 1, sizeof *order);
	int n = session_ranking(s, order);

	puts("Most likely causes:");
	for (int i = 0; i < n && i < 10; i++) {
		printf("  %5.1f%%  %-28s ", 100 * p[order[i]], m->causes[order[i]].id);
		text_put(stdout, m->causes[order[i]].title);
		putchar('\n');
	}
	if (n > 10)
		printf("  ... and %d more below %.1f%%\n", n - 10, 100 * p[order[10]]);
	if (a->kind == ACT_QUESTION) {
		const tr_fact *f = &m->facts[a->fact];

		printf("\nNext question worth asking: %s: ", f->id);
		text_put(stdout, f->text);
		fputs(" (", stdout);
		for (int k = 0; k < f->nvalues; k++)
			printf("%s%s", k ? ", " : "", m->values[f->first + k].value);
		puts(", unknown)");
	} else
		puts("\nNo question is worth asking now: try the first fix.");
	n = session_plan(s, order);
	puts("\nFixes in order:");
	for (int i = 0; i < n; i++) {
		const tr_fix *x = &m->fixes[order[i]];

		printf("  %2d. %-32s %3.0f%% likely, %g min, %s risk: ", i + 1, x->id,
		       100 * plan_chance(m, p, order[i]) * session_applies(s, order[i], NULL), x->cost, model_risk_names[x->risk]);
		text_put(stdout, x->title);
		putchar('\n');
	}
	free(order);
}

static void print_json(session *s)
{
	const tr_model *m = session_model(s);
	int *order = xcalloc((size_t)m->nfixes + 1, sizeof *order);
	int n = session_plan(s, order);
	json_t *o = json_object(), *r = jsonl_ranking(s), *fixes = json_array();
	char *text;

	json_object_set(o, "ranking", json_object_get(r, "causes"));
	json_decref(r);
	json_object_set_new(o, "next", jsonl_action(s));
	for (int i = 0; i < n; i++)
		json_array_append_new(fixes, jsonl_fix(s, order[i]));
	json_object_set_new(o, "fixes", fixes);
	text = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	if (text)
		puts(text);
	free(text);
	json_decref(o);
	free(order);
}

int diagnose_cmd(cli *c)
{
	session *s;
	int json = 0, rc;

	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (strcmp(c->argv[i], "--json") == 0)
			json = 1;
		else if (!cli_flag(c, &i, "--fact", &v))
			return tr_fail(&c->err, TR_EUSAGE, "diagnose: unexpected argument '%s'", c->argv[i]);
		else if (!v)
			return TR_EUSAGE;
	}
	if ((rc = jsonl_session(c, SESSION_DEPTH, &s)) != TR_OK)
		return rc;
	if (json)
		print_json(s);
	else
		print_text(s);
	session_free(s);
	return TR_OK;
}
