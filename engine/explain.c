/*
 * explain.c: explanations (see explain.h).
 */
#include <math.h>
#include <string.h>
#include "belief.h"
#include "explain.h"
#include "plan.h"

void explain_cause(session *s, int c, buf *out)
{
	const tr_model *m = session_model(s);
	const tr_cause *cause = &m->causes[c];
	const double *p = session_p(s);
	double prior_sum = 0;

	for (int k = 0; k < m->ncauses; k++)
		prior_sum += m->causes[k].prior;
	buf_printf(out, "%s (%s): now %.1f%%.\n", cause->title, cause->id, 100 * p[c]);
	buf_printf(out, "  prior %.3f (%.1f%% of all causes): %s\n", cause->prior,
		   100 * cause->prior / prior_sum, cause->prior_why);
	for (int f = 0; f < m->nfacts; f++) {
		int v = session_value(s, f);
		const char *why = model_why(m, c, f);
		double like, ratio;

		if (v < 0)
			continue;
		like = model_like(m, c, v);
		ratio = like / m->values[v].p;
		if (fabs(ratio - 1) < 0.05)
			continue;
		buf_printf(out, "  x%.2f  %s = %s (%s): %s\n", ratio, m->facts[f].id, m->values[v].value,
			   session_origin_names[session_origin(s, f)],
			   why ? why : "no evidence stated; the default applies");
	}
	for (int r = 0; r < m->nrules; r++) {
		const rule_effect *fx;
		int n = session_effects(s, r, &fx);

		for (int i = 0; i < n; i++)
			if (fx[i].kind == EFFECT_SCALE && fx[i].target == c)
				buf_printf(out, "  x%.2f  rule %s: %s\n", fx[i].factor, m->rules[r].id,
					   *fx[i].why ? fx[i].why : m->rules[r].description);
	}
	for (int k = 0; k < cause->nlinks; k++) {
		const tr_link *l = &m->links[cause->links[k]];

		if (session_fix_state(s, l->fix) == FIX_FAILED && session_within(s, l->fix) >= 0)
			buf_printf(out, "  x1.00  fix %s failed, as part of %s (counted there)\n",
				   m->fixes[l->fix].id, m->fixes[session_within(s, l->fix)].id);
		else if (session_fix_state(s, l->fix) == FIX_FAILED)
			buf_printf(out, "  x%.2f  fix %s failed (it resolves this cause with p=%.2f)\n",
				   1 - l->p, m->fixes[l->fix].id, l->p);
	}
	buf_puts(out, "  fixes: ");
	for (int i = 0, first = 1; i < m->nlinks; i++)
		if (m->links[i].cause == c) {
			buf_printf(out, "%s%s (p=%.2f)", first ? "" : ", ", m->fixes[m->links[i].fix].id,
				   m->links[i].p);
			first = 0;
		}
	buf_putc(out, '\n');
}

/* The most probable cause of q. */
static int top(const tr_model *m, const double *q)
{
	int best = 0;

	for (int c = 1; c < m->ncauses; c++)
		if (q[c] > q[best])
			best = c;
	return best;
}

void explain_question(session *s, int f, int detail, buf *out)
{
	const tr_model *m = session_model(s);
	const tr_fact *fact = &m->facts[f];
	const double *p = session_p(s);
	const action *a = session_next(s);
	double after[256], q[512];
	double eco = session_question_value(s, f, after);

	if (detail)
		buf_printf(out, "Asking %s: it costs about %.1f min to answer and the expected cost to a fix "
			   "goes from %.1f to %.1f min with it%s.\n", fact->id, fact->cost, a->ecr, eco,
			   fact->unknown_rate > 0 ? " (counting the chance you cannot tell)" : "");
	else
		buf_printf(out, "Asking %s takes about %g min, and its answer changes which cause leads "
			   "or which fix comes first, so asking now should get to a fix sooner%s. "
			   "What each answer would do:\n", fact->id, fact->cost,
			   fact->unknown_rate > 0 ? " (even counting the chance you cannot tell)" : "");
	if (m->ncauses > 512 || fact->nvalues > 256)
		return;
	for (int k = 0; k < fact->nvalues; k++) {
		int v = fact->first + k, t;
		double pv = belief_observe(m, p, v, q);

		t = top(m, q);
		if (detail)
			buf_printf(out, "  %-12s (%.0f%% likely): %s would lead at %.0f%%; then about %.1f min to a fix\n",
				   m->values[v].value, 100 * pv, m->causes[t].id, 100 * q[t], after[k]);
		else
			buf_printf(out, "  %-12s (%.0f%% likely): %s would lead at %.0f%%\n",
				   m->values[v].value, 100 * pv, m->causes[t].id, 100 * q[t]);
	}
}

void explain_fix(session *s, int x, int detail, buf *out)
{
	const tr_model *m = session_model(s);
	const tr_fix *fix = &m->fixes[x];
	const double *p = session_p(s);
	int order[1024], n = m->nfixes <= 1024 ? session_plan(s, order) : 0, at = -1;
	plan_in in;
	double ch, cost;

	session_planner(s, &in);
	ch = session_fix_chance(s, x);
	cost = plan_cost(&in, x);

	if (detail)
		buf_printf(out, "%s (%s): %.0f%% likely to resolve the problem now, for %.0f min of effort "
			   "(%s risk, priced as %.0f): %.4f per minute.\n", fix->title, fix->id, 100 * ch,
			   fix->cost, model_risk_names[fix->risk], cost, ch / cost);
	else
		buf_printf(out, "%s (%s): %.0f%% likely to resolve the problem now, about %d min of "
			   "work, %s risk.\n", fix->title, fix->id, 100 * ch, fix->minutes,
			   model_risk_names[fix->risk]);
	for (int i = 0; i < n; i++)
		if (order[i] == x)
			at = i;
	if (at >= 0 && at + 1 < n) {
		int y = order[at + 1];
		double cy = session_fix_chance(s, y), ky = plan_cost(&in, y);

		const char *waits = m->fixes[y].risk == RISK_HIGH && cy < PLAN_HIGH_RISK_MIN
				    ? ", which is high-risk and waits until the evidence is strong" : "";

		if (detail)
			buf_printf(out, "  It comes before %s (%.0f%% for %.0f priced min: %.4f per minute)%s.\n",
				   m->fixes[y].id, 100 * cy, ky, cy / ky, waits);
		else
			buf_printf(out, "  It comes before %s (%.0f%% likely, about %d min, %s risk)%s: more "
				   "chance for the time and risk.\n", m->fixes[y].id, 100 * cy, m->fixes[y].minutes,
				   model_risk_names[m->fixes[y].risk], waits);
	} else if (at >= 0)
		buf_puts(out, "  It is the last fix left in the plan.\n");
	if (fix->applies.n || session_applies(s, x, NULL) < 1) {
		const char *why;
		double a = session_applies(s, x, &why);
		char when[512];

		model_where_text(m, &fix->applies, when, sizeof when);
		if (why)
			buf_printf(out, "  It does not apply here: %s.\n", why);
		else if (a <= 0)
			buf_printf(out, "  It does not apply here: it applies only if %s.\n", when);
		else if (a < 1)
			buf_printf(out, "  It applies only if %s: %.0f%% likely here, which weighs its chance.\n",
				   when, 100 * a);
	}
	for (int j = 0; j < fix->nincl; j++)
		buf_printf(out, "  Its steps include %s: tried with it.\n", m->fixes[fix->incl[j]].id);
	for (int i = fix->link; i < fix->link + fix->nlink; i++)
		buf_printf(out, "  resolves %s with p=%.2f (now %.0f%% likely)%s%s: %s\n",
			   m->causes[m->links[i].cause].id, m->links[i].p, 100 * p[m->links[i].cause],
			   m->links[i].via >= 0 ? ", through " : "",
			   m->links[i].via >= 0 ? m->fixes[m->links[i].via].id : "", m->links[i].why);
}

void explain_ruled_out(session *s, int x, buf *out)
{
	const tr_model *m = session_model(s);
	const tr_where *w = &m->fixes[x].applies;
	const char *why;
	char when[512];
	int k = 0;

	if (session_applies(s, x, &why) <= 0 && why) {
		buf_puts(out, why);
		return;
	}
	model_where_text(m, w, when, sizeof when);
	buf_puts(out, "it applies only if ");
	for (const char *t = when, *semi; *t; t = semi + 2) {  /* "a; b" as "a and b" */
		if (!(semi = strstr(t, "; "))) {
			buf_puts(out, t);
			break;
		}
		buf_printf(out, "%.*s and ", (int)(semi - t), t);
	}
	buf_puts(out, "; here ");
	for (int i = 0; i < w->n; i++) {
		const tr_cond *c = &w->v[i];
		int v = session_value(s, c->fact), in = 0;

		if (v < 0)
			continue;
		for (int j = 0; j < c->nvalues; j++)
			in |= c->values[j] == v;
		if (in == c->negate)
			buf_printf(out, "%s%s is %s", k++ ? " and " : "", m->facts[c->fact].id, m->values[v].value);
	}
}

void explain_recheck(session *s, buf *out)
{
	const tr_model *m = session_model(s);
	const action *a = session_next(s);
	int v = session_value(s, a->fact);

	if (a->kind != ACT_QUESTION || !a->recheck)
		return;
	buf_printf(out, "asked again: %s is %s, which rules out %s (%.0f%% likely were it to apply, "
		   "more than the fixes left): ", m->facts[a->fact].id, v >= 0 ? m->values[v].value : "?",
		   m->fixes[a->fix].id, 100 * plan_chance(m, session_p(s), a->fix));
	explain_ruled_out(s, a->fix, out);
	buf_puts(out, "; if that answer was a guess, check it");
}

void explain_brief(session *s, buf *out)
{
	const tr_model *m = session_model(s);
	const action *a = session_next(s);

	if (a->kind == ACT_QUESTION && a->recheck)
		explain_recheck(s, out);
	else if (a->kind == ACT_QUESTION)
		buf_printf(out, "its answer is expected to get to a fix sooner than trying one now");
	else if (a->kind == ACT_RECOMMEND) {
		double ch = session_fix_chance(s, a->fix);

		buf_printf(out, "%.0f%% likely to resolve the problem, about %d min of work (%s risk): "
			   "the best chance for the time and risk; no question is worth asking first", 100 * ch,
			   m->fixes[a->fix].minutes, model_risk_names[m->fixes[a->fix].risk]);
	}
}

int explain_outside(const tr_model *m, int v, buf *out)
{
	const tr_value *val = &m->values[v];
	const tr_fact *fact = &m->facts[val->fact];
	int k = 0;

	if (val->p > EXPLAIN_RARE)
		return 0;
	for (int i = 0; i < fact->nev; i++)  /* silent causes give the default */
		if (m->evidence[fact->ev[i]].lk[v - fact->first] > 1.5 * val->p)
			return 0;
	buf_printf(out, "%s=%s: no cause in this knowledge base explains it; it covers %s ",
		   fact->id, val->value, fact->id);
	for (int w = fact->first; w < fact->first + fact->nvalues; w++)
		if (w != v && m->values[w].p > EXPLAIN_RARE)
			buf_printf(out, "%s%s", k++ ? " or " : "", m->values[w].value);
	buf_printf(out, " only (%s), so its advice may not fit this problem", m->title);
	return 1;
}
