/*
 * kblint.h: `triage kb lint`, a review of the knowledge in a built file:
 * what kb build accepts but is probably not what the editor meant
 * (warnings), and what breaks the knowledge base's contract (errors).
 * kb check verifies that the file is what kb build made; kb lint reviews
 * what it says. Uses model.h, session.h (contexts), rules.h (a survey of
 * what each rule can do), kbtest.h (the case files) and kbtext.h (slots).
 */
#ifndef TR_KBLINT_H
#define TR_KBLINT_H
#include <jansson.h>
#include <sqlite3.h>
#include "err.h"
#include "model.h"

/* How many contexts (combinations of the values of the facts that the
 * hiding rules read, unknown included) the gated-question check tries for
 * one question before it gives up on deciding it. */
#define KBLINT_CONTEXTS 4096

/* Reviews m (loaded from db). cases (ncases) are case files as `kb test`
 * takes them; with none, rules are not checked for firing. Returns a new
 * JSON object (caller json_decref):
 *   {"errors": N, "warnings": M, "rules_checked": BOOL, "undecided": [ID...],
 *    "findings": [{"level": "error"|"warning", "check": NAME,
 *                  "record": "KIND ID", "message": TEXT}, ...]}
 * findings in the order of the checks, then of the records' ids. NULL with
 * e set when a case file cannot be read or holds a line that is no case. */
json_t *kblint_run(sqlite3 *db, const tr_model *m, char *const *cases, int ncases, tr_err *e);

#endif
