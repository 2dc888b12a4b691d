/*
 * diagnose.c: `triage diagnose`, one shot: given facts, the ranking, the
 * next question worth asking and the ranked fixes, as text or one JSON
 * object. Uses the same session and planner as every front end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cli.h"
#include "explain.h"
#include "jsonl.h"
#include "plan.h"
#include "text.h"

#define DIAGNOSE_FIXES 5   /* fixes shown without --all */

/* The columns to wrap at: the terminal's, else $COLUMNS, else 80. */
static int width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col < 40 ? 40 : ws.ws_col;
	return env && atoi(env) >= 40 ? atoi(env) : env && atoi(env) > 0 ? 40 : 80;
}

/* Prints lead (plain text, its own width), then text wrapped under
 * column hang. */
static void line(const char *lead, int hang, const char *text, int w)
{
	buf b = {0}, all = {0};
	int n = (int)strlen(lead);

	buf_printf(&all, "%s%*s", lead, n < hang ? hang - n : 0, "");
	text_wrap(&b, text, w, hang > w - 30 ? 4 : hang);
	while (n > 0 && lead[n - 1] == ' ')
		n--;
	if (hang > w - 30 || (int)strlen(lead) > hang)  /* too narrow for a column: the text below */
		printf("%.*s\n    %s\n", n, lead, buf_str(&b));
	else
		printf("%s%s\n", buf_str(&all), buf_str(&b));
	buf_free(&b);
	buf_free(&all);
}

static void print_text(session *s, int all)
{
	const tr_model *m = session_model(s);
	const double *p = session_p(s);
	const action *a = session_next(s);
	int *order = xcalloc((size_t)(m->ncauses + m->nfixes) + 1, sizeof *order);
	int n = session_ranking(s, order), w = width(), idw = 0;
	char lead[160];
	buf b = {0};

	for (int f = 0; f < m->nfacts; f++) {
		buf_reset(&b);
		if (session_value(s, f) >= 0 && explain_outside(m, session_value(s, f), &b)) {
			line("Note: ", 6, buf_str(&b), w);
			putchar('\n');
		}
	}
	for (int i = 0; i < n && i < 10; i++)
		if ((int)strlen(m->causes[order[i]].id) > idw)
			idw = (int)strlen(m->causes[order[i]].id);
	puts("Most likely causes:");
	for (int i = 0; i < n && i < 10; i++) {
		snprintf(lead, sizeof lead, "  %5.1f%%  %-*s  ", 100 * p[order[i]], idw, m->causes[order[i]].id);
		line(lead, 12 + idw, m->causes[order[i]].title, w);
	}
	if (n > 10)
		printf("  ... and %d more below %.1f%%\n", n - 10, 100 * p[order[10]]);
	if (a->kind == ACT_QUESTION) {
		const tr_fact *f = &m->facts[a->fact];

		buf_printf(&b, "%s (", f->text);
		for (int k = 0; k < f->nvalues; k++)
			buf_printf(&b, "%s%s", k ? ", " : "", m->values[f->first + k].value);
		buf_puts(&b, ", unknown)");
		puts(a->recheck ? "\nAn answer worth checking again:" : "\nNext question worth asking:");
		printf("  %s\n", f->id);
		line("", 2, buf_str(&b), w);
		if (a->recheck) {
			buf_reset(&b);
			explain_recheck(s, &b);
			buf_puts(&b, ".");
			line("", 2, buf_str(&b), w);
		}
	} else if (a->kind == ACT_DONE && a->status == DONE_HANDOVER)
		puts("\nNothing within your reach is worth doing first: hand over (the fixes below need more).");
	else
		puts("\nNo question is worth asking now: try the first fix.");
	if (a->kind == ACT_DONE && a->status == DONE_HANDOVER) {  /* the next tier's plan */
		const plan_step *steps;

		n = session_handover(s, &steps, NULL);
		for (int i = 0; i < n; i++)
			order[i] = steps[i].fix;
	} else
		n = session_plan(s, order);
	puts(n ? "\nFixes in order:" : "\nNo fix is left to try.");
	for (int i = 0; i < n && (all || i < DIAGNOSE_FIXES); i++) {
		const tr_fix *x = &m->fixes[order[i]];

		buf_reset(&b);
		buf_printf(&b, "%.0f%% likely, about %d min, %s risk: %s", 100 * session_fix_chance(s, order[i]),
			   x->minutes, model_risk_names[x->risk], x->title);
		snprintf(lead, sizeof lead, "  %2d. %s", i + 1, x->id);
		printf("%s\n", lead);
		line("", 6, buf_str(&b), w);
	}
	if (!all && n > DIAGNOSE_FIXES)
		printf("  ... %d more (--all lists them)\n", n - DIAGNOSE_FIXES);
	buf_free(&b);
	free(order);
}

static void print_json(session *s, const char *technician)
{
	const tr_model *m = session_model(s);
	int *order = xcalloc((size_t)m->nfixes + 1, sizeof *order);
	int n = session_plan(s, order);
	json_t *o = json_object(), *r = jsonl_ranking(s), *fixes = json_array();
	char *text;

	json_object_set(o, "ranking", json_object_get(r, "causes"));
	json_decref(r);
	json_object_set_new(o, "next", jsonl_action(s));
	if (session_next(s)->kind == ACT_DONE && session_next(s)->status == DONE_HANDOVER)
		json_object_set_new(o, "handover", jsonl_handover(s, technician));
	for (int i = 0; i < n; i++)
		json_array_append_new(fixes, jsonl_fix(s, order[i]));
	json_object_set_new(o, "fixes", fixes);
	for (int f = 0; f < m->nfacts; f++) {
		buf b = {0};

		if (session_value(s, f) >= 0 && explain_outside(m, session_value(s, f), &b)) {
			if (!json_object_get(o, "notes"))
				json_object_set_new(o, "notes", json_array());
			json_array_append_new(json_object_get(o, "notes"), json_string(buf_str(&b)));
		}
		buf_free(&b);
	}
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
	int json = 0, all = 0, rc;

	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (strcmp(c->argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(c->argv[i], "--all") == 0)
			all = 1;
		else if (!cli_flag(c, &i, "--fact", &v))
			return tr_fail(&c->err, TR_EUSAGE, "diagnose: unexpected argument '%s'", c->argv[i]);
		else if (!v)
			return TR_EUSAGE;
	}
	if ((rc = jsonl_session(c, SESSION_DEPTH, &s)) != TR_OK)
		return rc;
	if (json)
		print_json(s, c->technician);
	else
		print_text(s, all);
	session_free(s);
	return TR_OK;
}
