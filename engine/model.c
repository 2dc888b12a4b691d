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
#include "model.h"
#include "slot.h"

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
		tr_fail(L->e, TR_ERR, "cannot read the knowledge base: %s", sqlite3_errmsg(L->db));
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
		"SELECT count(*) FROM cause", "SELECT count(*) FROM evidence",
		"SELECT count(*) FROM fix", "SELECT count(*) FROM resolves",
		"SELECT count(*) FROM rule", "SELECT count(*) FROM source",
	};
	static const char *const names[] = {
		"fact", "fact_value", "cause", "evidence", "fix", "resolves", "rule", "source",
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
		tr_fail(L->e, TR_ERR, "cannot read the knowledge base: %s", sqlite3_errmsg(L->db));
	return n;
}

/* Finishes a row loop: TR_OK when the statement ran to its end. */
static int done(loader *L, sqlite3_stmt *st, int rc)
{
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tr_fail(L->e, TR_ERR, "cannot read the knowledge base: %s",
			       sqlite3_errmsg(L->db));
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

static int load_facts(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *vs;
	int rc, i = 0, v = 0;

	if ((m->nfacts = count_rows(L, "fact")) < 0 || (m->nvalues = count_rows(L, "fact_value")) < 0)
		return TR_ERR;
	m->facts = arena_alloc(&m->mem, sizeof *m->facts * (size_t)m->nfacts);
	m->values = arena_alloc(&m->mem, sizeof *m->values * (size_t)m->nvalues);
	st = prep(L, "SELECT id, text, help, asker, cost, unknown_rate FROM fact ORDER BY id");
	vs = prep(L, "SELECT value, text, p FROM fact_value WHERE fact = ?1 ORDER BY seq");
	if (!st || !vs) {
		sqlite3_finalize(st);
		sqlite3_finalize(vs);
		return TR_ERR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nfacts) {
		tr_fact *f = &m->facts[i];

		f->id = col_text(L, st, 0);
		f->text = col_text(L, st, 1);
		f->help = col_text(L, st, 2);
		f->asker = col_text(L, st, 3);
		f->cost = col_real(L, st, 4);
		f->unknown_rate = col_real(L, st, 5);
		f->first = v;
		sqlite3_bind_text(vs, 1, f->id, -1, SQLITE_STATIC);
		while (sqlite3_step(vs) == SQLITE_ROW && v < m->nvalues) {
			tr_value *val = &m->values[v++];

			val->fact = i;
			val->value = col_text(L, vs, 0);
			val->text = col_text(L, vs, 1);
			val->p = col_real(L, vs, 2);
		}
		sqlite3_reset(vs);
		f->nvalues = v - f->first;
		i++;
	}
	sqlite3_finalize(vs);
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* Loads the commands of every record of one table into set(). */
static int load_commands(loader *L, const char *sql, int is_fact)
{
	tr_model *m = L->m;
	sqlite3_stmt *st = prep(L, sql);
	int rc;

	if (!st)
		return TR_ERR;
	for (int i = 0; i < (is_fact ? m->nfacts : m->nfixes); i++) {
		const char *id = is_fact ? m->facts[i].id : m->fixes[i].id;
		tr_command *cmds = NULL;
		int n = 0, cap = 0;

		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				tr_command *bigger;

				cap = cap ? cap * 2 : 4;
				bigger = arena_alloc(&m->mem, sizeof *bigger * (size_t)cap);
				if (n)
					memcpy(bigger, cmds, sizeof *cmds * (size_t)n);
				cmds = bigger;
			}
			cmds[n].shell = col_text(L, st, 0);
			cmds[n].on = col_text(L, st, 1);
			cmds[n].text = col_text(L, st, 2);
			n++;
		}
		sqlite3_reset(st);
		if (is_fact) {
			m->facts[i].check = cmds;
			m->facts[i].ncheck = n;
		} else {
			m->fixes[i].cmds = cmds;
			m->fixes[i].ncmds = n;
		}
	}
	sqlite3_finalize(st);
	return TR_OK;
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
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* Fills m->like with the completed likelihoods of every cause. */
static int load_evidence(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *ps;
	size_t nl = (size_t)m->ncauses * (size_t)m->nvalues;
	int rc, i = 0;

	m->like = arena_alloc(&m->mem, sizeof *m->like * (nl ? nl : 1));
	m->why = arena_alloc(&m->mem, sizeof *m->why * (size_t)(m->ncauses * m->nfacts + 1));
	for (int c = 0; c < m->ncauses; c++)
		for (int v = 0; v < m->nvalues; v++)
			m->like[(size_t)c * (size_t)m->nvalues + (size_t)v] = m->values[v].p;
	if ((m->nevidence = count_rows(L, "evidence")) < 0)
		return TR_ERR;
	m->evidence = arena_alloc(&m->mem, sizeof *m->evidence * (size_t)m->nevidence);
	st = prep(L, "SELECT cause, fact, why FROM evidence ORDER BY cause, seq");
	ps = prep(L, "SELECT value, p FROM evidence_p WHERE cause = ?1 AND fact = ?2");
	if (!st || !ps) {
		sqlite3_finalize(st);
		sqlite3_finalize(ps);
		return TR_ERR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nevidence) {
		tr_evidence *ev = &m->evidence[i++];
		const char *cid = col_text(L, st, 0), *fid = col_text(L, st, 1);
		double *row, named = 0, rest = 0;
		unsigned char stated[256] = {0};
		const tr_fact *f;

		ev->cause = model_cause(m, cid);
		ev->fact = model_fact(m, fid);
		ev->why = col_text(L, st, 2);
		if (ev->cause < 0 || ev->fact < 0 || m->facts[ev->fact].nvalues > 256) {
			sqlite3_finalize(ps);
			sqlite3_finalize(st);
			return tr_fail(L->e, TR_ERR, "evidence %s/%s: unknown cause or fact", cid, fid);
		}
		f = &m->facts[ev->fact];
		m->why[ev->cause * m->nfacts + ev->fact] = ev->why;
		row = &m->like[(size_t)ev->cause * (size_t)m->nvalues];
		sqlite3_bind_text(ps, 1, cid, -1, SQLITE_STATIC);
		sqlite3_bind_text(ps, 2, fid, -1, SQLITE_STATIC);
		while (sqlite3_step(ps) == SQLITE_ROW) {
			int v = model_value(m, ev->fact, (const char *)sqlite3_column_text(ps, 0));

			hash_bytes(L, sqlite3_column_text(ps, 0), (size_t)sqlite3_column_bytes(ps, 0));
			if (v < 0)
				continue;  /* the foreign key makes this unreachable */
			row[v] = col_real(L, ps, 1);
			named += row[v];
			stated[v - f->first] = 1;
		}
		sqlite3_reset(ps);
		for (int k = 0; k < f->nvalues; k++)
			if (!stated[k])
				rest += m->values[f->first + k].p;
		if (named > 1 + 1e-6 || (rest > 0 && named > 1 - 1e-9) || (rest == 0 && fabs(named - 1) > 1e-6)) {
			sqlite3_finalize(ps);
			sqlite3_finalize(st);
			return tr_fail(L->e, TR_ERR, "cause %s: evidence on %s sums to %g; the values it "
				       "names must sum to 1, or to less when some are left out",
				       cid, fid, named);
		}
		for (int k = 0; k < f->nvalues; k++)
			if (!stated[k])
				row[f->first + k] = (1 - named) * m->values[f->first + k].p / rest;
	}
	sqlite3_finalize(ps);
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

static int load_fixes(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *ss;
	int rc, i = 0;

	if ((m->nfixes = count_rows(L, "fix")) < 0)
		return TR_ERR;
	m->fixes = arena_alloc(&m->mem, sizeof *m->fixes * (size_t)m->nfixes);
	st = prep(L, "SELECT id, title, summary, risk, cost, minutes, admin, reboot, undo, outcome "
		  "FROM fix ORDER BY id");
	ss = prep(L, "SELECT text FROM fix_step WHERE fix = ?1 ORDER BY seq");
	if (!st || !ss) {
		sqlite3_finalize(st);
		sqlite3_finalize(ss);
		return TR_ERR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nfixes) {
		tr_fix *x = &m->fixes[i++];
		const char *risk;
		int n = 0;

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
		sqlite3_bind_text(ss, 1, x->id, -1, SQLITE_STATIC);
		while (sqlite3_step(ss) == SQLITE_ROW)
			n++;
		sqlite3_reset(ss);
		x->steps = arena_alloc(&m->mem, sizeof *x->steps * (size_t)(n + 1));
		for (n = 0; sqlite3_step(ss) == SQLITE_ROW; n++)
			x->steps[n] = col_text(L, ss, 0);
		x->nsteps = n;
		sqlite3_reset(ss);
	}
	sqlite3_finalize(ss);
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

static int load_links(loader *L)
{
	tr_model *m = L->m;
	size_t nr = (size_t)m->nfixes * (size_t)m->ncauses;
	sqlite3_stmt *st;
	int rc, i = 0;

	m->resolve = arena_alloc(&m->mem, sizeof *m->resolve * (nr ? nr : 1));
	if ((m->nlinks = count_rows(L, "resolves")) < 0)
		return TR_ERR;
	m->links = arena_alloc(&m->mem, sizeof *m->links * (size_t)m->nlinks);
	if (!(st = prep(L, "SELECT fix, cause, p, why FROM resolves ORDER BY fix, seq")))
		return TR_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nlinks) {
		tr_link *k = &m->links[i++];

		k->fix = model_fix(m, col_text(L, st, 0));
		k->cause = model_cause(m, col_text(L, st, 1));
		k->p = col_real(L, st, 2);
		k->why = col_text(L, st, 3);
		if (k->fix < 0 || k->cause < 0) {
			sqlite3_finalize(st);
			return tr_fail(L->e, TR_ERR, "a fix-cause link names a missing record");
		}
		m->resolve[(size_t)k->fix * (size_t)m->ncauses + (size_t)k->cause] = k->p;
	}
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

static int load_rules(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st, *rs;
	int rc, i = 0;

	if ((m->nrules = count_rows(L, "rule")) < 0)
		return TR_ERR;
	m->rules = arena_alloc(&m->mem, sizeof *m->rules * (size_t)m->nrules);
	st = prep(L, "SELECT id, description, enabled, source FROM rule ORDER BY id");
	rs = prep(L, "SELECT fact FROM rule_read WHERE rule = ?1 ORDER BY fact");
	if (!st || !rs) {
		sqlite3_finalize(st);
		sqlite3_finalize(rs);
		return TR_ERR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < m->nrules) {
		tr_rule *r = &m->rules[i++];

		r->id = col_text(L, st, 0);
		r->description = col_text(L, st, 1);
		r->enabled = col_int(L, st, 2);
		r->source = col_text(L, st, 3);
		r->reads = arena_alloc(&m->mem, sizeof *r->reads * (size_t)(m->nfacts + 1));
		sqlite3_bind_text(rs, 1, r->id, -1, SQLITE_STATIC);
		while (sqlite3_step(rs) == SQLITE_ROW && r->nreads < m->nfacts) {
			int f = model_fact(m, col_text(L, rs, 0));

			if (f >= 0)
				r->reads[r->nreads++] = f;
		}
		sqlite3_reset(rs);
	}
	sqlite3_finalize(rs);
	return done(L, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* Attaches the citations of every record. */
static int load_cites(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *st = prep(L, "SELECT source, note FROM cites WHERE kind = ?1 AND record = ?2 ORDER BY seq");
	static const char *const kinds[] = {"fact", "cause", "fix", "rule"};

	if (!st)
		return TR_ERR;
	for (int k = 0; k < 4; k++) {
		int n = k == 0 ? m->nfacts : k == 1 ? m->ncauses : k == 2 ? m->nfixes : m->nrules;

		for (int i = 0; i < n; i++) {
			const char *id = k == 0 ? m->facts[i].id : k == 1 ? m->causes[i].id
				       : k == 2 ? m->fixes[i].id : m->rules[i].id;
			tr_cite *c = arena_alloc(&m->mem, sizeof *c * (size_t)(m->nsources + 1));
			int nc = 0;

			sqlite3_bind_text(st, 1, kinds[k], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW && nc < m->nsources) {
				c[nc].source = col_text(L, st, 0);
				c[nc].note = col_text(L, st, 1);
				nc++;
			}
			sqlite3_reset(st);
			if (k == 0) { m->facts[i].cites = c; m->facts[i].ncites = nc; }
			else if (k == 1) { m->causes[i].cites = c; m->causes[i].ncites = nc; }
			else if (k == 2) { m->fixes[i].cites = c; m->fixes[i].ncites = nc; }
			else { m->rules[i].cites = c; m->rules[i].ncites = nc; }
		}
	}
	sqlite3_finalize(st);
	return TR_OK;
}

/* ---- where things apply, and typed free text (schema 003) ---- */

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
			int v = model_value(m, c->fact, col_text(L, vs, 0));

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

static int load_fit(loader *L)
{
	tr_model *m = L->m;
	sqlite3_stmt *fs = prep(L, "SELECT kind, slot FROM fact WHERE id = ?1");
	sqlite3_stmt *cs = prep(L, "SELECT fact, negate, seq FROM applies WHERE kind = ?1 AND record = ?2"
				" AND item = ?3 ORDER BY seq");
	sqlite3_stmt *vs = prep(L, "SELECT value FROM applies_value WHERE kind = ?1 AND record = ?2"
				" AND item = ?3 AND seq = ?4 ORDER BY vseq");
	int rc = (fs && cs && vs) ? TR_OK : TR_ERR;

	for (int f = 0; rc == TR_OK && f < m->nfacts; f++) {
		tr_fact *F = &m->facts[f];

		F->slot = "";
		sqlite3_bind_text(fs, 1, F->id, -1, SQLITE_STATIC);
		if (sqlite3_step(fs) == SQLITE_ROW) {
			int k = slot_kind_of(col_text(L, fs, 0));

			F->kind = k < 0 ? SLOT_TEXT : k;
			F->slot = col_text(L, fs, 1);
		}
		sqlite3_reset(fs);
		for (int i = 0; rc == TR_OK && i < F->ncheck; i++)
			rc = load_where(L, cs, vs, "check", F->id, i, &F->check[i].applies);
	}
	for (int x = 0; rc == TR_OK && x < m->nfixes; x++) {
		tr_fix *X = &m->fixes[x];

		rc = load_where(L, cs, vs, "fix", X->id, -1, &X->applies);
		X->step_applies = arena_alloc(&m->mem, sizeof *X->step_applies * (size_t)(X->nsteps + 1));
		for (int i = 0; rc == TR_OK && i < X->nsteps; i++)
			rc = load_where(L, cs, vs, "step", X->id, i, &X->step_applies[i]);
		for (int i = 0; rc == TR_OK && i < X->ncmds; i++)
			rc = load_where(L, cs, vs, "command", X->id, i, &X->cmds[i].applies);
	}
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

int model_load(sqlite3 *db, tr_model **out, tr_err *e)
{
	tr_model *m = xcalloc(1, sizeof *m);
	loader L = { db, m, 0xcbf29ce484222325ULL, e };

	*out = NULL;
	if (load_meta(&L) || load_sources(&L) || load_facts(&L) ||
	    load_commands(&L, "SELECT shell, runs_on, text FROM fact_check WHERE fact = ?1 ORDER BY seq", 1) ||
	    load_causes(&L) || load_evidence(&L) || load_fixes(&L) ||
	    load_commands(&L, "SELECT shell, runs_on, text FROM fix_command WHERE fix = ?1 ORDER BY seq", 0) ||
	    load_links(&L) || load_rules(&L) || load_cites(&L) || load_fit(&L)) {
		model_free(m);
		return TR_ERR;
	}
	snprintf(m->digest, sizeof m->digest, "%016llx", (unsigned long long)L.hash);
	*out = m;
	return TR_OK;
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
	return id ? find(m->facts, m->nfacts, sizeof *m->facts, id) : -1;
}

int model_cause(const tr_model *m, const char *id)
{
	return id ? find(m->causes, m->ncauses, sizeof *m->causes, id) : -1;
}

int model_fix(const tr_model *m, const char *id)
{
	return id ? find(m->fixes, m->nfixes, sizeof *m->fixes, id) : -1;
}

int model_rule(const tr_model *m, const char *id)
{
	return id ? find(m->rules, m->nrules, sizeof *m->rules, id) : -1;
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
