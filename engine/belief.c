/*
 * belief.c: the single-fault posterior (see belief.h).
 */
#include "belief.h"

double belief_posterior(const tr_model *m, const int *obs, const double *scale,
			const unsigned char *failed, double *p)
{
	double sum = 0;

	for (int c = 0; c < m->ncauses; c++) {
		double w = m->causes[c].prior * (scale ? scale[c] : 1);
		const double *like = &m->like[(size_t)c * (size_t)m->nvalues];

		for (int f = 0; f < m->nfacts && w > 0; f++)
			if (obs[f] >= 0)
				w *= like[obs[f]];
		for (int x = 0; failed && x < m->nfixes; x++)
			if (failed[x])
				w *= 1 - m->resolve[(size_t)x * (size_t)m->ncauses + (size_t)c];
		p[c] = w;
		sum += w;
	}
	for (int c = 0; c < m->ncauses; c++)
		p[c] = sum > 0 ? p[c] / sum : 0;
	return sum;
}

double belief_predict(const tr_model *m, const double *p, int v)
{
	double pv = 0;

	for (int c = 0; c < m->ncauses; c++)
		pv += p[c] * m->like[(size_t)c * (size_t)m->nvalues + (size_t)v];
	return pv;
}

double belief_observe(const tr_model *m, const double *p, int v, double *q)
{
	double pv = 0;

	for (int c = 0; c < m->ncauses; c++) {
		q[c] = p[c] * m->like[(size_t)c * (size_t)m->nvalues + (size_t)v];
		pv += q[c];
	}
	for (int c = 0; c < m->ncauses; c++)
		q[c] = pv > 0 ? q[c] / pv : 0;
	return pv;
}
