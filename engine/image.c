/*
 * image.c: the model image (see image.h). Written by walking a loaded
 * model: each array is appended to one buffer and every pointer in it
 * replaced by its target's offset + 1 (0 stays NULL). Read by the same
 * walk in reverse: each offset is checked against the buffer, each string
 * for its terminator, then every index against the array it indexes, so a
 * damaged image is refused, never followed.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "buf.h"
#include "image.h"
#include "rules.h"
#include "slot.h"
#include "store.h"

/* A hash of the sources that decide what a loaded model holds (Makefile),
 * so that an image written by other code is not used. */
#ifndef IMAGE_SOURCE
#define IMAGE_SOURCE "unknown"
#endif

/* ---- writing ---- */

typedef struct writer {
	unsigned char *b;  /* the image so far */
	size_t n, cap;     /* bytes used, allocated */
} writer;

/* Appends n bytes of p at the next multiple of align; returns their offset
 * + 1, or 0 when p is NULL. An empty array still gets 8 bytes of its own,
 * so that a non-NULL pointer stays non-NULL. */
static uintptr_t put(writer *w, const void *p, size_t n, size_t align)
{
	size_t at = (w->n + align - 1) / align * align, need = at + (n ? n : 8);

	if (!p)
		return 0;
	if (need > w->cap) {
		w->cap = need > 2 * w->cap ? need + 65536 : 2 * w->cap;
		w->b = xrealloc(w->b, w->cap);
	}
	memset(w->b + w->n, 0, need - w->n);
	if (n)
		memcpy(w->b + at, p, n);
	w->n = need;
	return (uintptr_t)at + 1;
}

/* Element i of the array of type at offset+1 off in w (valid until the next put). */
#define AT(w, off, type, i) ((type *)(void *)((w)->b + (off) - 1) + (i))
/* Stores the offset+1 v in a pointer field. */
#define SETP(field, v) ((field) = (void *)(uintptr_t)(v))

static uintptr_t w_str(writer *w, const char *s)
{
	return s ? put(w, s, strlen(s) + 1, 1) : 0;
}

static uintptr_t w_ints(writer *w, const int *v, int n)
{
	return put(w, v, sizeof *v * (size_t)n, 8);
}

static uintptr_t w_cites(writer *w, const tr_cite *c, int n)
{
	uintptr_t a = put(w, c, sizeof *c * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t source = w_str(w, c[i].source), note = w_str(w, c[i].note);

		SETP(AT(w, a, tr_cite, i)->source, source);
		SETP(AT(w, a, tr_cite, i)->note, note);
	}
	return a;
}

/* The conditions of x (the tr_where itself is part of its record). */
static uintptr_t w_conds(writer *w, const tr_where *x)
{
	uintptr_t a = put(w, x->v, sizeof *x->v * (size_t)x->n, 8);

	for (int i = 0; i < x->n; i++) {
		uintptr_t v = w_ints(w, x->v[i].values, x->v[i].nvalues);

		SETP(AT(w, a, tr_cond, i)->values, v);
	}
	return a;
}

static uintptr_t w_commands(writer *w, const tr_command *c, int n)
{
	uintptr_t a = put(w, c, sizeof *c * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t shell = w_str(w, c[i].shell), on = w_str(w, c[i].on), text = w_str(w, c[i].text);
		uintptr_t ap = w_conds(w, &c[i].applies);
		tr_command *d = AT(w, a, tr_command, i);

		SETP(d->shell, shell);
		SETP(d->on, on);
		SETP(d->text, text);
		SETP(d->applies.v, ap);
	}
	return a;
}

static uintptr_t w_facts(writer *w, const tr_fact *f, int n)
{
	uintptr_t a = put(w, f, sizeof *f * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t id = w_str(w, f[i].id), text = w_str(w, f[i].text), help = w_str(w, f[i].help);
		uintptr_t asker = w_str(w, f[i].asker), slot = w_str(w, f[i].slot);
		uintptr_t check = w_commands(w, f[i].check, f[i].ncheck), cites = w_cites(w, f[i].cites, f[i].ncites);
		uintptr_t ev = w_ints(w, f[i].ev, f[i].nev), rl = w_ints(w, f[i].rules, f[i].nrules);
		tr_fact *d = AT(w, a, tr_fact, i);

		SETP(d->id, id);
		SETP(d->text, text);
		SETP(d->help, help);
		SETP(d->asker, asker);
		SETP(d->slot, slot);
		SETP(d->check, check);
		SETP(d->cites, cites);
		SETP(d->ev, ev);
		SETP(d->rules, rl);
	}
	return a;
}

static uintptr_t w_values(writer *w, const tr_value *v, int n)
{
	uintptr_t a = put(w, v, sizeof *v * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t value = w_str(w, v[i].value), text = w_str(w, v[i].text);

		SETP(AT(w, a, tr_value, i)->value, value);
		SETP(AT(w, a, tr_value, i)->text, text);
	}
	return a;
}

static uintptr_t w_causes(writer *w, const tr_cause *c, int n)
{
	uintptr_t a = put(w, c, sizeof *c * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t id = w_str(w, c[i].id), title = w_str(w, c[i].title), summary = w_str(w, c[i].summary);
		uintptr_t why = w_str(w, c[i].prior_why), cites = w_cites(w, c[i].cites, c[i].ncites);
		uintptr_t links = w_ints(w, c[i].links, c[i].nlinks);
		tr_cause *d = AT(w, a, tr_cause, i);

		SETP(d->id, id);
		SETP(d->title, title);
		SETP(d->summary, summary);
		SETP(d->prior_why, why);
		SETP(d->cites, cites);
		SETP(d->links, links);
	}
	return a;
}

static uintptr_t w_evidence(writer *w, const tr_model *m)
{
	uintptr_t a = put(w, m->evidence, sizeof *m->evidence * (size_t)m->nevidence, 8);

	for (int i = 0; i < m->nevidence; i++) {
		const tr_evidence *ev = &m->evidence[i];
		uintptr_t why = w_str(w, ev->why);
		uintptr_t lk = put(w, ev->lk, sizeof *ev->lk * (size_t)m->facts[ev->fact].nvalues, 8);

		SETP(AT(w, a, tr_evidence, i)->why, why);
		SETP(AT(w, a, tr_evidence, i)->lk, lk);
	}
	return a;
}

static uintptr_t w_fixes(writer *w, const tr_fix *x, int n)
{
	uintptr_t a = put(w, x, sizeof *x * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t id = w_str(w, x[i].id), title = w_str(w, x[i].title), summary = w_str(w, x[i].summary);
		uintptr_t undo = w_str(w, x[i].undo), outcome = w_str(w, x[i].outcome);
		uintptr_t steps = put(w, x[i].steps, sizeof *x[i].steps * (size_t)x[i].nsteps, 8);
		uintptr_t stap = put(w, x[i].step_applies, sizeof *x[i].step_applies * (size_t)x[i].nsteps, 8);
		uintptr_t cmds = w_commands(w, x[i].cmds, x[i].ncmds), cites = w_cites(w, x[i].cites, x[i].ncites);
		uintptr_t ap = w_conds(w, &x[i].applies), incl = w_ints(w, x[i].incl, x[i].nincl);
		tr_fix *d;

		for (int k = 0; steps && k < x[i].nsteps; k++) {
			uintptr_t s = w_str(w, x[i].steps[k]);

			SETP(*AT(w, steps, const char *, k), s);
		}
		for (int k = 0; stap && k < x[i].nsteps; k++) {
			uintptr_t v = w_conds(w, &x[i].step_applies[k]);

			SETP(AT(w, stap, tr_where, k)->v, v);
		}
		d = AT(w, a, tr_fix, i);
		SETP(d->id, id);
		SETP(d->title, title);
		SETP(d->summary, summary);
		SETP(d->undo, undo);
		SETP(d->outcome, outcome);
		SETP(d->steps, steps);
		SETP(d->step_applies, stap);
		SETP(d->cmds, cmds);
		SETP(d->cites, cites);
		SETP(d->applies.v, ap);
		SETP(d->incl, incl);
	}
	return a;
}

static uintptr_t w_links(writer *w, const tr_link *k, int n)
{
	uintptr_t a = put(w, k, sizeof *k * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t why = w_str(w, k[i].why);

		SETP(AT(w, a, tr_link, i)->why, why);
	}
	return a;
}

static uintptr_t w_rules(writer *w, const tr_rule *r, int n)
{
	uintptr_t a = put(w, r, sizeof *r * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t id = w_str(w, r[i].id), desc = w_str(w, r[i].description), src = w_str(w, r[i].source);
		uintptr_t reads = w_ints(w, r[i].reads, r[i].nreads), cites = w_cites(w, r[i].cites, r[i].ncites);
		tr_rule *d = AT(w, a, tr_rule, i);

		SETP(d->id, id);
		SETP(d->description, desc);
		SETP(d->source, src);
		SETP(d->reads, reads);
		SETP(d->cites, cites);
	}
	return a;
}

static uintptr_t w_prime(writer *w, const tr_prime *p, int n)
{
	uintptr_t a = put(w, p, sizeof *p * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t slot = w_str(w, p[i].slot), text = w_str(w, p[i].text), why = w_str(w, p[i].why);

		SETP(AT(w, a, tr_prime, i)->slot, slot);
		SETP(AT(w, a, tr_prime, i)->text, text);
		SETP(AT(w, a, tr_prime, i)->why, why);
	}
	return a;
}

static uintptr_t w_sources(writer *w, const tr_source *s, int n)
{
	uintptr_t a = put(w, s, sizeof *s * (size_t)n, 8);

	for (int i = 0; i < n; i++) {
		uintptr_t id = w_str(w, s[i].id), file = w_str(w, s[i].file);
		uintptr_t title = w_str(w, s[i].title), note = w_str(w, s[i].note);
		tr_source *d = AT(w, a, tr_source, i);

		SETP(d->id, id);
		SETP(d->file, file);
		SETP(d->title, title);
		SETP(d->note, note);
	}
	return a;
}

static uintptr_t w_ids(writer *w, const tr_ids *ix)
{
	return ix->slot ? put(w, ix->slot, sizeof *ix->slot * ((size_t)ix->mask + 1), 8) : 0;
}

/* Writes m into w: the tr_model first (offset 0), then what it points to. */
static void w_model(writer *w, const tr_model *m)
{
	uintptr_t root = put(w, m, sizeof *m, 16);
	uintptr_t s[4] = { w_str(w, m->kb_id), w_str(w, m->title), w_str(w, m->version), w_str(w, m->summary) };
	uintptr_t a[9] = {
		w_facts(w, m->facts, m->nfacts), w_values(w, m->values, m->nvalues),
		w_causes(w, m->causes, m->ncauses), w_evidence(w, m), w_fixes(w, m->fixes, m->nfixes),
		w_links(w, m->links, m->nlinks), w_rules(w, m->rules, m->nrules),
		w_sources(w, m->sources, m->nsources), w_prime(w, m->prime, m->nprime),
	};
	uintptr_t ix[4] = { w_ids(w, &m->fact_ids), w_ids(w, &m->cause_ids), w_ids(w, &m->fix_ids),
			    w_ids(w, &m->rule_ids) };
	tr_model *d = AT(w, root, tr_model, 0);

	memset(&d->mem, 0, sizeof d->mem);
	SETP(d->kb_id, s[0]);
	SETP(d->title, s[1]);
	SETP(d->version, s[2]);
	SETP(d->summary, s[3]);
	SETP(d->facts, a[0]);
	SETP(d->values, a[1]);
	SETP(d->causes, a[2]);
	SETP(d->evidence, a[3]);
	SETP(d->fixes, a[4]);
	SETP(d->links, a[5]);
	SETP(d->rules, a[6]);
	SETP(d->sources, a[7]);
	SETP(d->prime, a[8]);
	SETP(d->fact_ids.slot, ix[0]);
	SETP(d->cause_ids.slot, ix[1]);
	SETP(d->fix_ids.slot, ix[2]);
	SETP(d->rule_ids.slot, ix[3]);
}

uint64_t image_sum(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		h = (h ^ x) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

const char *image_format(void)
{
	static char f[320];
	const uint16_t one = 1;

	if (!f[0])
		snprintf(f, sizeof f, "triage model image 1; source %s; %s; pointer %zu; model %zu fact %zu "
			 "value %zu cause %zu evidence %zu fix %zu link %zu rule %zu prime %zu source %zu "
			 "cite %zu command %zu where %zu cond %zu", IMAGE_SOURCE,
			 *(const unsigned char *)&one ? "little-endian" : "big-endian", sizeof(void *),
			 sizeof(tr_model), sizeof(tr_fact), sizeof(tr_value), sizeof(tr_cause),
			 sizeof(tr_evidence), sizeof(tr_fix), sizeof(tr_link), sizeof(tr_rule),
			 sizeof(tr_prime), sizeof(tr_source), sizeof(tr_cite), sizeof(tr_command),
			 sizeof(tr_where), sizeof(tr_cond));
	return f;
}

int image_store(sqlite3 *db, tr_err *e)
{
	tr_model *m;
	writer w = { NULL, 0, 0 };
	sqlite3_stmt *st;
	char sum[17];
	int rc;

	if (model_load_rows(db, &m, e) != TR_OK)
		return TR_ERR;
	w_model(&w, m);
	model_free(m);
	snprintf(sum, sizeof sum, "%016llx", (unsigned long long)image_sum(w.b, w.n));
	rc = sqlite3_exec(db, "SAVEPOINT image", NULL, NULL, NULL) == SQLITE_OK ? TR_OK : TR_ERR;
	if (rc == TR_OK && sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO model_image (id, data) VALUES (1, ?1)",
					      -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_blob64(st, 1, w.b, w.n, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? TR_OK : TR_ERR;
		sqlite3_finalize(st);
	} else
		rc = TR_ERR;
	if (rc == TR_OK && sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO model_image_use (id, format, size, sum) "
					      "VALUES (1, ?1, ?2, ?3)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, image_format(), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)w.n);
		sqlite3_bind_text(st, 3, sum, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? TR_OK : TR_ERR;
		sqlite3_finalize(st);
	} else
		rc = TR_ERR;
	if (rc != TR_OK)
		tr_fail(e, TR_ERR, "cannot store the model image: %s", sqlite3_errmsg(db));
	sqlite3_exec(db, rc == TR_OK ? "RELEASE image" : "ROLLBACK TO image; RELEASE image", NULL, NULL, NULL);
	free(w.b);
	return rc;
}

/* ---- reading ---- */

typedef struct reader {
	unsigned char *b;  /* the image, at an address aligned for any type */
	size_t n;          /* its size */
	const char *bad;   /* what was found out of range first, or NULL */
} reader;

/* Turns the offset+1 stored in the pointer at field into a pointer to
 * count elements of size bytes; 0 when it points outside the image (or
 * count is negative). */
static int rel(reader *r, void *field, long count, size_t size, const char *what)
{
	uintptr_t v;
	void *p = NULL;

	memcpy(&v, field, sizeof v);
	if (count < 0 || (!v && count > 0)) {
		r->bad = r->bad ? r->bad : what;
		return 0;
	}
	if (v) {
		size_t off = (size_t)(v - 1);

		if (v - 1 >= r->n || (size > 1 && off % 8) ||
		    (size && (size_t)count > (r->n - off) / size)) {
			r->bad = r->bad ? r->bad : what;
			memcpy(field, &p, sizeof p);
			return 0;
		}
		p = r->b + off;
	}
	memcpy(field, &p, sizeof p);
	return 1;
}

/* As rel, for a string: NUL-terminated inside the image. */
static int rel_str(reader *r, const char **field, const char *what)
{
	uintptr_t v;

	memcpy(&v, field, sizeof v);
	if (!rel(r, field, 0, 1, what))
		return 0;
	if (v && !memchr(*field, 0, r->n - (size_t)(v - 1))) {
		r->bad = r->bad ? r->bad : what;
		*field = NULL;
		return 0;
	}
	return 1;
}

static int in(int i, int n)
{
	return i >= 0 && i < n;
}

static int r_cites(reader *r, tr_cite **c, int n)
{
	if (!rel(r, c, n, sizeof **c, "citations"))
		return 0;
	for (int i = 0; i < n; i++)
		if (!rel_str(r, &(*c)[i].source, "a citation") || !rel_str(r, &(*c)[i].note, "a citation"))
			return 0;
	return 1;
}

/* Conditions hold fact and global value indexes, checked against m. */
static int r_where(reader *r, const tr_model *m, tr_where *w)
{
	if (!rel(r, &w->v, w->n, sizeof *w->v, "a condition"))
		return 0;
	for (int i = 0; i < w->n; i++) {
		tr_cond *c = &w->v[i];

		if (!in(c->fact, m->nfacts) || !rel(r, &c->values, c->nvalues, sizeof *c->values, "a condition"))
			return r->bad = r->bad ? r->bad : "a condition", 0;
		for (int k = 0; k < c->nvalues; k++)
			if (!in(c->values[k], m->nvalues))
				return r->bad = "a condition's value", 0;
	}
	return 1;
}

static int r_commands(reader *r, const tr_model *m, tr_command **c, int n)
{
	if (!rel(r, c, n, sizeof **c, "commands"))
		return 0;
	for (int i = 0; i < n; i++) {
		tr_command *d = &(*c)[i];

		if (!rel_str(r, &d->shell, "a command") || !rel_str(r, &d->on, "a command") ||
		    !rel_str(r, &d->text, "a command") || !r_where(r, m, &d->applies))
			return 0;
	}
	return 1;
}

static int r_ints(reader *r, int **v, int n, int below, const char *what)
{
	if (!rel(r, v, n, sizeof **v, what))
		return 0;
	for (int i = 0; i < n; i++)
		if (!in((*v)[i], below))
			return r->bad = what, 0;
	return 1;
}

static int r_facts(reader *r, tr_model *m)
{
	for (int i = 0; i < m->nfacts; i++) {
		tr_fact *f = &m->facts[i];

		if (!rel_str(r, &f->id, "a fact") || !rel_str(r, &f->text, "a fact") ||
		    !rel_str(r, &f->help, "a fact") || !rel_str(r, &f->asker, "a fact") ||
		    !rel_str(r, &f->slot, "a fact") || !r_cites(r, &f->cites, f->ncites) ||
		    !r_commands(r, m, &f->check, f->ncheck) ||
		    !r_ints(r, &f->ev, f->nev, m->nevidence, "a fact's evidence") ||
		    !r_ints(r, &f->rules, f->nrules, m->nrules, "a fact's rules"))
			return 0;
		if (f->first < 0 || f->nvalues < 0 || f->first > m->nvalues - f->nvalues ||
		    f->kind < 0 || f->kind >= SLOT_NKINDS)
			return r->bad = "a fact's values", 0;
	}
	for (int i = 0; i < m->nvalues; i++)
		if (!rel_str(r, &m->values[i].value, "a value") || !rel_str(r, &m->values[i].text, "a value") ||
		    !in(m->values[i].fact, m->nfacts))
			return r->bad = r->bad ? r->bad : "a value", 0;
	return 1;
}

static int r_causes(reader *r, tr_model *m)
{
	for (int i = 0; i < m->ncauses; i++) {
		tr_cause *c = &m->causes[i];

		if (!rel_str(r, &c->id, "a cause") || !rel_str(r, &c->title, "a cause") ||
		    !rel_str(r, &c->summary, "a cause") || !rel_str(r, &c->prior_why, "a cause") ||
		    !r_cites(r, &c->cites, c->ncites) || !r_ints(r, &c->links, c->nlinks, m->nlinks, "a cause's links"))
			return 0;
		if (c->ev < 0 || c->nev < 0 || c->ev > m->nevidence - c->nev)
			return r->bad = "a cause's evidence", 0;
	}
	for (int i = 0; i < m->nevidence; i++) {
		tr_evidence *ev = &m->evidence[i];

		if (!in(ev->cause, m->ncauses) || !in(ev->fact, m->nfacts))
			return r->bad = "an evidence row", 0;
		if (!rel_str(r, &ev->why, "an evidence row") ||
		    !rel(r, &ev->lk, m->facts[ev->fact].nvalues, sizeof *ev->lk, "an evidence row"))
			return 0;
	}
	return 1;
}

static int r_fixes(reader *r, tr_model *m)
{
	for (int i = 0; i < m->nfixes; i++) {
		tr_fix *x = &m->fixes[i];

		if (!rel_str(r, &x->id, "a fix") || !rel_str(r, &x->title, "a fix") ||
		    !rel_str(r, &x->summary, "a fix") || !rel_str(r, &x->undo, "a fix") ||
		    !rel_str(r, &x->outcome, "a fix") || !r_cites(r, &x->cites, x->ncites) ||
		    !r_commands(r, m, &x->cmds, x->ncmds) || !r_where(r, m, &x->applies) ||
		    !rel(r, &x->steps, x->nsteps, sizeof *x->steps, "a fix's steps") ||
		    !rel(r, &x->step_applies, x->nsteps, sizeof *x->step_applies, "a fix's steps") ||
		    !r_ints(r, &x->incl, x->nincl, m->nfixes, "a fix's includes"))
			return 0;
		for (int k = 0; x->steps && k < x->nsteps; k++)
			if (!rel_str(r, &x->steps[k], "a fix's step"))
				return 0;
		for (int k = 0; x->step_applies && k < x->nsteps; k++)
			if (!r_where(r, m, &x->step_applies[k]))
				return 0;
		if (x->link < 0 || x->nlink < 0 || x->link > m->nlinks - x->nlink ||
		    x->risk < RISK_LOW || x->risk > RISK_HIGH)
			return r->bad = "a fix", 0;
	}
	for (int i = 0; i < m->nlinks; i++)
		if (!rel_str(r, &m->links[i].why, "a link") || !in(m->links[i].fix, m->nfixes) ||
		    !in(m->links[i].cause, m->ncauses) || !in(m->links[i].via + 1, m->nfixes + 1))
			return r->bad = r->bad ? r->bad : "a link", 0;
	return 1;
}

static int r_rules(reader *r, tr_model *m)
{
	for (int i = 0; i < m->nrules; i++) {
		tr_rule *u = &m->rules[i];

		if (!rel_str(r, &u->id, "a rule") || !rel_str(r, &u->description, "a rule") ||
		    !rel_str(r, &u->source, "a rule") || !r_cites(r, &u->cites, u->ncites) ||
		    !r_ints(r, &u->reads, u->nreads, m->nfacts, "a rule's reads"))
			return 0;
	}
	for (int i = 0; i < m->nprime; i++) {
		tr_prime *p = &m->prime[i];
		int n = p->kind == EFFECT_DERIVE || p->kind == EFFECT_HIDE ? m->nfacts
			: p->kind == EFFECT_SCALE ? m->ncauses
			: p->kind == EFFECT_WARN || p->kind == EFFECT_EXCLUDE ? m->nfixes : -1;

		if (!rel_str(r, &p->slot, "a rule's starting state") || !rel_str(r, &p->text, "a rule's starting state") ||
		    !rel_str(r, &p->why, "a rule's starting state"))
			return 0;
		if (!in(p->rule, m->nrules) || p->kind < -1 || p->kind > EFFECT_EXCLUDE ||
		    (n >= 0 && !in(p->target, n)) || (p->value != -1 && !in(p->value, m->nvalues)) ||
		    (p->kind == EFFECT_FILL && !p->slot))
			return r->bad = "a rule's starting state", 0;
	}
	for (int i = 0; i < m->nsources; i++) {
		tr_source *s = &m->sources[i];

		if (!rel_str(r, &s->id, "a source") || !rel_str(r, &s->file, "a source") ||
		    !rel_str(r, &s->title, "a source") || !rel_str(r, &s->note, "a source"))
			return 0;
	}
	return 1;
}

/* An id index of n records: a power-of-two table with room to spare, each
 * slot empty or a record index + 1. */
static int r_ids(reader *r, tr_ids *ix, int n)
{
	if (ix->mask >= 1u << 30 || (ix->mask & (ix->mask + 1)) || ix->mask + 1 < 2u * (unsigned)n ||
	    !rel(r, &ix->slot, (long)ix->mask + 1, sizeof *ix->slot, "an id index") || !ix->slot)
		return r->bad = r->bad ? r->bad : "an id index", 0;
	for (unsigned i = 0; i <= ix->mask; i++)
		if (ix->slot[i] < 0 || ix->slot[i] > n)
			return r->bad = "an id index", 0;
	return 1;
}

/* Relocates the model m (a copy of the image's root) against r. */
static int r_model(reader *r, tr_model *m)
{
	if (!rel_str(r, &m->kb_id, "the model") || !rel_str(r, &m->title, "the model") ||
	    !rel_str(r, &m->version, "the model") || !rel_str(r, &m->summary, "the model") ||
	    !rel(r, &m->facts, m->nfacts, sizeof *m->facts, "the facts") ||
	    !rel(r, &m->values, m->nvalues, sizeof *m->values, "the values") ||
	    !rel(r, &m->causes, m->ncauses, sizeof *m->causes, "the causes") ||
	    !rel(r, &m->evidence, m->nevidence, sizeof *m->evidence, "the evidence") ||
	    !rel(r, &m->fixes, m->nfixes, sizeof *m->fixes, "the fixes") ||
	    !rel(r, &m->links, m->nlinks, sizeof *m->links, "the links") ||
	    !rel(r, &m->rules, m->nrules, sizeof *m->rules, "the rules") ||
	    !rel(r, &m->sources, m->nsources, sizeof *m->sources, "the sources") ||
	    !rel(r, &m->prime, m->nprime, sizeof *m->prime, "the rules' starting state"))
		return 0;
	m->digest[sizeof m->digest - 1] = 0;
	return r_facts(r, m) && r_causes(r, m) && r_fixes(r, m) && r_rules(r, m) &&
	       r_ids(r, &m->fact_ids, m->nfacts) && r_ids(r, &m->cause_ids, m->ncauses) &&
	       r_ids(r, &m->fix_ids, m->nfixes) && r_ids(r, &m->rule_ids, m->nrules);
}

/* Asks the kernel for the pages of the buffer p (n bytes) in one go, in
 * huge pages where it can: on this machine a fault per 4 KiB page cost
 * more than the copy into it (medium: 72 -> 53 ms CPU from process start to
 * exit). Advice only: a kernel that refuses it changes nothing. */
static void prefault(void *p, size_t n)
{
	uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, hi = ((uintptr_t)p + n) & ~(uintptr_t)4095;

	if (hi <= lo)
		return;
#ifdef MADV_HUGEPAGE
	madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
	madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#endif
}

/* Sets why (size bytes) and returns TR_OK: no usable image. */
static int unusable(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int unusable(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return TR_OK;
}

int image_load(sqlite3 *db, tr_model **out, char *why, size_t size, tr_err *e)
{
	sqlite3_stmt *st;
	sqlite3_blob *blob = NULL;
	sqlite3_int64 bytes;
	char sum[17], have[17];
	reader r = { NULL, 0, NULL };
	tr_model *m;
	int same, rc;

	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT format, size, sum FROM model_image_use WHERE id = 1", -1, &st, NULL)
	    != SQLITE_OK)
		return unusable(why, size, "no model image");
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			store_read_fail(db, e);
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? unusable(why, size, "no model image") : TR_ERR;
	}
	same = strcmp((const char *)sqlite3_column_text(st, 0), image_format()) == 0;
	bytes = sqlite3_column_int64(st, 1);
	snprintf(sum, sizeof sum, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	if (!same)
		return unusable(why, size, "model image written by another build of triage");
	if (sqlite3_blob_open(db, "main", "model_image", "data", 1, 0, &blob) != SQLITE_OK) {
		store_read_fail(db, e);
		sqlite3_blob_close(blob);
		return TR_ERR;
	}
	if (bytes < (sqlite3_int64)sizeof *m || bytes > 0x7fffffff || sqlite3_blob_bytes(blob) != bytes) {
		long long have_bytes = sqlite3_blob_bytes(blob);

		sqlite3_blob_close(blob);
		return unusable(why, size, "model image damaged: %lld bytes, not the %lld its record says",
				have_bytes, (long long)bytes);
	}
	m = xcalloc(1, sizeof *m);
	r.n = (size_t)bytes;
	r.b = arena_alloc_raw(&m->mem, r.n);
	prefault(r.b, r.n);
	if (sqlite3_blob_read(blob, r.b, (int)bytes, 0) != SQLITE_OK) {
		store_read_fail(db, e);  /* SQLite found a damaged page: the file is damaged */
		sqlite3_blob_close(blob);
		model_free(m);
		return TR_ERR;
	}
	sqlite3_blob_close(blob);
	snprintf(have, sizeof have, "%016llx", (unsigned long long)image_sum(r.b, r.n));
	if (strcmp(have, sum) != 0) {
		model_free(m);
		return unusable(why, size, "model image damaged: its content does not match its sum");
	}
	{
		arena mem = m->mem;

		memcpy(m, r.b, sizeof *m);
		m->mem = mem;
	}
	if (!r_model(&r, m)) {
		model_free(m);
		return unusable(why, size, "model image damaged: %s out of range", r.bad ? r.bad : "an offset");
	}
	*out = m;
	return TR_OK;
}
