/*
 * prime.h: the rules' starting state, computed once by kb build and kept in
 * the knowledge base (tables rule_prime, rules_primed), so that a session
 * on a knowledge base of 100,000 rules starts without running them: runs
 * are pure (rules.h), so the effects of every rule while no fact is known
 * are the same in every session.
 * Uses session.h (the fixpoint) and SQLite.
 */
#ifndef TR_PRIME_H
#define TR_PRIME_H
#include <sqlite3.h>
#include "err.h"
#include "model.h"

/* Settles every rule of m (loaded from db, not primed yet) from no facts and
 * writes the resulting effects, and the rules switched off, to db in one
 * transaction, stamped with m's digest. Returns TR_OK or TR_ERR with e set;
 * on failure db is unchanged. */
int prime_store(sqlite3 *db, const tr_model *m, tr_err *e);

#endif
