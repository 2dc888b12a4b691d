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
/* A question: what each answer would do to the ranking, and why now
 * rather than a fix, in chances and minutes of work; with detail, the
 * planner's own numbers (expected cost of repair before and after). */
void explain_question(session *s, int f, int detail, buf *out);
/* A fix: its chance, minutes and risk, and why it comes before the next
 * one in the plan; with detail, the risk-priced cost and efficiency. */
void explain_fix(session *s, int x, int detail, buf *out);
/* A value is outside what the knowledge base covers when it is rare
 * (default likelihood at most EXPLAIN_RARE) and no cause makes it more
 * likely than that: error_code=other on a base written for 0x904. Then
 * writes a one-line note naming what it does cover and returns 1. */
#define EXPLAIN_RARE 0.05
int explain_outside(const tr_model *m, int v, buf *out);

/* Why fix x does not apply here (session_ruled_out), one sentence
 * without the final stop: a rule's reason, or where it applies and what
 * is known instead ("it applies only if connection_path is rd_gateway;
 * here connection_path is lan"). */
void explain_ruled_out(session *s, int x, buf *out);
/* Why a question asks a stated answer again (action.recheck), one
 * sentence without the final stop; nothing for any other step. */
void explain_recheck(session *s, buf *out);
/* How many ruled-out fixes the front ends show (session_ruled_out). */
#define EXPLAIN_RULED_OUT 5

/* One line on the current step (question or fix), for JSON "why" keys. */
void explain_brief(session *s, buf *out);

#endif
