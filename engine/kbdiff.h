/*
 * kbdiff.h: what a change to a knowledge base moves. Two knowledge-base
 * files (before and after a change) are given the same knowledge tests
 * and the same saved sessions' answers, and every state they reach is
 * compared: the ranking (top causes and their probabilities), the next
 * action (question, fix or done) and the recommended fixes.
 * `triage kb test --changed --before OLD` prints it. Uses kbtest.h (the
 * case files), sessdb.h (saved sessions), session.h and model.h.
 */
#ifndef TR_KBDIFF_H
#define TR_KBDIFF_H
#include <stdio.h>
#include "err.h"

/* What is compared, and when something "moves":
 * - Each knowledge test (the case files set by kbdiff_set_cases). A "top"
 *   case is compared once, after its given facts. A whole-session case is
 *   played on before as `kb test` plays it, and at every state it reaches
 *   after is given the same events (facts, answers, fix results) and
 *   compared; its outcome (`kb test`'s line: passed, steps, questions,
 *   fixes) is also played on each file on its own and compared.
 * - The most recent saved sessions (KBDIFF_SESSIONS by default) in the
 *   session file (kbdiff_set_sessions; by default the user's, paths.h)
 *   that ran on this knowledge base (their kb id is before's or after's):
 *   each one's recorded events are replayed one at a time on both files,
 *   compared at the start and after each event.
 * At each state: the ranking moves when the three likeliest causes differ
 * in order or any of them moves by 0.001 or more; the next action when it
 * is another question, another fix, or done on one side only; the fixes
 * when the first five of the plan differ. A record only one file has
 * counts as probability 0 there; an event the other file cannot take
 * (a fact or fix it lacks) is skipped there and said.
 */

/* The case files (as `kb test` takes them) later reports run; the array
 * and strings must outlive the reports. n == 0 (the default): none. */
void kbdiff_set_cases(char *const *files, int n);

/* How many saved sessions a report replays by default: the most recent. A
 * help desk's session file holds thousands, and each state of each costs
 * two plans. */
#define KBDIFF_SESSIONS 100

/* The session file later reports replay, and how many of its most recent
 * sessions on this knowledge base: path NULL (the default) is the user's
 * ($TRIAGE_SESSIONS, else the XDG data file); most < 0 (the default) is
 * KBDIFF_SESSIONS, 0 none. A missing file is no sessions; it is never
 * created. The string must outlive the reports. */
void kbdiff_set_sessions(const char *path, int most);

/* Compares the knowledge bases at before_path and after_path (opened
 * read-only, never changed) as above, writing to out one paragraph per
 * test case or session that moves (what moved, how often, where first,
 * and by how much), then a total line; "nothing moves: ..." when nothing
 * does. With json, one JSON object instead:
 *   {"before": PATH, "after": PATH, "cases": N, "sessions": N,
 *    "sessions_left": N (saved sessions on this knowledge base not replayed), "moved": N,
 *    "items": [{"kind": "case"|"session", "id": TEXT, "where": TEXT,
 *               "states": N, "ranking"|"next"|"fixes"|"outcome"|"skipped":
 *               {...}}, ...]}
 * listing only the items that move (see kbdiff.c for each member).
 * Returns TR_OK whatever moved; TR_ERR with e set when a file cannot be
 * opened or loaded, or a case file cannot be read. */
int kbdiff_report(const char *before_path, const char *after_path, FILE *out, int json, tr_err *e);

#endif
