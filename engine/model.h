/*
 * model.h: a knowledge base loaded into memory, read-only once loaded.
 * Records are sorted by id and referred to by index. Every fact value has a
 * global index (tr_fact.first + k).
 * Invariant: each record struct (fact, cause, fix, rule) begins with its id;
 * model.c's lookup searches by that first field.
 * Evidence is sparse, as knowledge is: a cause states likelihoods for a
 * handful of facts, and every other cause gives a fact's values their
 * defaults (tr_value.p). So P(value | cause) is the cause's evidence row when
 * it has one, else the default; evidence rows are indexed both by cause
 * (a contiguous range, sorted by cause) and by fact, links (fix resolves
 * cause) by fix (a range) and by cause, and rules by the facts they read.
 * Every operation can then touch only the records it concerns.
 * Uses SQLite (store.h) to load, or the model image (image.h); knows nothing of any particular domain.
 */
#ifndef TR_MODEL_H
#define TR_MODEL_H
#include <sqlite3.h>
#include "arena.h"
#include "err.h"

enum tr_risk { RISK_LOW, RISK_MEDIUM, RISK_HIGH };

/* "low", "medium", "high", indexed by enum tr_risk. */
extern const char *const model_risk_names[];

typedef struct tr_cite {
	const char *source;  /* source id */
	const char *note;    /* "" when none */
} tr_cite;

/* Where something applies: every condition must hold. A condition holds
 * when the fact's value is (negate: is not) one of values. n == 0: always. */
typedef struct tr_cond {
	int fact;
	int negate;
	int *values; int nvalues;  /* global value indexes */
} tr_cond;

typedef struct tr_where {
	tr_cond *v; int n;
} tr_where;

typedef struct tr_command {
	const char *shell;  /* powershell, cmd, reg, gui, azure-cli */
	const char *on;     /* client, host, router, portal, gateway */
	const char *text;   /* exactly as stored; may hold {{slot}} templates */
	tr_where applies;   /* where the command applies (model_load_fit) */
} tr_command;

typedef struct tr_fact {
	const char *id, *text, *help;
	const char *asker;      /* client, host_admin, cloud_admin, network_admin */
	double cost;            /* effort to answer, minutes */
	double unknown_rate;    /* how often the answer is "unknown" */
	int first, nvalues;     /* its values: m->values[first .. first+nvalues); 0 = free text */
	tr_command *check; int ncheck;
	tr_cite *cites; int ncites;
	int *ev; int nev;       /* evidence rows on this fact (m->evidence indexes) */
	int *rules; int nrules; /* rules that read this fact (m->rules indexes) */
	int kind;               /* free text: enum slot_kind (model_load_fit) */
	const char *slot;       /* free text: the {{slot}} it fills, or "" */
} tr_fact;

typedef struct tr_value {
	int fact;               /* owning fact */
	const char *value, *text;
	double p;               /* default likelihood for causes silent on the fact */
} tr_value;

typedef struct tr_cause {
	const char *id, *title, *summary, *prior_why;
	double prior;
	tr_cite *cites; int ncites;
	int ev, nev;            /* its evidence: m->evidence[ev .. ev+nev) */
	int *links; int nlinks; /* links that resolve it (m->links indexes) */
} tr_cause;

typedef struct tr_evidence {
	int cause, fact;        /* a cause's stated evidence on one fact */
	const char *why;
	const double *lk;       /* P(value | cause), completed, for the fact's values */
} tr_evidence;

typedef struct tr_fix {
	const char *id, *title, *summary, *undo, *outcome;
	enum tr_risk risk;
	double cost;            /* effort, minutes-equivalent, risk not included */
	int minutes, admin, reboot;
	const char **steps; int nsteps;
	tr_command *cmds; int ncmds;
	tr_cite *cites; int ncites;
	int link, nlink;        /* the causes it resolves: m->links[link .. link+nlink) */
	int *incl; int nincl;   /* the fixes its steps carry out (includes, followed) */
	tr_where applies;       /* where the fix applies (model_load_fit) */
	tr_where *step_applies; /* per step (nsteps) */
} tr_fix;

typedef struct tr_link {
	int fix, cause;         /* the fix resolves the cause ... */
	double p;               /* ... with this probability */
	const char *why;
	int via;                /* the included fix whose link this is, or -1: its own
				   (p raised to an included fix's where that is higher) */
} tr_link;

typedef struct tr_rule {
	const char *id, *description, *source;
	int enabled;
	int *reads; int nreads; /* fact indexes */
	tr_cite *cites; int ncites;
} tr_rule;

/* One effect of the rules' starting state (no fact known), computed by
 * kb build (prime.c) so a session need not run every rule to start. */
typedef struct tr_prime {
	int rule;
	int kind;               /* enum effect_kind (rules.h), or -1: switched off */
	int target, value;      /* as in rule_effect */
	double factor;
	const char *slot, *text, *why;  /* off: text says why */
} tr_prime;

typedef struct tr_source {
	const char *id, *file, *title, *note;
} tr_source;

/* An id -> record index hash, built at load (open addressing). */
typedef struct tr_ids {
	int *slot;              /* record index + 1, 0 empty */
	unsigned mask;
} tr_ids;

typedef struct tr_model {
	const char *kb_id, *title, *version, *summary;
	char digest[17];        /* hex digest of the content, for saved sessions */
	tr_fact *facts; int nfacts;
	tr_value *values; int nvalues;
	tr_cause *causes; int ncauses;
	tr_evidence *evidence; int nevidence;
	tr_fix *fixes; int nfixes;
	tr_link *links; int nlinks;
	tr_rule *rules; int nrules;
	tr_source *sources; int nsources;
	tr_ids fact_ids, cause_ids, fix_ids, rule_ids;
	int primed;             /* prime holds the rules' starting state */
	tr_prime *prime; int nprime;  /* sorted by rule */
	arena mem;              /* owns everything above */
} tr_model;

/* Loads the knowledge base in db: from its model image (image.h) when it
 * has a usable one, else from its rows (model_load_rows). On TR_OK *out is
 * owned by the caller (model_free). Fails as model_load_rows does. */
int model_load(sqlite3 *db, tr_model **out, tr_err *e);

/* Loads the knowledge base in db from its rows, every table read. On TR_OK
 * *out is owned by the caller (model_free). Fails with a message naming the
 * record when the content is inconsistent (evidence that cannot be
 * completed to a distribution). */
int model_load_rows(sqlite3 *db, tr_model **out, tr_err *e);

/* Loads what says where fixes, steps and commands apply and what kind of
 * value each free-text fact holds (schema 004); model_load calls it last.
 * Fails naming the record when a condition names no such fact or value. */
int model_load_fit(sqlite3 *db, tr_model *m, tr_err *e);

/* Whether w holds for the fact values obs (global value index per fact, -1
 * while unknown): 1 holds, 0 does not, -1 not known yet. */
int model_where(const tr_model *m, const tr_where *w, const int *obs);

/* Writes w as text ("host_kind is azure_vm or avd; connection_path is not
 * lan") into out (size bytes). */
void model_where_text(const tr_model *m, const tr_where *w, char *out, size_t size);

/* The free-text fact that fills {{slot}}, or -1. */
int model_slot_fact(const tr_model *m, const char *slot);

/* Frees m and everything it owns; NULL is a no-op. */
void model_free(tr_model *m);

/* Index lookups by id; each returns -1 when there is no such record. */
int model_fact(const tr_model *m, const char *id);
int model_cause(const tr_model *m, const char *id);
int model_fix(const tr_model *m, const char *id);
int model_rule(const tr_model *m, const char *id);
/* Global index of value of fact f, or -1. */
int model_value(const tr_model *m, int f, const char *value);

/* The evidence row of cause c on fact f, or -1 when c states none. */
int model_evidence(const tr_model *m, int c, int f);
/* P(value v | cause c): c's evidence on v's fact, else v's default. */
double model_like(const tr_model *m, int c, int v);
/* Why c gives evidence on fact f, or NULL when it states none. */
const char *model_why(const tr_model *m, int c, int f);
/* P(fix x resolves the problem | cause c); 0 when they are not linked. */
double model_resolve(const tr_model *m, int x, int c);

#endif
