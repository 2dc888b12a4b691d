/*
 * plan.h: what to do next, by expected cost to resolution.
 *
 * A plan is a sequence of steps: fixes, and check-then-fix steps ("ask f;
 * try x only if the answer is v", the observation-repair pairs of Breese and
 * Heckerman 1996) built from each fix's signature facts. The sequence is
 * built greedily: each next step is the one with the best efficiency,
 * P(it resolves the problem | evidence so far) / its expected cost, on the
 * belief left after the steps before it failed. With one-cause fixes and no
 * checks this is the Kadane-Simon order, optimal under a single fault.
 * Costs carry PLAN_STEP and risk (x1.5 medium, x3 high); a high-risk fix
 * with under PLAN_HIGH_RISK_MIN chance waits until nothing else is left.
 * The expected cost of repair (ECR) sums each step's cost times the chance
 * the problem is still there, plus PLAN_ESCALATE for what is left at the end.
 *
 * A question is asked when its cost plus the expected ECR after its answer
 * (ECO) is below acting now, or when the plan's first step is a check. With
 * depth 2 the cost after an answer may include one more question.
 *
 * Scale. Every sum runs over the sparse links and evidence rows it needs
 * (model.h), so a plan costs its steps times its candidate steps, not
 * fixes x causes. On a knowledge base of more than PLAN_FOCUS causes the
 * planner approximates, in two ways only: (1) a plan uses a set of fixes:
 * at the belief decided on, the PLAN_FOCUS most efficient; for a question
 * on f, those and every fix of a cause with evidence on f, the same set
 * for acting now and after every answer (so the price of the rest, linear
 * in its mass, cancels out of what the answer is worth). The mass of the causes the
 * set leaves out is priced as the exact plan would spend on it
 * (plan_tail). (2) a decision values the PLAN_QUESTIONS questions that
 * move the likeliest causes most per minute (expected change of their
 * probabilities), not every question.
 * With at most PLAN_FOCUS causes, as on the RDP knowledge base, it is exact.
 */
#ifndef TR_PLAN_H
#define TR_PLAN_H
#include "model.h"

/* The cost of an unresolved problem, minutes: what is left when the plan
 * runs out goes to an expert. It is also the cost of handing the problem
 * over to the next tier when the person's reach is limited (the note,
 * the queue, the user waiting, the next tier reading in): see
 * plan_in.handover. */
#define PLAN_ESCALATE 60.0
/* Every step, question or fix, also costs the person about three minutes
 * of attention: reading it, switching to the right window, reporting back.
 * Without it a string of half-minute questions looks free, and sessions
 * ask twice as many questions as they need (measured: README). */
#define PLAN_STEP 3.0
#define PLAN_HIGH_RISK_MIN 0.5    /* a high-risk fix needs this chance to go early */
/* The approximation's sizes (see above; README "Scale" measures them). */
#define PLAN_FOCUS 32
#define PLAN_QUESTIONS 24

typedef struct plan_check {
	int fact, value;   /* ask fact; on this value ... */
	int fix;           /* ... try this fix */
} plan_check;

typedef struct plan_step {
	int fix;           /* the fix tried */
	int check;         /* index into plan_in.checks, or -1 for a plain fix */
} plan_step;

typedef struct plan_in {
	const tr_model *m;
	const double *p;               /* normalised posterior, per cause */
	const unsigned char *fix_ok;   /* fixes that may be recommended */
	const unsigned char *ask_ok;   /* facts that may be asked */
	const plan_check *checks;      /* check-then-fix steps the plan may use, sorted by fix */
	int nchecks;
	int depth;                     /* 1 myopic, 2 one question of lookahead */
	double step;                   /* overhead of every step (PLAN_STEP) */
	int focus;                     /* plan over this many likeliest causes; 0 all */
	int questions;                 /* value this many questions; 0 all */
	double tail, tail_fixes;       /* with focus: plan_tail's estimates */
	/* set by the planner for the beliefs after an answer; callers leave 0 */
	const int *pool; int npool;    /* the fixes a focused plan plans (ascending) */
	/* Applicability (issue 16). applies[x] is the probability that fix x
	 * applies in this context (NULL: every fix applies). A fix with
	 * applies[x] == 0 is never in the plan. link_applies[l] (NULL: use
	 * applies[x] on every link of fix x) is the probability that the fix of
	 * link l applies were the link's cause the fault: a fix that applies
	 * only on a VPN applies almost surely if the fault is the VPN's MTU,
	 * whatever the chance of a VPN overall, so a link's chance to resolve
	 * is weighted by its own. A fix's cost is not weighted: tried blind,
	 * finding out that it does not apply takes the same attention.
	 * applies_after, when not NULL, is called in a question's hypothetical
	 * answer loop: it writes into out (nfixes) and out_links (nlinks) the
	 * applicability were value (a global value index) the answer, post
	 * being the posterior after it, so that asking a fact that decides
	 * which fixes apply is worth what it saves. ctx is applies_ctx. With
	 * depth 2 the inner answer's call sees only that answer, not the outer
	 * one. */
	const double *applies;
	const double *link_applies;
	void (*applies_after)(const void *ctx, int value, const double *post, double *out,
			      double *out_links);
	const void *applies_ctx;
	/* Reach (issue 13). reach_ok[x] says whether the person can carry out
	 * fix x (NULL: every fix). A plan under a limited reach is the steps in
	 * reach, then a hand-over, then the next tier's steps: the first step
	 * out of reach also costs handover (PLAN_ESCALATE) for the mass still
	 * unresolved, once, and the steps after it are priced as usual. So a
	 * step in reach goes first when it is more efficient than handing over
	 * and following the next tier's first step, a long shot does not, and
	 * a question in reach is worth asking when it saves either tier work.
	 * reach_after, like applies_after, writes reach_ok for a hypothetical
	 * answer (an answer can bring a fix into reach); ctx is applies_ctx. */
	const unsigned char *reach_ok;
	void (*reach_after)(const void *ctx, int value, unsigned char *out);
	double handover;
} plan_in;

typedef struct plan_out {
	int ask;           /* the fact to ask, or -1 to act */
	double ecr;        /* expected cost following the plan below */
	double eco;        /* expected cost asking `ask` first; ecr when none */
	plan_step *steps;  /* the plan; caller's array of nfixes entries */
	int nsteps;
} plan_out;

/* For the causes a focused plan leaves out: the mean priced cost of each
 * cause's most efficient fix (*cost) and the mean chance it resolves the
 * cause (*fixes). A focused plan prices the mass left beyond its focus as
 * the exact plan would spend on it: those causes' fixes, one after
 * another, each at this mean cost, in the middle of that queue on average,
 * and what they leave unresolved handed over. */
void plan_tail(const tr_model *m, double step, double *cost, double *fixes);

/* Picks the check-then-fix steps of m: for each fix, the values of facts
 * that point strongly to a cause it fixes reliably. They come sorted by fix.
 * *out is heap (free); returns how many. */
int plan_checks(const tr_model *m, plan_check **out);

/* Decides between asking and acting. */
void plan_decide(const plan_in *in, plan_out *out);

/* The risk-priced cost of fix x, with the step overhead. */
double plan_cost(const plan_in *in, int x);

/* P(fix x resolves | evidence) for posterior p. */
double plan_chance(const tr_model *m, const double *p, int x);

/* Builds the plan for posterior p (normalised) into steps (may be NULL)
 * and returns its ECR; *n receives how many steps. */
double plan_sequence(const plan_in *in, const double *p, plan_step *steps, int *n);

/* ECO of asking fact f (cost + expected value after each answer, with the
 * chance of "unknown"). after[k], when not NULL, receives the expected cost
 * following value k of f. */
double plan_question(const plan_in *in, int f, double *after);

#endif
