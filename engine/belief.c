/*
 * belief.c: the single-fault posterior (see belief.h).
 *
 * Evidence is sparse (model.h): a cause silent on a fact gives its values
 * their defaults, a factor every silent cause shares. So each cause's weight
 * is its prior times, for the observed facts it states evidence on, the
 * ratio of its likelihood to the default; the shared factors cancel when
 * the weights are normalised. The work is the causes plus the evidence
 * rows of the observed facts, not causes x facts.
 */
#include "belief.h"

double belief_posterior(const tr_model *m, const int *obs, const double *scale,
			const unsigned char *failed, double *p)
{
	double sum = 0, shared = 1;  /* the defaults every silent cause shares */

	for (int c = 0; c < m->ncauses; c++)
		p[c] = m->causes[c].prior * (scale ? scale[c] : 1);
	for (int f = 0; f < m->nfacts; f++) {
		const tr_fact *fact = &m->facts[f];
		int k;

		if (obs[f] < 0 || fact->nvalues == 0)
			continue;
		k = obs[f] - fact->first;
		shared *= m->values[obs[f]].p;
		for (int i = 0; i < fact->nev; i++) {
			const tr_evidence *ev = &m->evidence[fact->ev[i]];

			p[ev->cause] *= ev->lk[k] / m->values[obs[f]].p;
		}
	}
	for (int x = 0; failed && x < m->nfixes; x++)
		if (failed[x])
			for (int k = m->fixes[x].link; k < m->fixes[x].link + m->fixes[x].nlink; k++)
				p[m->links[k].cause] *= 1 - m->links[k].p;
	for (int c = 0; c < m->ncauses; c++)
		sum += p[c];
	for (int c = 0; c < m->ncauses; c++)
		p[c] = sum > 0 ? p[c] / sum : 0;
	return sum * shared;
}

/* The mass of p on the causes with evidence on v's fact, and their
 * weighted likelihood of v: P(v) = d (1 - mass) + stated. */
static double predict(const tr_model *m, const double *p, int v)
{
	const tr_fact *fact = &m->facts[m->values[v].fact];
	int k = v - fact->first;
	double mass = 0, stated = 0;

	for (int i = 0; i < fact->nev; i++) {
		const tr_evidence *ev = &m->evidence[fact->ev[i]];

		mass += p[ev->cause];
		stated += p[ev->cause] * ev->lk[k];
	}
	return m->values[v].p * (1 - mass) + stated;
}

double belief_predict(const tr_model *m, const double *p, int v)
{
	double pv = predict(m, p, v);

	return pv > 0 ? pv : 0;
}

double belief_observe(const tr_model *m, const double *p, int v, double *q)
{
	const tr_fact *fact = &m->facts[m->values[v].fact];
	int k = v - fact->first;
	double pv = predict(m, p, v), d;

	if (pv <= 0) {
		for (int c = 0; c < m->ncauses; c++)
			q[c] = 0;
		return 0;
	}
	d = m->values[v].p / pv;
	for (int c = 0; c < m->ncauses; c++)
		q[c] = p[c] * d;
	for (int i = 0; i < fact->nev; i++) {
		const tr_evidence *ev = &m->evidence[fact->ev[i]];

		q[ev->cause] = p[ev->cause] * ev->lk[k] / pv;
	}
	return pv;
}
