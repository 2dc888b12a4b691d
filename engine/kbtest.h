/*
 * kbtest.h: knowledge tests, the case files `kb test` takes (one JSON case
 * a line, see kbtest.c), played on a loaded model. `kb test` prints them;
 * `kb lint` watches which rules fire in them and `kb test --changed`
 * (kbdiff.h) watches every state they reach on two knowledge bases.
 * Uses session.h and jansson.
 */
#ifndef TR_KBTEST_H
#define TR_KBTEST_H
#include <jansson.h>
#include "buf.h"
#include "err.h"
#include "session.h"

/* Called at every state a case reaches, with the session and the action
 * it is about to take (a "top" case: once, after its given facts). The
 * session is the case's own and valid only during the call. */
typedef void (*kbtest_watch)(session *s, const action *a, void *ctx);

/* What playing one case gave. */
typedef struct kbtest_outcome {
	int pass;           /* the case passed */
	int whole;          /* a whole-session case (else a "top" case) */
	int played;         /* whole: it ran (its cause and facts were usable) */
	int resolved;       /* whole: a fix for the cause was reached */
	int questions, fixes, high;  /* whole: questions asked, fixes tried,
				      * wrong high-risk fixes tried */
} kbtest_outcome;

/* Plays case cs on m, as `kb test` does (max_steps, depth, verbose as its
 * options), calling watch (may be NULL) at every state. msg gets what
 * `kb test` prints after the case id (a case that cannot run says why
 * there, and fails). Fills *out (may be NULL); returns out->pass. */
int kbtest_case(const tr_model *m, json_t *cs, int max_steps, int depth, int verbose,
		kbtest_watch watch, void *ctx, kbtest_outcome *out, buf *msg);

/* Reads the case file path, calling fn for each case with its line
 * number; a line that is not a JSON object gets cs NULL and why set. A
 * non-zero from fn stops the reading and is returned. TR_ERR with e set
 * when the file cannot be opened ("PATH: cannot open"). */
int kbtest_read(const char *path, int (*fn)(json_t *cs, int lineno, const char *why, void *ctx),
		void *ctx, tr_err *e);

/* Plays every case of the case files (nfiles of them) on before and on
 * after, as `kb test` does at its defaults, and writes to out what the
 * change from before to after does to them: the cases passed, the whole
 * sessions' mean effort (questions + 3 x fixes, 3 x the step limit when
 * unresolved), then every case that now fails or now passes and every
 * session that costs more or less, with both efforts. A line that is no
 * case is named and counted as failing on both. TR_ERR with e set
 * ("PATH: cannot open") when a file cannot be read; out may then hold
 * part of the report. */
int kbtest_compare(const tr_model *before, const tr_model *after, char *const *files, int nfiles,
		   FILE *out, tr_err *e);

#endif
