/*
 * plan.h: what to do next, by expected cost to resolution.
 *
 * Fixes are ordered by efficiency P(fix resolves | evidence) / cost, with
 * the cost (plus PLAN_STEP) raised by risk (x1.5 medium, x3 high): the Kadane-Simon order,
 * optimal when each fix addresses one cause. A high-risk fix whose chance is
 * under PLAN_HIGH_RISK_MIN goes after every other fix. The expected cost of
 * repair (ECR) of that order counts each fix's cost times the chance the
 * problem is still there when it is tried, and PLAN_ESCALATE for whatever
 * is left at the end (handing over to an expert).
 *
 * A question is worth asking when its cost plus the expected cost after its
 * answer (ECO) is below acting now. With depth 2 the cost after an answer
 * may itself include one more question, so a question that only pays off
 * together with the next is not missed (the myopic rule of Heckerman et
 * al. misses it).
 */
#ifndef TR_PLAN_H
#define TR_PLAN_H
#include "model.h"

#define PLAN_ESCALATE 60.0        /* cost of an unresolved problem, minutes */
/* Every step, question or fix, also costs the person about three minutes
 * of attention: reading it, switching to the right window, reporting back.
 * Without it a string of half-minute questions looks free, and sessions
 * ask twice as many questions as they need (measured: README). */
#define PLAN_STEP 3.0
#define PLAN_HIGH_RISK_MIN 0.5    /* a high-risk fix needs this chance to go early */

typedef struct plan_in {
	const tr_model *m;
	const double *p;               /* normalised posterior, per cause */
	const unsigned char *fix_ok;   /* fixes that may be recommended */
	const unsigned char *ask_ok;   /* facts that may be asked */
	int depth;                     /* 1 myopic, 2 one question of lookahead */
} plan_in;

typedef struct plan_out {
	int ask;          /* the fact to ask, or -1 to act */
	double ecr;       /* expected cost acting now (the fix order below) */
	double eco;       /* expected cost asking `ask` first; ecr when none */
	int *order;       /* fixes in planned order; caller's array of nfixes */
	int norder;
} plan_out;

/* Decides between the best question and the best fix. */
void plan_decide(const plan_in *in, plan_out *out);

/* The risk-priced cost of fix x. */
double plan_cost(const tr_model *m, int x);

/* P(fix x resolves | evidence) for posterior p. */
double plan_chance(const tr_model *m, const double *p, int x);

/* Orders the allowed fixes with a chance above zero into order (may be
 * NULL) and returns the ECR of that order; *n receives how many. */
double plan_sequence(const tr_model *m, const double *p, const unsigned char *fix_ok,
		     int *order, int *n);

/* ECO of asking fact f (cost + expected value after each answer, with the
 * chance of "unknown"). after[k], when not NULL, receives the expected cost
 * following value k of f. */
double plan_question(const plan_in *in, int f, double *after);

#endif
