/*
 * session.h: one troubleshooting session, the engine every front end
 * drives (JSON Lines, the shell, diagnose, kb test).
 *
 * A session is a log of events (facts given, answers, volunteered facts,
 * fix results). Its state is a pure function of that log: facts and where
 * each came from, what the rules derived, hid, scaled, filled and warned,
 * the posterior, fix states, and the next action. Adding an event updates
 * the state incrementally (only rules whose inputs changed run again);
 * `back` drops the last reply and replays the log.
 * Uses model.h, rules.h, belief.h and plan.h.
 */
#ifndef TR_SESSION_H
#define TR_SESSION_H
#include "err.h"
#include "model.h"
#include "plan.h"
#include "rules.h"
#include "slot.h"

enum origin { ORIGIN_NONE, ORIGIN_GIVEN, ORIGIN_ANSWER, ORIGIN_SET, ORIGIN_RULE };
enum fix_state { FIX_UNTRIED, FIX_FAILED, FIX_SKIPPED, FIX_WORKED };
enum action_kind { ACT_QUESTION, ACT_RECOMMEND, ACT_DONE };
enum done_status { DONE_RESOLVED, DONE_EXHAUSTED, DONE_QUIT, DONE_HANDOVER };
enum event_kind { EV_GIVEN, EV_ANSWER, EV_SET, EV_RESULT };

extern const char *const session_origin_names[];  /* "", "given", "answer", "set", "rule" */
extern const char *const session_event_names[];   /* "given", "answer", "set", "result" */
extern const char *const session_done_names[];    /* "resolved", "exhausted", "quit", "handover" */

typedef struct session_event {
	enum event_kind kind;
	char *subject;     /* fact id (given, answer, set) or fix id (result) */
	char *value;       /* a value, "unknown", free text, or worked/failed/skipped */
} session_event;

typedef struct action {
	enum action_kind kind;
	int fact;                  /* ACT_QUESTION */
	int fix;                   /* ACT_RECOMMEND; a recheck: the fix its answer keeps out */
	int recheck;               /* ACT_QUESTION of a fact already answered (SESSION_RECHECK) */
	enum done_status status;   /* ACT_DONE */
	double ecr, eco;           /* expected cost acting now / asking first */
} action;

typedef struct session session;

/* A stated answer is asked again, once, when it rules out a fix with more
 * than SESSION_RECHECK times the chance of the fix about to be offered,
 * or when nothing else is left: a wrong answer about the context
 * (connection_path=lan for a gateway fault) would otherwise keep the
 * right fix away for good. Measured (README, "Asking a stated answer
 * again"): at 3 it asks in 7 of the 8 model-drawn and 4 of the 12 noisy
 * sessions that end unresolved, in 5 and 2 of the 520 that resolve, and
 * in none of the public cases. A fact stated twice is not asked again. */
#define SESSION_RECHECK 3.0

/* The planner's default lookahead. Depth 2 (one more question after each
 * answer) is available; on the RDP cases it asked more and resolved no
 * sooner than depth 1 (README, "Measurements"), so 1 is the default. */
#define SESSION_DEPTH 1

/* Plans over every cause and question (exact), not only the likeliest
 * (plan.h, PLAN_FOCUS): the same on a small knowledge base, slow on a
 * large one. Off by default. */
void session_set_exact(session *s, int exact);

/* Limits the session to what the person can reach (reach.h; REACH_ALL,
 * the default, is no limit). Under a limit the planner never asks a
 * question whose asker is out of reach nor recommends a fix that needs a
 * place (or admin rights) out of reach; the plan's first step out of reach
 * also costs a hand-over (plan_in.handover), and when that step comes
 * first (nothing in reach is worth doing before it) the session is done
 * with DONE_HANDOVER. Changing the reach re-plans; it is not an event
 * (back does not undo it). */
void session_set_reach(session *s, unsigned reach);
unsigned session_reach(const session *s);
/* Whether the person can answer fact f / carry out fix x here (a fix's
 * needs depend on which of its commands apply, reach_needs). */
int session_fact_in_reach(const session *s, int f);
int session_fix_in_reach(session *s, int x);
/* reach_needs of fix x in the session's context. */
unsigned session_needs(session *s, int x);
/* The plan for the next tier, as if everything were in reach: the steps
 * in planned order (valid until the next change; check-then-fix steps
 * index session_checks) and in *ask (may be NULL) the question worth
 * asking first, or -1. Returns how many steps. */
int session_handover(session *s, const plan_step **steps, int *ask);
/* The model's check-then-fix steps (plan_step.check indexes them). */
const plan_check *session_checks(const session *s);

/* Starts a session on m (which must outlive it) with its rules loaded.
 * depth is the planner's lookahead (1 or 2). *out is owned by the caller. */
int session_open(const tr_model *m, int depth, session **out, tr_err *e);
void session_free(session *s);

/* Adds an event after checking it; on error (unknown fact, a value not
 * among the choices, a reply that does not fit the pending action) the
 * session is unchanged and e says what is wrong (TR_EUSAGE). */
int session_add(session *s, enum event_kind kind, const char *subject,
		const char *value, tr_err *e);
/* Answers the pending question with value (or "unknown"). */
int session_answer(session *s, const char *value, tr_err *e);
/* Reports the pending fix's result: "worked", "failed" or "skipped". */
int session_result(session *s, const char *result, tr_err *e);
/* Undoes the last reply (not the facts given at the start). */
int session_back(session *s, tr_err *e);
/* Ends the session as quit. */
void session_quit(session *s);

/* The next action, computed once per state. The pointer stays valid until
 * the next change. */
const action *session_next(session *s);

/* The posterior (ncauses), valid after session_next. */
const double *session_p(session *s);
/* Fills order with the causes still possible, most probable first;
 * returns how many. */
int session_ranking(session *s, int *order);
/* Fills order with the fixes still to try in planned order; returns how
 * many. Under a limited reach only those before the hand-over. */
int session_plan(session *s, int *order);

/* Facts. value: global value index or -1; text: free text or NULL. */
int session_value(const session *s, int f);
const char *session_text(const session *s, int f);
/* The value as seen by rules and people ("unknown"/NULL when none). */
const char *session_shown(const session *s, int f);
enum origin session_origin(const session *s, int f);
int session_is_unknown(const session *s, int f);
int session_is_hidden(const session *s, int f, const char **why, int *rule);
/* The rule that derived f (and why), or -1. */
int session_derived_by(const session *s, int f, const char **why);
/* The rules' combined factor for cause c. */
double session_scale(const session *s, int c);
enum fix_state session_fix_state(const session *s, int x);

/* The failed fix whose steps carried out fix x (its includes, model.h): x
 * counts as tried, is not offered, and a failure of its own adds nothing
 * to that fix's; -1 when no failed fix includes x. Valid after
 * session_next. */
int session_within(const session *s, int x);

/* text with its {{slots}} filled from the free-text facts that declare
 * them (else from rules' fill), quoted for shell (slot_render: NULL or "gui"
 * for text a person reads); an unfilled slot shows as <slot>, and rep (may
 * be NULL) lists them. The caller frees the result. */
char *session_fill(const session *s, const char *text, const char *shell, slot_report *rep);
/* session_fill for text a person reads (steps, undo, help). */
char *session_render(const session *s, const char *text);
/* Whether w holds in the session's context: 1, 0, or -1 not known yet. */
int session_where(session *s, const tr_where *w);
/* The probability that fix x applies here (0: it does not; a rule's reason
 * for excluding it in *why, else NULL). */
double session_applies(session *s, int x, const char **why);
/* The chance that fix x resolves the problem here: each cause it resolves,
 * by its probability, the link's chance and the chance the fix applies
 * were that cause the fault (what the planner ranks it by). */
double session_fix_chance(session *s, int x);
/* The untried fixes the known context rules out (a rule's exclude, or a
 * known fact outside where the fix applies) that would have a chance were
 * they applicable, likeliest first by that chance (plan_chance: what the
 * evidence says of the causes they resolve), at most max of them, into
 * out; returns how many. When a session ends unresolved, these are where a
 * wrong answer about the context would have kept the right fix away, and
 * setting it right brings them back (issue 16). */
int session_ruled_out(session *s, int *out, int max);
/* The i-th warning rules attached to fix x, or NULL past the last. */
const char *session_warning(const session *s, int x, int i);

/* Every rule effect now in force, for explanations: rule index and effect. */
int session_effects(const session *s, int r, const rule_effect **fx);
/* Whether rule r is on in this session; when off, *why says why. */
int session_rule_on(const session *s, int r, const char **why);
/* Rule problems reported so far (a rule switched off, and why). */
int session_notes(const session *s, const char *const **notes);
/* Adds a warning for the front ends: kind is a short identifier
 * ("rule_off" for a rule switched off; other modules add their own, e.g.
 * an unfilled template slot), msg one line. It is also written once to
 * stderr ("triage: msg") and listed by session_notes. Both are copied. */
void session_warn(session *s, const char *kind, const char *msg);
/* Every warning so far, oldest first: kinds[i] and msgs[i]; returns how
 * many. The arrays belong to the session and grow as warnings are added. */
int session_warnings(const session *s, const char *const **kinds, const char *const **msgs);
/* How many rule runs the session has made (tests check dependency tracking). */
long session_rule_runs(const session *s);

/* The event log. */
int session_events(const session *s, const session_event **ev);
const tr_model *session_model(const session *s);
/* Whether the session is done, and how. */
int session_done(const session *s, enum done_status *status);



/* The planner's view of asking fact f now: returns its ECO and fills
 * after[k] (nvalues of f) with the expected cost after value k. */
double session_question_value(session *s, int f, double *after);

/* The planner's inputs for the current state (valid until the next change),
 * so explanations price things exactly as the decision did. */
void session_planner(session *s, plan_in *in);

#endif
