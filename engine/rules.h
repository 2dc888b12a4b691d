/*
 * rules.h: the Lua 5.4 sandbox that loads and runs knowledge-base rules.
 * A rule is metadata (description, reads, sources, enabled) and a run(f)
 * function whose effects (derive, hide, scale, fill, warn, exclude) are collected
 * here as rule_effect records. Every call into Lua goes through one
 * protected call with an instruction budget and a memory cap.
 * Uses Lua 5.4 and model.h; knows nothing of sessions.
 */
#ifndef TR_RULES_H
#define TR_RULES_H
#include "err.h"
#include "model.h"

enum effect_kind { EFFECT_DERIVE, EFFECT_HIDE, EFFECT_SCALE, EFFECT_FILL, EFFECT_WARN, EFFECT_EXCLUDE };

typedef struct rule_effect {
	enum effect_kind kind;
	int target;        /* fact (derive, hide), cause (scale), fix (warn, exclude); -1 for fill */
	int value;         /* derive: global value index, or -1 for a free-text fact */
	double factor;     /* scale */
	char *slot;        /* fill: the template slot */
	char *text;        /* derive on free text, fill, warn: the text */
	char *why;         /* the rule's reason; "" when it gave none */
} rule_effect;

typedef struct rule_effects {
	rule_effect *v;    /* heap array */
	int n, cap;
} rule_effects;

/* What a rule declares, read at load time (for kb build and kb show). */
typedef struct rule_meta {
	char *description;
	char **reads; int nreads;     /* fact ids */
	char **sources; int nsources; /* source ids */
	int enabled;
} rule_meta;

/* Limits of one rule run (and of one rule's load). */
#define RULES_BUDGET 2000000   /* VM instructions */
#define RULES_MEMORY (8u << 20) /* bytes a run may add to the state */

typedef struct rules rules;

/* Loads the source of rule id (file name chunk, e.g. "rules/id.lua") in a
 * throwaway sandbox and reads its metadata into *meta (free with
 * rules_meta_free). Fails naming the file and what is missing or wrong. */
int rules_check(const char *chunk, const char *src, rule_meta *meta, tr_err *e);
/* The same for many rules in a row (kb build): rules_checker_open makes one
 * sandbox (free with rules_close), and each rules_check_in loads its rule
 * in a fresh _ENV of it, as a session's rules share one state; starting
 * Lua once per rule was most of checking it. */
int rules_checker_open(rules **out, tr_err *e);
int rules_check_in(rules *R, const char *chunk, const char *src, rule_meta *meta, tr_err *e);
void rules_meta_free(rule_meta *meta);

/* Creates a sandbox for the rules of m; each is compiled on its first run
 * (a rule that then fails to load is switched off, and rules_run says why).
 * Only fails when Lua itself cannot start. *out is owned by the caller
 * (rules_close). */
int rules_open(const tr_model *m, rules **out, tr_err *e);
void rules_close(rules *R);

/* Whether rule r is on (enabled, and not switched off by a failure); when
 * off, *why says why (may be NULL). */
int rules_active(const rules *R, int r, const char **why);
/* Switches rule r off for the rest of this sandbox's life, with a reason. */
void rules_disable(rules *R, int r, const char *why);

/* Runs rule r's run(f). facts[f] is the value of fact f seen by rules, or
 * NULL while unknown. On TR_OK *out holds the effects (replacing what it
 * held). On error the rule is switched off, e names the rule, file and line,
 * and *out is emptied. *cost, when not NULL, receives the instructions used. */
int rules_run(rules *R, int r, const char *const *facts, rule_effects *out,
	      long *cost, tr_err *e);

/* Empties an effect list, keeping its memory; rules_effects_free frees it. */
void rules_effects_clear(rule_effects *fx);
void rules_effects_free(rule_effects *fx);

#endif
