/*
 * plan.c: fix ordering, expected cost of repair and question value
 * (see plan.h). Everything here is a pure function of its inputs, so the
 * same evidence gives the same plan.
 */
#include <stdlib.h>
#include <string.h>
#include "belief.h"
#include "buf.h"
#include "plan.h"

static const double risk_factor[] = { 1.0, 1.5, 3.0 };

double plan_cost(const tr_model *m, int x)
{
	return (m->fixes[x].cost + PLAN_STEP) * risk_factor[m->fixes[x].risk];
}

double plan_chance(const tr_model *m, const double *p, int x)
{
	const double *r = &m->resolve[(size_t)x * (size_t)m->ncauses];
	double s = 0;

	for (int c = 0; c < m->ncauses; c++)
		s += p[c] * r[c];
	return s;
}

typedef struct ranked {
	int x;
	int late;         /* high risk on weak evidence: after all others */
	double eff;       /* chance / priced cost */
} ranked;

static int by_efficiency(const void *a, const void *b)
{
	const ranked *u = a, *v = b;

	if (u->late != v->late)
		return u->late - v->late;
	if (u->eff > v->eff * (1 + 1e-9))
		return -1;
	if (v->eff > u->eff * (1 + 1e-9))
		return 1;
	return u->x - v->x;  /* ties: risk is already priced in; then by id */
}

double plan_sequence(const tr_model *m, const double *p, const unsigned char *fix_ok,
		     int *order, int *n)
{
	ranked stack[256], *r = m->nfixes <= 256 ? stack : xmalloc(sizeof *r * (size_t)m->nfixes);
	double left[512], *rest = m->ncauses <= 512 ? left : xmalloc(sizeof *rest * (size_t)m->ncauses);
	double ecr = 0, still = 0;
	int k = 0;

	for (int x = 0; x < m->nfixes; x++) {
		double ch;

		if (!fix_ok[x] || (ch = plan_chance(m, p, x)) <= 1e-12)
			continue;
		r[k].x = x;
		r[k].eff = ch / plan_cost(m, x);
		r[k].late = m->fixes[x].risk == RISK_HIGH && ch < PLAN_HIGH_RISK_MIN;
		k++;
	}
	qsort(r, (size_t)k, sizeof *r, by_efficiency);
	memcpy(rest, p, sizeof *rest * (size_t)m->ncauses);
	for (int c = 0; c < m->ncauses; c++)
		still += rest[c];
	for (int i = 0; i < k; i++) {
		const double *res = &m->resolve[(size_t)r[i].x * (size_t)m->ncauses];

		ecr += plan_cost(m, r[i].x) * still;
		still = 0;
		for (int c = 0; c < m->ncauses; c++) {
			rest[c] *= 1 - res[c];
			still += rest[c];
		}
		if (order)
			order[i] = r[i].x;
	}
	ecr += PLAN_ESCALATE * still;
	if (n)
		*n = k;
	if (r != stack)
		free(r);
	if (rest != left)
		free(rest);
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

	memcpy(ok, in->ask_ok, (size_t)m->nfacts);
	ok[f] = 0;
	sub.ask_ok = ok;
	for (int k = 0; k < fact->nvalues; k++) {
		double pv = belief_observe(m, p, fact->first + k, post);
		double v = pv > 1e-12 ? value_of(&sub, post, depth - 1) : 0;

		if (after)
			after[k] = v;
		expect += pv * v;
	}
	if (post != q)
		free(post);
	if (ok != ask)
		free(ok);
	return fact->cost + PLAN_STEP + fact->unknown_rate * now + (1 - fact->unknown_rate) * expect;
}

/* The expected cost from posterior p: act now, or (depth > 0) ask first. */
static double value_of(const plan_in *in, const double *p, int depth)
{
	double best = plan_sequence(in->m, p, in->fix_ok, NULL, NULL);
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
	double now = plan_sequence(in->m, in->p, in->fix_ok, NULL, NULL);

	return eco(in, in->p, f, in->depth, now, after);
}

void plan_decide(const plan_in *in, plan_out *out)
{
	const tr_model *m = in->m;

	out->ask = -1;
	out->ecr = plan_sequence(m, in->p, in->fix_ok, out->order, &out->norder);
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
}
