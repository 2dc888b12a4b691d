/*
 * prime.c: the rules' starting state into the knowledge base (see prime.h).
 */
#include <string.h>
#include "prime.h"
#include "session.h"

static const char *const kind_names[] = {"derive", "hide", "scale", "fill", "warn", "exclude"};

/* The id an effect targets, as stored. */
static const char *target_id(const tr_model *m, const rule_effect *fx)
{
	switch (fx->kind) {
	case EFFECT_DERIVE: case EFFECT_HIDE: return m->facts[fx->target].id;
	case EFFECT_SCALE: return m->causes[fx->target].id;
	case EFFECT_WARN: case EFFECT_EXCLUDE: return m->fixes[fx->target].id;
	default: return fx->slot;
	}
}

static int row(sqlite3_stmt *ins, const char *rule, int seq, const char *kind, const char *target,
	       const char *text, double factor, const char *why)
{
	sqlite3_bind_text(ins, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 2, seq);
	sqlite3_bind_text(ins, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 4, target ? target : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, text ? text : "", -1, SQLITE_STATIC);
	sqlite3_bind_double(ins, 6, factor);
	sqlite3_bind_text(ins, 7, why ? why : "", -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		return TR_ERR;
	sqlite3_reset(ins);
	return TR_OK;
}

/* Writes every rule's starting effects with ins. */
static int write_rules(session *s, const tr_model *m, sqlite3_stmt *ins)
{
	for (int r = 0; r < m->nrules; r++) {
		const rule_effect *fx;
		const char *why;
		int n = session_effects(s, r, &fx), seq = 0;

		if (!session_rule_on(s, r, &why) && m->rules[r].enabled &&
		    row(ins, m->rules[r].id, seq++, "off", "", why, 1, "") != TR_OK)
			return TR_ERR;
		for (int i = 0; i < n; i++) {
			const rule_effect *e = &fx[i];
			const char *text = e->kind == EFFECT_DERIVE && e->value >= 0 ? m->values[e->value].value
					 : e->text;

			if (row(ins, m->rules[r].id, seq++, kind_names[e->kind], target_id(m, e), text,
				e->factor, e->why) != TR_OK)
				return TR_ERR;
		}
	}
	return TR_OK;
}

int prime_store(sqlite3 *db, const tr_model *m, tr_err *e)
{
	sqlite3_stmt *ins = NULL, *stamp = NULL;
	session *s;
	int rc;

	if (session_open(m, 1, &s, e) != TR_OK)
		return TR_ERR;
	rc = sqlite3_exec(db, "BEGIN; DELETE FROM rule_prime; DELETE FROM rules_primed;", NULL, NULL, NULL) == SQLITE_OK &&
	     sqlite3_prepare_v2(db, "INSERT INTO rule_prime (rule, seq, kind, target, text, factor, why) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &ins, NULL) == SQLITE_OK &&
	     sqlite3_prepare_v2(db, "INSERT INTO rules_primed (digest) VALUES (?1)", -1, &stamp, NULL) == SQLITE_OK &&
	     write_rules(s, m, ins) == TR_OK &&
	     sqlite3_bind_text(stamp, 1, m->digest, -1, SQLITE_STATIC) == SQLITE_OK &&
	     sqlite3_step(stamp) == SQLITE_DONE &&
	     sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? TR_OK : TR_ERR;
	if (rc != TR_OK) {
		tr_fail(e, TR_ERR, "cannot store the rules' starting state: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(stamp);
	session_free(s);
	return rc;
}
