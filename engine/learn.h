/*
 * learn.h: `triage kb learn`, priors and likelihoods estimated from the
 * sessions a help desk finished (JSON Lines from `sessions export`).
 * An EM estimate under the engine's own single-fault model: each session
 * counts for the causes in proportion to its posterior given everything it
 * saw (answers, rules' factors, the fixes that failed, the one that
 * worked, if one did); the knowledge
 * base's numbers are a Dirichlet prior worth `weight` sessions. Sessions
 * resolved outside the knowledge base are grouped as candidate new causes.
 * Uses model.h, session.h (to replay sessions) and kbtext.h (checksums,
 * the text dump); the proposal is applied by a separate function.
 */
#ifndef TR_LEARN_H
#define TR_LEARN_H
#include <stdio.h>
#include <sqlite3.h>
#include "buf.h"
#include "err.h"
#include "model.h"

/* The default weight of the knowledge base's numbers, in sessions: ten
 * sessions move a prior by a tenth of the way to what they show, a thousand
 * by nine tenths (README, "Learning from outcomes"). */
#define LEARN_WEIGHT 100.0
/* A cause's likelihoods count as weight x its prior sessions, but at least
 * weight x LEARN_LK_FLOOR: a rare cause's numbers must not follow a
 * handful of sessions either. */
#define LEARN_LK_FLOOR 0.1
/* A likelihood row is proposed when a value moves by at least this much
 * (rounded to hundredths, as the knowledge base writes them) and its
 * sessions' answers differ from the old values beyond chance: a G test
 * (likelihood ratio against the old row) at LEARN_ALPHA divided by the
 * number of rows tested, so that over the whole knowledge base a row the
 * sessions show only by chance is proposed with probability LEARN_ALPHA
 * at most. Measured on the simulated help desk whose world is the
 * knowledge base (README): without a test, 1000 sessions proposed
 * hundreds of rows; at two standard errors per row, still a score of rows
 * that no difference in the world explained. */
#define LEARN_MIN_MOVE 0.03
#define LEARN_ALPHA 0.05
/* Likelihoods stay inside the bounds kb build enforces (kbtext.c). */
#define LEARN_LK_MIN 0.01
#define LEARN_LK_MAX 0.99

typedef struct learn_data learn_data;

/* An empty collection of sessions for m (loaded from db, which must
 * outlive it). Free with learn_data_free. */
learn_data *learn_data_new(const tr_model *m, sqlite3 *db);
void learn_data_free(learn_data *d);

/* Reads the exported sessions in path into d: each one the knowledge base
 * could have resolved replayed on it (those resolved outside it are kept
 * as candidates). A session on another knowledge base, or on
 * another version without checksums, is counted and left out; on another
 * version with checksums, only the events whose records are unchanged
 * count (a resolved session whose working fix changed is left out).
 * TR_ERR naming the file and line on a line that is not an exported
 * session; d keeps what was read before it. */
int learn_read(learn_data *d, const char *path, tr_err *e);

/* One proposed change: a cause's prior (fact -1) or its likelihoods on
 * one fact (old and new over the fact's values). */
typedef struct learn_change {
	int cause, fact;
	double support;          /* sessions supporting it (posterior-weighted) */
	double old_p, new_p;     /* prior, in the knowledge base's units */
	double *old_lk, *new_lk; /* likelihoods (nvalues of fact) */
	int added;               /* the cause stated no evidence on fact before */
} learn_change;

typedef struct learn_result {
	learn_change *v; int n;
	int iterations;
	double weight;
	double used;             /* sessions used */
} learn_result;

/* The EM estimate from d with the knowledge base worth weight sessions
 * (>= 0). Deterministic for the same sessions in the same order. Free r
 * with learn_result_free. */
void learn_estimate(const learn_data *d, double weight, learn_result *r);
void learn_result_free(learn_result *r);

/* Appends the report: what was read and used, each change old -> new with
 * its support, and the candidate new causes. */
void learn_report(const learn_data *d, const learn_result *r, buf *out);

/* Writes the knowledge base in db with r applied to out: a new knowledge
 * base file (out must not exist), or, when out is an existing directory,
 * its text tree as `kb dump` writes it (refused when the tree holds edits
 * the knowledge base does not have). Each changed record says in its
 * reasons that kb learn changed it, from how many sessions. Names what it
 * wrote on report. */
int learn_apply(sqlite3 *db, const tr_model *m, const learn_result *r, const char *out,
		FILE *report, tr_err *e);

/* What r would do to the knowledge tests in the case files (nfiles): r
 * applied to a private copy of db (m loaded from it), and every case
 * played on both, as kbtest_compare reports it, under a heading on
 * report. Nothing is written. TR_ERR with e set when a case file cannot
 * be read or the copy cannot be made. */
int learn_test(sqlite3 *db, const tr_model *m, const learn_result *r, char *const *files, int nfiles,
	       FILE *report, tr_err *e);

/* Applies r to the live knowledge base at kb_path (db and m loaded from
 * it) as one recorded change (kbedit.h: checked as kb build checks, in the
 * history with message, revertible with kb revert): each changed cause's
 * record as learn_apply writes it. With dry, checks and reports only.
 * Reports on report; TR_ERR with e set when the change is refused or the
 * file cannot be edited. */
int learn_apply_live(const char *kb_path, sqlite3 *db, const tr_model *m, const learn_result *r,
		     const char *message, int dry, FILE *report, tr_err *e);

#endif
