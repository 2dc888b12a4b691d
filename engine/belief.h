/*
 * belief.h: P(cause | evidence) under the single-fault model.
 * w(c) = prior(c) * rule scale(c) * prod over observed facts P(value | c)
 *        * prod over failed fixes (1 - P(fix resolves | c)),
 * normalised over the causes. "unknown" observes nothing. Likelihoods are
 * kept inside (0, 1) by the knowledge base, so soft evidence never takes a
 * cause to exactly 0 or 1; only a rule's scale of 0 rules a cause out.
 */
#ifndef TR_BELIEF_H
#define TR_BELIEF_H
#include "model.h"

/* Fills p[ncauses] with the posterior. obs[f] is the global value index
 * observed for fact f or -1; scale (per cause) and failed (per fix) may be
 * NULL. Returns the normalising sum (0 when every cause is ruled out, and
 * then p is all zero). */
double belief_posterior(const tr_model *m, const int *obs, const double *scale,
			const unsigned char *failed, double *p);

/* P(value v | evidence) for the normalised posterior p. */
double belief_predict(const tr_model *m, const double *p, int v);

/* Writes into q the posterior after observing v, given p; returns P(v). */
double belief_observe(const tr_model *m, const double *p, int v, double *q);

#endif
