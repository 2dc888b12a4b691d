/*
 * plan.c: the repair sequence, its expected cost, and question value
 * (see plan.h). Everything here is a pure function of its inputs, so the
 * same evidence gives the same plan.
 */
#include <stdlib.h>
#include <string.h>
#include "belief.h"
#include "buf.h"
#include "plan.h"

static const double risk_factor[] = { 1.0, 1.5, 3.0 };

/* The probability that fix x applies (plan_in.applies; 1 when NULL). */
static double applies(const plan_in *in, int x)
{
	return in->applies ? in->applies[x] : 1.0;
}

double plan_cost(const plan_in *in, int x)
{
	return (in->m->fixes[x].cost + in->step) * risk_factor[in->m->fixes[x].risk];
}

double plan_chance(const tr_model *m, const double *p, int x)
{
	const double *r = &m->resolve[(size_t)x * (size_t)m->ncauses];
	double s = 0;

	for (int c = 0; c < m->ncauses; c++)
		s += p[c] * r[c];
	return s;
}

/* A check points to a cause the fix resolves reliably (CHECK_FIXES) when
 * that cause gives the value at least CHECK_LIKE, and CHECK_RATIO times more
 * often than the default. */
#define CHECK_FIXES 0.7
#define CHECK_LIKE 0.6
#define CHECK_RATIO 4.0

static int has_check(const plan_check *v, int n, int fix, int value)
{
	for (int i = 0; i < n; i++)
		if (v[i].fix == fix && v[i].value == value)
			return 1;
	return 0;
}

int plan_checks(const tr_model *m, plan_check **out)
{
	int n = 0, cap = 16;
	plan_check *v = xmalloc(sizeof *v * (size_t)cap);

	for (int x = 0; x < m->nfixes; x++)
		for (int c = 0; c < m->ncauses; c++) {
			if (m->resolve[(size_t)x * (size_t)m->ncauses + (size_t)c] < CHECK_FIXES)
				continue;
			for (int k = 0; k < m->nvalues; k++) {
				double like = m->like[(size_t)c * (size_t)m->nvalues + (size_t)k];

				if (like < CHECK_LIKE || like < CHECK_RATIO * m->values[k].p ||
				    has_check(v, n, x, k))
					continue;
				if (n == cap)
					v = xrealloc(v, sizeof *v * (size_t)(cap *= 2));
				v[n].fact = m->values[k].fact;
				v[n].value = k;
				v[n].fix = x;
				n++;
			}
		}
	*out = v;
	return n;
}

/* Working state of one plan: the mass of each cause still unresolved and
 * which steps are still open. */
typedef struct planner {
	const plan_in *in;
	double *rest;            /* per cause */
	double still;            /* sum of rest */
	unsigned char *fix_open; /* per fix */
	unsigned char *ask_open; /* per fact */
} planner;

/* Efficiency of a step and its expected cost (weighted by still-broken
 * mass), on the current rest. Returns 0 when it cannot help. */
static double step_value(const planner *P, int x, int check, double *cost)
{
	const tr_model *m = P->in->m;
	const double *r = &m->resolve[(size_t)x * (size_t)m->ncauses];
	double win = 0, reach = P->still, a = applies(P->in, x);

	if (check >= 0) {
		const plan_check *k = &P->in->checks[check];

		reach = 0;
		for (int c = 0; c < m->ncauses; c++) {
			double l = m->like[(size_t)c * (size_t)m->nvalues + (size_t)k->value];

			reach += P->rest[c] * l;
			win += P->rest[c] * l * r[c];
		}
		*cost = P->still * (m->facts[k->fact].cost + P->in->step) + reach * plan_cost(P->in, x);
	} else {
		for (int c = 0; c < m->ncauses; c++)
			win += P->rest[c] * r[c];
		*cost = P->still * plan_cost(P->in, x);
	}
	win *= a;
	return win > 1e-12 && *cost > 0 ? win / *cost : 0;
}

/* A high-risk fix on weak evidence waits for everything else. */
static int late(const planner *P, int x)
{
	return P->in->m->fixes[x].risk == RISK_HIGH && P->still > 0 &&
	       plan_chance(P->in->m, P->rest, x) / P->still < PLAN_HIGH_RISK_MIN;
}

/* Takes the best open step; returns 0 when none can help. */
static int next_step(planner *P, plan_step *best, double *cost)
{
	const plan_in *in = P->in;
	double top = 0;
	int found = 0;

	for (int pass = 0; pass < 2 && !found; pass++) {  /* pass 1: the late ones */
		for (int x = 0; x < in->m->nfixes; x++) {
			double c, v;

			if (!P->fix_open[x] || applies(in, x) <= 0 || late(P, x) != pass)
				continue;
			if ((v = step_value(P, x, -1, &c)) > top * (1 + 1e-9)) {
				top = v, *cost = c, found = 1;
				best->fix = x, best->check = -1;
			}
		}
		for (int k = 0; pass == 0 && k < in->nchecks; k++) {
			const plan_check *ck = &in->checks[k];
			double c, v;

			if (!P->fix_open[ck->fix] || applies(in, ck->fix) <= 0 || !P->ask_open[ck->fact] ||
			    late(P, ck->fix))
				continue;
			if ((v = step_value(P, ck->fix, k, &c)) > top * (1 + 1e-9)) {
				top = v, *cost = c, found = 1;
				best->fix = ck->fix, best->check = k;
			}
		}
	}
	return found;
}

static void take(planner *P, const plan_step *st)
{
	const tr_model *m = P->in->m;
	const double *r = &m->resolve[(size_t)st->fix * (size_t)m->ncauses];
	int value = st->check >= 0 ? P->in->checks[st->check].value : -1;
	double a = applies(P->in, st->fix);

	P->still = 0;
	for (int c = 0; c < m->ncauses; c++) {
		double l = value >= 0 ? m->like[(size_t)c * (size_t)m->nvalues + (size_t)value] : 1;

		P->rest[c] *= 1 - a * l * r[c];
		P->still += P->rest[c];
	}
	P->fix_open[st->fix] = 0;
	if (st->check >= 0)
		P->ask_open[P->in->checks[st->check].fact] = 0;
}

double plan_sequence(const plan_in *in, const double *p, plan_step *steps, int *n)
{
	const tr_model *m = in->m;
	double rest[512], ecr = 0;
	unsigned char fo[512], ao[512];
	planner P = { in, m->ncauses <= 512 ? rest : xmalloc(sizeof(double) * (size_t)m->ncauses), 0,
		      m->nfixes <= 512 ? fo : xmalloc((size_t)m->nfixes + 1),
		      m->nfacts <= 512 ? ao : xmalloc((size_t)m->nfacts + 1) };
	plan_step st;
	double cost;
	int k = 0;

	memcpy(P.rest, p, sizeof *P.rest * (size_t)m->ncauses);
	for (int c = 0; c < m->ncauses; c++)
		P.still += p[c];
	memcpy(P.fix_open, in->fix_ok, (size_t)m->nfixes);
	memcpy(P.ask_open, in->ask_ok, (size_t)m->nfacts);
	while (next_step(&P, &st, &cost)) {
		ecr += cost;
		if (steps)
			steps[k] = st;
		k++;
		take(&P, &st);
	}
	ecr += PLAN_ESCALATE * P.still;
	if (n)
		*n = k;
	if (P.rest != rest)
		free(P.rest);
	if (P.fix_open != fo)
		free(P.fix_open);
	if (P.ask_open != ao)
		free(P.ask_open);
	return ecr;
}

static double value_of(const plan_in *in, const double *p, int depth);

/* ECO of fact f at posterior p, looking depth-1 questions further. */
static double eco(const plan_in *in, const double *p, int f, int depth, double now, double *after)
{
	const tr_model *m = in->m;
	const tr_fact *fact = &m->facts[f];
	double q[512], *post = m->ncauses <= 512 ? q : xmalloc(sizeof *post * (size_t)m->ncauses);
	double expect = 0;
	plan_in sub = *in;
	unsigned char ask[512], *ok = m->nfacts <= 512 ? ask : xmalloc((size_t)m->nfacts);
	double *app = in->applies_after ? xmalloc(sizeof *app * ((size_t)m->nfixes + 1)) : NULL;

	memcpy(ok, in->ask_ok, (size_t)m->nfacts);
	ok[f] = 0;
	sub.ask_ok = ok;
	for (int k = 0; k < fact->nvalues; k++) {
		double pv = belief_observe(m, p, fact->first + k, post);
		double v;

		if (app && pv > 1e-12) {
			in->applies_after(in->applies_ctx, fact->first + k, post, app);
			sub.applies = app;
		}
		v = pv > 1e-12 ? value_of(&sub, post, depth - 1) : 0;

		if (after)
			after[k] = v;
		expect += pv * v;
	}
	if (post != q)
		free(post);
	if (ok != ask)
		free(ok);
	free(app);
	return fact->cost + in->step + fact->unknown_rate * now + (1 - fact->unknown_rate) * expect;
}

/* The expected cost from posterior p: act now, or (depth > 0) ask first. */
static double value_of(const plan_in *in, const double *p, int depth)
{
	double best = plan_sequence(in, p, NULL, NULL);
	double now = best;

	for (int f = 0; depth > 0 && f < in->m->nfacts; f++)
		if (in->ask_ok[f] && in->m->facts[f].nvalues > 0) {
			double v = eco(in, p, f, depth, now, NULL);

			if (v < best)
				best = v;
		}
	return best;
}

double plan_question(const plan_in *in, int f, double *after)
{
	double now = plan_sequence(in, in->p, NULL, NULL);

	return eco(in, in->p, f, in->depth, now, after);
}

void plan_decide(const plan_in *in, plan_out *out)
{
	const tr_model *m = in->m;

	out->ask = -1;
	out->ecr = plan_sequence(in, in->p, out->steps, &out->nsteps);
	out->eco = out->ecr;
	for (int f = 0; f < m->nfacts; f++) {
		double v;

		if (!in->ask_ok[f] || m->facts[f].nvalues == 0)
			continue;
		v = eco(in, in->p, f, in->depth, out->ecr, NULL);
		if (v < out->eco - 1e-9) {
			out->eco = v;
			out->ask = f;
		}
	}
	if (out->ask < 0 && out->nsteps > 0 && out->steps[0].check >= 0)
		out->ask = in->checks[out->steps[0].check].fact;
}
