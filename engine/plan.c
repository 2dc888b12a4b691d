/*
 * plan.c: the repair sequence, its expected cost, and question value
 * (see plan.h). Everything here is a pure function of its inputs, so the
 * same evidence gives the same plan.
 *
 * Sums run over sparse rows: a fix's links (model.h), a fact's evidence
 * rows. A cause silent on a fact gives its values their defaults, so the
 * chance that a plan reaches a check, sum over causes of rest(c) P(v | c),
 * is d(v) * still plus a correction for the causes with evidence on v.
 */
#include <stdlib.h>
#include <string.h>
#include "belief.h"
#include "buf.h"
#include "plan.h"

static const double risk_factor[] = { 1.0, 1.5, 3.0 };

void plan_tail(const tr_model *m, double step, double *cost, double *fixes)
{
	double sc = 0, sr = 0;
	int n = 0;
	plan_in in;

	memset(&in, 0, sizeof in);
	in.m = m;
	in.step = step;
	for (int c = 0; c < m->ncauses; c++) {
		double best = 0, r = 0;

		for (int k = 0; k < m->causes[c].nlinks; k++) {
			const tr_link *l = &m->links[m->causes[c].links[k]];
			double e = l->p / plan_cost(&in, l->fix);

			if (e > best)
				best = e, r = l->p;
		}
		if (best > 0) {
			sc += r / best;
			sr += r;
			n++;
		}
	}
	*cost = n ? sc / n : 0;
	*fixes = n ? sr / n : 0;
}

/* The probability that fix x applies (plan_in.applies; 1 when NULL). */
static double applies(const plan_in *in, int x)
{
	return in->applies ? in->applies[x] : 1.0;
}

/* The probability that the fix of link l (fix x) applies were the link's
 * cause the fault. */
static double link_applies(const plan_in *in, int x, int l)
{
	return in->link_applies ? in->link_applies[l] : applies(in, x);
}

/* plan_chance, each link weighted by where its fix applies. */
static double chance_in(const plan_in *in, const double *p, int x)
{
	const tr_model *m = in->m;
	const tr_fix *fix = &m->fixes[x];
	double s = 0;

	for (int k = fix->link; k < fix->link + fix->nlink; k++)
		s += p[m->links[k].cause] * m->links[k].p * link_applies(in, x, k);
	return s;
}

double plan_cost(const plan_in *in, int x)
{
	return (in->m->fixes[x].cost + in->step) * risk_factor[in->m->fixes[x].risk];
}

double plan_chance(const tr_model *m, const double *p, int x)
{
	const tr_fix *fix = &m->fixes[x];
	double s = 0;

	for (int k = fix->link; k < fix->link + fix->nlink; k++)
		s += p[m->links[k].cause] * m->links[k].p;
	return s;
}

/* A check points to a cause the fix resolves reliably (CHECK_FIXES) when
 * that cause gives the value at least CHECK_LIKE, and CHECK_RATIO times more
 * often than the default. */
#define CHECK_FIXES 0.7
#define CHECK_LIKE 0.6
#define CHECK_RATIO 4.0

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int plan_checks(const tr_model *m, plan_check **out)
{
	int n = 0, cap = 16;
	plan_check *v = xmalloc(sizeof *v * (size_t)cap);
	int *causes = NULL, *vals = NULL, ncap = 0, vcap = 0;

	for (int x = 0; x < m->nfixes; x++) {
		const tr_fix *fix = &m->fixes[x];
		int nc = 0, first = n;

		/* the causes it fixes reliably, in cause order */
		if (fix->nlink > ncap)
			causes = xrealloc(causes, sizeof *causes * (size_t)(ncap = fix->nlink));
		for (int k = fix->link; k < fix->link + fix->nlink; k++)
			if (m->links[k].p >= CHECK_FIXES)
				causes[nc++] = m->links[k].cause;
		if (nc > 1)  /* causes may still be NULL (qsort wants a pointer) */
			qsort(causes, (size_t)nc, sizeof *causes, cmp_int);
		for (int i = 0; i < nc; i++) {
			const tr_cause *c = &m->causes[causes[i]];
			int nv = 0;

			/* the values pointing to it, in value order */
			for (int e = c->ev; e < c->ev + c->nev; e++) {
				const tr_evidence *ev = &m->evidence[e];
				const tr_fact *f = &m->facts[ev->fact];

				for (int k = 0; k < f->nvalues; k++) {
					double like = ev->lk[k];

					if (like < CHECK_LIKE || like < CHECK_RATIO * m->values[f->first + k].p)
						continue;
					if (nv == vcap)
						vals = xrealloc(vals, sizeof *vals * (size_t)(vcap = vcap ? 2 * vcap : 16));
					vals[nv++] = f->first + k;
				}
			}
			if (nv > 1)  /* vals may still be NULL */
				qsort(vals, (size_t)nv, sizeof *vals, cmp_int);
			for (int j = 0; j < nv; j++) {
				int dup = 0;

				for (int q = first; q < n && !dup; q++)
					dup = v[q].value == vals[j];
				if (dup)
					continue;
				if (n == cap)
					v = xrealloc(v, sizeof *v * (size_t)(cap *= 2));
				v[n].fact = m->values[vals[j]].fact;
				v[n].value = vals[j];
				v[n].fix = x;
				n++;
			}
		}
	}
	free(causes);
	free(vals);
	*out = v;
	return n;
}

/* ---- candidates: the fixes, checks and questions a decision weighs ---- */

/* Whether entry a ranks above entry b: larger key, then smaller index. */
static int above(const double *key, int a, int b)
{
	return key[a] > key[b] || (key[a] == key[b] && a < b);
}

/* Keeps in v[0..k) the k entries of v[0..n) that rank highest by key,
 * sorted by index; returns how many are kept. A heap of k: n log k. */
static int top_k(const double *key, int *v, int n, int k)
{
	int h = 0;

	if (n <= k)
		return n;
	for (int i = 0; i < n; i++) {  /* v[0..h) is a heap with the lowest-ranked on top */
		int x = v[i], j;

		if (h == k) {
			if (!above(key, x, v[0]))
				continue;
			j = 0;
			for (;;) {  /* replace the top and sift down */
				int l = 2 * j + 1, r = l + 1, s = j, sv = x;

				if (l < h && above(key, sv, v[l]))
					s = l, sv = v[l];
				if (r < h && above(key, sv, v[r]))
					s = r;
				if (s == j)
					break;
				v[j] = v[s];
				j = s;
			}
			v[j] = x;
		} else {
			for (j = h++; j > 0 && above(key, v[(j - 1) / 2], x); j = (j - 1) / 2)
				v[j] = v[(j - 1) / 2];
			v[j] = x;
		}
	}
	qsort(v, (size_t)k, sizeof *v, cmp_int);
	return k;
}

/* The steps one plan may take: fixes (ascending) and checks (ascending,
 * indexes into plan_in.checks). */
typedef struct cands {
	int *fix, nfix;
	int *check, ncheck;
	int *focus, nfocus;      /* focused: the causes pool covers; none: all */
	int *pool, npool;        /* focused: the fixes planned, ascending */
} cands;

static void cands_free(cands *K)
{
	free(K->fix);
	free(K->check);
	free(K->focus);
	free(K->pool);
}

/* Indexes of the PLAN_FOCUS (in->focus) likeliest causes of p, or all. */
static int focus_causes(const plan_in *in, const double *p, int **out);

/* A focused plan's partition: set (heap, ascending, taken over) is the
 * fixes it plans, K->fix those of them open at this belief, K->focus the
 * causes set covers; the mass of the others is the tail. */
static void cands_set(const plan_in *in, cands *K, int *set, int n)
{
	const tr_model *m = in->m;
	unsigned char *mark = xcalloc((size_t)m->ncauses + 1, 1);

	K->pool = set;
	K->npool = n;
	K->fix = xmalloc(sizeof *K->fix * (size_t)(n + 1));
	K->focus = xmalloc(sizeof *K->focus * (size_t)(m->ncauses + 1));
	for (int i = 0; i < n; i++) {
		const tr_fix *fix = &m->fixes[set[i]];

		if (in->fix_ok[set[i]] && fix->nlink > 0 && applies(in, set[i]) > 0)
			K->fix[K->nfix++] = set[i];
		for (int l = fix->link; l < fix->link + fix->nlink; l++)
			if (!mark[m->links[l].cause]) {
				mark[m->links[l].cause] = 1;
				K->focus[K->nfocus++] = m->links[l].cause;
			}
	}
	free(mark);
}

/* The partition below a question on f: the fixes of the belief before
 * (K) and every fix of a cause with evidence on f, ascending. The same
 * set for every answer and for acting now, so the tail is the same causes
 * in all of them: its mass after an answer is on average its mass before,
 * and its price (linear in it) cancels out of what the answer is worth.
 * Only the causes with evidence on f change relative to the others, so
 * the plan after an answer reorders these fixes. *n receives how many. */
static int *question_set(const plan_in *in, const cands *K, int f, int *n)
{
	const tr_model *m = in->m;
	const tr_fact *fact = &m->facts[f];
	int cap = K->npool + 1, k, out = 0;
	int *v;

	for (int i = 0; i < fact->nev; i++)
		cap += m->causes[m->evidence[fact->ev[i]].cause].nlinks;
	v = xmalloc(sizeof *v * (size_t)cap);
	memcpy(v, K->pool, sizeof *v * (size_t)K->npool);
	k = K->npool;
	for (int i = 0; i < fact->nev; i++) {
		const tr_cause *c = &m->causes[m->evidence[fact->ev[i]].cause];

		for (int l = 0; l < c->nlinks; l++) {
			int x = m->links[c->links[l]].fix;

			if (in->fix_ok[x])
				v[k++] = x;
		}
	}
	if (k > 1)
		qsort(v, (size_t)k, sizeof *v, cmp_int);
	for (int j = 0; j < k; j++)  /* unique */
		if (out == 0 || v[out - 1] != v[j])
			v[out++] = v[j];
	*n = out;
	return v;
}

/* The checks of K's fixes into K->check (allocated, empty). */
static void cand_checks(const plan_in *in, cands *K)
{
	/* checks come sorted by fix: walk both lists together */
	for (int i = 0, k = 0; i < K->nfix; i++) {
		while (k < in->nchecks && in->checks[k].fix < K->fix[i])
			k++;
		for (; k < in->nchecks && in->checks[k].fix == K->fix[i]; k++)
			if (in->ask_ok[in->checks[k].fact])
				K->check[K->ncheck++] = k;
	}
}

/* Collects the open fixes and checks for belief p. */
static void candidates(const plan_in *in, const double *p, cands *K)
{
	const tr_model *m = in->m;

	memset(K, 0, sizeof *K);
	if (!in->focus || m->ncauses <= in->focus) {
		K->fix = xmalloc(sizeof *K->fix * (size_t)(m->nfixes + 1));
		for (int x = 0; x < m->nfixes; x++)
			if (in->fix_ok[x] && m->fixes[x].nlink > 0 && applies(in, x) > 0)
				K->fix[K->nfix++] = x;
	} else if (in->pool) {  /* below a question: its partition */
		int *set = xmalloc(sizeof *set * (size_t)(in->npool + 1));

		memcpy(set, in->pool, sizeof *set * (size_t)in->npool);
		cands_set(in, K, set, in->npool);
	} else {
		/* the fixes the plan would take first: the most efficient now,
		 * their chance weighted by where they apply */
		int *from = xmalloc(sizeof *from * (size_t)(m->nfixes + 1)), n = 0, *pos, *set, ns = 0;
		double *eff;

		for (int x = 0; x < m->nfixes; x++)
			if (in->fix_ok[x] && m->fixes[x].nlink > 0)
				from[n++] = x;
		eff = xmalloc(sizeof *eff * (size_t)(n + 1));
		pos = xmalloc(sizeof *pos * (size_t)(n + 1));
		for (int i = 0; i < n; i++) {
			eff[i] = chance_in(in, p, from[i]) / plan_cost(in, from[i]);
			pos[i] = i;
		}
		/* positions, so ties go to the lower id */
		n = top_k(eff, pos, n, in->focus);
		set = xmalloc(sizeof *set * (size_t)(n + 1));
		for (int i = 0; i < n; i++)
			if (eff[pos[i]] > 0)
				set[ns++] = from[pos[i]];
		free(eff);
		free(pos);
		free(from);
		cands_set(in, K, set, ns);
	}
	K->check = xmalloc(sizeof *K->check * (size_t)(in->nchecks + 1));
	cand_checks(in, K);
}

/* ---- one plan ----
 * The greedy sequence keeps, for every candidate step, the sums its value
 * needs: a fix's win (sum of rest(c) r over its links, which is also its
 * chance), a check's win (the same weighted by P(v | c)) and its reach
 * correction (sum over the causes with evidence on its fact of
 * rest(c) (P(v | c) - d(v))). Taking a step changes rest only for the
 * fix's own causes, so only the sums that name those causes are redone
 * (an index from cause to sums, built per plan); every other step is
 * valued in constant time. */

enum { SUM_FIX, SUM_CWIN, SUM_CORR };

typedef struct node {
	int next;                /* next node of the same cause, or -1 */
	int kind, slot;          /* which sum: SUM_*, and its candidate */
} node;

/* Working state of one plan. */
typedef struct planner {
	const plan_in *in;
	const cands *K;
	double *rest;            /* per cause: mass still unresolved */
	double still;            /* sum of rest */
	int *head;               /* per cause: first node, or -1 */
	node *nodes; int nnodes, cap;
	int *heads_set, nheads;  /* causes whose head was set */
	double *win, *cost;      /* per candidate fix */
	unsigned char *taken;    /* per candidate fix */
	unsigned char *high;     /* per candidate fix: high risk */
	double *cwin, *corr;     /* per candidate check */
	double *lv;              /* per candidate check and link: P(v | link cause) */
	int *lv_at, *slot;       /* per candidate check: its lv offset, its fix's slot */
	unsigned char *asked;    /* per fact: a check on it was taken */
	int *asked_list, nasked;
	unsigned char *outside;  /* per candidate fix: out of reach (NULL: none is) */
	int handed;              /* a step out of reach was taken: handed over */
} planner;

static void add_node(planner *P, int c, int kind, int slot)
{
	if (P->nnodes == P->cap)
		P->nodes = xrealloc(P->nodes, sizeof *P->nodes * (size_t)(P->cap = P->cap ? 2 * P->cap : 256));
	if (P->head[c] < 0)
		P->heads_set[P->nheads++] = c;
	P->nodes[P->nnodes] = (node){ P->head[c], kind, slot };
	P->head[c] = P->nnodes++;
}

static double fix_win(const planner *P, int i)
{
	const tr_model *m = P->in->m;
	int x = P->K->fix[i];
	const tr_fix *fix = &m->fixes[x];
	double win = 0;

	for (int l = fix->link; l < fix->link + fix->nlink; l++)
		win += P->rest[m->links[l].cause] * m->links[l].p * link_applies(P->in, x, l);
	return win;
}

static double check_win(const planner *P, int j)
{
	const tr_model *m = P->in->m;
	int x = P->in->checks[P->K->check[j]].fix;
	const tr_fix *fix = &m->fixes[x];
	double win = 0;

	for (int l = fix->link, k = P->lv_at[j]; l < fix->link + fix->nlink; l++, k++)
		win += P->rest[m->links[l].cause] * P->lv[k] * m->links[l].p * link_applies(P->in, x, l);
	return win;
}

static double check_corr(const planner *P, int j)
{
	const tr_model *m = P->in->m;
	const plan_check *ck = &P->in->checks[P->K->check[j]];
	const tr_fact *f = &m->facts[ck->fact];
	int vi = ck->value - f->first;
	double d = m->values[ck->value].p, corr = 0;

	for (int i = 0; i < f->nev; i++) {
		const tr_evidence *ev = &m->evidence[f->ev[i]];

		corr += P->rest[ev->cause] * (ev->lk[vi] - d);
	}
	return corr;
}

/* Sets up the sums and the cause index for candidates K at belief p. */
static void plan_start(planner *P, const plan_in *in, const cands *K, const double *p)
{
	const tr_model *m = in->m;
	int nlv = 0;

	memset(P, 0, sizeof *P);
	P->in = in;
	P->K = K;
	P->rest = xmalloc(sizeof *P->rest * (size_t)(m->ncauses + 1));
	P->head = xmalloc(sizeof *P->head * (size_t)(m->ncauses + 1));
	P->heads_set = xmalloc(sizeof *P->heads_set * (size_t)(m->ncauses + 1));
	memcpy(P->rest, p, sizeof *P->rest * (size_t)m->ncauses);
	for (int c = 0; c < m->ncauses; c++) {
		P->still += p[c];
		P->head[c] = -1;
	}
	P->win = xmalloc(sizeof *P->win * (size_t)(K->nfix + 1));
	P->cost = xmalloc(sizeof *P->cost * (size_t)(K->nfix + 1));
	P->taken = xcalloc((size_t)K->nfix + 1, 1);
	P->high = xcalloc((size_t)K->nfix + 1, 1);
	for (int i = 0; i < K->nfix; i++) {
		const tr_fix *fix = &m->fixes[K->fix[i]];

		P->high[i] = fix->risk == RISK_HIGH;
		P->win[i] = fix_win(P, i);
		P->cost[i] = plan_cost(in, K->fix[i]);
		for (int l = fix->link; l < fix->link + fix->nlink; l++)
			add_node(P, m->links[l].cause, SUM_FIX, i);
	}
	P->cwin = xmalloc(sizeof *P->cwin * (size_t)(K->ncheck + 1));
	P->corr = xmalloc(sizeof *P->corr * (size_t)(K->ncheck + 1));
	P->lv_at = xmalloc(sizeof *P->lv_at * (size_t)(K->ncheck + 1));
	P->slot = xmalloc(sizeof *P->slot * (size_t)(K->ncheck + 1));
	for (int j = 0; j < K->ncheck; j++)
		nlv += m->fixes[in->checks[K->check[j]].fix].nlink;
	P->lv = xmalloc(sizeof *P->lv * (size_t)(nlv + 1));
	nlv = 0;
	for (int j = 0, i = 0; j < K->ncheck; j++) {
		const plan_check *ck = &in->checks[K->check[j]];
		const tr_fix *fix = &m->fixes[ck->fix];
		const tr_fact *f = &m->facts[ck->fact];

		while (K->fix[i] < ck->fix)  /* its fix is a candidate: found */
			i++;
		P->slot[j] = i;
		P->lv_at[j] = nlv;
		for (int l = fix->link; l < fix->link + fix->nlink; l++) {
			P->lv[nlv++] = model_like(m, m->links[l].cause, ck->value);
			add_node(P, m->links[l].cause, SUM_CWIN, j);
		}
		for (int e = 0; e < f->nev; e++)
			add_node(P, m->evidence[f->ev[e]].cause, SUM_CORR, j);
		P->cwin[j] = check_win(P, j);
		P->corr[j] = check_corr(P, j);
	}
	P->asked = xcalloc((size_t)m->nfacts + 1, 1);
	P->asked_list = xmalloc(sizeof *P->asked_list * (size_t)(K->ncheck + 1));
	if (in->reach_ok) {
		P->outside = xcalloc((size_t)K->nfix + 1, 1);
		for (int i = 0; i < K->nfix; i++)
			P->outside[i] = !in->reach_ok[K->fix[i]];
	}
}

static void plan_end(planner *P)
{
	free(P->rest); free(P->head); free(P->heads_set); free(P->nodes);
	free(P->win); free(P->cost); free(P->taken); free(P->high);
	free(P->cwin); free(P->corr); free(P->lv); free(P->lv_at); free(P->slot);
	free(P->asked); free(P->asked_list); free(P->outside);
}

/* A high-risk fix on weak evidence waits for everything else. */
static int late(const planner *P, int i)
{
	return P->high[i] && P->still > 0 && P->win[i] / P->still < PLAN_HIGH_RISK_MIN;
}

/* The value of candidate fix i (or check j when j >= 0): its efficiency,
 * and in *cost its expected cost weighted by still-broken mass; 0 when it
 * cannot help. Its chance to resolve is weighted, link by link, by the
 * chance it applies were that link's cause the fault (the sums); its cost
 * is not: finding out that it does not apply takes the same attention. */
static double value(const planner *P, int i, int j, double *cost)
{
	double win, hand = P->outside && P->outside[i] && !P->handed ? P->in->handover : 0;

	if (j >= 0) {
		const plan_check *ck = &P->in->checks[P->K->check[j]];
		double reach = P->in->m->values[ck->value].p * P->still + P->corr[j];

		win = P->cwin[j];
		*cost = P->still * (P->in->m->facts[ck->fact].cost + P->in->step + hand) + reach * P->cost[i];
	} else {
		win = P->win[i];
		*cost = P->still * (P->cost[i] + hand);
	}
	return win > 1e-12 && *cost > 0 ? win / *cost : 0;
}

/* Takes the best open step; returns 0 when none can help. *slot receives
 * the candidate index of its fix, *j the check's (or -1). */
static int next_step(planner *P, plan_step *best, double *cost, int *slot, int *jbest)
{
	const cands *K = P->K;
	double top = 0;
	int found = 0;

	for (int pass = 0; pass < 2 && !found; pass++) {  /* pass 1: the late ones */
		for (int i = 0; i < K->nfix; i++) {
			double c, v;

			if (P->taken[i] || late(P, i) != pass)
				continue;
			if ((v = value(P, i, -1, &c)) > top * (1 + 1e-9)) {
				top = v, *cost = c, found = 1, *slot = i, *jbest = -1;
				best->fix = K->fix[i], best->check = -1;
			}
		}
		for (int j = 0; pass == 0 && j < K->ncheck; j++) {
			int i = P->slot[j];
			double c, v;

			if (P->taken[i] || P->asked[P->in->checks[K->check[j]].fact] || late(P, i))
				continue;
			if ((v = value(P, i, j, &c)) > top * (1 + 1e-9)) {
				top = v, *cost = c, found = 1, *slot = i, *jbest = j;
				best->fix = K->fix[i], best->check = K->check[j];
			}
		}
	}
	return found;
}

/* Redoes the sums that name cause c. */
static void cause_moved(planner *P, int c)
{
	for (int k = P->head[c]; k >= 0; k = P->nodes[k].next) {
		const node *n = &P->nodes[k];

		if (n->kind == SUM_FIX)
			P->win[n->slot] = fix_win(P, n->slot);
		else if (n->kind == SUM_CWIN)
			P->cwin[n->slot] = check_win(P, n->slot);
		else
			P->corr[n->slot] = check_corr(P, n->slot);
	}
}

static void take(planner *P, const plan_step *st, int slot, int j)
{
	const tr_model *m = P->in->m;
	const tr_fix *fix = &m->fixes[st->fix];

	for (int l = fix->link, k = j >= 0 ? P->lv_at[j] : 0; l < fix->link + fix->nlink; l++, k++) {
		int c = m->links[l].cause;
		double lv = j >= 0 ? P->lv[k] : 1;
		double before = P->rest[c];

		P->rest[c] *= 1 - link_applies(P->in, st->fix, l) * lv * m->links[l].p;
		P->still -= before - P->rest[c];
	}
	for (int l = fix->link; l < fix->link + fix->nlink; l++)
		cause_moved(P, m->links[l].cause);
	P->taken[slot] = 1;
	if (P->outside && P->outside[slot])
		P->handed = 1;
	if (st->check >= 0) {
		int f = P->in->checks[st->check].fact;

		P->asked[f] = 1;
		P->asked_list[P->nasked++] = f;
	}
}

/* The greedy plan for belief p over candidates K. */
static double sequence(const plan_in *in, const cands *K, const double *p, plan_step *steps, int *n)
{
	planner P;
	plan_step st;
	double cost, ecr = 0;
	int k = 0, slot = 0, j = -1;

	plan_start(&P, in, K, p);
	while (next_step(&P, &st, &cost, &slot, &j)) {
		ecr += cost;
		if (steps)
			steps[k] = st;
		k++;
		take(&P, &st, slot, j);
	}
	if (K->focus) {  /* the causes beyond the focus: their own plan, estimated */
		double inside = 0, tail;

		for (int i = 0; i < K->nfocus; i++)
			inside += P.rest[K->focus[i]];
		tail = P.still - inside;
		ecr += PLAN_ESCALATE * inside + tail * in->tail *
		       (double)(in->m->ncauses - K->nfocus + 1) / 2 + tail * (1 - in->tail_fixes) * PLAN_ESCALATE;
	} else
		ecr += PLAN_ESCALATE * P.still;
	if (n)
		*n = k;
	plan_end(&P);
	return ecr;
}

double plan_sequence(const plan_in *in, const double *p, plan_step *steps, int *n)
{
	cands K;
	double ecr;

	candidates(in, p, &K);
	ecr = sequence(in, &K, p, steps, n);
	cands_free(&K);
	return ecr;
}

/* ---- focus and questions ---- */

static int focus_causes(const plan_in *in, const double *p, int **out)
{
	const tr_model *m = in->m;
	int n = 0, *v = xmalloc(sizeof *v * (size_t)(m->ncauses + 1));

	for (int c = 0; c < m->ncauses; c++)
		if (p[c] > 0)
			v[n++] = c;
	*out = v;
	return in->focus ? top_k(p, v, n, in->focus) : n;
}

/* How much asking f would move belief p: the expected total change of the
 * causes' probabilities, over f's values. Touches f's evidence rows only. */
static double movement(const tr_model *m, const double *p, int f)
{
	const tr_fact *fact = &m->facts[f];
	double mass = 0, move = 0;

	for (int i = 0; i < fact->nev; i++)
		mass += p[m->evidence[fact->ev[i]].cause];
	for (int k = 0; k < fact->nvalues; k++) {
		double d = m->values[fact->first + k].p, pv = d * (1 - mass), dm = 0;

		for (int i = 0; i < fact->nev; i++) {
			const tr_evidence *ev = &m->evidence[fact->ev[i]];

			pv += p[ev->cause] * ev->lk[k];
		}
		if (pv <= 1e-12)
			continue;
		for (int i = 0; i < fact->nev; i++) {
			const tr_evidence *ev = &m->evidence[fact->ev[i]];
			double q = p[ev->cause] * ev->lk[k] / pv;

			dm += q > p[ev->cause] ? q - p[ev->cause] : p[ev->cause] - q;
		}
		dm += (1 - mass) * (d / pv > 1 ? d / pv - 1 : 1 - d / pv);
		move += pv * dm;
	}
	return move;
}

/* The questions worth valuing at belief p, ascending: every askable one,
 * or (over in->questions of them) those that move the focus most per
 * minute. *out is heap. */
static int questions(const plan_in *in, const double *p, int **out)
{
	const tr_model *m = in->m;
	int n = 0, *v = xmalloc(sizeof *v * (size_t)(m->nfacts + 1));

	for (int f = 0; f < m->nfacts; f++)
		if (in->ask_ok[f] && m->facts[f].nvalues > 0)
			v[n++] = f;
	if (in->questions && in->focus && m->ncauses > in->focus && n > in->questions) {
		int *focus, nf = focus_causes(in, p, &focus), nc = 0;
		unsigned char *mark = xcalloc((size_t)m->nfacts + 1, 1);
		double *score = xcalloc((size_t)m->nfacts + 1, sizeof *score);

		for (int i = 0; i < nf; i++) {  /* the facts that tell focus causes apart */
			const tr_cause *c = &m->causes[focus[i]];

			for (int e = c->ev; e < c->ev + c->nev; e++) {
				int f = m->evidence[e].fact;

				if (!mark[f] && in->ask_ok[f] && m->facts[f].nvalues > 0) {
					mark[f] = 1;
					v[nc++] = f;
					score[f] = movement(m, p, f) * (1 - m->facts[f].unknown_rate) /
						   (m->facts[f].cost + in->step);
				}
			}
		}
		n = top_k(score, v, nc, in->questions);
		qsort(v, (size_t)n, sizeof *v, cmp_int);
		free(mark);
		free(score);
		free(focus);
	}
	*out = v;
	return n;
}

static double value_of(const plan_in *in, const double *p, int depth);

/* ECO of fact f at posterior p, looking depth-1 questions further; now is
 * the cost of acting at p. K holds the candidates at p. A focused plan
 * values the answers over the partition question_set gives, and acting
 * now over the same one (now_f): what asking is worth is the difference,
 * added to now. */
static double eco(const plan_in *in, const cands *K, const double *p, int f, int depth, double now,
		  double *after)
{
	const tr_model *m = in->m;
	const tr_fact *fact = &m->facts[f];
	double *post = xmalloc(sizeof *post * (size_t)(m->ncauses + 1));
	double expect = 0, now_f = now;
	plan_in sub = *in;
	unsigned char *ok = xmalloc((size_t)m->nfacts + 1);
	double *app = in->applies_after ? xmalloc(sizeof *app * ((size_t)m->nfixes + 1)) : NULL;
	double *lapp = in->applies_after ? xmalloc(sizeof *lapp * ((size_t)m->nlinks + 1)) : NULL;
	unsigned char *rok = in->reach_after ? xmalloc((size_t)m->nfixes + 1) : NULL;
	cands KF;

	memcpy(ok, in->ask_ok, (size_t)m->nfacts);  /* once answered, f is known */
	ok[f] = 0;
	sub.ask_ok = ok;
	memset(&KF, 0, sizeof KF);
	if (K->focus) {
		int n, *set = question_set(in, K, f, &n);

		cands_set(in, &KF, set, n);
		KF.check = xmalloc(sizeof *KF.check * (size_t)(in->nchecks + 1));
		cand_checks(in, &KF);
		now_f = sequence(in, &KF, p, NULL, NULL);
		sub.pool = KF.pool;
		sub.npool = KF.npool;
	}
	for (int k = 0; k < fact->nvalues; k++) {
		double pv = belief_observe(m, p, fact->first + k, post);
		double v;

		if (app && pv > 1e-12) {  /* where fixes apply were this the answer */
			in->applies_after(in->applies_ctx, fact->first + k, post, app, lapp);
			sub.applies = app;
			sub.link_applies = lapp;
		}
		if (rok && pv > 1e-12) {  /* and which are in reach */
			in->reach_after(in->applies_ctx, fact->first + k, rok);
			sub.reach_ok = rok;
		}
		v = pv > 1e-12 ? value_of(&sub, post, depth - 1) : 0;

		if (after)
			after[k] = K->focus ? v - now_f + now : v;
		expect += pv * v;
	}
	free(post);
	free(ok);
	free(app);
	free(lapp);
	free(rok);
	cands_free(&KF);
	if (K->focus)
		return fact->cost + in->step + now + (1 - fact->unknown_rate) * (expect - now_f);
	return fact->cost + in->step + fact->unknown_rate * now + (1 - fact->unknown_rate) * expect;
}

/* The expected cost from posterior p: act now, or (depth > 0) ask first. */
static double value_of(const plan_in *in, const double *p, int depth)
{
	cands K;
	double best, now;
	int *q, nq;

	candidates(in, p, &K);
	best = now = sequence(in, &K, p, NULL, NULL);
	if (depth > 0) {
		nq = questions(in, p, &q);
		for (int i = 0; i < nq; i++) {
			double v = eco(in, &K, p, q[i], depth, now, NULL);

			if (v < best)
				best = v;
		}
		free(q);
	}
	cands_free(&K);
	return best;
}

double plan_question(const plan_in *in, int f, double *after)
{
	cands K;
	double now, v;

	candidates(in, in->p, &K);
	now = sequence(in, &K, in->p, NULL, NULL);
	v = eco(in, &K, in->p, f, in->depth, now, after);
	cands_free(&K);
	return v;
}

void plan_decide(const plan_in *in, plan_out *out)
{
	cands K;
	int *q, nq;

	out->ask = -1;
	candidates(in, in->p, &K);
	out->ecr = sequence(in, &K, in->p, out->steps, &out->nsteps);
	out->eco = out->ecr;
	nq = questions(in, in->p, &q);
	for (int i = 0; i < nq; i++) {
		double v = eco(in, &K, in->p, q[i], in->depth, out->ecr, NULL);

		if (v < out->eco - 1e-9) {
			out->eco = v;
			out->ask = q[i];
		}
	}
	free(q);
	cands_free(&K);
	if (out->ask < 0 && out->nsteps > 0 && out->steps[0].check >= 0)
		out->ask = in->checks[out->steps[0].check].fact;
}
