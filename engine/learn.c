/*
 * learn.c: `triage kb learn` (see learn.h): exported sessions replayed on
 * the knowledge base, an EM estimate of priors and likelihoods, the report
 * of what it proposes, candidate new causes, and applying it to a new
 * file or text tree.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "kbtext.h"
#include "kbedit.h"
#include "kbtest.h"
#include "learn.h"
#include "prime.h"
#include "session.h"

#define LEARN_MAX_ITER 500
#define LEARN_TOL 1e-10
/* A session's counts reach the likelihood rows of its likeliest causes
 * only: those holding at least LEARN_TAIL / n of its posterior (n
 * causes), LEARN_TOP at most (e_step). */
#define LEARN_TOP 64
#define LEARN_TAIL 1e-9
/* Rows are found by a direct index up to this many cause x fact pairs
 * (4 bytes each), by a hash table beyond (-DLEARN_DIRECT_MAX=0 builds
 * one that always hashes, to compare the two). */
#ifndef LEARN_DIRECT_MAX
#define LEARN_DIRECT_MAX (1u << 22)
#endif

/* A session as the estimate sees it: what was known (fact, value offset
 * pairs), the rules' factors, the fixes that failed and the one that
 * worked (-1: none did). */
typedef struct lsess {
	int *obs; int nobs;           /* pairs: fact, value offset */
	int *failed; int nfailed;
	int worked;
	int *sc; double *scf; int nsc;  /* causes the rules scaled, and by how much */
} lsess;

/* A session resolved outside the knowledge base (a candidate new cause). */
typedef struct lout {
	long long id;
	char *note;                   /* "" when the export left it out */
	int *vals; int nvals;         /* the known values (global indexes), sorted */
	char **words; int nwords;     /* the note's words, sorted, distinct */
} lout;

struct learn_data {
	const tr_model *m;
	sqlite3 *db;
	lsess *s; int n;
	lout *o; int no;
	int files, read, resolved, unresolved, other_kb, stale, changed, dropped;
	char (*fact_sum)[17], (*fix_sum)[17];   /* the knowledge base's checksums, "" until asked */
};

learn_data *learn_data_new(const tr_model *m, sqlite3 *db)
{
	learn_data *d = xcalloc(1, sizeof *d);

	d->m = m;
	d->db = db;
	d->fact_sum = xcalloc((size_t)m->nfacts + 1, sizeof *d->fact_sum);
	d->fix_sum = xcalloc((size_t)m->nfixes + 1, sizeof *d->fix_sum);
	return d;
}

void learn_data_free(learn_data *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++) {
		free(d->s[i].obs);
		free(d->s[i].failed);
		free(d->s[i].sc);
		free(d->s[i].scf);
	}
	for (int i = 0; i < d->no; i++) {
		free(d->o[i].note);
		free(d->o[i].vals);
		for (int k = 0; k < d->o[i].nwords; k++)
			free(d->o[i].words[k]);
		free(d->o[i].words);
	}
	free(d->s);
	free(d->o);
	free(d->fact_sum);
	free(d->fix_sum);
	free(d);
}

/* ---- reading exported sessions ---- */

/* Whether the session's checksum of record id (kind) is the knowledge
 * base's: the record means what it meant when the session ran. */
static int unchanged(learn_data *d, json_t *sums, enum kb_kind kind, int idx, const char *id)
{
	char *mine = kind == KB_FACT ? d->fact_sum[idx] : d->fix_sum[idx];
	const char *theirs = json_string_value(json_object_get(json_object_get(sums, kbtext_kinds[kind]), id));
	tr_err e;

	if (!mine[0] && kbtext_checksum(d->db, kind, id, mine, &e) != 0)
		snprintf(mine, 17, "-");
	return theirs && strcmp(theirs, mine) == 0;
}

/* The note's words (letters and digits, lower case, four or more), sorted
 * and distinct, for grouping similar notes. */
static void note_words(lout *o)
{
	const char *p = o->note;

	while (*p) {
		char w[64];
		size_t n = 0;
		int dup = 0;

		while (*p && !isalnum((unsigned char)*p))
			p++;
		while (*p && isalnum((unsigned char)*p)) {
			if (n < sizeof w - 1)
				w[n++] = (char)tolower((unsigned char)*p);
			p++;
		}
		w[n] = '\0';
		if (n < 4)
			continue;
		for (int k = 0; k < o->nwords && !dup; k++)
			dup = strcmp(o->words[k], w) == 0;
		if (!dup) {
			o->words = xrealloc(o->words, sizeof *o->words * (size_t)(o->nwords + 1));
			o->words[o->nwords++] = xstrdup(w);
		}
	}
}

static int cmp_int(const void *a, const void *b)
{
	return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

static void add_outside(learn_data *d, json_t *o, json_t *events)
{
	lout *L;
	size_t i;
	json_t *ev;

	d->o = xrealloc(d->o, sizeof *d->o * (size_t)(d->no + 1));
	L = &d->o[d->no++];
	memset(L, 0, sizeof *L);
	L->id = json_integer_value(json_object_get(o, "session"));
	L->note = xstrdup(json_string_value(json_object_get(o, "note")) ? json_string_value(json_object_get(o, "note")) : "");
	note_words(L);
	json_array_foreach(events, i, ev) {
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		int f = model_fact(d->m, json_string_value(json_object_get(ev, "subject")));
		int v = f >= 0 ? model_value(d->m, f, json_string_value(json_object_get(ev, "value"))) : -1;

		if (v < 0 || strcmp(kind, "result") == 0)
			continue;
		L->vals = xrealloc(L->vals, sizeof *L->vals * (size_t)(L->nvals + 1));
		L->vals[L->nvals++] = v;
	}
	if (L->nvals)
		qsort(L->vals, (size_t)L->nvals, sizeof *L->vals, cmp_int);
}

/* Replays the events of a session on the knowledge base and keeps what the
 * estimate needs. same: it ran on this very knowledge base; worked: the
 * fix that resolved it, or -1. */
static int add_session_log(learn_data *d, json_t *events, json_t *sums, int same, int worked, tr_err *e)
{
	const tr_model *m = d->m;
	session *s;
	lsess L;
	size_t i;
	json_t *ev;

	if (session_open(m, SESSION_DEPTH, &s, e) != TR_OK)
		return TR_ERR;
	json_array_foreach(events, i, ev) {
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		const char *subject = json_string_value(json_object_get(ev, "subject"));
		const char *value = json_string_value(json_object_get(ev, "value"));
		int result = strcmp(kind, "result") == 0, idx = result ? model_fix(m, subject) : model_fact(m, subject);
		enum event_kind k = result ? EV_RESULT : strcmp(kind, "given") == 0 ? EV_GIVEN
				  : strcmp(kind, "answer") == 0 ? EV_ANSWER : EV_SET;
		tr_err ignore;

		if (idx < 0 || (!same && !unchanged(d, sums, result ? KB_FIX : KB_FACT, idx, subject)) ||
		    session_add(s, k, subject, value, &ignore) != TR_OK)
			d->dropped++;
	}
	/* Each event settled the rules as it went in: the facts, the failed
	 * fixes and the rules' factors are the session's as it ended (no
	 * decision is needed, so the planner is not run). */
	memset(&L, 0, sizeof L);
	L.worked = worked;
	L.obs = xcalloc(2 * (size_t)m->nfacts + 1, sizeof *L.obs);
	for (int f = 0; f < m->nfacts; f++) {
		int v = session_value(s, f);

		if (m->facts[f].nvalues > 0 && v >= 0) {
			L.obs[2 * L.nobs] = f;
			L.obs[2 * L.nobs++ + 1] = v - m->facts[f].first;
		}
	}
	for (int x = 0; x < m->nfixes; x++)
		if (session_fix_state(s, x) == FIX_FAILED) {
			L.failed = xrealloc(L.failed, sizeof *L.failed * (size_t)(L.nfailed + 1));
			L.failed[L.nfailed++] = x;
		}
	for (int c = 0; c < m->ncauses; c++)
		if (session_scale(s, c) != 1) {
			L.sc = xrealloc(L.sc, sizeof *L.sc * (size_t)(L.nsc + 1));
			L.scf = xrealloc(L.scf, sizeof *L.scf * (size_t)(L.nsc + 1));
			L.sc[L.nsc] = c;
			L.scf[L.nsc++] = session_scale(s, c);
		}
	session_free(s);
	d->s = xrealloc(d->s, sizeof *d->s * (size_t)(d->n + 1));
	d->s[d->n++] = L;
	return TR_OK;
}

/* One exported session (a parsed line). */
static int add_session(learn_data *d, json_t *o, tr_err *e)
{
	const tr_model *m = d->m;
	json_t *kb = json_object_get(o, "kb"), *events = json_object_get(o, "events");
	json_t *sums = json_object_get(o, "checksums");
	const char *ending = json_string_value(json_object_get(o, "ending"));
	const char *status = json_string_value(json_object_get(o, "status"));
	const char *fix = json_string_value(json_object_get(o, "fix"));
	const char *kb_id = json_string_value(json_object_get(kb, "id"));
	const char *digest = json_string_value(json_object_get(kb, "digest"));
	size_t i;
	json_t *ev;
	int same, x;

	if (!json_is_object(kb) || !kb_id || !digest || !json_is_array(events) || !ending || !status ||
	    (!json_is_object(sums) && !json_is_null(sums)))
		return tr_fail(e, TR_ERR, "not an exported session (kb, events, status, ending, checksums)");
	json_array_foreach(events, i, ev)
		if (!json_string_value(json_object_get(ev, "kind")) || !json_string_value(json_object_get(ev, "subject")) ||
		    !json_string_value(json_object_get(ev, "value")))
			return tr_fail(e, TR_ERR, "event %zu: kind, subject and value must be strings", i + 1);
	d->read++;
	if (strcmp(kb_id, m->kb_id) != 0) {
		d->other_kb++;
		return TR_OK;
	}
	same = strcmp(digest, m->digest) == 0;
	if (!same && !json_is_object(sums)) {
		d->stale++;
		return TR_OK;
	}
	if (strcmp(ending, "outside") == 0) {
		add_outside(d, o, events);
		return TR_OK;
	}
	if (strcmp(ending, "fixed") != 0 || !fix) {   /* abandoned, handed over, exhausted */
		d->unresolved++;
		return add_session_log(d, events, sums, same, -1, e);
	}
	if ((x = model_fix(m, fix)) < 0 || (!same && !unchanged(d, sums, KB_FIX, x, fix))) {
		d->changed++;
		return TR_OK;
	}
	d->resolved++;
	return add_session_log(d, events, sums, same, x, e);
}

int learn_read(learn_data *d, const char *path, tr_err *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long no = 0;
	int rc = TR_OK;

	if (!f)
		return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	while (rc == TR_OK && getline(&line, &cap, f) >= 0) {
		json_error_t je;
		json_t *o;

		no++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (!(o = json_loads(line, JSON_REJECT_DUPLICATES, &je)))
			rc = tr_fail(e, TR_ERR, "%s line %ld: not JSON: %s", path, no, je.text);
		else if (!json_is_object(o) || !json_string_value(json_object_get(o, "format")) ||
			 strcmp(json_string_value(json_object_get(o, "format")), "triage-session") != 0)
			rc = tr_fail(e, TR_ERR, "%s line %ld: not an exported session (\"format\" is not "
				     "\"triage-session\"; make it with triage sessions export)", path, no);
		else if (json_integer_value(json_object_get(o, "version")) != 1)
			rc = tr_fail(e, TR_ERR, "%s line %ld: exported session version %lld; this triage reads version 1",
				     path, no, (long long)json_integer_value(json_object_get(o, "version")));
		else if (add_session(d, o, e) != TR_OK) {
			char why[sizeof e->msg];

			snprintf(why, sizeof why, "%s", e->msg);
			rc = tr_fail(e, TR_ERR, "%s line %ld: %s", path, no, why);
		}
		json_decref(o);
	}
	if (rc == TR_OK && ferror(f))
		rc = tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	d->files++;
	return rc;
}

/* ---- the estimate ---- */

/* Keeps the distribution q (n values, summing to 1) inside the bounds:
 * values pushed to a bound stay there, the others share the rest. */
static void clamp(double *q, int n)
{
	unsigned char *fixed = xcalloc((size_t)n + 1, 1);

	for (int pass = 0; pass <= n; pass++) {
		double held = 0, free_mass = 0;
		int moved = 0;

		for (int k = 0; k < n; k++) {
			if (!fixed[k] && (q[k] < LEARN_LK_MIN || q[k] > LEARN_LK_MAX)) {
				q[k] = q[k] < LEARN_LK_MIN ? LEARN_LK_MIN : LEARN_LK_MAX;
				fixed[k] = 1;
				moved = 1;
			}
			if (fixed[k])
				held += q[k];
			else
				free_mass += q[k];
		}
		if (!moved || free_mass <= 0)
			break;
		for (int k = 0; k < n; k++)
			if (!fixed[k])
				q[k] *= (1 - held) / free_mass;
	}
	free(fixed);
}

/* Rounds q to hundredths inside the bounds, still summing to 1 (the
 * largest value takes up the difference). */
static void round_lk(double *q, int n)
{
	double sum = 0;
	int big = 0;

	for (int k = 0; k < n; k++) {
		q[k] = round(q[k] * 100) / 100;
		if (q[k] < LEARN_LK_MIN)
			q[k] = LEARN_LK_MIN;
		if (q[k] > LEARN_LK_MAX)
			q[k] = LEARN_LK_MAX;
		sum += q[k];
		if (q[k] > q[big])
			big = k;
	}
	q[big] = round((q[big] + 1 - sum) * 100) / 100;
}

/* The tables the estimate works on. Evidence is sparse (belief.c): a
 * cause silent on a fact gives its values their defaults, so the
 * estimate keeps a likelihood row only for a cause and a fact it has
 * something to say about: the rows the knowledge base states on the
 * facts some session knows, and the rows the sessions' counts reach
 * (row_get). A row's values sit at at .. at + nvalues in p0 (the
 * knowledge base's), lk (the estimate) and cnt (this iteration's
 * counts). */
typedef struct lrow {
	int c, f, at;
} lrow;

typedef struct lslot {
	int c, f, r;                      /* r -1: empty */
} lslot;

typedef struct tables {
	lrow *row; int nrow, caprow;
	lslot *slot; size_t nslot;        /* (cause, fact) -> row, open addressing */
	int *known, nknown;               /* a fact some session knows -> 0.., else -1 */
	int *direct;                      /* cause x known fact -> row (-1 none), when small */
	int **by_fact; int *nby;          /* each fact's rows, in the order made */
	double *p0, *lk, *cnt; size_t nval, capval;
	double *prior0, *prior, *nc, *a;
} tables;

static size_t row_hash(const tables *T, int c, int f)
{
	unsigned long long h = ((unsigned long long)(unsigned)c << 32 | (unsigned)f) * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 17) & (T->nslot - 1);
}

static void row_index(tables *T, int r)
{
	size_t i = row_hash(T, T->row[r].c, T->row[r].f);

	while (T->slot[i].r >= 0)
		i = (i + 1) & (T->nslot - 1);
	T->slot[i] = (lslot){ T->row[r].c, T->row[r].f, r };
}

static void slots_clear(tables *T)
{
	for (size_t i = 0; i < T->nslot; i++)
		T->slot[i].r = -1;
}

/* A new row of cause c on fact f, with the knowledge base's values. */
static int row_new(tables *T, const tr_model *m, int c, int f)
{
	const tr_fact *fact = &m->facts[f];
	int r;

	if (T->nrow == T->caprow) {
		T->caprow = T->caprow ? 2 * T->caprow : 256;
		T->row = xrealloc(T->row, sizeof *T->row * (size_t)T->caprow);
	}
	if (T->nval + (size_t)fact->nvalues > T->capval) {
		T->capval = 2 * (T->nval + (size_t)fact->nvalues) + 1024;
		T->p0 = xrealloc(T->p0, sizeof *T->p0 * T->capval);
		T->lk = xrealloc(T->lk, sizeof *T->lk * T->capval);
		T->cnt = xrealloc(T->cnt, sizeof *T->cnt * T->capval);
	}
	r = T->nrow++;
	T->row[r] = (lrow){ c, f, (int)T->nval };
	for (int k = 0; k < fact->nvalues; k++) {
		T->p0[T->nval + (size_t)k] = T->lk[T->nval + (size_t)k] = model_like(m, c, fact->first + k);
		T->cnt[T->nval + (size_t)k] = 0;
	}
	T->nval += (size_t)fact->nvalues;
	T->by_fact[f] = xrealloc(T->by_fact[f], sizeof **T->by_fact * (size_t)(T->nby[f] + 1));
	T->by_fact[f][T->nby[f]++] = r;
	return r;
}

/* The row of cause c on fact f (a fact some session knows), made when
 * create is set and there is none; -1 when none and not made. A direct
 * index when causes x facts known is small, else a hash table. */
static int row_get(tables *T, const tr_model *m, int c, int f, int create)
{
	size_t i;
	int r;

	if (T->direct) {
		int *at = &T->direct[(size_t)c * (size_t)T->nknown + (size_t)T->known[f]];

		if (*at < 0 && create)
			*at = row_new(T, m, c, f);
		return *at;
	}
	for (i = row_hash(T, c, f); T->slot[i].r >= 0; i = (i + 1) & (T->nslot - 1))
		if (T->slot[i].c == c && T->slot[i].f == f)
			return T->slot[i].r;
	if (!create)
		return -1;
	r = row_new(T, m, c, f);
	if (2 * (size_t)T->nrow > T->nslot) {   /* keep the table at most half full */
		free(T->slot);
		T->nslot *= 2;
		T->slot = xmalloc(sizeof *T->slot * T->nslot);
		slots_clear(T);
		for (int k = 0; k < T->nrow; k++)
			row_index(T, k);
	} else
		T->slot[i] = (lslot){ c, f, r };
	return r;
}

static void tables_make(const learn_data *d, double weight, tables *T)
{
	const tr_model *m = d->m;
	unsigned char *seen = xcalloc((size_t)m->nfacts + 1, 1);
	double sum = 0;

	memset(T, 0, sizeof *T);
	T->nslot = 1024;
	T->slot = xmalloc(sizeof *T->slot * T->nslot);
	slots_clear(T);
	T->by_fact = xcalloc((size_t)m->nfacts + 1, sizeof *T->by_fact);
	T->nby = xcalloc((size_t)m->nfacts + 1, sizeof *T->nby);
	T->known = xcalloc((size_t)m->nfacts + 1, sizeof *T->known);
	for (int i = 0; i < d->n; i++)
		for (int j = 0; j < d->s[i].nobs; j++)
			seen[d->s[i].obs[2 * j]] = 1;
	for (int f = 0; f < m->nfacts; f++)
		T->known[f] = seen[f] ? T->nknown++ : -1;
	if ((size_t)m->ncauses * (size_t)T->nknown <= LEARN_DIRECT_MAX) {
		T->direct = xmalloc(sizeof *T->direct * ((size_t)m->ncauses * (size_t)T->nknown + 1));
		memset(T->direct, 0xff, sizeof *T->direct * ((size_t)m->ncauses * (size_t)T->nknown + 1));
	}
	for (int f = 0; f < m->nfacts; f++)
		for (int i = 0; seen[f] && i < m->facts[f].nev; i++)
			row_get(T, m, m->evidence[m->facts[f].ev[i]].cause, f, 1);
	free(seen);
	T->prior0 = xcalloc((size_t)m->ncauses + 1, sizeof *T->prior0);
	T->prior = xcalloc((size_t)m->ncauses + 1, sizeof *T->prior);
	T->nc = xcalloc((size_t)m->ncauses + 1, sizeof *T->nc);
	T->a = xcalloc((size_t)m->ncauses + 1, sizeof *T->a);
	for (int c = 0; c < m->ncauses; c++)
		sum += m->causes[c].prior;
	for (int c = 0; c < m->ncauses; c++) {
		T->prior0[c] = T->prior[c] = m->causes[c].prior / sum;
		T->a[c] = fmax(weight * T->prior0[c], weight * LEARN_LK_FLOOR);
	}
}

static void tables_free(tables *T, const tr_model *m)
{
	for (int f = 0; f < m->nfacts; f++)
		free(T->by_fact[f]);
	free(T->by_fact);
	free(T->nby);
	free(T->row);
	free(T->slot);
	free(T->known);
	free(T->direct);
	free(T->p0);
	free(T->lk);
	free(T->cnt);
	free(T->prior0);
	free(T->prior);
	free(T->nc);
	free(T->a);
}

/* log P(what session L saw | cause c) x prior, but for the working fix's
 * link and a factor every cause shares (the defaults of the facts it
 * knows): the sparse form of the single-fault joint. */
static double joint(const tr_model *m, const lsess *L, tables *T, int c)
{
	double lw = log(T->prior[c]);

	for (int j = 0; j < L->nsc; j++)
		if (L->sc[j] == c)
			lw += L->scf[j] > 0 ? log(L->scf[j]) : -INFINITY;
	for (int j = 0; j < L->nobs; j++) {
		int f = L->obs[2 * j], v = L->obs[2 * j + 1], r = row_get(T, m, c, f, 0);

		if (r >= 0)
			lw += log(T->lk[T->row[r].at + v]) - log(m->values[m->facts[f].first + v].p);
	}
	for (int j = 0; j < L->nfailed; j++)
		lw += log1p(-fmin(model_resolve(m, L->failed[j], c), 1));
	return lw;
}

/* The same for every cause at once, into w (ncauses): the work is the
 * causes plus the rows on the facts L knows and the links of its failed
 * fixes, not causes x facts. */
static void joint_all(const tr_model *m, const lsess *L, const tables *T, double *w)
{
	for (int c = 0; c < m->ncauses; c++)
		w[c] = log(T->prior[c]);
	for (int j = 0; j < L->nsc; j++)
		w[L->sc[j]] += L->scf[j] > 0 ? log(L->scf[j]) : -INFINITY;
	for (int j = 0; j < L->nobs; j++) {
		int f = L->obs[2 * j], v = L->obs[2 * j + 1];
		double base = log(m->values[m->facts[f].first + v].p);

		for (int i = 0; i < T->nby[f]; i++) {
			const lrow *r = &T->row[T->by_fact[f][i]];

			w[r->c] += log(T->lk[r->at + v]) - base;
		}
	}
	for (int j = 0; j < L->nfailed; j++) {
		const tr_fix *x = &m->fixes[L->failed[j]];

		for (int k = x->link; k < x->link + x->nlink; k++)
			w[m->links[k].cause] += log1p(-fmin(m->links[k].p, 1));
	}
}

/* The E step for one session: its posterior over the causes (for a
 * resolved one, those its working fix resolves: every other has
 * probability 0), added to the counts: every cause's share to its prior,
 * and to its likelihood rows the share of each cause that holds at least
 * LEARN_TAIL / n of the posterior (n causes: those left out hold
 * LEARN_TAIL at most), the LEARN_TOP likeliest when more do: a cause out
 * of a session's likeliest moves a row by too little to count, and
 * counting every cause in every session would make the rows dense.
 * w, who, order: scratch, ncauses. */
static void e_step(const tr_model *m, const lsess *L, tables *T, double *w, int *who, int *order)
{
	double top = -INFINITY, sum = 0;
	int n = 0, nk = 0;

	if (L->worked >= 0) {
		const tr_fix *x = &m->fixes[L->worked];

		for (int k = 0; k < x->nlink; k++) {
			const tr_link *ln = &m->links[x->link + k];

			who[n] = ln->cause;
			w[n++] = joint(m, L, T, ln->cause) + log(ln->p);
		}
	} else {
		joint_all(m, L, T, w);
		for (int c = 0; c < m->ncauses; c++)
			who[n++] = c;
	}
	for (int k = 0; k < n; k++)
		top = fmax(top, w[k]);
	if (top == -INFINITY)
		return;     /* no cause fits: the session says nothing */
	for (int k = 0; k < n; k++)
		sum += (w[k] = exp(w[k] - top));
	for (int k = 0; k < n; k++) {
		T->nc[who[k]] += w[k] / sum;
		if (w[k] >= LEARN_TAIL / n * sum)
			order[nk++] = k;
	}
	if (nk > LEARN_TOP) {   /* the likeliest, by a partial selection */
		for (int k = 0; k < LEARN_TOP; k++) {
			int best = k, t;

			for (int i = k + 1; i < nk; i++)
				if (w[order[i]] > w[order[best]])
					best = i;
			t = order[k];
			order[k] = order[best];
			order[best] = t;
		}
		nk = LEARN_TOP;
	}
	for (int k = 0; k < nk; k++)
		for (int j = 0; j < L->nobs; j++) {
			int r = row_get(T, m, who[order[k]], L->obs[2 * j], 1);

			T->cnt[T->row[r].at + L->obs[2 * j + 1]] += w[order[k]] / sum;
		}
}

/* The M step: the posterior mean under the Dirichlet prior; returns the
 * largest change. */
static double m_step(const learn_data *d, double weight, tables *T)
{
	const tr_model *m = d->m;
	double used = 0, delta = 0;

	for (int c = 0; c < m->ncauses; c++)
		used += T->nc[c];
	for (int c = 0; c < m->ncauses; c++) {
		double p = weight + used > 0 ? (weight * T->prior0[c] + T->nc[c]) / (weight + used) : T->prior0[c];

		delta = fmax(delta, fabs(p - T->prior[c]));
		T->prior[c] = fmax(p, 1e-12);
	}
	for (int r = 0; r < T->nrow; r++) {
		int nv = m->facts[T->row[r].f].nvalues, c = T->row[r].c;
		double tot = 0, q[256], *cnt = &T->cnt[T->row[r].at], *p0 = &T->p0[T->row[r].at];

		if (nv > 256)
			continue;
		for (int k = 0; k < nv; k++)
			tot += cnt[k];
		for (int k = 0; k < nv; k++)
			q[k] = T->a[c] + tot > 0 ? (T->a[c] * p0[k] + cnt[k]) / (T->a[c] + tot) : p0[k];
		clamp(q, nv);
		for (int k = 0; k < nv; k++) {
			delta = fmax(delta, fabs(q[k] - T->lk[T->row[r].at + k]));
			T->lk[T->row[r].at + k] = q[k];
		}
	}
	return delta;
}

static void add_change(learn_result *r, const learn_change *ch)
{
	r->v = xrealloc(r->v, sizeof *r->v * (size_t)(r->n + 1));
	r->v[r->n++] = *ch;
}

/* The upper tail P(X >= g) of a chi-square variable with k degrees of
 * freedom, by the Wilson-Hilferty cube-root normal approximation (close
 * enough in the far tail the proposal test reads it at). */
static double chi2_tail(double g, int k)
{
	double v = 2.0 / (9.0 * k), z;

	if (g <= 0)
		return 1;
	z = (cbrt(g / k) - (1 - v)) / sqrt(v);
	return 0.5 * erfc(z / sqrt(2.0));
}

/* The likelihood-ratio statistic G of the counts cnt (n values, their
 * total tot) against the distribution p0: 2 sum cnt ln(cnt / (tot p0)). */
static double g_stat(const double *cnt, const double *p0, int n, double tot)
{
	double g = 0;

	for (int k = 0; k < n; k++)
		if (cnt[k] > 1e-12)
			g += cnt[k] * log(cnt[k] / (tot * fmax(p0[k], 1e-12)));
	return 2 * g;
}

/* The proposal: every prior that moves (rounded to thousandths, in the
 * knowledge base's units), and every likelihood row with a value that
 * moves by LEARN_MIN_MOVE or more (rounded to hundredths) whose sessions
 * differ from its old values beyond chance: a G test at LEARN_ALPHA
 * divided by the number of rows the sessions bear on (a knowledge base
 * has hundreds of rows; at a fixed level per row, some always differ by
 * chance). */
static int cmp_row(const void *a, const void *b)
{
	const lrow *x = a, *y = b;

	return x->c != y->c ? (x->c > y->c) - (x->c < y->c) : (x->f > y->f) - (x->f < y->f);
}

static void propose(const learn_data *d, const tables *T, learn_result *r)
{
	const tr_model *m = d->m;
	double sum = 0, top = 0, level;
	lrow *sorted;
	int rows = 0;

	/* Priors are relative weights: the learned ones keep the knowledge
	 * base's total, unless a cause would then pass 1 (its bound). */
	for (int c = 0; c < m->ncauses; c++) {
		sum += m->causes[c].prior;
		top = fmax(top, T->prior[c]);
	}
	if (top * sum > 1)
		sum = 1 / top;
	for (int c = 0; c < m->ncauses; c++) {
		learn_change ch = { c, -1, T->nc[c], m->causes[c].prior, 0, NULL, NULL, 0 };

		ch.new_p = fmax(round(T->prior[c] * sum * 1000) / 1000, 0.001);
		if (fabs(ch.new_p - ch.old_p) > 1e-9)
			add_change(r, &ch);
	}
	for (int i = 0; i < T->nrow; i++) {
		double tot = 0;

		for (int k = 0; k < m->facts[T->row[i].f].nvalues; k++)
			tot += T->cnt[T->row[i].at + k];
		rows += m->facts[T->row[i].f].nvalues >= 2 && tot >= 1;
	}
	level = LEARN_ALPHA / (rows > 0 ? rows : 1);
	sorted = xcalloc((size_t)T->nrow + 1, sizeof *sorted);
	for (int i = 0; i < T->nrow; i++)
		sorted[i] = T->row[i];
	qsort(sorted, (size_t)T->nrow, sizeof *sorted, cmp_row);
	for (int i = 0; i < T->nrow; i++) {
		int c = sorted[i].c, f = sorted[i].f, nv = m->facts[f].nvalues, moved = 0;
		size_t at = (size_t)sorted[i].at;
		learn_change ch = { c, f, 0, 0, 0, NULL, NULL, model_evidence(m, c, f) < 0 };

		if (nv < 2)
			continue;
		for (int k = 0; k < nv; k++)
			ch.support += T->cnt[at + (size_t)k];
		ch.old_lk = xcalloc((size_t)nv, sizeof *ch.old_lk);
		ch.new_lk = xcalloc((size_t)nv, sizeof *ch.new_lk);
		for (int k = 0; k < nv; k++) {
			ch.old_lk[k] = T->p0[at + (size_t)k];
			ch.new_lk[k] = T->lk[at + (size_t)k];
		}
		round_lk(ch.new_lk, nv);
		for (int k = 0; k < nv; k++)
			moved |= fabs(ch.new_lk[k] - ch.old_lk[k]) >= LEARN_MIN_MOVE - 1e-9;
		if (moved && ch.support >= 1 &&
		    chi2_tail(g_stat(&T->cnt[at], ch.old_lk, nv, ch.support), nv - 1) < level)
			add_change(r, &ch);
		else {
			free(ch.old_lk);
			free(ch.new_lk);
		}
	}
	free(sorted);
}

void learn_estimate(const learn_data *d, double weight, learn_result *r)
{
	const tr_model *m = d->m;
	tables T;
	double *w = xcalloc((size_t)m->ncauses + 1, sizeof *w);
	int *who = xcalloc((size_t)m->ncauses + 1, sizeof *who);
	int *order = xcalloc((size_t)m->ncauses + 1, sizeof *order);

	memset(r, 0, sizeof *r);
	r->weight = weight;
	tables_make(d, weight, &T);
	for (r->iterations = 1; r->iterations <= LEARN_MAX_ITER; r->iterations++) {
		memset(T.nc, 0, sizeof *T.nc * (size_t)m->ncauses);
		if (T.nval)   /* no row yet: cnt is still NULL */
			memset(T.cnt, 0, sizeof *T.cnt * T.nval);
		for (int i = 0; i < d->n; i++)
			e_step(m, &d->s[i], &T, w, who, order);
		if (m_step(d, weight, &T) < LEARN_TOL)
			break;
	}
	if (r->iterations > LEARN_MAX_ITER)
		r->iterations = LEARN_MAX_ITER;
	for (int c = 0; c < m->ncauses; c++)
		r->used += T.nc[c];
	propose(d, &T, r);
	free(w);
	free(who);
	free(order);
	tables_free(&T, m);
}

void learn_result_free(learn_result *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->v[i].old_lk);
		free(r->v[i].new_lk);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* ---- candidate new causes ---- */

/* Jaccard similarity of two sorted sets (of ints or of words). */
static double jaccard_int(const int *a, int na, const int *b, int nb)
{
	int i = 0, j = 0, both = 0;

	while (i < na && j < nb)
		if (a[i] == b[j]) {
			both++;
			i++;
			j++;
		} else if (a[i] < b[j])
			i++;
		else
			j++;
	return na + nb ? (double)both / (na + nb - both) : 1;
}

static double jaccard_words(const lout *a, const lout *b)
{
	int both = 0;

	for (int i = 0; i < a->nwords; i++)
		for (int j = 0; j < b->nwords; j++)
			both += strcmp(a->words[i], b->words[j]) == 0;
	return a->nwords + b->nwords ? (double)both / (a->nwords + b->nwords - both) : 0;
}

/* How alike two sessions resolved outside are: their answers, and their
 * notes when both have one. */
static double alike(const lout *a, const lout *b)
{
	double s = jaccard_int(a->vals, a->nvals, b->vals, b->nvals);

	return a->nwords && b->nwords ? (s + jaccard_words(a, b)) / 2 : s;
}

/* Groups the sessions resolved outside the knowledge base (each joins the
 * first group whose first session is more than half alike) and lists each
 * group with the answers most of it shares. */
static void candidates(const learn_data *d, buf *out)
{
	const tr_model *m = d->m;
	int *group = xcalloc((size_t)d->no + 1, sizeof *group), ngroups = 0, single = 0;

	for (int i = 0; i < d->no; i++) {
		group[i] = -1;
		for (int j = 0; j < i && group[i] < 0; j++)
			if (group[j] == j && alike(&d->o[i], &d->o[j]) > 0.5)
				group[i] = j;
		if (group[i] < 0) {
			group[i] = i;
			ngroups++;
		}
	}
	buf_printf(out, "\ncandidate new causes: %d session%s resolved outside the knowledge base", d->no,
		   d->no == 1 ? "" : "s");
	buf_puts(out, d->no ? ", grouped by their answers and notes:\n" : ".\n");
	for (int g = 0; g < d->no; g++) {
		int n = 0, shown = 0;

		if (group[g] != g)
			continue;
		for (int i = 0; i < d->no; i++)
			n += group[i] == g;
		if (n < 2) {
			single++;
			continue;
		}
		buf_printf(out, "  %d sessions (", n);
		for (int i = 0, k = 0; i < d->no && k < 5; i++)
			if (group[i] == g)
				buf_printf(out, "%s%lld", k++ ? ", " : "", d->o[i].id);
		buf_puts(out, n > 5 ? ", ...)" : ")");
		buf_puts(out, "; most of them answered:");
		for (int k = 0; k < d->o[g].nvals; k++) {
			int v = d->o[g].vals[k], has = 0;

			for (int i = 0; i < d->no; i++)
				if (group[i] == g)
					for (int j = 0; j < d->o[i].nvals; j++)
						has += d->o[i].vals[j] == v;
			if (2 * has > n)
				buf_printf(out, "%s %s=%s", shown++ ? "," : "", m->facts[m->values[v].fact].id,
					   m->values[v].value);
		}
		if (!shown)
			buf_puts(out, " (nothing in common)");
		if (*d->o[g].note)
			buf_printf(out, "; a note: %s", d->o[g].note);
		buf_putc(out, '\n');
	}
	if (single)
		buf_printf(out, "  and %d session%s like no other\n", single, single == 1 ? "" : "s");
	free(group);
}

/* ---- the report ---- */

void learn_report(const learn_data *d, const learn_result *r, buf *out)
{
	const tr_model *m = d->m;
	int priors = 0, rows = 0;

	buf_printf(out, "kb learn: %d session%s from %d file%s: %d resolved by a fix of the knowledge base "
		   "and %d unresolved (used), %d resolved outside it", d->read, d->read == 1 ? "" : "s",
		   d->files, d->files == 1 ? "" : "s", d->resolved, d->unresolved, d->no);
	if (d->other_kb)
		buf_printf(out, ", %d on another knowledge base (not used)", d->other_kb);
	if (d->stale)
		buf_printf(out, ", %d on another version without checksums (not used)", d->stale);
	if (d->changed)
		buf_printf(out, ", %d whose working fix changed since (not used)", d->changed);
	if (d->dropped)
		buf_printf(out, "; %d event%s not counted (a fact or fix that changed or is gone)", d->dropped,
			   d->dropped == 1 ? "" : "s");
	buf_printf(out, ".\nThe knowledge base's numbers count as %g session%s; %d EM iteration%s.\n",
		   r->weight, r->weight == 1 ? "" : "s", r->iterations, r->iterations == 1 ? "" : "s");
	for (int i = 0; i < r->n; i++) {
		const learn_change *ch = &r->v[i];

		if (ch->fact >= 0)
			continue;
		if (!priors++)
			buf_puts(out, "\npriors (old -> new, sessions supporting it):\n");
		buf_printf(out, "  %-40s %.3f -> %.3f  (%.1f)\n", m->causes[ch->cause].id, ch->old_p, ch->new_p, ch->support);
	}
	for (int i = 0; i < r->n; i++) {
		const learn_change *ch = &r->v[i];
		const tr_fact *f = ch->fact >= 0 ? &m->facts[ch->fact] : NULL;

		if (!f)
			continue;
		if (!rows++)
			buf_puts(out, "\nlikelihoods, P(answer | cause) (old -> new, sessions supporting it):\n");
		buf_printf(out, "  %s, %s:", m->causes[ch->cause].id, f->id);
		for (int k = 0; k < f->nvalues; k++)
			buf_printf(out, "%s %s %.2f -> %.2f", k ? "," : "", m->values[f->first + k].value,
				   ch->old_lk[k], ch->new_lk[k]);
		buf_printf(out, "  (%.1f)%s\n", ch->support, ch->added ? "  [new evidence row]" : "");
	}
	if (!r->n)
		buf_puts(out, "\nNo change proposed: the sessions agree with the knowledge base.\n");
	candidates(d, out);
}

/* ---- applying it ---- */

/* reason with the note of this learning in place of an earlier one. */
static char *reason(const char *old, const char *was, double support, double weight)
{
	const char *tag = " (kb learn: ";
	const char *at = strstr(old, tag);
	buf b = {0};

	buf_add(&b, old, at ? (size_t)(at - old) : strlen(old));
	buf_printf(&b, "%s%s; from %.0f session%s, the knowledge base counting as %g)", *old ? tag : tag + 1,
		   was, support, round(support) == 1 ? "" : "s", weight);
	return buf_take(&b);
}

static const char *text_of(sqlite3 *db, const char *q, const char *a, const char *b, buf *out)
{
	sqlite3_stmt *st;

	buf_reset(out);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
		if (b)
			sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			buf_puts(out, (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return buf_str(out);
}

static int run(sqlite3 *db, const char *q, const char *s1, const char *s2, const char *s3, double d4, int nd)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return TR_ERR;
	sqlite3_bind_text(st, 1, s1, -1, SQLITE_STATIC);
	if (s2)
		sqlite3_bind_text(st, 2, s2, -1, SQLITE_STATIC);
	if (s3)
		sqlite3_bind_text(st, 3, s3, -1, SQLITE_STATIC);
	if (nd)
		sqlite3_bind_double(st, nd, d4);
	rc = sqlite3_step(st) == SQLITE_DONE ? TR_OK : TR_ERR;
	sqlite3_finalize(st);
	return rc;
}

/* Writes one change into db (the copy being made). */
static int apply_one(sqlite3 *db, const tr_model *m, const learn_change *ch, double weight)
{
	const char *cause = m->causes[ch->cause].id;
	buf old = {0}, was = {0};
	char *why;
	int rc = TR_OK;

	if (ch->fact < 0) {
		buf_printf(&was, "was %g", ch->old_p);
		why = reason(text_of(db, "SELECT prior_why FROM cause WHERE id = ?1", cause, NULL, &old),
			     buf_str(&was), ch->support, weight);
		rc = run(db, "UPDATE cause SET prior_why = ?2, prior = ?4 WHERE id = ?1", cause, why, NULL, ch->new_p, 4);
	} else {
		const tr_fact *f = &m->facts[ch->fact];

		buf_puts(&was, ch->added ? "stated none, the defaults were" : "was");
		for (int k = 0; k < f->nvalues; k++)
			buf_printf(&was, "%s %s %g", k ? "," : "", m->values[f->first + k].value, ch->old_lk[k]);
		why = reason(ch->added ? "" : text_of(db, "SELECT why FROM evidence WHERE cause = ?1 AND fact = ?2",
						      cause, f->id, &old), buf_str(&was), ch->support, weight);
		if (ch->added)
			rc = run(db, "INSERT INTO evidence VALUES (?1, ?2, (SELECT coalesce(max(seq) + 1, 0) FROM evidence"
				 " WHERE cause = ?1), ?3)", cause, f->id, why, 0, 0);
		else
			rc = run(db, "UPDATE evidence SET why = ?3 WHERE cause = ?1 AND fact = ?2", cause, f->id, why, 0, 0) ||
			     run(db, "DELETE FROM evidence_p WHERE cause = ?1 AND fact = ?2", cause, f->id, NULL, 0, 0);
		for (int k = 0; rc == TR_OK && k < f->nvalues; k++)
			rc = run(db, "INSERT INTO evidence_p VALUES (?1, ?2, ?3, ?4)", cause, f->id,
				 m->values[f->first + k].value, ch->new_lk[k], 4);
	}
	free(why);
	buf_free(&old);
	buf_free(&was);
	return rc;
}

/* The knowledge base in db with r applied, in memory: *out, then the
 * changed causes' checksums and the rules' starting state. */
static int learned_copy(sqlite3 *db, const tr_model *m, const learn_result *r, sqlite3 **out, tr_err *e)
{
	sqlite3 *mem;
	sqlite3_backup *bk;
	tr_model *lm = NULL;
	int rc = TR_OK;

	if (sqlite3_open(":memory:", &mem) != SQLITE_OK || !(bk = sqlite3_backup_init(mem, "main", db, "main"))) {
		rc = tr_fail(e, TR_ERR, "kb learn: cannot copy the knowledge base: %s", sqlite3_errmsg(mem));
		sqlite3_close(mem);
		return rc;
	}
	sqlite3_backup_step(bk, -1);
	if (sqlite3_backup_finish(bk) != SQLITE_OK) {
		rc = tr_fail(e, TR_ERR, "kb learn: cannot copy the knowledge base: %s", sqlite3_errmsg(mem));
		sqlite3_close(mem);
		return rc;
	}
	sqlite3_exec(mem, "PRAGMA foreign_keys = ON; BEGIN", NULL, NULL, NULL);
	for (int i = 0; rc == TR_OK && i < r->n; i++)
		if (apply_one(mem, m, &r->v[i], r->weight) != TR_OK)
			rc = tr_fail(e, TR_ERR, "kb learn: cannot apply the change to %s: %s",
				     m->causes[r->v[i].cause].id, sqlite3_errmsg(mem));
	for (int i = 0; rc == TR_OK && i < r->n; i++) {
		const char *id = m->causes[r->v[i].cause].id;
		char sum[17];

		if (kbtext_checksum(mem, KB_CAUSE, id, sum, e) != 0 ||
		    run(mem, "INSERT OR REPLACE INTO record_checksum VALUES ('cause', ?1, ?2)", id, sum, NULL, 0, 0) != TR_OK)
			rc = tr_fail(e, TR_ERR, "kb learn: cannot store the checksum of %s", id);
	}
	if (rc == TR_OK && sqlite3_exec(mem, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = tr_fail(e, TR_ERR, "kb learn: %s", sqlite3_errmsg(mem));
	if (rc == TR_OK && (rc = model_load(mem, &lm, e)) == TR_OK)
		rc = prime_store(mem, lm, e);
	model_free(lm);
	if (rc != TR_OK) {
		sqlite3_close(mem);
		return rc;
	}
	*out = mem;
	return TR_OK;
}

static int write_kb(sqlite3 *mem, const char *out, tr_err *e)
{
	char tmp[4200];
	sqlite3 *f;
	sqlite3_backup *bk;
	int rc = TR_OK;

	snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
	remove(tmp);
	if (sqlite3_open_v2(tmp, &f, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    !(bk = sqlite3_backup_init(f, "main", mem, "main")))
		rc = tr_fail(e, TR_ERR, "%s: %s", out, sqlite3_errmsg(f));
	else {
		sqlite3_backup_step(bk, -1);
		if (sqlite3_backup_finish(bk) != SQLITE_OK)
			rc = tr_fail(e, TR_ERR, "%s: %s", out, sqlite3_errmsg(f));
	}
	if (sqlite3_close(f) != SQLITE_OK && rc == TR_OK)
		rc = tr_fail(e, TR_ERR, "%s: cannot close", out);
	if (rc == TR_OK && rename(tmp, out) != 0)
		rc = tr_fail(e, TR_ERR, "%s: %s", out, strerror(errno));
	if (rc != TR_OK)
		remove(tmp);
	return rc;
}

int learn_apply(sqlite3 *db, const tr_model *m, const learn_result *r, const char *out,
		FILE *report, tr_err *e)
{
	struct stat st;
	sqlite3 *mem = NULL;
	int dir = stat(out, &st) == 0 && S_ISDIR(st.st_mode), rc;

	if (!dir && (stat(out, &st) == 0 || errno != ENOENT))
		return tr_fail(e, TR_ERR, "kb learn: %s exists; write the learned knowledge base to a new file, "
			       "or to a directory for its text tree", out);
	if (dir) {   /* the tree must hold the knowledge base as it is, before the changes go in */
		FILE *quiet = fopen("/dev/null", "w");

		rc = kbtext_dump(db, out, 0, quiet ? quiet : report, e);
		if (quiet)
			fclose(quiet);
		if (rc != TR_OK)
			return rc;
	}
	if (learned_copy(db, m, r, &mem, e) != TR_OK)
		return TR_ERR;
	if (dir)
		rc = kbtext_dump(mem, out, 1, report, e);
	else if ((rc = write_kb(mem, out, e)) == TR_OK)
		fprintf(report, "wrote %s: %d change%s\n", out, r->n, r->n == 1 ? "" : "s");
	sqlite3_close(mem);
	return rc;
}

int learn_test(sqlite3 *db, const tr_model *m, const learn_result *r, char *const *files, int nfiles,
	       FILE *report, tr_err *e)
{
	sqlite3 *mem = NULL;
	tr_model *after = NULL;
	int rc;

	if (learned_copy(db, m, r, &mem, e) != TR_OK)
		return TR_ERR;
	if ((rc = model_load(mem, &after, e)) == TR_OK) {
		fprintf(report, "\nknowledge tests, before -> after learning:\n");
		rc = kbtest_compare(m, after, files, nfiles, report, e);
	}
	model_free(after);
	sqlite3_close(mem);
	return rc;
}

int learn_apply_live(const char *kb_path, sqlite3 *db, const tr_model *m, const learn_result *r,
		     const char *message, int dry, FILE *report, tr_err *e)
{
	sqlite3 *mem = NULL;
	kbedit *k;
	char msg[sizeof e->msg];
	int rc = TR_OK;

	if (learned_copy(db, m, r, &mem, e) != TR_OK)
		return TR_ERR;
	if (kbedit_begin(kb_path, &k, e) != TR_OK) {
		sqlite3_close(mem);
		return TR_ERR;
	}
	for (int i = 0; rc == TR_OK && i < r->n; i++) {
		const char *id = m->causes[r->v[i].cause].id;
		json_t *rec = kbtext_record(mem, KB_CAUSE, id, 0, e);

		rc = rec ? kbedit_put(k, KB_CAUSE, id, rec, e) : TR_ERR;
		json_decref(rec);
	}
	if (rc == TR_OK)
		rc = kbedit_commit(k, "edit", message, 0, dry ? KBEDIT_DRY_RUN : KBEDIT_APPLY, report, e);
	kbedit_end(k);
	sqlite3_close(mem);
	if (rc != TR_OK) {
		snprintf(msg, sizeof msg, "%s", e->msg);
		return tr_fail(e, TR_ERR, "kb learn: %s; nothing changed", msg);
	}
	return TR_OK;
}

/* ---- the command ---- */

/* --test: what the learning does to the knowledge tests, before anything
 * is written. */
static int test_learned(cli *c, const learn_result *r, char *const *tests, int ntests)
{
	char msg[sizeof c->err.msg];

	fflush(stdout);
	if (learn_test(c->db, c->m, r, tests, ntests, stdout, &c->err) == TR_OK)
		return TR_OK;
	snprintf(msg, sizeof msg, "%s", c->err.msg);
	return tr_fail(&c->err, TR_ERR, "kb learn --test: %s; nothing written", msg);
}

int learn_cmd(cli *c)
{
	const char *out = NULL, *message = NULL;
	char *tests[16];
	char auto_msg[96];
	int ntests = 0;
	double weight = LEARN_WEIGHT;
	int dry = 0, nfiles = 0, rc = TR_OK, apply = 0;
	learn_data *d;
	learn_result r;
	buf rep = {0};

	for (int i = 0; i < c->argc; i++) {
		const char *v;
		char *end;

		if (strcmp(c->argv[i], "--dry-run") == 0)
			dry = 1;
		else if (cli_flag(c, &i, "--weight", &v)) {
			if (!v)
				return TR_EUSAGE;
			weight = strtod(v, &end);
			if (*end || end == v || !(weight >= 0 && weight <= 1e9))
				return tr_fail(&c->err, TR_EUSAGE, "kb learn: --weight takes a number of sessions "
					       "(0 or more), not '%s'", v);
		} else if (cli_flag(c, &i, "-o", &v)) {
			if (!(out = v))
				return TR_EUSAGE;
		} else if (cli_flag(c, &i, "-m", &v)) {
			if (!(message = v))
				return TR_EUSAGE;
		} else if (cli_flag(c, &i, "--test", &v)) {
			if (!v)
				return TR_EUSAGE;
			if (ntests == (int)(sizeof tests / sizeof *tests))
				return tr_fail(&c->err, TR_EUSAGE, "kb learn: at most %d --test files", ntests);
			tests[ntests++] = (char *)v;
		} else if (strcmp(c->argv[i], "--apply") == 0)
			apply = 1;
		else if (c->argv[i][0] == '-' && c->argv[i][1])
			return tr_fail(&c->err, TR_EUSAGE, "kb learn: unexpected option '%s'", c->argv[i]);
		else
			nfiles++;
	}
	if (!nfiles)
		return tr_fail(&c->err, TR_EUSAGE, "kb learn: name the exported sessions (triage sessions export -o FILE)");
	if (!dry && !out && !apply)
		return tr_fail(&c->err, TR_EUSAGE, "kb learn: say where the learned knowledge base goes (-o FILE "
			       "or -o DIR, or --apply to change this one), or --dry-run");
	if (out && apply)
		return tr_fail(&c->err, TR_EUSAGE, "kb learn: -o writes a new knowledge base, --apply changes this "
			       "one: choose one");
	if (message && !apply)
		return tr_fail(&c->err, TR_EUSAGE, "kb learn: -m is for --apply (the history's message)");
	d = learn_data_new(c->m, c->db);
	for (int i = 0; rc == TR_OK && i < c->argc; i++) {
		if (strcmp(c->argv[i], "--weight") == 0 || strcmp(c->argv[i], "-o") == 0 ||
		    strcmp(c->argv[i], "-m") == 0 || strcmp(c->argv[i], "--test") == 0)
			i++;
		else if (c->argv[i][0] != '-' || !c->argv[i][1])
			rc = learn_read(d, c->argv[i], &c->err);
	}
	if (rc != TR_OK) {
		learn_data_free(d);
		return rc;
	}
	learn_estimate(d, weight, &r);
	learn_report(d, &r, &rep);
	fputs(buf_str(&rep), stdout);
	if (ntests && !r.n)
		printf("\nknowledge tests: nothing to compare, no change is proposed.\n");
	if (ntests && r.n && test_learned(c, &r, tests, ntests) != TR_OK)
		rc = TR_ERR;
	else if (dry && !apply)
		printf("\n--dry-run: %d change%s proposed, nothing written.\n", r.n, r.n == 1 ? "" : "s");
	else if (apply && r.n == 0)
		printf("\nno change proposed: nothing to apply.\n");
	else if (apply) {
		if (!message) {
			snprintf(auto_msg, sizeof auto_msg, "kb learn: %d change%s from %.0f sessions (weight %g)",
				 r.n, r.n == 1 ? "" : "s", r.used, r.weight);
			message = auto_msg;
		}
		printf("\n");
		fflush(stdout);
		rc = learn_apply_live(c->kb_path, c->db, c->m, &r, message, dry, stdout, &c->err);
	} else {
		fflush(stdout);
		rc = learn_apply(c->db, c->m, &r, out, stdout, &c->err);
	}
	buf_free(&rep);
	learn_result_free(&r);
	learn_data_free(d);
	return rc;
}
