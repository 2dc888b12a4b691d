/*
 * explain.h: why the engine believes, asks and recommends what it does, in
 * sentences for people (the shell, Markdown reports) and as JSON fragments
 * (JSON Lines). Every number comes from the same model and planner the
 * decision used. Uses session.h.
 */
#ifndef TR_EXPLAIN_H
#define TR_EXPLAIN_H
#include "buf.h"
#include "session.h"

/* A cause: its prior, each fact, rule and failed fix that moved it and by
 * what factor, and where it stands now. */
void explain_cause(session *s, int c, buf *out);
/* A question: what each answer would do to the ranking and the plan, what
 * it costs, and why now rather than a fix. */
void explain_question(session *s, int f, buf *out);
/* A fix: its chance, priced cost and efficiency, and why it comes before
 * the next one in the plan. */
void explain_fix(session *s, int x, buf *out);
/* One line on the current step (question or fix), for JSON "why" keys. */
void explain_brief(session *s, buf *out);

#endif
