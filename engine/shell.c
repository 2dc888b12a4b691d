/*
 * shell.c: `triage ask` (and plain `triage`), the shell a help-desk
 * technician lives in: one question or fix at a time, a compact ranking
 * after every reply, and the shell's own commands from one table. A
 * terminal (libedit), a script file and a pipe go through one input loop.
 * Uses session.h, explain.h, sessdb.h, export.h, jsonl.h and text.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <unistd.h>
#include <wchar.h>
#include <editline/readline.h>
#include "cli.h"
#include "config.h"
#include "explain.h"
#include "kbedit.h"
#include "export.h"
#include "jsonl.h"
#include "plan.h"
#include "reach.h"
#include "sessdb.h"
#include "text.h"

#ifndef TRIAGE_VERSION
#define TRIAGE_VERSION "dev"
#endif

#define SHELL_TOP 5     /* causes in the compact ranking */

/* Everything the shell knows. The session is the one source of truth for
 * facts and decisions; the shell adds where it is saved and how to print. */
typedef struct shell_state {
	const tr_model *m;      /* the knowledge base (main.c owns it) */
	session *s;             /* the session worked on (owned) */
	sqlite3 *db;            /* the user's session file; NULL when it cannot open */
	sqlite3 *kb;            /* the knowledge base's file, for its history (main.c owns it) */
	sqlite3_int64 id;       /* s's row in db; 0 while unsaved */
	sessdb_kept kept;       /* s's saved events this knowledge base cannot apply */
	const char *label;      /* a title to save (--title, title), or NULL */
	char *title;            /* the title typed in the shell (owned) */
	int interactive;        /* stdin is a terminal: prompts, libedit, Ctrl-C */
	int keys;               /* that terminal opened anew, non-blocking; -1 when not */
	int colour;             /* interactive, stdout a terminal, NO_COLOR unset */
	int utf8;               /* the locale's characters are UTF-8 (else ASCII bars) */
	int width;              /* columns to wrap at, read before each reply */
	int quit;               /* `quit` was typed */
	int ending_asked;       /* the ending was asked for once already */
	int *order;             /* scratch for rankings and plans */
	char prompt[96];        /* the prompt for the pending step */
	int offer;              /* the free-text fact being offered for slots, or -1 */
	unsigned char *offered; /* per fact: offered once already */
	cli *c;                 /* the command line: reach and technician in effect */
	int reach_saved;        /* the reach recorded for sh->id, or -1 not yet */
} shell_state;

typedef struct shell_command {
	const char *name;
	int (*run)(shell_state *sh, char *arg, tr_err *e);  /* TR_OK, or a code and e */
	const char *args;       /* what follows the name, for help */
	const char *help;       /* one line */
} shell_command;

static volatile sig_atomic_t shell_interrupted;  /* Ctrl-C since the last read */
static sigset_t shell_waitmask;                   /* the signal mask while waiting for a key */
static shell_state *shell_now;                    /* the shell libedit's callbacks serve */

/* ---- input: libedit on a terminal, getline otherwise ---- */

/* Reads one line without its newline: a heap string, or NULL at the end of
 * input or after Ctrl-C (then shell_interrupted is set). */
static char *shell_readline(shell_state *sh)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (sh->interactive) {
		char prompt[sizeof sh->prompt + 80], r[64];

		if (session_reach(sh->s) == REACH_ALL)
			return readline(sh->prompt);
		snprintf(prompt, sizeof prompt, "[%s] %s", reach_format(session_reach(sh->s), r, sizeof r),
			 sh->prompt);  /* the reach, when limited, heads every prompt */
		return readline(prompt);
	}
	if ((n = getline(&line, &cap, stdin)) < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}
#define shell_saveline(sh, line) ((sh)->interactive && *(line) ? add_history(line) : 0)
#define shell_freeline(line) free(line)

static void shell_sigint(int sig)
{
	(void)sig;
	shell_interrupted = 1;
}

/* libedit's source of characters on a terminal: the next character
 * (decoded in the locale), or EOF at the end of input or after Ctrl-C.
 * SIGINT is blocked except inside pselect, so a Ctrl-C that comes while
 * libedit is busy is not lost: it ends the next wait. The terminal is read
 * through its own non-blocking descriptor: a Ctrl-C between pselect and
 * read empties the input queue, and a blocking read would then wait with
 * SIGINT blocked. */
static int shell_getc(FILE *f)
{
	int fd = shell_now->keys >= 0 ? shell_now->keys : fileno(f);
	mbstate_t st;
	wchar_t wc;
	char c;

	memset(&st, 0, sizeof st);
	for (;;) {
		fd_set in;
		ssize_t n;
		size_t r;

		if (shell_interrupted)
			return EOF;
		FD_ZERO(&in);
		FD_SET(fd, &in);
		if (pselect(fd + 1, &in, NULL, NULL, NULL, &shell_waitmask) < 0 && errno != EINTR)
			return EOF;
		if ((n = read(fd, &c, 1)) < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n != 1)
			return EOF;
		/* A Ctrl-D typed while the shell was printing (the terminal still
		 * in line mode) arrives as a NUL once libedit switches modes. */
		if (c == '\0')
			return EOF;
		r = mbrtowc(&wc, &c, 1, &st);
		if (r == (size_t)-1)   /* not a character: drop it */
			memset(&st, 0, sizeof st);
		else if (r != (size_t)-2)
			return (int)wc;
	}
}

/* ---- output: wrapped, safe, coloured only on a terminal ---- */

enum style { S_OFF, S_BOLD, S_DIM, S_RED, S_GREEN, S_YELLOW, S_CYAN };
static const char *const sgr[] = {"\033[0m", "\033[1m", "\033[2m", "\033[31m", "\033[32m", "\033[33m", "\033[36m"};
static const char *const state_names[] = {"untried", "failed", "skipped", "worked"};
static const char spaces[] = "                ";

/* How many c end s. */
static size_t strspn_end(const char *s, char c)
{
	size_t n = strlen(s), k = 0;

	while (k < n && s[n - 1 - k] == c)
		k++;
	return k;
}

static const char *ink(const shell_state *sh, enum style st)
{
	return sh->colour ? sgr[st] : "";
}

static int shell_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	int w = 80;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		w = ws.ws_col;
	else if (env && atoi(env) > 0)
		w = atoi(env);
	return w < 30 ? 30 : w;
}

/* Prints lead (w columns wide, may hold colour), then id (coloured) and
 * text, wrapped with later lines starting at column hang. When the id
 * and some text do not fit the width that way, the lead stands alone
 * (trailing spaces dropped) and the rest follows indented by 4. */
static void item(const shell_state *sh, const char *lead, int w, int hang,
		 const char *id, const char *text)
{
	buf body = {0}, out = {0};
	int idw = id ? (int)strlen(id) : 0;

	if (hang < w)
		hang = w;
	if (hang + 20 > sh->width || hang + idw + (text && *text ? 12 : 0) > sh->width) {
		int n = (int)(strlen(lead) - strspn_end(lead, ' '));

		if (n)
			printf("%.*s\n", n, lead);
		fputs("    ", stdout);
		hang = 4;
	} else
		fputs(lead, stdout);
	if (id)
		buf_printf(&body, "%s ", id);
	buf_puts(&body, text ? text : "");
	text_wrap(&out, buf_str(&body), sh->width, hang);
	if (id && out.len >= (size_t)idw)
		printf("%s%.*s%s%s\n", ink(sh, S_CYAN), idw, buf_str(&out), ink(sh, S_OFF), buf_str(&out) + idw);
	else
		printf("%s\n", buf_str(&out));
	buf_free(&body);
	buf_free(&out);
}

/* Prints text wrapped, every line indented by indent (at most 16). */
static void say(const shell_state *sh, int indent, const char *text)
{
	item(sh, spaces + 16 - indent, indent, indent, NULL, text);
}

/* Prints a heading of the shell's own (short, safe) text. */
static void head(const shell_state *sh, const char *text)
{
	printf("%s%s%s\n", ink(sh, S_BOLD), text, ink(sh, S_OFF));
}

/* Prints "  Label: text", the label in style st, the text wrapped under
 * its own first line. */
static void labelled(const shell_state *sh, enum style st, const char *label, const char *text)
{
	char lead[64];
	int w = (int)strlen(label) + 4;

	snprintf(lead, sizeof lead, "  %s%s:%s ", ink(sh, st), label, ink(sh, S_OFF));
	item(sh, lead, w, w, NULL, text);
}

/* Prints multi-line text (an explanation), each line wrapped under its
 * own indentation plus a hanging indent. */
static void say_lines(const shell_state *sh, const char *text)
{
	buf line = {0};

	while (*text) {
		size_t n = strcspn(text, "\n"), lead = strspn(text, " ");

		if (lead > n || lead > 12)
			lead = lead > n ? n : 12;
		buf_reset(&line);
		buf_add(&line, text + lead, n - lead);
		item(sh, spaces + 16 - lead, (int)lead, (int)lead + 4, NULL, buf_str(&line));
		text += n + (text[n] == '\n');
	}
	buf_free(&line);
}

/* Prints an error (its text made safe) on stderr, after what came before. */
static void shell_error(const shell_state *sh, const char *msg)
{
	buf b = {0};

	fflush(stdout);
	text_wrap(&b, msg, sh->width, 7);   /* under its own first line, past "error: " */
	fprintf(stderr, "%serror:%s %s\n", ink(sh, S_RED), ink(sh, S_OFF), buf_str(&b));
	buf_free(&b);
}

/* Commands that may apply here, each in its own block: "[shell on where]"
 * (and when it applies, while that is not known), then the text exactly as
 * rendered and quoted for its shell (never wrapped; control characters shown
 * as \xNN); a value a shell cannot take is said under it. */
static void show_commands(const shell_state *sh, const tr_command *cmds, int n)
{
	buf b = {0};

	for (int i = 0; i < n; i++) {
		slot_report rep;
		char *text, when[512];
		const char *p;

		if (session_where(sh->s, &cmds[i].applies) == 0)
			continue;
		text = session_fill(sh->s, cmds[i].text, cmds[i].shell, &rep);
		buf_reset(&b);
		text_safe(&b, cmds[i].shell, 0);
		buf_puts(&b, " on ");
		text_safe(&b, cmds[i].on, 0);
		if (cmds[i].applies.n && session_where(sh->s, &cmds[i].applies) < 0) {
			model_where_text(sh->m, &cmds[i].applies, when, sizeof when);
			buf_puts(&b, ", only if ");
			text_safe(&b, when, 0);
		}
		printf("    %s[%s]%s\n", ink(sh, S_DIM), buf_str(&b), ink(sh, S_OFF));
		buf_reset(&b);
		text_safe(&b, text, 1);
		for (p = buf_str(&b); *p; p += *p == '\n') {
			size_t k = strcspn(p, "\n");

			printf("      %.*s\n", (int)k, p);
			p += k;
		}
		for (int k = 0; k < rep.n; k++)
			if (rep.v[k].why) {
				buf_reset(&b);
				buf_printf(&b, "<%s> left unfilled: %s.", rep.v[k].name, rep.v[k].why);
				labelled(sh, S_YELLOW, "Warning", buf_str(&b));
			}
		free(text);
	}
	buf_free(&b);
}

/* Text a person reads, its slots filled: the caller frees it. */
static char *filled(const shell_state *sh, const char *text)
{
	return session_render(sh->s, text);
}

/* A bar of cells block characters for p ('#' and '.' outside UTF-8). */
static void bar(const shell_state *sh, buf *b, double p, int cells)
{
	int full = (int)(p * cells + 0.5);

	for (int i = 0; i < cells; i++)
		buf_puts(b, sh->utf8 ? (i < full ? "\u2588" : "\u2591") : (i < full ? "#" : "."));
}

/* The n most likely causes (all when n < 0), with bars. */
static void show_ranking(shell_state *sh, int n)
{
	const double *p = session_p(sh->s);
	int k = session_ranking(sh->s, sh->order), wide = sh->width >= 60, w = wide ? 21 : 13;
	buf lead = {0};

	for (int i = 0; i < k && (n < 0 || i < n); i++) {
		const tr_cause *c = &sh->m->causes[sh->order[i]];

		buf_reset(&lead);
		buf_printf(&lead, "  %s", ink(sh, S_GREEN));
		bar(sh, &lead, p[sh->order[i]], wide ? 10 : 5);
		buf_printf(&lead, wide ? "%s %5.1f%%  " : "%s %3.0f%% ", ink(sh, S_OFF), 100 * p[sh->order[i]]);
		if (wide)
			item(sh, buf_str(&lead), w, w, c->id, c->title);
		else {  /* narrow: the title under the id */
			item(sh, buf_str(&lead), w, w, c->id, NULL);
			say(sh, w, c->title);
		}
	}
	if (n >= 0 && k > n)
		printf("  ... %d more (causes lists them all)\n", k - n);
	buf_free(&lead);
}

/* The numbered choices of fact: value names in a column, labels beside
 * them (under them on a narrow terminal). */
static void show_choices(const shell_state *sh, const tr_fact *fact)
{
	int w = 0, nd = fact->nvalues >= 10 ? 2 : 1;
	buf lead = {0}, name = {0};

	for (int k = 0; k < fact->nvalues; k++)
		if ((int)strlen(sh->m->values[fact->first + k].value) > w)
			w = (int)strlen(sh->m->values[fact->first + k].value);
	for (int k = 0; k < fact->nvalues; k++) {
		const tr_value *v = &sh->m->values[fact->first + k];
		const char *label = strcmp(v->text, v->value) ? v->text : "";
		int narrow = nd + 6 + w + 20 > sh->width;

		buf_reset(&name);
		text_safe(&name, v->value, 0);
		buf_reset(&lead);
		buf_printf(&lead, "  %*d  %s%-*s%s  ", nd, k + 1, ink(sh, S_BOLD), narrow ? 0 : w,
			   buf_str(&name), ink(sh, S_OFF));
		if (!narrow)
			item(sh, buf_str(&lead), nd + 6 + w, nd + 6 + w, NULL, label);
		else {  /* narrow: the label under the name */
			printf("%.*s\n", (int)(lead.len - 2), buf_str(&lead));
			if (*label)
				say(sh, nd + 4, label);
		}
	}
	buf_free(&lead);
	buf_free(&name);
}

static void show_question(shell_state *sh, int f)
{
	const tr_fact *fact = &sh->m->facts[f];
	buf name = {0};

	buf_printf(&name, "%s:", fact->id);
	item(sh, "", 0, 2, buf_str(&name), fact->text);
	show_choices(sh, fact);
	say(sh, 2, "Answer with a number, a name or unknown; ? shows how to find out.");
	snprintf(sh->prompt, sizeof sh->prompt, "%.64s? ", fact->id);
	buf_free(&name);
}

/* A fix's chance, effort and risk, in words (no full stop). */
static void fix_terms(shell_state *sh, int x, buf *b)
{
	const tr_fix *fix = &sh->m->fixes[x];

	buf_printf(b, "%.0f%% likely to resolve it; about %d min; %s risk%s%s",
		   100 * session_fix_chance(sh->s, x), fix->minutes,
		   model_risk_names[fix->risk], fix->admin ? "; needs admin rights" : "",
		   fix->reboot ? "; needs a restart" : "");
}

static void show_fix(shell_state *sh, int x)
{
	const tr_fix *fix = &sh->m->fixes[x];
	const char *warn;
	char lead[64];
	buf b = {0};

	snprintf(lead, sizeof lead, "%sTry this fix:%s ", ink(sh, S_BOLD), ink(sh, S_OFF));
	item(sh, lead, 14, 14, fix->id, "");
	say(sh, 2, fix->title);
	fix_terms(sh, x, &b);
	buf_putc(&b, '.');
	say(sh, 2, buf_str(&b));
	for (int i = 0; (warn = session_warning(sh->s, x, i)); i++)
		labelled(sh, S_YELLOW, "Warning", warn);
	if (fix->applies.n && session_applies(sh->s, x, NULL) < 1) {
		char when[512];

		model_where_text(sh->m, &fix->applies, when, sizeof when);
		buf_reset(&b);
		buf_printf(&b, "only if %s (not known yet).", when);
		labelled(sh, S_YELLOW, "Applies", buf_str(&b));
	}
	if (fix->nsteps)
		head(sh, "  Steps:");
	for (int i = 0, k = 0; i < fix->nsteps; i++) {
		char *t;

		if (session_where(sh->s, &fix->step_applies[i]) == 0)
			continue;
		t = filled(sh, fix->steps[i]);
		snprintf(lead, sizeof lead, "  %2d. ", ++k);
		item(sh, lead, 6, 6, NULL, t);
		free(t);
	}
	if (fix->ncmds)
		head(sh, "  Commands (copy them as they are):");
	show_commands(sh, fix->cmds, fix->ncmds);
	if (*fix->undo) {
		char *t = filled(sh, fix->undo);

		labelled(sh, S_BOLD, "Undo", t);
		free(t);
	}
	if (*fix->outcome) {
		char *t = filled(sh, fix->outcome);

		labelled(sh, S_BOLD, "Expect", t);
		free(t);
	}
	say(sh, 0, "Did it work? Answer worked (yes), failed (no) or skip.");
	snprintf(sh->prompt, sizeof sh->prompt, "worked/failed/skip? ");
	buf_free(&b);
}

/* A hand-over: what is out of reach, and the first steps of the next tier. */
static void show_handover(shell_state *sh)
{
	const plan_step *steps;
	int ask, n = session_handover(sh->s, &steps, &ask);
	char r[64], lead[16];
	buf b = {0};

	buf_printf(&b, "The best next step is out of your reach (%s): hand the problem over. "
		   "handover FILE writes the note for the next tier (facts, fixes tried, ranking and "
		   "these steps with their commands); reach LIST widens your reach and continues here.",
		   reach_format(session_reach(sh->s), r, sizeof r));
	head(sh, "Hand over.");
	say(sh, 0, buf_str(&b));
	if (ask >= 0) {
		buf_reset(&b);
		buf_printf(&b, "ask %s first (%s)", sh->m->facts[ask].id, sh->m->facts[ask].asker);
		labelled(sh, S_BOLD, "Next tier", buf_str(&b));
	}
	for (int i = 0; i < n && i < 3; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s (needs %s)", sh->m->fixes[steps[i].fix].title,
			   reach_format(session_needs(sh->s, steps[i].fix), r, sizeof r));
		snprintf(lead, sizeof lead, "  %d. ", i + 1);
		item(sh, lead, 5, 5, sh->m->fixes[steps[i].fix].id, buf_str(&b));
	}
	if (n > 3)
		printf("  ... %d more in the note\n", n - 3);
	snprintf(sh->prompt, sizeof sh->prompt, "triage> ");
	buf_free(&b);
}

/* The fixes what is known rules out, when a session ends unresolved: a
 * wrong answer about the context keeps the right fix away (issue 16). */
static void show_ruled_out(shell_state *sh)
{
	int v[EXPLAIN_RULED_OUT], n = session_ruled_out(sh->s, v, EXPLAIN_RULED_OUT);
	buf b = {0};

	if (n == 0)
		return;
	head(sh, "Ruled out by what is known:");
	say(sh, 2, "Not offered, because of what the session knows. If an answer was wrong, "
	    "set FACT=VALUE puts it right and brings them back.");
	for (int i = 0; i < n; i++) {
		buf_reset(&b);
		buf_printf(&b, "%.0f%% likely were it to apply: ",
			   100 * plan_chance(sh->m, session_p(sh->s), v[i]));
		explain_ruled_out(sh->s, v[i], &b);
		buf_puts(&b, ".");
		item(sh, "  ", 2, 4, sh->m->fixes[v[i]].id, buf_str(&b));
	}
	buf_free(&b);
}

static void show_done(shell_state *sh, enum done_status st)
{
	buf b = {0};

	if (st == DONE_HANDOVER) {
		show_handover(sh);
		show_ruled_out(sh);
		return;
	}
	if (st == DONE_RESOLVED) {
		for (int x = 0; x < sh->m->nfixes; x++)
			if (session_fix_state(sh->s, x) == FIX_WORKED)
				buf_printf(&b, "Resolved: %s worked. ", sh->m->fixes[x].id);
	} else
		buf_puts(&b, "Nothing is left worth asking or trying: hand the problem to an expert "
			 "with the session report (export). ");
	buf_puts(&b, "The session is over; back undoes the last reply, set adds a fact, "
		 "export writes the report, quit leaves.");
	head(sh, st == DONE_RESOLVED ? "Done." : "Done, unresolved.");
	say(sh, 0, buf_str(&b));
	if (st != DONE_RESOLVED && st != DONE_QUIT)
		show_ruled_out(sh);
	snprintf(sh->prompt, sizeof sh->prompt, "triage> ");
	buf_free(&b);
}

/* The pending step: a question, a fix, or the end. */
/* Adds the slots text leaves unfilled (for shell) to rep. */
static void gather(const shell_state *sh, const char *text, const char *shell, slot_report *rep)
{
	slot_report one;
	char *t = session_fill(sh->s, text, shell, &one);

	free(t);
	for (int i = 0; i < one.n; i++) {
		int seen = 0;

		for (int k = 0; k < rep->n; k++)
			seen |= strcmp(rep->v[k].name, one.v[i].name) == 0;
		if (!seen && rep->n < SLOT_MISS_MAX)
			rep->v[rep->n++] = one.v[i];
	}
}

/* The slots the pending step's texts leave unfilled, in order. */
static void step_slots(shell_state *sh, slot_report *rep)
{
	const action *a = session_next(sh->s);
	const tr_command *cmds = NULL;
	int n = 0;

	rep->n = 0;
	if (a->kind == ACT_QUESTION) {
		gather(sh, sh->m->facts[a->fact].help, NULL, rep);
		cmds = sh->m->facts[a->fact].check, n = sh->m->facts[a->fact].ncheck;
	} else if (a->kind == ACT_RECOMMEND) {
		const tr_fix *fix = &sh->m->fixes[a->fix];

		for (int i = 0; i < fix->nsteps; i++)
			if (session_where(sh->s, &fix->step_applies[i]) != 0)
				gather(sh, fix->steps[i], NULL, rep);
		cmds = fix->cmds, n = fix->ncmds;
	}
	for (int i = 0; i < n; i++)
		if (session_where(sh->s, &cmds[i].applies) != 0)
			gather(sh, cmds[i].text, cmds[i].shell, rep);
}

/* On a terminal, offers once per fact to fill the pending step's
 * unfilled slots: the next line is the value (Enter skips). */
static void offer_slots(shell_state *sh)
{
	slot_report rep;

	sh->offer = -1;
	if (!sh->interactive || session_next(sh->s)->kind == ACT_DONE)
		return;
	step_slots(sh, &rep);
	for (int i = 0; i < rep.n; i++) {
		int f = model_slot_fact(sh->m, rep.v[i].name);
		buf b = {0};

		if (f < 0 || sh->offered[f] || session_text(sh->s, f))
			continue;
		sh->offered[f] = 1;
		sh->offer = f;
		buf_printf(&b, "The commands need <%s>: %s Type it, or press Enter to skip.", rep.v[i].name,
			   sh->m->facts[f].text);
		say(sh, 0, buf_str(&b));
		snprintf(sh->prompt, sizeof sh->prompt, "%.64s (Enter to skip)> ", sh->m->facts[f].id);
		buf_free(&b);
		return;
	}
}

static void show_step(shell_state *sh)
{
	const action *a = session_next(sh->s);

	if (a->kind == ACT_QUESTION && a->recheck) {
		buf b = {0};

		explain_recheck(sh->s, &b);
		buf_puts(&b, ".");
		b.data[0] = (char)toupper((unsigned char)b.data[0]);
		head(sh, "Check an answer again:");
		say(sh, 2, buf_str(&b));
		buf_free(&b);
	}
	if (a->kind == ACT_QUESTION)
		show_question(sh, a->fact);
	else if (a->kind == ACT_RECOMMEND)
		show_fix(sh, a->fix);
	else
		show_done(sh, a->status);
	offer_slots(sh);
}

static void noted(shell_state *sh);

/* The reply to an offer to fill a slot: a value for fact sh->offer, or
 * nothing to skip it (then the next slot is offered, or the step's prompt
 * comes back). A value the fact refuses is said and offered again. */
static void offer_reply(shell_state *sh, const char *line)
{
	int f = sh->offer;
	tr_err e;

	sh->offer = -1;
	tr_clear(&e);
	if (!*line) {
		const action *a = session_next(sh->s);

		if (a->kind == ACT_QUESTION)
			snprintf(sh->prompt, sizeof sh->prompt, "%.64s? ", sh->m->facts[a->fact].id);
		else
			snprintf(sh->prompt, sizeof sh->prompt, "worked/failed/skip? ");
		offer_slots(sh);
		return;
	}
	if (session_add(sh->s, EV_SET, sh->m->facts[f].id, line, &e) != TR_OK) {
		shell_error(sh, e.msg);
		sh->offer = f;
		return;
	}
	noted(sh);
}

/* Saves the session to the user's file, its reach when it changed and
 * a hand-over as its ending; a failure is said, not fatal. */
static void autosave(shell_state *sh)
{
	tr_err e;
	char r[64];
	unsigned now = session_reach(sh->s);
	enum done_status st;

	tr_clear(&e);
	if (!sh->db)
		return;
	if (sessdb_save(sh->db, sh->s, &sh->kept, sh->label, &sh->id, &e) != TR_OK)
		shell_error(sh, e.msg);
	else if (sh->reach_saved != (int)now &&
		 sessdb_set_reach(sh->db, sh->id, now == REACH_ALL ? "" : reach_format(now, r, sizeof r), &e) != TR_OK)
		shell_error(sh, e.msg);
	else {
		sh->reach_saved = (int)now;
		if (session_done(sh->s, &st) && st == DONE_HANDOVER) {
			char note[128];

			snprintf(note, sizeof note, "handed over from reach %s", reach_format(now, r, sizeof r));
			if (sessdb_end(sh->db, sh->id, "handover", NULL, note, &e) != TR_OK)
				shell_error(sh, e.msg);
		}
	}
}

/* After a change: save (when asked), then the ranking and the next step. */
static void changed(shell_state *sh, int save)
{
	if (save)
		autosave(sh);
	putchar('\n');
	head(sh, "Most likely causes:");
	show_ranking(sh, SHELL_TOP);
	putchar('\n');
	show_step(sh);
}

/* After SHELL_UNKNOWN_RUN unknown answers in a row (and every as many
 * more): what the session cannot find out without them, and the offer to
 * stop and hand the report over. Only an offer, never a forced stop: of
 * the 270 noisy evaluation users (make_cases.py noisy, 30% unknown), 43
 * answer unknown 3 times in a row, and 39 of those still resolve. */
#define SHELL_UNKNOWN_RUN 3

static int offer_to_stop(shell_state *sh)
{
	const session_event *ev;
	int n = session_events(sh->s, &ev), run = 0, k;
	const double *p;
	buf b = {0};

	while (run < n && ev[n - 1 - run].kind == EV_ANSWER && strcmp(ev[n - 1 - run].value, "unknown") == 0)
		run++;
	if (run == 0 || run % SHELL_UNKNOWN_RUN || session_next(sh->s)->kind == ACT_DONE)
		return 0;
	p = session_p(sh->s);
	k = session_ranking(sh->s, sh->order);
	buf_printf(&b, "%d answers in a row were unknown (", run);
	for (int i = run; i > 0; i--)
		buf_printf(&b, "%s%s", i < run ? ", " : "", ev[n - i].subject);
	buf_puts(&b, "). Without them the session cannot tell apart ");
	for (int i = 0; i < k && i < 3; i++)
		buf_printf(&b, "%s%s (%.0f%%)", i ? (i == k - 1 || i == 2 ? " and " : ", ") : "",
			   sh->m->causes[sh->order[i]].id, 100 * p[sh->order[i]]);
	buf_puts(&b, ". You can stop here: export FILE writes the report to hand to someone who "
		 "can find these out (quit keeps the session; resume continues it later), or answer on.");
	labelled(sh, S_YELLOW, "Stuck", buf_str(&b));
	buf_free(&b);
	return 1;
}

/* Says what event ev recorded: "Noted: host_kind = server (answer)." */
static void say_event(const shell_state *sh, const char *what, const session_event *ev)
{
	buf b = {0};

	if (ev->kind == EV_RESULT)
		buf_printf(&b, "%s: fix %s %s.", what, ev->subject, ev->value);
	else
		buf_printf(&b, "%s: %s = %s (%s).", what, ev->subject, ev->value, session_event_names[ev->kind]);
	say(sh, 0, buf_str(&b));
	buf_free(&b);
}

/* A note when fact f's value is outside what the knowledge base covers. */
static void note_outside(const shell_state *sh, int f)
{
	buf b = {0};

	if (f >= 0 && session_value(sh->s, f) >= 0 && explain_outside(sh->m, session_value(sh->s, f), &b))
		labelled(sh, S_YELLOW, "Note", buf_str(&b));
	buf_free(&b);
}

/* After an accepted reply or fact: what was noted, then the next step. */
static void noted(shell_state *sh)
{
	const session_event *ev;
	int n = session_events(sh->s, &ev);

	say_event(sh, "Noted", &ev[n - 1]);
	if (ev[n - 1].kind != EV_RESULT)
		note_outside(sh, model_fact(sh->m, ev[n - 1].subject));
	autosave(sh);
	putchar('\n');
	head(sh, "Most likely causes:");
	show_ranking(sh, SHELL_TOP);
	putchar('\n');
	if (offer_to_stop(sh))
		putchar('\n');
	show_step(sh);
}

/* ---- replies: answers and fix results ---- */

/* ---- words people type: exact, a unique prefix, or "did you mean" ---- */

/* The edit distance between a and b when both are short; large otherwise. */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[33], prev, cur;

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = prev + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));

			cur = row[j];
			row[j] = sub < row[j] + 1 ? sub : row[j] + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			prev = cur;
		}
	}
	return row[lb];
}

/* A set of words to match what was typed against. */
typedef struct words {
	const char *w[128];
	const char *to[128];   /* what each word stands for (a synonym's meaning) */
	int n;
} words;

static void word_add(words *W, const char *w, const char *to)
{
	if (W->n < 128) {
		W->w[W->n] = w;
		W->to[W->n++] = to ? to : w;
	}
}

/* What typed names in W: an exact word (any case), else the one meaning
 * that words starting with typed share; NULL when none or several. */
static const char *word_match(const words *W, const char *typed)
{
	const char *found = NULL;
	size_t n = strlen(typed);

	for (int i = 0; i < W->n; i++)
		if (strcasecmp(W->w[i], typed) == 0)
			return W->to[i];
	for (int i = 0; n && i < W->n; i++)
		if (strncasecmp(W->w[i], typed, n) == 0) {
			if (found && strcmp(found, W->to[i]) != 0)
				return NULL;
			found = W->to[i];
		}
	return found;
}

/* Appends " (did you mean A or B?)" to b for the words of W that typed
 * starts or nearly spells; nothing when none. */
static void did_you_mean(buf *b, const words *W, const char *typed)
{
	size_t n = strlen(typed), start = b->len;
	int k = 0;

	for (int i = 0; i < W->n && k < 4; i++) {
		int d = distance(W->w[i], typed);

		if ((n && strncasecmp(W->w[i], typed, n) == 0) ||
		    (d <= (strlen(W->w[i]) > 4 ? 2 : 1) && d < (int)strlen(W->w[i]))) {
			buf_printf(b, "%s%s", k ? ", " : " (did you mean ", W->w[i]);
			k++;
		}
	}
	if (k)
		buf_puts(b, "?)");
	else
		b->len = start;
	if (b->data)
		b->data[b->len] = '\0';
}

/* The value word names for fact f: a value (any case) or a unique prefix
 * of one, unknown (or a prefix: u), or a 1-based choice number; otherwise
 * word itself, for the session to judge. */
static const char *choice(const shell_state *sh, int f, const char *word)
{
	const tr_fact *fact = &sh->m->facts[f];
	const char *found;
	words W;
	char *end;
	long k;

	W.n = 0;
	for (int i = 0; i < fact->nvalues; i++)
		word_add(&W, sh->m->values[fact->first + i].value, NULL);
	word_add(&W, "unknown", NULL);
	if (fact->nvalues && (found = word_match(&W, word)))
		return found;
	if (strcasecmp(word, "unknown") == 0)
		return "unknown";
	k = strtol(word, &end, 10);
	if (fact->nvalues && *word >= '0' && *word <= '9' && *end == '\0' && k >= 1 && k <= fact->nvalues)
		return sh->m->values[fact->first + k - 1].value;
	return word;
}

/* The words a fix's result can be given in, and what each means. */
static void result_words(words *W)
{
	static const char *const said[][2] = {
		{"worked", "worked"}, {"work", "worked"}, {"yes", "worked"}, {"y", "worked"},
		{"failed", "failed"}, {"fail", "failed"}, {"no", "failed"}, {"n", "failed"},
		{"skip", "skipped"}, {"skipped", "skipped"},
	};

	W->n = 0;
	for (size_t i = 0; i < sizeof said / sizeof *said; i++)
		word_add(W, said[i][0], said[i][1]);
}

/* The words that answer the pending step (none when the session is over). */
static void reply_words(const shell_state *sh, const action *a, words *W)
{
	W->n = 0;
	if (a->kind == ACT_RECOMMEND)
		result_words(W);
	else if (a->kind == ACT_QUESTION) {
		const tr_fact *fact = &sh->m->facts[a->fact];

		for (int i = 0; i < fact->nvalues; i++)
			word_add(W, sh->m->values[fact->first + i].value, NULL);
		word_add(W, "unknown", NULL);
	}
}

static int shell_reply(shell_state *sh, const char *word, tr_err *e)
{
	const action *a = session_next(sh->s);
	const char *said;
	words W;
	int rc;

	if (a->kind == ACT_QUESTION)
		rc = session_answer(sh->s, choice(sh, a->fact, word), e);
	else if (a->kind == ACT_RECOMMEND) {
		result_words(&W);
		said = word_match(&W, word);
		rc = session_result(sh->s, said ? said : word, e);
		if (rc != TR_OK && !said)
			rc = tr_fail(e, TR_EUSAGE, "'%s' is not a result: answer worked (yes), failed (no) or skip", word);
	} else
		return tr_fail(e, TR_EUSAGE, "the session is over (%s): back, set, resume, export or quit",
			       session_done_names[a->status]);
	if (rc == TR_OK)
		noted(sh);
	return rc;
}

/* ---- the shell's commands ---- */

/* How to find out fact f: its help, who can tell, the check commands. */
static void hint_fact(shell_state *sh, int f)
{
	const tr_fact *fact = &sh->m->facts[f];
	buf b = {0};

	char *help = filled(sh, fact->help);

	buf_printf(&b, "%s:", fact->id);
	item(sh, "", 0, 2, buf_str(&b), help);
	free(help);
	buf_reset(&b);
	buf_printf(&b, "Who can tell: %s; about %g min.", fact->asker, fact->cost);
	say(sh, 2, buf_str(&b));
	if (fact->ncheck)
		head(sh, "  Check with:");
	show_commands(sh, fact->check, fact->ncheck);
	say(sh, 2, "Answer unknown if you cannot find out.");
	buf_free(&b);
}

static int cmd_hint(shell_state *sh, char *arg, tr_err *e)
{
	const action *a = session_next(sh->s);

	(void)arg;
	if (a->kind == ACT_DONE)
		return tr_fail(e, TR_EUSAGE, "nothing is pending: the session is over");
	if (a->kind == ACT_QUESTION)
		hint_fact(sh, a->fact);
	else {
		item(sh, "", 0, 2, sh->m->fixes[a->fix].id, sh->m->fixes[a->fix].summary);
		say(sh, 2, "Try it, then answer worked, failed, or skip to set it aside for now.");
	}
	return TR_OK;
}

static int cmd_why(shell_state *sh, char *arg, tr_err *e)
{
	const action *a = session_next(sh->s);
	int detail = strcmp(arg, "--detail") == 0 || strcmp(arg, "detail") == 0;
	buf b = {0};

	if (*arg && !detail)
		return tr_fail(e, TR_EUSAGE, "why takes nothing, or --detail for the planner's numbers");
	if (a->kind == ACT_QUESTION) {
		head(sh, "Why this question:");
		explain_question(sh->s, a->fact, detail, &b);
	} else if (a->kind == ACT_RECOMMEND) {
		head(sh, "Why this fix:");
		explain_fix(sh->s, a->fix, detail, &b);
	}
	say_lines(sh, buf_str(&b));
	if (session_ranking(sh->s, sh->order) > 0) {
		buf_reset(&b);
		explain_cause(sh->s, sh->order[0], &b);
		head(sh, "Why the top cause leads:");
		say_lines(sh, buf_str(&b));
	}
	buf_free(&b);
	return TR_OK;
}

/* The one cause id (causes set) or fact id that starts with word, else
 * word itself. */
static const char *id_prefix(const shell_state *sh, int causes, const char *word)
{
	words W;
	const char *found;
	size_t n = strlen(word);
	int k = causes ? sh->m->ncauses : sh->m->nfacts, seen = 0;

	W.n = 0;
	for (int i = 0; i < k; i++) {
		const char *id = causes ? sh->m->causes[i].id : sh->m->facts[i].id;

		if (n && strncmp(id, word, n) == 0 && seen++ < 2)
			word_add(&W, id, NULL);
	}
	return seen == 1 && (found = word_match(&W, word)) ? found : word;
}

/* Appends " (did you mean A, B?)" to b: the cause (causes set) or fact
 * ids that word nearly spells, starts or is part of. */
static void id_suggest(const shell_state *sh, int causes, const char *word, buf *b)
{
	size_t n = strlen(word);
	int k = 0;

	for (int i = 0; i < (causes ? sh->m->ncauses : sh->m->nfacts) && k < 4; i++) {
		const char *id = causes ? sh->m->causes[i].id : sh->m->facts[i].id;
		char head[33];

		snprintf(head, sizeof head, "%.*s", (int)n, id);
		if (distance(id, word) <= 2 || (n >= 3 && strstr(id, word)) || (n >= 4 && distance(head, word) <= 1))
			buf_printf(b, "%s%s", k++ ? ", " : " (did you mean ", id);
	}
	if (k)
		buf_puts(b, "?)");
}

/* The cause named by word: an id or a unique prefix of one, or a rank in
 * the ranking. */
static int cause_named(shell_state *sh, const char *word)
{
	char *end;
	long k = strtol(word, &end, 10);
	int n;

	if (*word && *end == '\0') {
		n = session_ranking(sh->s, sh->order);
		return k >= 1 && k <= n ? sh->order[k - 1] : -1;
	}
	if ((n = model_cause(sh->m, word)) >= 0)
		return n;
	return model_cause(sh->m, id_prefix(sh, 1, word));
}

static int cmd_how(shell_state *sh, char *arg, tr_err *e)
{
	int c = cause_named(sh, arg);
	const tr_cause *cause;
	buf b = {0};

	if (!*arg)
		return tr_fail(e, TR_EUSAGE, "how takes a cause id or a rank (causes lists them)");
	if (c < 0) {
		buf_printf(&b, "no cause '%s'", arg);
		id_suggest(sh, 1, arg, &b);
		tr_fail(e, TR_EUSAGE, "%s%s", buf_str(&b), strchr(buf_str(&b), '?') ? "" : " (causes lists them)");
		buf_free(&b);
		return TR_EUSAGE;
	}
	cause = &sh->m->causes[c];
	explain_cause(sh->s, c, &b);
	say_lines(sh, buf_str(&b));
	say(sh, 2, cause->summary);
	head(sh, "  Fixes:");
	for (int i = 0; i < sh->m->nlinks; i++) {
		const tr_link *l = &sh->m->links[i];

		if (l->cause != c)
			continue;
		buf_reset(&b);
		buf_printf(&b, "(resolves it with p=%.2f%s%s; %s) %s", l->p, l->via >= 0 ? ", through " : "",
			   l->via >= 0 ? sh->m->fixes[l->via].id : "",
			   state_names[session_fix_state(sh->s, l->fix)], sh->m->fixes[l->fix].title);
		item(sh, "    ", 4, 8, sh->m->fixes[l->fix].id, buf_str(&b));
	}
	buf_free(&b);
	return TR_OK;
}

/* Where fact f's value came from, in words. */
static void origin_of(shell_state *sh, int f, buf *b)
{
	const session_event *ev;
	const char *why;
	int r = session_derived_by(sh->s, f, &why), n = session_events(sh->s, &ev);
	enum origin o = session_origin(sh->s, f);

	if (o == ORIGIN_RULE) {
		buf_printf(b, "rule %s", sh->m->rules[r].id);
		if (why && *why)
			buf_printf(b, ": %s", why);
		return;
	}
	while (o == ORIGIN_NONE && --n >= 0)  /* "unknown": the last event on f says who */
		if (ev[n].kind != EV_RESULT && strcmp(ev[n].subject, sh->m->facts[f].id) == 0)
			o = ev[n].kind == EV_GIVEN ? ORIGIN_GIVEN : ev[n].kind == EV_ANSWER ? ORIGIN_ANSWER : ORIGIN_SET;
	buf_puts(b, o == ORIGIN_GIVEN ? "given on the command line" : session_origin_names[o]);
}

static int cmd_facts(shell_state *sh, char *arg, tr_err *e)
{
	buf b = {0}, id = {0};
	int n = 0, w = 0;

	(void)arg;
	(void)e;
	head(sh, "Facts so far:");
	for (int f = 0; f < sh->m->nfacts; f++)   /* the ids in a column */
		if ((session_is_unknown(sh->s, f) || session_shown(sh->s, f)) && (int)strlen(sh->m->facts[f].id) > w)
			w = (int)strlen(sh->m->facts[f].id);
	for (int f = 0; f < sh->m->nfacts; f++) {
		const char *v = session_is_unknown(sh->s, f) ? "unknown" : session_shown(sh->s, f);

		if (!v)
			continue;
		buf_reset(&b);
		buf_printf(&b, "= %s (", v);
		origin_of(sh, f, &b);
		buf_putc(&b, ')');
		buf_reset(&id);
		buf_printf(&id, "  %s%s%s%*s ", ink(sh, S_CYAN), sh->m->facts[f].id, ink(sh, S_OFF),
			   w - (int)strlen(sh->m->facts[f].id), "");
		item(sh, buf_str(&id), w + 3, w + 5, NULL, buf_str(&b));
		n++;
	}
	buf_free(&id);
	if (n == 0)
		say(sh, 2, "none yet.");
	buf_free(&b);
	return TR_OK;
}

static int cmd_causes(shell_state *sh, char *arg, tr_err *e)
{
	(void)arg;
	(void)e;
	head(sh, "Causes still possible, most likely first:");
	show_ranking(sh, -1);
	return TR_OK;
}

static int cmd_fixes(shell_state *sh, char *arg, tr_err *e)
{
	int n = session_plan(sh->s, sh->order), tried = 0;
	char lead[16];
	buf b = {0};

	(void)arg;
	(void)e;
	head(sh, n ? "Fixes in planned order:" : "No fix is left in the plan.");
	for (int i = 0; i < n; i++) {
		buf_reset(&b);
		buf_puts(&b, "(");
		fix_terms(sh, sh->order[i], &b);
		buf_printf(&b, ") %s", sh->m->fixes[sh->order[i]].title);
		snprintf(lead, sizeof lead, "  %2d. ", i + 1);
		item(sh, lead, 6, 6, sh->m->fixes[sh->order[i]].id, buf_str(&b));
	}
	if (session_reach(sh->s) != REACH_ALL) {   /* what waits for more reach, in the next tier's order */
		const plan_step *steps;
		int k = session_handover(sh->s, &steps, NULL), shown = 0;
		char r[64];

		for (int i = 0; i < k; i++) {
			if (session_fix_in_reach(sh->s, steps[i].fix))
				continue;
			if (!shown++)
				head(sh, "Held back, out of your reach (for the next tier, in its order):");
			buf_reset(&b);
			buf_printf(&b, "(needs %s) %s", reach_format(session_needs(sh->s, steps[i].fix), r, sizeof r),
				   sh->m->fixes[steps[i].fix].title);
			item(sh, "  ", 2, 6, sh->m->fixes[steps[i].fix].id, buf_str(&b));
		}
	}
	for (int x = 0; x < sh->m->nfixes; x++) {
		enum fix_state st = session_fix_state(sh->s, x);

		int in = session_within(sh->s, x);

		if (st == FIX_UNTRIED && in < 0)
			continue;
		if (!tried++)
			head(sh, "Tried:");
		buf_reset(&b);
		if (st == FIX_UNTRIED)
			buf_printf(&b, "failed, as part of %s: %s", sh->m->fixes[in].id, sh->m->fixes[x].title);
		else
			buf_printf(&b, "%s: %s", state_names[st], sh->m->fixes[x].title);
		item(sh, "  ", 2, 6, sh->m->fixes[x].id, buf_str(&b));
	}
	buf_free(&b);
	return TR_OK;
}

/* A fact id and a value from "FACT=VALUE" (spaces around = allowed). */
static int split_pair(char *arg, char **fact, char **value, tr_err *e)
{
	char *eq = strchr(arg, '='), *end;

	if (!eq || eq == arg)
		return tr_fail(e, TR_EUSAGE, "set takes FACT=VALUE, for example set host_kind=server");
	for (end = eq; end > arg && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	*fact = arg;
	*value = eq + 1 + strspn(eq + 1, " \t");
	return TR_OK;
}

static int cmd_set(shell_state *sh, char *arg, tr_err *e)
{
	char *fact = NULL, *value = NULL;
	int f;

	if (split_pair(arg, &fact, &value, e) != TR_OK)
		return TR_EUSAGE;
	if ((f = model_fact(sh->m, fact)) < 0 && (f = model_fact(sh->m, id_prefix(sh, 0, fact))) >= 0)
		fact = (char *)sh->m->facts[f].id;
	if (f < 0) {
		buf b = {0};

		buf_printf(&b, "unknown fact '%s'", fact);
		id_suggest(sh, 0, fact, &b);
		tr_fail(e, TR_EUSAGE, "%s", buf_str(&b));
		buf_free(&b);
		return TR_EUSAGE;
	}
	if (session_add(sh->s, EV_SET, fact, f >= 0 ? choice(sh, f, value) : value, e) != TR_OK)
		return TR_EUSAGE;
	noted(sh);
	return TR_OK;
}

static int cmd_back(shell_state *sh, char *arg, tr_err *e)
{
	const session_event *ev;
	int n = session_events(sh->s, &ev);
	session_event undone;

	(void)arg;
	while (n > 0 && ev[n - 1].kind == EV_GIVEN)  /* back keeps the given facts */
		n--;
	if (n == 0)
		return session_back(sh->s, e);
	undone.kind = ev[n - 1].kind;
	undone.subject = xstrdup(ev[n - 1].subject);
	undone.value = xstrdup(ev[n - 1].value);
	if (session_back(sh->s, e) == TR_OK) {
		say_event(sh, "Undone", &undone);
		changed(sh, 1);
	}
	free(undone.subject);
	free(undone.value);
	return e->code;
}

static int cmd_next(shell_state *sh, char *arg, tr_err *e)
{
	(void)arg;
	(void)e;
	changed(sh, 0);
	return TR_OK;
}

static int cmd_export(shell_state *sh, char *arg, tr_err *e)
{
	buf report = {0}, path = {0}, heading = {0};
	const char *home = getenv("HOME");
	int rc;

	if (arg[0] == '~' && (arg[1] == '/' || !arg[1]) && home && *home)  /* ~/report.md */
		buf_printf(&path, "%s%s", home, arg + 1);
	else
		buf_puts(&path, arg);
	arg = (char *)buf_str(&path);
	sessdb_heading(sh->db, sh->id, &heading);
	export_session_titled(sh->s, buf_str(&heading), NULL, &report);
	buf_free(&heading);
	fflush(stdout);
	rc = export_write(*arg ? arg : NULL, &report, e);
	buf_free(&report);
	if (rc == TR_OK && *arg) {
		buf b = {0};

		buf_printf(&b, "Wrote the session report to %s.", arg);
		say(sh, 0, buf_str(&b));
		buf_free(&b);
	}
	buf_free(&path);
	return rc;
}

/* The hand-over note (Markdown) to FILE or the screen. */
static int cmd_handover(shell_state *sh, char *arg, tr_err *e)
{
	buf note = {0}, path = {0}, heading = {0};
	const char *home = getenv("HOME");
	int rc;

	if (arg[0] == '~' && (arg[1] == '/' || !arg[1]) && home && *home)
		buf_printf(&path, "%s%s", home, arg + 1);
	else
		buf_puts(&path, arg);
	buf_puts(&heading, "Hand-over: ");
	sessdb_heading(sh->db, sh->id, &heading);
	export_handover(sh->s, buf_str(&heading), sh->c ? sh->c->technician : NULL, &note);
	buf_free(&heading);
	fflush(stdout);
	rc = export_write(path.len ? buf_str(&path) : NULL, &note, e);
	if (rc == TR_OK && path.len) {
		buf b = {0};

		buf_printf(&b, "Wrote the hand-over note to %s.", buf_str(&path));
		say(sh, 0, buf_str(&b));
		buf_free(&b);
	}
	buf_free(&note);
	buf_free(&path);
	return rc;
}

/* reach: what the person can reach; reach LIST changes it and re-plans
 * (the steps held back come back when the reach widens). */
static int cmd_reach(shell_state *sh, char *arg, tr_err *e)
{
	unsigned r;
	char names[64];
	buf b = {0};

	if (!*arg) {
		buf_printf(&b, "Your reach: %s. reach LIST changes it: a comma-separated list of client, "
			   "host, portal, network, gateway, admin (admin rights on the client), or all.",
			   reach_format(session_reach(sh->s), names, sizeof names));
		say(sh, 0, buf_str(&b));
		buf_free(&b);
		return TR_OK;
	}
	if (reach_parse(arg, &r, e) != TR_OK)
		return TR_EUSAGE;
	session_set_reach(sh->s, r);
	buf_printf(&b, "Your reach is now %s.", reach_format(r, names, sizeof names));
	say(sh, 0, buf_str(&b));
	buf_free(&b);
	changed(sh, 1);
	return TR_OK;
}

static int cmd_save(shell_state *sh, char *arg, tr_err *e)
{
	(void)arg;
	if (!sh->db)
		return tr_fail(e, TR_ERR, "no session file: sessions cannot be saved");
	if (sessdb_save(sh->db, sh->s, &sh->kept, sh->label, &sh->id, e) != TR_OK)
		return TR_ERR;
	printf("Saved as session %lld.\n", (long long)sh->id);
	return TR_OK;
}

static int list_row(const sessdb_row *r, void *ctx)
{
	shell_state *sh = ctx;
	char lead[48];
	buf b = {0};

	snprintf(lead, sizeof lead, "%c %4lld  ", r->id == sh->id ? '*' : ' ', (long long)r->id);
	buf_printf(&b, "%s, %s, %d event%s: %s", r->updated, r->status, r->events, r->events == 1 ? "" : "s",
		   *r->title ? r->title : r->events ? "(no fact known yet)" : "(nothing yet)");
	item(sh, lead, (int)strlen(lead), (int)strlen(lead), NULL, buf_str(&b));
	buf_free(&b);
	return 0;
}

static int cmd_sessions(shell_state *sh, char *arg, tr_err *e)
{
	if (!sh->db)
		return tr_fail(e, TR_ERR, "no session file: sessions cannot be saved");
	head(sh, *arg ? "Saved sessions with that text, newest first (* this one):"
		 : "Saved sessions, newest first (* this one):");
	return sessdb_list(sh->db, *arg ? arg : NULL, list_row, sh, e);
}

/* Leaving session sh->id: saved, or removed when it records nothing. */
static void leave(shell_state *sh)
{
	const session_event *ev;
	tr_err e;

	tr_clear(&e);
	if (!sh->db || !sh->id)
		return;
	if (session_events(sh->s, &ev) == 0 && sh->kept.n == 0 && !sh->label) {
		sessdb_remove(sh->db, sh->id, &e);
		sh->id = 0;
	} else
		autosave(sh);
}

static int cmd_title(shell_state *sh, char *arg, tr_err *e)
{
	buf b = {0};

	if (!*arg)
		return tr_fail(e, TR_EUSAGE, "title takes the text to name the session by, "
			       "for example title INC-1234 printer room");
	if (!sh->db)
		return tr_fail(e, TR_ERR, "no session file: sessions cannot be saved, so not titled");
	free(sh->title);
	sh->title = xstrdup(arg);
	sh->label = sh->title;
	autosave(sh);
	buf_printf(&b, "Session %lld is titled: %s", (long long)sh->id, arg);
	say(sh, 0, buf_str(&b));
	buf_free(&b);
	return TR_OK;
}

/* Replaces the session worked on by saved session id; says what changed
 * in the knowledge base since, if anything. */
static int resume(shell_state *sh, const char *arg, tr_err *e)
{
	char *end, *note = NULL;
	long long id = strtoll(arg, &end, 10);
	sessdb_kept kept;
	session *s;

	if (!*arg || *end || id <= 0)
		return tr_fail(e, TR_EUSAGE, "resume takes a session id (sessions lists them)");
	if (!sh->db)
		return tr_fail(e, TR_ERR, "no session file: sessions cannot be resumed");
	if (id != sh->id && sessdb_claim(sh->db, id, e) != TR_OK)
		return TR_ERR;
	if (sessdb_load(sh->db, id, sh->m, SESSION_DEPTH, &s, &note, &kept, e) != TR_OK) {
		if (id != sh->id)
			sessdb_release(sh->db, id);
		return TR_ERR;
	}
	{
		char ver[128];

		if (sh->kb && sessdb_kb_version(sh->db, id, ver, sizeof ver) == 0 && strcmp(ver, sh->m->version) != 0)
			kbedit_session_note(sh->kb, ver, s, &note);
	}
	if (sh->id && id != sh->id) {
		leave(sh);
		sessdb_release(sh->db, sh->id);
	}
	session_free(sh->s);
	sessdb_kept_free(&sh->kept);
	sh->s = s;
	sh->kept = kept;
	sh->id = id;
	sh->label = NULL;
	sh->reach_saved = -1;
	if (sh->c)
		jsonl_reach_resumed(sh->c, sh->db, id, s);
	printf("Resumed session %lld.\n", id);
	if (note)
		labelled(sh, S_YELLOW, "Note", note);
	free(note);
	return TR_OK;
}

static int cmd_resume(shell_state *sh, char *arg, tr_err *e)
{
	if (resume(sh, arg, e) != TR_OK)
		return e->code;
	changed(sh, 0);
	return TR_OK;
}



/* ---- how a session ended (learning from outcomes reads it) ---- */

static int ending_row(const sessdb_row *r, void *ctx)
{
	snprintf(ctx, 16, "%s", r->ending);
	return 0;
}

/* The ending recorded for the session worked on ("" when none). */
static void stored_ending(const shell_state *sh, char out[16])
{
	tr_err e;

	out[0] = '\0';
	if (sh->db && sh->id)
		sessdb_get(sh->db, sh->id, ending_row, out, &e);
}

/* Records ending (outside, abandoned or handover; a unique prefix does)
 * with note for the session worked on. */
static int set_ending(shell_state *sh, const char *word, size_t n, const char *note, tr_err *e)
{
	static const char *const kinds[] = { "outside", "abandoned", "handover" };
	const char *kind = NULL;
	buf b = {0};

	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (n && strncmp(kinds[i], word, n) == 0)
			kind = kinds[i];
	if (n && strncmp("fixed", word, n) == 0)
		return tr_fail(e, TR_EUSAGE, "a fix of the knowledge base that worked is recorded by "
			       "answering worked to it; end outside TEXT says what else fixed it");
	if (!kind)
		return tr_fail(e, TR_EUSAGE, "end takes outside TEXT (fixed by something the knowledge "
			       "base lacks: say what), abandoned or handover");
	if (strcmp(kind, "outside") == 0 && !*note)
		return tr_fail(e, TR_EUSAGE, "end outside needs a few words on what fixed it, "
			       "for example end outside replaced the network cable");
	if (!sh->db || !sh->id)
		return tr_fail(e, TR_ERR, "no session file: sessions cannot be saved, so no ending is kept");
	if (session_next(sh->s)->kind == ACT_DONE && session_next(sh->s)->status == DONE_RESOLVED)
		return tr_fail(e, TR_EUSAGE, "this session ended fixed by a fix that worked; "
			       "back undoes that result first");
	autosave(sh);
	if (sessdb_end(sh->db, sh->id, kind, NULL, note, e) != TR_OK)
		return TR_ERR;
	buf_printf(&b, "Session %lld ended: %s%s%s. It stays saved; quit leaves.", (long long)sh->id,
		   kind, *note ? ": " : "", note);
	say(sh, 0, buf_str(&b));
	buf_free(&b);
	return TR_OK;
}

static int cmd_end(shell_state *sh, char *arg, tr_err *e)
{
	size_t n = strcspn(arg, " \t");
	char was[16];

	if (!*arg) {
		stored_ending(sh, was);
		return tr_fail(e, TR_EUSAGE, "end takes outside TEXT, abandoned or handover (this session: %s)",
			       *was ? was : "no ending yet");
	}
	return set_ending(sh, arg, n, arg + n + strspn(arg + n, " \t"), e);
}

/* When a session closes by quit without an ending, asks once how it
 * ended: outside (with what did it), abandoned, or Enter to leave it open.
 * A resolved session ended 'fixed' by itself (sessdb_save). */
static void ask_ending(shell_state *sh)
{
	const session_event *ev;
	char was[16], *line, *word;
	tr_err e;

	stored_ending(sh, was);
	if (sh->ending_asked || !sh->db || !sh->id || *was || session_events(sh->s, &ev) == 0 ||
	    (session_next(sh->s)->kind == ACT_DONE && session_next(sh->s)->status == DONE_RESOLVED))
		return;
	sh->ending_asked = 1;
	say(sh, 0, "How did this session end? outside TEXT: fixed by something the knowledge base "
	    "lacks (say what); abandoned; handover; or Enter to leave it open (end sets it later).");
	snprintf(sh->prompt, sizeof sh->prompt, "ending? ");
	fflush(stdout);
	shell_interrupted = 0;
	if (!(line = shell_readline(sh)))
		return;
	word = line + strspn(line, " \t");
	tr_clear(&e);
	if (*word) {
		size_t n = strcspn(word, " \t");
		char *end = word + strlen(word);

		while (end > word && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (set_ending(sh, word, n, word + n + strspn(word + n, " \t"), &e) != TR_OK)
			shell_error(sh, e.msg);
	}
	shell_freeline(line);
}

static int cmd_quit(shell_state *sh, char *arg, tr_err *e)
{
	(void)arg;
	(void)e;
	if (sh->interactive)
		ask_ending(sh);
	sh->quit = 1;
	return TR_OK;
}

static int cmd_help(shell_state *sh, char *arg, tr_err *e);

static const shell_command shell_commands[] = {
	{ "?", cmd_hint, "", "how to find out the answer to the question, with the commands to check it" },
	{ "why", cmd_why, "[--detail]", "why this question or fix, and why the top cause leads (--detail: the planner's numbers)" },
	{ "how", cmd_how, "CAUSE", "what points to a cause (an id or a rank), and its fixes" },
	{ "facts", cmd_facts, "", "the facts so far and where each came from" },
	{ "causes", cmd_causes, "", "every cause still possible, most likely first" },
	{ "fixes", cmd_fixes, "", "every fix in planned order, and the fixes tried" },
	{ "set", cmd_set, "FACT=VALUE", "volunteer or revise a fact at any time" },
	{ "back", cmd_back, "", "undo the last answer, fix result or set (repeatable)" },
	{ "next", cmd_next, "", "show the ranking and the pending step again" },
	{ "export", cmd_export, "[FILE]", "the session report (Markdown) to FILE or the screen" },
	{ "save", cmd_save, "", "save now and show the session id (every change is saved anyway)" },
	{ "sessions", cmd_sessions, "[TEXT]", "the saved sessions, newest first (with TEXT in the title)" },
	{ "resume", cmd_resume, "ID", "continue a saved session" },
	{ "title", cmd_title, "TEXT", "name this session (a ticket number, a few words) to find it later" },
	{ "end", cmd_end, "HOW [TEXT]", "how the session ended when no fix here did: outside TEXT (say what did), abandoned or handover" },
	{ "reach", cmd_reach, "[LIST]", "what you can reach (client, host, portal, network, gateway, admin, all); LIST changes it" },
	{ "handover", cmd_handover, "[FILE]", "the hand-over note for the next tier (Markdown) to FILE or the screen" },
	{ "help", cmd_help, "", "this list" },
	{ "quit", cmd_quit, "", "save and leave (Ctrl-D does the same)" },
};
#define NSHELL_COMMANDS (sizeof shell_commands / sizeof *shell_commands)

static int cmd_help(shell_state *sh, char *arg, tr_err *e)
{
	char lead[48];

	(void)arg;
	(void)e;
	say(sh, 0, "Answer a question with a number, a name or unknown (the first letters will "
	    "do when no other choice starts with them); a fix with worked (yes), failed (no) or "
	    "skip. Commands and ids may be shortened too. Tab completes commands, fact ids and choices.");
	head(sh, "Commands:");
	for (size_t i = 0; i < NSHELL_COMMANDS; i++) {
		const shell_command *c = &shell_commands[i];
		int n = (int)(strlen(c->name) + (*c->args ? 1 + strlen(c->args) : 0));
		int pad = n < 17 ? 17 - n : 1;

		snprintf(lead, sizeof lead, "  %s%s%s%s%s%*s", ink(sh, S_BOLD), c->name, ink(sh, S_OFF),
			 *c->args ? " " : "", c->args, pad, "");
		item(sh, lead, 2 + n + pad, 19, NULL, c->help);
	}
	return TR_OK;
}

static const shell_command *lookup(const char *word, size_t n)
{
	for (size_t i = 0; i < NSHELL_COMMANDS; i++)
		if (strlen(shell_commands[i].name) == n && strncmp(shell_commands[i].name, word, n) == 0)
			return &shell_commands[i];
	return NULL;
}

static void command_words(words *W)
{
	W->n = 0;
	for (size_t i = 0; i < NSHELL_COMMANDS; i++)
		word_add(W, shell_commands[i].name, NULL);
}

/* An error for a line that is neither a command nor a reply: "unknown
 * command", with what it may have meant. */
static int not_understood(shell_state *sh, const char *first, const char *line, tr_err *e)
{
	const char *eq = strchr(first, '=');
	char fact[64];
	words C;
	buf b = {0};

	command_words(&C);
	buf_printf(&b, "unknown command '%s'", first);
	snprintf(fact, sizeof fact, "%.*s", eq ? (int)(eq - first) : 0, first);
	if (eq && model_fact(sh->m, fact) >= 0)
		buf_printf(&b, " (did you mean set %s?)", line);
	else
		did_you_mean(&b, &C, first);
	buf_puts(&b, "; help lists the commands");
	tr_fail(e, TR_EUSAGE, "%s", buf_str(&b));
	buf_free(&b);
	return TR_EUSAGE;
}

/* Runs line: a command (its name or a unique prefix), else a reply to the
 * pending step (a choice or a unique prefix of one, a result word, or free
 * text). A line of several words whose first is not a command is never
 * taken as a choice. */
static int dispatch(shell_state *sh, char *word, size_t n, tr_err *e)
{
	const action *a = session_next(sh->s);
	char *rest = word + n + strspn(word + n, " \t"), first[64];
	const shell_command *cmd = lookup(word, n);
	int free_text = a->kind == ACT_QUESTION && sh->m->facts[a->fact].nvalues == 0;
	const char *name;
	words R, C;
	buf b = {0};
	int rc;

	if (cmd)
		return cmd->run(sh, rest, e);
	snprintf(first, sizeof first, "%.*s", (int)(n < 63 ? n : 63), word);
	reply_words(sh, a, &R);
	command_words(&C);
	if (!*rest && !strchr(word, '=') && !free_text &&
	    (word_match(&R, word) || (a->kind == ACT_QUESTION && strspn(word, "0123456789") == n)))
		return shell_reply(sh, word, e);
	if ((name = word_match(&C, first)) && (cmd = lookup(name, strlen(name))))
		return cmd->run(sh, rest, e);
	if (free_text) {
		for (int i = 0; i < C.n; i++)
			if (distance(C.w[i], first) <= 1 && strlen(C.w[i]) > 2 && *rest)
				return not_understood(sh, first, word, e);
		return shell_reply(sh, word, e);
	}
	if (*rest || strchr(word, '='))
		return not_understood(sh, first, word, e);
	if ((rc = shell_reply(sh, word, e)) == TR_OK)
		return TR_OK;
	did_you_mean(&b, &C, word);
	if (b.len)   /* closer to a command than to an answer */
		tr_fail(e, rc, "'%s' is not a choice or a command%s", word, buf_str(&b));
	buf_free(&b);
	return rc;
}

/* One input line: a command, else a reply to the pending step. Errors are
 * one line each and change nothing. */
static void shell_line(shell_state *sh, char *line)
{
	char *word = line + strspn(line, " \t"), *end = word + strlen(word);
	size_t n = strcspn(word, " \t");
	tr_err e;
	int rc;

	while (end > word && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (sh->offer >= 0) {
		offer_reply(sh, word);
		return;
	}
	if (!*word)
		return;
	sh->width = shell_width();
	tr_clear(&e);
	rc = dispatch(sh, word, n, &e);
	if (rc != TR_OK)
		shell_error(sh, e.msg[0] ? e.msg : "failed");
}

/* ---- tab completion (libedit) ---- */

static const char **cands;   /* the words that may complete here */
static int ncands, cands_cap;

static void cand(const char *word)
{
	if (ncands == cands_cap) {
		cands_cap = cands_cap ? 2 * cands_cap : 64;
		cands = xrealloc(cands, sizeof *cands * (size_t)cands_cap);
	}
	cands[ncands++] = word;
}

static char *cand_next(const char *text, int state)
{
	static int i;
	size_t n = strlen(text);

	if (state == 0)
		i = 0;
	while (i < ncands)
		if (strncmp(cands[i++], text, n) == 0)
			return xstrdup(cands[i - 1]);
	return NULL;
}

static void cand_values(const tr_model *m, int f)
{
	for (int k = 0; f >= 0 && k < m->facts[f].nvalues; k++)
		cand(m->values[m->facts[f].first + k].value);
	cand("unknown");
}

/* Whether the first word of line is cmd (n bytes long). */
static int first_is(const char *first, size_t n, const char *cmd)
{
	return strlen(cmd) == n && strncmp(first, cmd, n) == 0;
}

/* The words that may complete the one at start of line: commands and
 * replies first, then fact ids and values after set, cause ids after how.
 * Returns 0 to let libedit complete file names (export). */
static int candidates(const shell_state *sh, const char *line, int start)
{
	const char *first = line + strspn(line, " ");
	size_t n = strcspn(first, " ");
	const action *a = session_next(sh->s);

	if (start <= (int)(first - line)) {
		for (size_t i = 0; i < NSHELL_COMMANDS; i++)
			cand(shell_commands[i].name);
		if (a->kind == ACT_QUESTION)
			cand_values(sh->m, a->fact);
		else if (a->kind == ACT_RECOMMEND)
			cand("worked"), cand("failed"), cand("skip");
	} else if (first_is(first, n, "set") && line[start - 1] == '=') {
		const char *id = first + n + strspn(first + n, " ");
		char fact[128];

		snprintf(fact, sizeof fact, "%.*s", (int)strcspn(id, " ="), id);
		cand_values(sh->m, model_fact(sh->m, fact));
	} else if (first_is(first, n, "set")) {
		for (int f = 0; f < sh->m->nfacts; f++)
			cand(sh->m->facts[f].id);
		rl_completion_append_character = '=';
	} else if (first_is(first, n, "how")) {
		for (int c = 0; c < sh->m->ncauses; c++)
			cand(sh->m->causes[c].id);
	}
	return !first_is(first, n, "export");
}

static char **shell_complete(const char *text, int start, int end)
{
	(void)end;
	ncands = 0;
	rl_completion_append_character = ' ';
	rl_attempted_completion_over = candidates(shell_now, rl_line_buffer, start);
	return ncands ? rl_completion_matches(text, cand_next) : NULL;
}

/* ---- the input loop ---- */

/* Reads and runs lines until quit or the end of input. On a terminal,
 * Ctrl-C drops the line being typed and prompts again. */
static void shell_loop(shell_state *sh)
{
	while (!sh->quit) {
		char *line;

		fflush(stdout);
		shell_interrupted = 0;
		if (!(line = shell_readline(sh))) {
			if (!shell_interrupted)
				break;
			putchar('\n');
			continue;
		}
		shell_saveline(sh, line);
		shell_line(sh, line);
		shell_freeline(line);
	}
}

/* Line editing, completion and history on a terminal. Ctrl-C only sets a
 * flag; shell_getc sees it and readline returns NULL. The old signal
 * mask and SIGINT action are kept in *mask and *old for the way out. */
static void setup_terminal(shell_state *sh, sigset_t *mask, struct sigaction *old)
{
	const char *tty = ttyname(STDIN_FILENO);
	struct sigaction sa;
	sigset_t intr;

	shell_now = sh;
	sh->keys = tty ? open(tty, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) : -1;
	setlocale(LC_CTYPE, "");
	rl_readline_name = "triage";
	rl_catch_signals = 0;
	rl_getc_function = shell_getc;
	rl_attempted_completion_function = shell_complete;
	using_history();
	stifle_history(1000);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = shell_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old);
	sigemptyset(&intr);
	sigaddset(&intr, SIGINT);
	sigprocmask(SIG_BLOCK, &intr, mask);
	shell_waitmask = *mask;
	sigdelset(&shell_waitmask, SIGINT);
}

static int colour_wanted(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
}

/* Opens the session to work on: a saved one (resume), else a new one with
 * the --fact facts, saved at once so it has an id. */
static int start(shell_state *sh, cli *c, const char *resume_id)
{
	buf msg = {0};
	tr_err e;
	int rc;

	tr_clear(&e);
	if (sessdb_open(NULL, &sh->db, &e) != TR_OK) {
		if (resume_id)
			return tr_fail(&c->err, TR_ERR, "%s", e.msg);
		buf_puts(&msg, e.msg);
		buf_puts(&msg, "; this session will not be saved");
		shell_error(sh, buf_str(&msg));
		buf_free(&msg);
		sh->db = NULL;
	}
	if (resume_id) {
		const char *title = sh->label;

		if (resume(sh, resume_id, &c->err) != TR_OK)
			return TR_ERR;
		if ((sh->label = title))
			autosave(sh);
		return TR_OK;
	}
	if ((rc = jsonl_session(c, SESSION_DEPTH, &sh->s)) != TR_OK)
		return rc;
	autosave(sh);
	tr_clear(&e);
	if (sh->id && sessdb_claim(sh->db, sh->id, &e) != TR_OK)
		shell_error(sh, e.msg);
	if (sh->id)
		printf("Session %lld.\n", (long long)sh->id);
	for (int f = 0; f < sh->m->nfacts; f++)
		note_outside(sh, f);
	return TR_OK;
}

static int parse_args(cli *c, const char **resume_id, const char **title)
{
	int facts = 0;

	for (int i = 0; i < c->argc; i++) {
		const char *v;

		if (cli_flag(c, &i, "--resume", &v)) {
			if (!v)
				return TR_EUSAGE;
			*resume_id = v;
		} else if (cli_flag(c, &i, "--title", &v)) {
			if (!v)
				return TR_EUSAGE;
			if (!*v)
				return tr_fail(&c->err, TR_EUSAGE, "ask: --title needs some text");
			*title = v;
		} else if (cli_flag(c, &i, "--fact", &v)) {
			if (!v)
				return TR_EUSAGE;
			facts++;
		} else
			return tr_fail(&c->err, TR_EUSAGE, "ask: unexpected argument '%s'", c->argv[i]);
	}
	if (facts && *resume_id)
		return tr_fail(&c->err, TR_EUSAGE, "ask: --fact starts a new session; in a resumed one use set");
	return TR_OK;
}

static void banner(const shell_state *sh)
{
	buf b = {0};

	buf_printf(&b, "triage %s, knowledge base %s %s: %s", TRIAGE_VERSION, sh->m->kb_id,
		   sh->m->version, sh->m->title);
	say(sh, 0, buf_str(&b));
	say(sh, 0, "Answer each question (help lists the commands). Every change is saved; "
	    "quit or Ctrl-D leaves, and resume continues later.");
	if (sh->c->reach_set && sh->c->reach != REACH_ALL) {
		char r[64];

		buf_reset(&b);
		buf_printf(&b, "Your reach: %s (reach LIST changes it); what needs more is handed over.",
			   reach_format(sh->c->reach, r, sizeof r));
		say(sh, 0, buf_str(&b));
	}
	buf_free(&b);
}

static void goodbye(const shell_state *sh)
{
	char msg[128];

	if (!sh->id)
		return;
	snprintf(msg, sizeof msg, "Saved as session %lld: triage ask --resume %lld continues it.",
		 (long long)sh->id, (long long)sh->id);
	putchar('\n');
	say(sh, 0, msg);
}

/* The whole conversation, from the first step to the last save. */
static void run(shell_state *sh)
{
	struct sigaction old;
	sigset_t mask;

	changed(sh, 0);
	if (sh->interactive)
		setup_terminal(sh, &mask, &old);
	shell_loop(sh);
	if (sh->interactive) {
		sigprocmask(SIG_SETMASK, &mask, NULL);
		sigaction(SIGINT, &old, NULL);
		if (sh->keys >= 0)
			close(sh->keys);
	}
	leave(sh);
	goodbye(sh);
}

int shell_cmd(cli *c)
{
	shell_state sh;
	const char *resume_id = NULL, *title = NULL;
	int rc;

	memset(&sh, 0, sizeof sh);
	sh.m = c->m;
	sh.kb = c->db;
	sh.keys = -1;
	sh.interactive = isatty(STDIN_FILENO);
	sh.colour = c->colour == CONFIG_COLOUR_ALWAYS || (c->colour == CONFIG_COLOUR_AUTO && sh.interactive && colour_wanted());
	sh.c = c;
	sh.reach_saved = -1;
	sh.width = shell_width();
	setlocale(LC_CTYPE, "");
	sh.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if ((rc = parse_args(c, &resume_id, &title)) != TR_OK)
		return rc;
	sh.label = title;
	if (sh.interactive)
		banner(&sh);
	sh.order = xcalloc((size_t)(sh.m->ncauses + sh.m->nfixes) + 1, sizeof *sh.order);
	sh.offered = xcalloc((size_t)sh.m->nfacts + 1, 1);
	sh.offer = -1;
	if ((rc = start(&sh, c, resume_id)) == TR_OK)
		run(&sh);
	fflush(stdout);
	session_free(sh.s);
	sessdb_kept_free(&sh.kept);
	if (sh.db && sh.id)
		sessdb_release(sh.db, sh.id);
	sqlite3_close(sh.db);
	free(sh.title);
	free(sh.order);
	free(sh.offered);
	free(cands);
	return rc;
}
