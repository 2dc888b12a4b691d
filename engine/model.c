/*
 * model.c: load a knowledge base into a tr_model (see model.h).
 * Likelihoods are completed here: a cause's evidence names some values of a
 * fact; the values it leaves out share the remaining mass in proportion to
 * the fact's defaults.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "image.h"
#include "model.h"
#include "slot.h"
#include "store.h"

const char *const model_risk_names[] = {"low", "medium", "high"};

typedef struct loader {
	sqlite3 *db;
	tr_model *m;
	uint64_t hash;          /* FNV-1a over every column read */
	tr_err *e;
} loader;

static void hash_bytes(loader *L, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		L->hash ^= s[i];
		L->hash *= 0x100000001b3ULL;
	}
	L->hash ^= 0xff;  /* field separator */
	L->hash *= 0x100000001b3ULL;
}

static sqlite3_stmt *prep(loader *L, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(L->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_read_fail(L->db, L->e);
		return NULL;
	}
	return st;
}

static const char *col_text(loader *L, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	s = s ? s : "";
	hash_bytes(L, s, strlen(s));
	return arena_strdup(&L->m->mem, s);
}

/* A column hashed like col_text but not copied: a key to look up, valid
 * until the statement steps again. */
static const char *col_key(loader *L, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	s = s ? s : "";
	hash_bytes(L, s, strlen(s));
	return s;
}

/* Makes room for one more element of size in the heap array *v (n used,
 * *cap allocated): tables are read in one scan, not counted first. */
static void *grow(void *v, int n, int *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? 2 * *cap : 256;
	return xrealloc(v, size * (size_t)*cap);
}

/* Moves the heap array v of n elements into m's arena. */
static void *settle(tr_model *m, void *v, int n, size_t size)
{
	void *a = arena_alloc(&m->mem, size * (size_t)n + 1);

	if (n)
		memcpy(a, v, size * (size_t)n);
	free(v);
	return a;
}

static double col_real(loader *L, sqlite3_stmt *st, int i)
{
	double d = sqlite3_column_double(st, i);

	hash_bytes(L, &d, sizeof d);
	return d;
}

static int col_int(loader *L, sqlite3_stmt *st, int i)
{
	int v = sqlite3_column_int(st, i);

	hash_bytes(L, &v, sizeof v);
	return v;
}

static int count_rows(loader *L, const char *table)
{
	static const char *const sql[] = {
		"SELECT count(*) FROM fact", "SELECT count(*) FROM fact_value",
		"SELECT count(*) FROM cause", "SELECT count(*) FROM fix",
		"SELECT count(*) FROM resolves", "SELECT count(*) FROM source",
	};
	static const char *const names[] = {
		"fact", "fact_value", "cause", "fix", "resolves", "source",
	};
	sqlite3_stmt *st;
	int n = -1;

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(names[i], table) == 0 && (st = prep(L, sql[i]))) {
			if (sqlite3_step(st) == SQLITE_ROW)
				n = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
	if (n < 0 && L->e->code == TR_OK)
		store_read_fail(L->db, L->e);
	return n;
}

/* Finishes a row loop: TR_OK when the statement ran to its end. */
static int done(loader *L, sqlite3_stmt *st, int rc)
{
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_read_fail(L->db, L->e);
	return TR_OK;
}

static int load_meta(loader *L)
{
	sqlite3_stmt *st = prep(L, "SELECT key, value FROM kb_meta ORDER BY key");
	tr_model *m = L->m;
	int rc;

	if (!st)
		return TR_ERR;
	m->kb_id = m->title = m->version = m->summary = "";
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = col_text(L, st, 1);

		if (strcmp(k, "id") == 0)
			m->kb_id = v;
		else if (strcmp(k, "title") == 0)
			m->title = v;
		else if (strcmp(k, "version") == 0)
			m->version = v;
		else if (strcmp(k, "summary") == 0)
			m->summary = v;
	}
	return done(L, st, rc);
}

static int load_sources(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st;
	int rc, i = 0;

	if ((m->nsources = count_rows(L, "source")) < 0)
		return TR_ERR;
	m->sources = arena_alloc(&m->mem, sizeof *m->sources * (size_t)m->nsources);
	if (!(st = prep(L, "SELECT id, file, title, note FROM source ORDER BY id")))
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nsources) {
		tr_source *s = &m->sources[i++];

		s->id = col_text(L, st, 0);
		s->file = col_text(L, st, 1);
		s->title = col_text(L, st, 2);
		s->note = col_text(L, st, 3);
	}
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

static unsigned id_hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Indexes n records (stride bytes each, id first) by id. */
static void ids_build(arena *a, tr_ids *ix, const void *base, int n, size_t stride)
{
	unsigned size = 16;

	while (size < 2u * (unsigned)n)
		size *= 2;
	ix->mask = size - 1;
	ix->slot = arena_alloc(a, sizeof *ix->slot * size);
	for (int i = 0; i < n; i++) {
		const char *id = *(const char *const *)((const char *)base + (size_t)i * stride);
		unsigned h = id_hash(id) & ix->mask;

		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = i + 1;
	}
}

static int ids_find(const tr_ids *ix, const void *base, size_t stride, const char *id)
{
	if (!ix->slot || !id)
		return -1;
	for (unsigned h = id_hash(id) & ix->mask; ix->slot[h]; h = (h + 1) & ix->mask) {
		int i = ix->slot[h] - 1;

		if (strcmp(*(const char *const *)((const char *)base + (size_t)i * stride), id) == 0)
			return i;
	}
	return -1;
}

/* Index of record id among n records sorted by id (stride bytes each),
 * looked up from hint on: rows read in id order find theirs at once. */
static int seek(const void *base, int n, size_t stride, const char *id, int *hint)
{
	for (; *hint < n; (*hint)++) {
		const char *key = *(const char *const *)((const char *)base + (size_t)*hint * stride);
		int c = strcmp(key, id);

		if (c == 0)
			return *hint;
		if (c > 0)
			break;
	}
	return -1;
}

static int load_facts(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *vs;
	int rc, i = 0, v = 0, hint = 0;

	if ((m->nfacts = count_rows(L, "fact")) < 0 || (m->nvalues = count_rows(L, "fact_value")) < 0)
		return TR_ERR;
	m->facts = arena_alloc(&m->mem, sizeof *m->facts * (size_t)m->nfacts);
	m->values = arena_alloc(&m->mem, sizeof *m->values * (size_t)m->nvalues);
	if (!(st = prep(L, "SELECT id, text, help, asker, cost, unknown_rate FROM fact ORDER BY id")))
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nfacts) {
		tr_fact *f = &m->facts[i++];

		f->id = col_text(L, st, 0);
		f->text = col_text(L, st, 1);
		f->help = col_text(L, st, 2);
		f->asker = col_text(L, st, 3);
		f->cost = col_real(L, st, 4);
		f->unknown_rate = col_real(L, st, 5);
	}
	if (done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc) != TR_OK)
		return TR_ERR;
	/* values in (fact, seq) order: each fact's values are contiguous */
	if (!(vs = prep(L, "SELECT fact, value, text, p FROM fact_value ORDER BY fact, seq")))
		return TR_ERR;
	for (int k = 0; k < m->nfacts; k++)
		m->facts[k].first = -1;
	while ((rc = sqlite3_step(vs)) == SQLITE_ROW && v < m->nvalues) {
		int f = seek(m->facts, m->nfacts, sizeof *m->facts,
			     (const char *)sqlite3_column_text(vs, 0), &hint);
		tr_value *val = &m->values[v];

		if (f < 0) {
			sqlite3_finalize(vs);
			return tr_fail(L->e, TR_ERR, "a fact value names a missing fact");
		}
		if (m->facts[f].first < 0)
			m->facts[f].first = v;
		m->facts[f].nvalues++;
		val->fact = f;
		val->value = col_text(L, vs, 1);
		val->text = col_text(L, vs, 2);
		val->p = col_real(L, vs, 3);
		v++;
	}
	for (int k = 0; k < m->nfacts; k++)
		if (m->facts[k].first < 0)
			m->facts[k].first = v;
	ids_build(&m->mem, &m->fact_ids, m->facts, m->nfacts, sizeof *m->facts);
	return done(L, vs, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* Loads the commands of every record of one table, read in (record, seq)
 * order. */
static int load_commands(loader *L, const char *sql, int is_fact)
{
	tr_model *m = L->m;
	sqlite3_stmt *st = prep(L, sql);
	int rc, n = is_fact ? m->nfacts : m->nfixes, hint = 0;

	if (!st)
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		int i = is_fact ? seek(m->facts, n, sizeof *m->facts, id, &hint)
				: seek(m->fixes, n, sizeof *m->fixes, id, &hint);
		tr_command **cmds, *bigger;
		int *count;

		if (i < 0) {
			sqlite3_finalize(st);
			return tr_fail(L->e, TR_ERR, "a command names a missing record");
		}
		cmds = is_fact ? &m->facts[i].check : &m->fixes[i].cmds;
		count = is_fact ? &m->facts[i].ncheck : &m->fixes[i].ncmds;
		if ((*count & (*count - 1)) == 0) {  /* 0, 1, 2, 4, ...: grow */
			bigger = arena_alloc(&m->mem, sizeof *bigger * (size_t)(*count ? 2 * *count : 1));
			if (*count)
				memcpy(bigger, *cmds, sizeof *bigger * (size_t)*count);
			*cmds = bigger;
		}
		(*cmds)[*count].shell = col_text(L, st, 1);
		(*cmds)[*count].on = col_text(L, st, 2);
		(*cmds)[*count].text = col_text(L, st, 3);
		(*count)++;
	}
	return done(L, st, rc);
}

static int load_causes(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st;
	int rc, i = 0;

	if ((m->ncauses = count_rows(L, "cause")) < 0)
		return TR_ERR;
	m->causes = arena_alloc(&m->mem, sizeof *m->causes * (size_t)m->ncauses);
	if (!(st = prep(L, "SELECT id, title, summary, prior, prior_why FROM cause ORDER BY id")))
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->ncauses) {
		tr_cause *c = &m->causes[i++];

		c->id = col_text(L, st, 0);
		c->title = col_text(L, st, 1);
		c->summary = col_text(L, st, 2);
		c->prior = col_real(L, st, 3);
		c->prior_why = col_text(L, st, 4);
	}
	ids_build(&m->mem, &m->cause_ids, m->causes, i, sizeof *m->causes);
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* Completes the likelihoods of evidence row ev: the values it names keep
 * their p; the others share the rest in proportion to their defaults. */
static int complete(loader *L, tr_evidence *ev, double *lk)
{
	tr_model *m = L->m;
	const tr_fact *f = &m->facts[ev->fact];
	double named = 0, rest = 0;

	for (int k = 0; k < f->nvalues; k++)
		if (lk[k] >= 0)
			named += lk[k];
		else
			rest += m->values[f->first + k].p;
	if (named > 1 + 1e-6 || (rest > 0 && named > 1 - 1e-9) || (rest == 0 && fabs(named - 1) > 1e-6))
		return tr_fail(L->e, TR_ERR, "cause %s: evidence on %s sums to %g; the values it "
			       "names must sum to 1, or to less when some are left out",
			       m->causes[ev->cause].id, f->id, named);
	for (int k = 0; k < f->nvalues; k++)
		if (lk[k] < 0)
			lk[k] = (1 - named) * m->values[f->first + k].p / rest;
	return TR_OK;
}

/* Reads every evidence row (sorted by cause, so each cause's rows are one
 * range), its stated likelihoods, and indexes the rows by fact. */
static int load_evidence(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *ps;
	int rc, i = 0, hint = 0;

	tr_evidence *evs = NULL;
	int cap = 0;

	if (!(st = prep(L, "SELECT cause, fact, why FROM evidence ORDER BY cause, seq")))
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tr_evidence *ev;
		const char *cid = col_key(L, st, 0), *fid = col_key(L, st, 1);
		double *lk;

		evs = grow(evs, i, &cap, sizeof *evs);
		ev = &evs[i];
		memset(ev, 0, sizeof *ev);

		ev->cause = seek(m->causes, m->ncauses, sizeof *m->causes, cid, &hint);
		ev->fact = model_fact(m, fid);
		ev->why = col_text(L, st, 2);
		if (ev->cause < 0 || ev->fact < 0) {
			tr_fail(L->e, TR_ERR, "evidence %s/%s: unknown cause or fact", cid, fid);
			sqlite3_finalize(st);
			free(evs);
			return TR_ERR;
		}
		if (m->causes[ev->cause].nev++ == 0)
			m->causes[ev->cause].ev = i;
		m->facts[ev->fact].nev++;
		ev->lk = lk = arena_alloc(&m->mem, sizeof *lk * (size_t)(m->facts[ev->fact].nvalues + 1));
		for (int k = 0; k < m->facts[ev->fact].nvalues; k++)
			lk[k] = -1;
		i++;
	}
	m->evidence = settle(m, evs, m->nevidence = i, sizeof *evs);
	if (done(L, st, rc) != TR_OK)
		return TR_ERR;
	if (!(ps = prep(L, "SELECT cause, fact, value, p FROM evidence_p ORDER BY cause, fact, value")))
		return TR_ERR;
	hint = 0;
	while ((rc = sqlite3_step(ps)) == SQLITE_ROW) {
		int c = seek(m->causes, m->ncauses, sizeof *m->causes,
			     (const char *)sqlite3_column_text(ps, 0), &hint);
		int f = model_fact(m, (const char *)sqlite3_column_text(ps, 1));
		int row = c >= 0 && f >= 0 ? model_evidence(m, c, f) : -1;
		int v = model_value(m, f, (const char *)sqlite3_column_text(ps, 2));

		hash_bytes(L, sqlite3_column_text(ps, 2), (size_t)sqlite3_column_bytes(ps, 2));
		if (row < 0 || v < 0)
			continue;  /* the foreign keys make this unreachable */
		((double *)m->evidence[row].lk)[v - m->facts[f].first] = col_real(L, ps, 3);
	}
	if (done(L, ps, rc) != TR_OK)
		return TR_ERR;
	for (int f = 0; f < m->nfacts; f++) {
		m->facts[f].ev = arena_alloc(&m->mem, sizeof(int) * (size_t)(m->facts[f].nev + 1));
		m->facts[f].nev = 0;
	}
	for (int k = 0; k < m->nevidence; k++) {
		tr_fact *f = &m->facts[m->evidence[k].fact];

		if (complete(L, &m->evidence[k], (double *)m->evidence[k].lk) != TR_OK)
			return TR_ERR;
		f->ev[f->nev++] = k;
	}
	return TR_OK;
}

static int load_fixes(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *ss;
	int rc, i = 0, hint = 0;

	if ((m->nfixes = count_rows(L, "fix")) < 0)
		return TR_ERR;
	m->fixes = arena_alloc(&m->mem, sizeof *m->fixes * (size_t)m->nfixes);
	st = prep(L, "SELECT id, title, summary, risk, cost, minutes, admin, reboot, undo, outcome "
		  "FROM fix ORDER BY id");
	if (!st)
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nfixes) {
		tr_fix *x = &m->fixes[i++];
		const char *risk;

		x->id = col_text(L, st, 0);
		x->title = col_text(L, st, 1);
		x->summary = col_text(L, st, 2);
		risk = col_text(L, st, 3);
		x->risk = RISK_LOW;
		for (int k = RISK_LOW; k <= RISK_HIGH; k++)
			if (strcmp(risk, model_risk_names[k]) == 0)
				x->risk = (enum tr_risk)k;
		x->cost = col_real(L, st, 4);
		x->minutes = col_int(L, st, 5);
		x->admin = col_int(L, st, 6);
		x->reboot = col_int(L, st, 7);
		x->undo = col_text(L, st, 8);
		x->outcome = col_text(L, st, 9);
	}
	ids_build(&m->mem, &m->fix_ids, m->fixes, i, sizeof *m->fixes);
	if (done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc) != TR_OK)
		return TR_ERR;
	if (!(ss = prep(L, "SELECT fix, text FROM fix_step ORDER BY fix, seq")))
		return TR_ERR;
	while ((rc = sqlite3_step(ss)) == SQLITE_ROW) {
		int k = seek(m->fixes, m->nfixes, sizeof *m->fixes,
			     (const char *)sqlite3_column_text(ss, 0), &hint);
		tr_fix *x;

		if (k < 0) {
			sqlite3_finalize(ss);
			return tr_fail(L->e, TR_ERR, "a fix step names a missing fix");
		}
		x = &m->fixes[k];
		if ((x->nsteps & (x->nsteps - 1)) == 0) {  /* 0, 1, 2, 4, ...: grow */
			const char **bigger = arena_alloc(&m->mem, sizeof *bigger *
							  (size_t)(x->nsteps ? 2 * x->nsteps + 1 : 2));

			if (x->nsteps)
				memcpy(bigger, x->steps, sizeof *bigger * (size_t)x->nsteps);
			x->steps = bigger;
		}
		x->steps[x->nsteps++] = col_text(L, ss, 1);
	}
	for (int k = 0; k < m->nfixes; k++)
		if (!m->fixes[k].steps)
			m->fixes[k].steps = arena_alloc(&m->mem, sizeof *m->fixes[k].steps);
	return done(L, ss, rc);
}

/* Reads each fix's includes into x->incl: the fixes its steps carry out,
 * followed through their own includes (a cycle, refused by kb build, is
 * cut where it closes). */
static int load_includes(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st;
	int rc, n = 0, cap = 0, hint = 0, (*pair)[2] = NULL;
	unsigned char *seen = xcalloc((size_t)m->nfixes + 1, 1);
	int *stack = xcalloc((size_t)m->nfixes + 1, sizeof *stack);

	if (!(st = prep(L, "SELECT fix, includes FROM fix_includes ORDER BY fix, seq"))) {
		free(seen), free(stack);
		return TR_ERR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int x = seek(m->fixes, m->nfixes, sizeof *m->fixes, col_key(L, st, 0), &hint), y;

		y = model_fix(m, col_key(L, st, 1));
		if (x < 0 || y < 0) {
			sqlite3_finalize(st);
			free(pair), free(seen), free(stack);
			return tr_fail(L->e, TR_ERR, "a fix includes a missing fix");
		}
		pair = grow(pair, n, &cap, sizeof *pair);
		pair[n][0] = x, pair[n][1] = y, n++;
	}
	if (done(L, st, rc) != TR_OK) {
		free(pair), free(seen), free(stack);
		return TR_ERR;
	}
	for (int x = 0; x < m->nfixes; x++) {
		tr_fix *fx = &m->fixes[x];
		int top = 0;

		fx->incl = arena_alloc(&m->mem, sizeof *fx->incl * (size_t)m->nfixes + 1);
		fx->nincl = 0;
		memset(seen, 0, (size_t)m->nfixes);
		seen[x] = 1;
		stack[top++] = x;
		while (top > 0) {
			int at = stack[--top];

			for (int i = 0; i < n; i++)   /* rows are few: a scan is enough */
				if (pair[i][0] == at && !seen[pair[i][1]]) {
					seen[pair[i][1]] = 1;
					fx->incl[fx->nincl++] = pair[i][1];
					stack[top++] = pair[i][1];
				}
		}
	}
	free(pair), free(seen), free(stack);
	return TR_OK;
}

/* Reads the links (sorted by fix: each fix's links are one range), adds
 * to each fix the links of the fixes it includes (a fix that carries out
 * another's procedure resolves what that one does, at least as often:
 * via names the included fix), and indexes them by cause. */
static int load_links(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st;
	tr_link *direct;
	int rc, i = 0, hint = 0, ndirect, n = 0;

	if ((ndirect = count_rows(L, "resolves")) < 0 || load_includes(L) != TR_OK)
		return TR_ERR;
	direct = xcalloc((size_t)ndirect + 1, sizeof *direct);
	if (!(st = prep(L, "SELECT fix, cause, p, why FROM resolves ORDER BY fix, seq"))) {
		free(direct);
		return TR_ERR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < ndirect) {
		tr_link *k = &direct[i];

		k->fix = seek(m->fixes, m->nfixes, sizeof *m->fixes, col_key(L, st, 0), &hint);
		k->cause = model_cause(m, col_key(L, st, 1));
		k->p = col_real(L, st, 2);
		k->why = col_text(L, st, 3);
		k->via = -1;
		if (k->fix < 0 || k->cause < 0) {
			sqlite3_finalize(st);
			free(direct);
			return tr_fail(L->e, TR_ERR, "a fix-cause link names a missing record");
		}
		if (m->fixes[k->fix].nlink++ == 0)
			m->fixes[k->fix].link = i;
		i++;
	}
	if (done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc) != TR_OK) {
		free(direct);
		return TR_ERR;
	}
	/* at most: each fix's own links and all those of the fixes it includes */
	m->nlinks = ndirect;
	for (int x = 0; x < m->nfixes; x++)
		for (int j = 0; j < m->fixes[x].nincl; j++)
			m->nlinks += m->fixes[m->fixes[x].incl[j]].nlink;
	m->links = arena_alloc(&m->mem, sizeof *m->links * (size_t)m->nlinks + 1);
	for (int x = 0; x < m->nfixes; x++) {
		tr_fix *fx = &m->fixes[x];
		int first = n;

		for (int k = fx->link; k < fx->link + fx->nlink && fx->nlink; k++)
			m->links[n++] = direct[k];
		for (int j = 0; j < fx->nincl; j++) {
			const tr_fix *y = &m->fixes[fx->incl[j]];

			for (int k = y->link; k < y->link + y->nlink && y->nlink; k++) {
				int have = -1;

				for (int h = first; h < n; h++)
					if (m->links[h].cause == direct[k].cause)
						have = h;
				if (have < 0) {
					m->links[n] = direct[k];
					m->links[n].fix = x;
					m->links[n++].via = fx->incl[j];
				} else if (direct[k].p > m->links[have].p) {
					m->links[have].p = direct[k].p;   /* x does all y does */
				}
			}
		}
		fx->link = first;
		fx->nlink = n - first;
	}
	m->nlinks = n;
	free(direct);
	for (int k = 0; k < m->nlinks; k++)
		m->causes[m->links[k].cause].nlinks++;
	for (int c = 0; c < m->ncauses; c++) {
		m->causes[c].links = arena_alloc(&m->mem, sizeof(int) * (size_t)(m->causes[c].nlinks + 1));
		m->causes[c].nlinks = 0;
	}
	for (int k = 0; k < m->nlinks; k++) {
		tr_cause *c = &m->causes[m->links[k].cause];

		c->links[c->nlinks++] = k;
	}
	return TR_OK;
}

static int load_rules(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *rs;
	int rc, i = 0, hint = 0;

	tr_rule *rules = NULL;
	int cap = 0;

	if (!(st = prep(L, "SELECT id, description, enabled, source FROM rule ORDER BY id")))
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tr_rule *r;

		rules = grow(rules, i, &cap, sizeof *rules);
		r = &rules[i++];
		memset(r, 0, sizeof *r);

		r->id = col_text(L, st, 0);
		r->description = col_text(L, st, 1);
		r->enabled = col_int(L, st, 2);
		r->source = col_text(L, st, 3);
	}
	m->rules = settle(m, rules, m->nrules = i, sizeof *rules);
	ids_build(&m->mem, &m->rule_ids, m->rules, i, sizeof *m->rules);
	if (done(L, st, rc) != TR_OK)
		return TR_ERR;
	if (!(rs = prep(L, "SELECT rule, fact FROM rule_read ORDER BY rule, fact")))
		return TR_ERR;
	while ((rc = sqlite3_step(rs)) == SQLITE_ROW) {
		int k = seek(m->rules, m->nrules, sizeof *m->rules,
			     (const char *)sqlite3_column_text(rs, 0), &hint);
		int f = model_fact(m, col_key(L, rs, 1));
		tr_rule *r;

		if (k < 0 || f < 0)
			continue;  /* the foreign keys make this unreachable */
		r = &m->rules[k];
		if ((r->nreads & (r->nreads - 1)) == 0) {  /* 0, 1, 2, 4, ...: grow */
			int *bigger = arena_alloc(&m->mem, sizeof *bigger * (size_t)(r->nreads ? 2 * r->nreads : 1));

			if (r->nreads)
				memcpy(bigger, r->reads, sizeof *bigger * (size_t)r->nreads);
			r->reads = bigger;
		}
		r->reads[r->nreads++] = f;
		m->facts[f].nrules++;
	}
	if (done(L, rs, rc) != TR_OK)
		return TR_ERR;
	/* index the rules by the facts they read, in rule order */
	for (int f = 0; f < m->nfacts; f++) {
		m->facts[f].rules = arena_alloc(&m->mem, sizeof(int) * (size_t)(m->facts[f].nrules + 1));
		m->facts[f].nrules = 0;
	}
	for (int r = 0; r < m->nrules; r++)
		for (int k = 0; k < m->rules[r].nreads; k++) {
			tr_fact *f = &m->facts[m->rules[r].reads[k]];

			f->rules[f->nrules++] = r;
		}
	return TR_OK;
}

/* Attaches the citations of every record, read in (kind, record, seq) order. */
static int load_cites(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st = prep(L, "SELECT kind, record, source, note FROM cites ORDER BY kind, record, seq");
	int rc, hint[4] = {0, 0, 0, 0};

	if (!st)
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		tr_cite **cites = NULL, *bigger;
		int *n = NULL, i;

		if (strcmp(kind, "fact") == 0 &&
		    (i = seek(m->facts, m->nfacts, sizeof *m->facts, id, &hint[0])) >= 0)
			cites = &m->facts[i].cites, n = &m->facts[i].ncites;
		else if (strcmp(kind, "cause") == 0 &&
			 (i = seek(m->causes, m->ncauses, sizeof *m->causes, id, &hint[1])) >= 0)
			cites = &m->causes[i].cites, n = &m->causes[i].ncites;
		else if (strcmp(kind, "fix") == 0 &&
			 (i = seek(m->fixes, m->nfixes, sizeof *m->fixes, id, &hint[2])) >= 0)
			cites = &m->fixes[i].cites, n = &m->fixes[i].ncites;
		else if (strcmp(kind, "rule") == 0 &&
			 (i = seek(m->rules, m->nrules, sizeof *m->rules, id, &hint[3])) >= 0)
			cites = &m->rules[i].cites, n = &m->rules[i].ncites;
		if (!cites)
			continue;  /* a citation of a missing record cites nothing */
		hash_bytes(L, kind, strlen(kind));
		hash_bytes(L, id, strlen(id));
		if ((*n & (*n - 1)) == 0) {  /* 0, 1, 2, 4, ...: grow */
			bigger = arena_alloc(&m->mem, sizeof *bigger * (size_t)(*n ? 2 * *n : 1));
			if (*n)
				memcpy(bigger, *cites, sizeof *bigger * (size_t)*n);
			*cites = bigger;
		}
		(*cites)[*n].source = col_text(L, st, 2);
		(*cites)[*n].note = col_text(L, st, 3);
		(*n)++;
	}
	return done(L, st, rc);
}

/* Reads the rules' starting state when it was computed for this content. */
static int load_prime(loader *L)
{
	static const char *const kinds[] = {"derive", "hide", "scale", "fill", "warn", "exclude", "off"};
	tr_model *m = L->m;
	sqlite3_stmt *st = prep(L, "SELECT digest FROM rules_primed");
	int rc, n = 0, cap = 0, hint = 0;

	if (!st)
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		m->primed |= strcmp((const char *)sqlite3_column_text(st, 0), m->digest) == 0;
	if (done(L, st, rc) != TR_OK)
		return TR_ERR;
	if (!m->primed)
		return TR_OK;  /* not this content's: the session settles itself */
	if (!(st = prep(L, "SELECT rule, kind, target, text, factor, why FROM rule_prime ORDER BY rule, seq")))
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		const char *target = (const char *)sqlite3_column_text(st, 2);
		tr_prime *p;
		int k = 0;

		while (k < 7 && strcmp(kinds[k], kind) != 0)
			k++;
		if (n == cap) {
			tr_prime *bigger = arena_alloc(&m->mem, sizeof *bigger * (size_t)(cap = cap ? 2 * cap : 64));

			if (n)
				memcpy(bigger, m->prime, sizeof *bigger * (size_t)n);
			m->prime = bigger;
		}
		p = &m->prime[n];
		p->rule = seek(m->rules, m->nrules, sizeof *m->rules, (const char *)sqlite3_column_text(st, 0), &hint);
		p->kind = k == 6 ? -1 : k;
		p->value = -1;
		p->factor = sqlite3_column_double(st, 4);
		p->text = arena_strdup(&m->mem, (const char *)sqlite3_column_text(st, 3));
		p->why = arena_strdup(&m->mem, (const char *)sqlite3_column_text(st, 5));
		p->slot = k == 3 ? arena_strdup(&m->mem, target) : NULL;
		p->target = k == 0 || k == 1 ? model_fact(m, target) : k == 2 ? model_cause(m, target)
			  : k == 4 || k == 5 ? model_fix(m, target) : -1;
		if (k == 0 && p->target >= 0 && m->facts[p->target].nvalues > 0)
			p->value = model_value(m, p->target, p->text);
		if (p->rule < 0 || k == 7 || (k != 3 && k != 6 && p->target < 0) ||
		    (k == 0 && p->target >= 0 && m->facts[p->target].nvalues > 0 && p->value < 0)) {
			m->primed = 0;  /* does not fit this content: the session settles itself */
			continue;
		}
		n++;
	}
	m->nprime = n;
	return done(L, st, rc);
}

/* ---- where things apply, and typed free text (schema 004) ---- */

/* Reads the conditions of (kind, record, item) into *w. */
static int load_where(loader *L, sqlite3_stmt *cs, sqlite3_stmt *vs, const char *kind,
		      const char *record, int item, tr_where *w)
{
	tr_model *m = L->m;
	int n = 0, rc;

	sqlite3_bind_text(cs, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(cs, 2, record, -1, SQLITE_STATIC);
	sqlite3_bind_int(cs, 3, item);
	while ((rc = sqlite3_step(cs)) == SQLITE_ROW)
		n++;
	sqlite3_reset(cs);
	w->n = 0;
	w->v = n ? arena_alloc(&m->mem, sizeof *w->v * (size_t)n) : NULL;
	while (n && (rc = sqlite3_step(cs)) == SQLITE_ROW && w->n < n) {
		tr_cond *c = &w->v[w->n++];
		const char *fact = col_text(L, cs, 0);
		int seq = col_int(L, cs, 2);

		c->fact = model_fact(m, fact);
		c->negate = col_int(L, cs, 1);
		if (c->fact < 0 || m->facts[c->fact].nvalues == 0) {
			sqlite3_reset(cs);
			return tr_fail(L->e, TR_ERR, "%s %s: applies on '%s', which is not a fact with values",
				       kind, record, fact);
		}
		c->values = arena_alloc(&m->mem, sizeof *c->values * (size_t)m->facts[c->fact].nvalues);
		sqlite3_bind_text(vs, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(vs, 2, record, -1, SQLITE_STATIC);
		sqlite3_bind_int(vs, 3, item);
		sqlite3_bind_int(vs, 4, seq);
		while (sqlite3_step(vs) == SQLITE_ROW && c->nvalues < m->facts[c->fact].nvalues) {
			int v = model_value(m, c->fact, col_key(L, vs, 0));

			if (v < 0) {
				sqlite3_reset(vs);
				sqlite3_reset(cs);
				return tr_fail(L->e, TR_ERR, "%s %s: applies on %s: no such value", kind, record,
					       fact);
			}
			c->values[c->nvalues++] = v;
		}
		sqlite3_reset(vs);
	}
	sqlite3_reset(cs);
	return TR_OK;
}

/* Whether (kind, record) has conditions: the keys of the applies table,
 * read once and sorted, so that the many records without conditions cost
 * no query. */
typedef struct where_keys {
	char **v;
	int n;
} where_keys;

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_where(const where_keys *k, const char *kind, const char *record)
{
	char key[160], *p = key;

	snprintf(key, sizeof key, "%s/%s", kind, record);
	return k->n && bsearch(&p, k->v, (size_t)k->n, sizeof *k->v, cmp_key) != NULL;
}

static int load_fit(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *fs = prep(L, "SELECT id, kind, slot FROM fact ORDER BY id");
	sqlite3_stmt *ks = prep(L, "SELECT DISTINCT kind || '/' || record FROM applies");
	sqlite3_stmt *cs = prep(L, "SELECT fact, negate, seq FROM applies WHERE kind = ?1 AND record = ?2"
				" AND item = ?3 ORDER BY seq");
	sqlite3_stmt *vs = prep(L, "SELECT value FROM applies_value WHERE kind = ?1 AND record = ?2"
				" AND item = ?3 AND seq = ?4 ORDER BY vseq");
	int rc = (fs && ks && cs && vs) ? TR_OK : TR_ERR, hint = 0, cap = 0, step;
	where_keys keys = { NULL, 0 };

	for (int f = 0; f < m->nfacts; f++)
		m->facts[f].slot = "";
	while (rc == TR_OK && (step = sqlite3_step(fs)) == SQLITE_ROW) {
		int f = seek(m->facts, m->nfacts, sizeof *m->facts, (const char *)sqlite3_column_text(fs, 0), &hint);
		int k = slot_kind_of(col_key(L, fs, 1));

		if (f < 0)
			continue;
		m->facts[f].kind = k < 0 ? SLOT_TEXT : k;
		m->facts[f].slot = col_text(L, fs, 2);
	}
	while (rc == TR_OK && (step = sqlite3_step(ks)) == SQLITE_ROW) {
		if (keys.n == cap)
			keys.v = xrealloc(keys.v, sizeof *keys.v * (size_t)(cap = cap ? 2 * cap : 64));
		keys.v[keys.n++] = xstrdup((const char *)sqlite3_column_text(ks, 0));
	}
	if (keys.n > 1)
		qsort(keys.v, (size_t)keys.n, sizeof *keys.v, cmp_key);
	for (int f = 0; rc == TR_OK && f < m->nfacts; f++) {
		tr_fact *F = &m->facts[f];

		for (int i = 0; rc == TR_OK && i < F->ncheck && has_where(&keys, "check", F->id); i++)
			rc = load_where(L, cs, vs, "check", F->id, i, &F->check[i].applies);
	}
	for (int x = 0; rc == TR_OK && x < m->nfixes; x++) {
		tr_fix *X = &m->fixes[x];

		X->step_applies = arena_alloc(&m->mem, sizeof *X->step_applies * (size_t)(X->nsteps + 1));
		if (has_where(&keys, "fix", X->id))
			rc = load_where(L, cs, vs, "fix", X->id, -1, &X->applies);
		for (int i = 0; rc == TR_OK && i < X->nsteps && has_where(&keys, "step", X->id); i++)
			rc = load_where(L, cs, vs, "step", X->id, i, &X->step_applies[i]);
		for (int i = 0; rc == TR_OK && i < X->ncmds && has_where(&keys, "command", X->id); i++)
			rc = load_where(L, cs, vs, "command", X->id, i, &X->cmds[i].applies);
	}
	for (int i = 0; i < keys.n; i++)
		free(keys.v[i]);
	free(keys.v);
	sqlite3_finalize(ks);
	sqlite3_finalize(fs);
	sqlite3_finalize(cs);
	sqlite3_finalize(vs);
	return rc;
}

int model_load_fit(sqlite3 *db, tr_model *m, tr_err *e)
{
	loader L = { db, m, 0, e };

	return load_fit(&L);
}

int model_slot_fact(const tr_model *m, const char *slot)
{
	for (int f = 0; f < m->nfacts; f++)
		if (m->facts[f].slot && *m->facts[f].slot && strcmp(m->facts[f].slot, slot) == 0)
			return f;
	return -1;
}

int model_where(const tr_model *m, const tr_where *w, const int *obs)
{
	int known = 1;

	(void)m;
	for (int i = 0; i < w->n; i++) {
		const tr_cond *c = &w->v[i];
		int v = obs[c->fact], in = 0;

		if (v < 0) {
			known = 0;
			continue;
		}
		for (int k = 0; k < c->nvalues; k++)
			in |= c->values[k] == v;
		if (in == c->negate)
			return 0;
	}
	return known ? 1 : -1;
}

void model_where_text(const tr_model *m, const tr_where *w, char *out, size_t size)
{
	buf b = {0};

	for (int i = 0; i < w->n; i++) {
		const tr_cond *c = &w->v[i];

		buf_printf(&b, "%s%s is %s", i ? "; " : "", m->facts[c->fact].id, c->negate ? "not " : "");
		for (int k = 0; k < c->nvalues; k++)
			buf_printf(&b, "%s%s", k == 0 ? "" : k + 1 == c->nvalues ? " or " : ", ",
				   m->values[c->values[k]].value);
	}
	snprintf(out, size, "%s", buf_str(&b));
	buf_free(&b);
}

/* Reads every table of db into m (one read transaction: see model_load). */
static int load_all(loader *L);

int model_load(sqlite3 *db, tr_model **out, tr_err *e)
{
	char why[128];

	if (image_load(db, out, why, sizeof why, e) != TR_OK)
		return TR_ERR;  /* a damaged page: the file is damaged */
	return *out ? TR_OK : model_load_rows(db, out, e);
}

int model_load_rows(sqlite3 *db, tr_model **out, tr_err *e)
{
	tr_model *m = xcalloc(1, sizeof *m);
	loader L = { db, m, 0xcbf29ce484222325ULL, e };
	/* one read transaction: SQLite then locks and checks the file once,
	 * not once per statement */
	int tx = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	int rc;

	*out = NULL;
	rc = load_all(&L);
	if (tx)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != TR_OK) {
		model_free(m);
		return TR_ERR;
	}
	*out = m;
	return TR_OK;
}

static int load_all(loader *L0)
{
	loader L = *L0;
	tr_model *m = L.m;
	int rc;

	if (load_meta(&L) || load_sources(&L) || load_facts(&L) ||
	    load_commands(&L, "SELECT fact, shell, runs_on, text FROM fact_check ORDER BY fact, seq", 1) ||
	    load_causes(&L) || load_evidence(&L) || load_fixes(&L) ||
	    load_commands(&L, "SELECT fix, shell, runs_on, text FROM fix_command ORDER BY fix, seq", 0) ||
	    load_links(&L) || load_rules(&L) || load_cites(&L) || load_fit(&L))
		return TR_ERR;
	snprintf(m->digest, sizeof m->digest, "%016llx", (unsigned long long)L.hash);
	rc = load_prime(&L);
	return rc;
}

void model_free(tr_model *m)
{
	if (!m)
		return;
	arena_free(&m->mem);
	free(m);
}

/* Binary search over records sorted by id; stride is the record size. */
static int find(const void *base, int n, size_t stride, const char *id)
{
	int lo = 0, hi = n - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const char *key = *(const char *const *)((const char *)base + (size_t)mid * stride);
		int c = strcmp(id, key);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

int model_fact(const tr_model *m, const char *id)
{
	return m->fact_ids.slot ? ids_find(&m->fact_ids, m->facts, sizeof *m->facts, id)
	       : id ? find(m->facts, m->nfacts, sizeof *m->facts, id) : -1;
}

int model_cause(const tr_model *m, const char *id)
{
	return m->cause_ids.slot ? ids_find(&m->cause_ids, m->causes, sizeof *m->causes, id)
	       : id ? find(m->causes, m->ncauses, sizeof *m->causes, id) : -1;
}

int model_fix(const tr_model *m, const char *id)
{
	return m->fix_ids.slot ? ids_find(&m->fix_ids, m->fixes, sizeof *m->fixes, id)
	       : id ? find(m->fixes, m->nfixes, sizeof *m->fixes, id) : -1;
}

int model_rule(const tr_model *m, const char *id)
{
	return m->rule_ids.slot ? ids_find(&m->rule_ids, m->rules, sizeof *m->rules, id)
	       : id ? find(m->rules, m->nrules, sizeof *m->rules, id) : -1;
}

int model_value(const tr_model *m, int f, const char *value)
{
	if (f < 0 || f >= m->nfacts || !value)
		return -1;
	for (int k = 0; k < m->facts[f].nvalues; k++)
		if (strcmp(m->values[m->facts[f].first + k].value, value) == 0)
			return m->facts[f].first + k;
	return -1;
}

int model_evidence(const tr_model *m, int c, int f)
{
	const tr_cause *cause = &m->causes[c];

	for (int k = cause->ev; k < cause->ev + cause->nev; k++)
		if (m->evidence[k].fact == f)
			return k;
	return -1;
}

double model_like(const tr_model *m, int c, int v)
{
	int f = m->values[v].fact, k = model_evidence(m, c, f);

	return k < 0 ? m->values[v].p : m->evidence[k].lk[v - m->facts[f].first];
}

const char *model_why(const tr_model *m, int c, int f)
{
	int k = model_evidence(m, c, f);

	return k < 0 ? NULL : m->evidence[k].why;
}

double model_resolve(const tr_model *m, int x, int c)
{
	const tr_fix *fix = &m->fixes[x];

	for (int k = fix->link; k < fix->link + fix->nlink; k++)
		if (m->links[k].cause == c)
			return m->links[k].p;
	return 0;
}
