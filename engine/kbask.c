/*
 * kbask.c: asking for a new record field by field (kbask.h). Each field is
 * introduced by what it means and what it allows; what is typed is kept as
 * typed (kb build's checks, run by kbedit.c, judge it), except where a
 * wrong word would only waste the editor's time: a choice not among its
 * words, a number that is not one, an id the file does not hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <editline/readline.h>
#include "buf.h"
#include "kbask.h"

typedef struct asker {
	sqlite3 *db;
	tr_err *e;
	int stopped;     /* end of input: every question after returns NULL */
} asker;

int kbask_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	pid_t pid;
	int status;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "$0 \"$@\"", ed, path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* One line typed after prompt, trimmed; NULL at end of input (caller frees). */
static char *line(asker *A, const char *prompt)
{
	char *l, *s, *end;

	if (A->stopped)
		return NULL;
	if (!(l = readline(prompt))) {
		A->stopped = 1;
		putchar('\n');
		return NULL;
	}
	for (s = l; *s == ' ' || *s == '\t'; s++)
		;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	memmove(l, s, strlen(s) + 1);
	return l;
}

/* A field: its meaning first, then the prompt "key> " until an answer
 * (empty allowed when optional). */
static char *field(asker *A, const char *key, const char *meaning, int optional)
{
	char prompt[80], *l;

	printf("%s: %s\n", key, meaning);
	snprintf(prompt, sizeof prompt, "%s> ", key);
	while ((l = line(A, prompt)) && !*l && !optional)
		free(l);
	return l;
}

static int text(asker *A, json_t *o, const char *key, const char *meaning, int optional)
{
	char *l = field(A, key, meaning, optional);

	if (!l)
		return -1;
	json_object_set_new(o, key, json_string(l));
	free(l);
	return 0;
}

static int number(asker *A, json_t *o, const char *key, const char *meaning)
{
	char *l, *end;

	while ((l = field(A, key, meaning, 0))) {
		double d = strtod(l, &end);

		if (!*end && end != l) {
			json_object_set_new(o, key, d == (double)(long long)d ? json_integer((json_int_t)d) : json_real(d));
			free(l);
			return 0;
		}
		printf("'%s' is not a number.\n", l);
		free(l);
	}
	return -1;
}

/* One of words (NULL-terminated), or yes/no for a boolean. */
static int choice(asker *A, json_t *o, const char *key, const char *meaning, const char *const *words, int boolean)
{
	char *l;

	while ((l = field(A, key, meaning, 0))) {
		for (int i = 0; words[i]; i++)
			if (strcmp(l, words[i]) == 0) {
				json_object_set_new(o, key, boolean ? json_boolean(i == 0) : json_string(l));
				free(l);
				return 0;
			}
		printf("'%s' is not one of the choices.\n", l);
		free(l);
	}
	return -1;
}

/* Whether db has a record id in table q ("SELECT 1 FROM fact WHERE id = ?1"). */
static int exists(asker *A, const char *q, const char *id)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(A->db, q, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* A long text in the editor: template (each line "# ...") above; what is
 * saved, without the # lines, trimmed. lines: a list, one item a line. */
static int long_text(asker *A, json_t *o, const char *key, const char *template, int lines)
{
	char path[256], *body = NULL;
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	int fd;
	buf b = {0};
	char l[4096];

	printf("%s: opening $VISUAL or $EDITOR for it\n", key);
	snprintf(path, sizeof path, "%s/triage-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", key);
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w")))
		return tr_fail(A->e, TR_ERR, "kb add: cannot make a file to edit: %s", strerror(errno)), -1;
	fputs(template, f);
	fclose(f);
	if (kbask_editor(path) != 0 || !(f = fopen(path, "r"))) {
		remove(path);
		tr_fail(A->e, TR_ERR, "kb add: the editor ($VISUAL or $EDITOR) failed; nothing changed");
		return -1;
	}
	while (fgets(l, sizeof l, f))
		if (l[0] != '#')
			buf_puts(&b, l);
	fclose(f);
	remove(path);
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	body = buf_take(&b);
	if (!lines)
		json_object_set_new(o, key, json_string(body ? body : ""));
	else {
		json_t *a = json_array();

		for (char *s = body, *nl; s && *s; s = nl ? nl + 1 : NULL) {
			nl = strchr(s, '\n');
			if (nl)
				*nl = '\0';
			if (*s)
				json_array_append_new(a, json_string(s));
			if (!nl)
				break;
		}
		json_object_set_new(o, key, a);
	}
	free(body);
	return 0;
}

/* Source ids, space-separated, each known to db. */
static int sources(asker *A, json_t *o)
{
	char *l;

	while ((l = field(A, "sources", "the documents it comes from: source ids separated by spaces "
			  "(kb list sources; add a new one first with kb add source)", 0))) {
		json_t *a = json_array();
		int bad = 0;

		for (char *w = strtok(l, " ,"); w; w = strtok(NULL, " ,")) {
			if (!exists(A, "SELECT 1 FROM source WHERE id = ?1", w)) {
				printf("no source '%s' in this knowledge base.\n", w);
				bad = 1;
			}
			json_array_append_new(a, json_pack("{s:s}", "source", w));
		}
		free(l);
		if (!bad) {
			json_object_set_new(o, "sources", a);
			return 0;
		}
		json_decref(a);
	}
	return -1;
}

static const char *const yesno[] = {"yes", "no", NULL};

/* A cause's evidence: facts, and P(value | cause) for each value. */
static int evidence(asker *A, json_t *o)
{
	json_t *list = json_array();
	char *fact;

	json_object_set_new(o, "evidence", list);
	while ((fact = field(A, "evidence", "a fact whose answer this cause changes (kb list facts);"
			     " empty: no more", 1)) && *fact) {
		sqlite3_stmt *st;
		json_t *ev = json_object(), *p = json_object();

		if (!exists(A, "SELECT 1 FROM fact_value WHERE fact = ?1", fact)) {
			printf("no fact with values '%s' in this knowledge base.\n", fact);
			free(fact);
			json_decref(ev);
			json_decref(p);
			continue;
		}
		json_object_set_new(ev, "fact", json_string(fact));
		if (sqlite3_prepare_v2(A->db, "SELECT value, text FROM fact_value WHERE fact = ?1 ORDER BY seq",
				       -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, fact, -1, SQLITE_STATIC);
			while (sqlite3_step(st) == SQLITE_ROW) {
				char meaning[512], *l, *end;
				const char *value = (const char *)sqlite3_column_text(st, 0);

				snprintf(meaning, sizeof meaning, "how likely the answer '%s' (%s) is when this is the cause:"
					 " 0.01 to 0.99; empty: the fact's default", value, (const char *)sqlite3_column_text(st, 1));
				while ((l = field(A, value, meaning, 1))) {
					double d = strtod(l, &end);

					if (!*l) {
						free(l);
						break;
					}
					if (!*end) {
						json_object_set_new(p, value, json_real(d));
						free(l);
						break;
					}
					printf("'%s' is not a number.\n", l);
					free(l);
				}
			}
			sqlite3_finalize(st);
		}
		json_object_set_new(ev, "p", p);
		free(fact);
		if (text(A, ev, "why", "why the cause changes that answer (one line)", 0) != 0) {
			json_decref(ev);
			return -1;
		}
		json_array_append_new(list, ev);
	}
	free(fact);
	return A->stopped ? -1 : 0;
}

/* One resolves link: p and why. */
static json_t *link_to(asker *A, const char *key, const char *id)
{
	json_t *r = json_pack("{s:s}", key, id);

	if (number(A, r, "p", "how likely this fix resolves the problem when that is the cause: 0 to 1") != 0 ||
	    text(A, r, "why", "why it does (one line)", 0) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static json_t *ask_fix(asker *A, const char *for_cause);

/* A cause, then what resolves it: a new fix (asked next) or existing ones. */
static json_t *ask_cause(asker *A, json_t *out, json_t *links)
{
	json_t *o = json_object();
	const char *id;
	char *l;

	if (text(A, o, "id", "the cause's id: a-z, 0-9 and _, starting with a letter", 0) ||
	    text(A, o, "title", "one line a technician reads in the ranking", 0) ||
	    long_text(A, o, "summary", "# What goes wrong, and how it shows. Lines starting with # are dropped.\n", 0) ||
	    number(A, o, "prior", "how common it is among the problems this knowledge base covers: 0 to 1") ||
	    text(A, o, "prior_why", "why that prior (one line)", 0) || evidence(A, o) || sources(A, o)) {
		json_decref(o);
		return NULL;
	}
	id = json_string_value(json_object_get(o, "id"));
	json_object_set_new(o, "kind", json_string("cause"));
	json_array_append_new(out, o);
	while ((l = field(A, "fix", "every cause needs a fix: an existing fix's id to link, a new fix's id to"
			  " write now; empty: done", 1)) && *l) {
		if (exists(A, "SELECT 1 FROM fix WHERE id = ?1", l)) {
			json_t *r = link_to(A, "cause", id);

			if (!r)
				break;
			json_object_set_new(r, "fix", json_string(l));
			json_array_append_new(links, r);
		} else {
			json_t *f = ask_fix(A, id);

			if (!f)
				break;
			json_object_set_new(f, "id", json_string(l));
			json_array_append_new(out, f);
		}
		free(l);
	}
	free(l);
	return A->stopped ? NULL : out;
}

static json_t *ask_fix(asker *A, const char *for_cause)
{
	static const char *const risks[] = {"low", "medium", "high", NULL};
	json_t *o = json_object(), *res = json_array(), *r;
	char *l;

	if ((!for_cause && text(A, o, "id", "the fix's id: a-z, 0-9 and _, starting with a letter", 0)) ||
	    text(A, o, "title", "one line: what the technician does", 0) ||
	    long_text(A, o, "summary", "# What the fix does and why it helps. Lines starting with # are dropped.\n", 0) ||
	    choice(A, o, "risk", "what it can break: low, medium or high (medium and high need an undo)", risks, 0) ||
	    number(A, o, "cost", "effort in minutes-equivalent, risk not included: more than 0") ||
	    number(A, o, "minutes", "how long it takes, in minutes") ||
	    choice(A, o, "admin", "needs an administrator: yes or no", yesno, 1) ||
	    choice(A, o, "reboot", "needs a restart: yes or no", yesno, 1) ||
	    long_text(A, o, "steps", "# The steps, one a line, in order. Lines starting with # are dropped.\n", 1) ||
	    text(A, o, "undo", "how to undo it (empty only for a low-risk fix)", 1) ||
	    text(A, o, "outcome", "what the technician sees when it worked", 0)) {
		json_decref(o);
		json_decref(res);
		return NULL;
	}
	json_object_set_new(o, "commands", json_array());
	json_object_set_new(o, "resolves", res);
	if (for_cause && !(r = link_to(A, "cause", for_cause)))
		goto stop;
	if (for_cause)
		json_array_append_new(res, r);
	while (!for_cause && (l = field(A, "resolves", "a cause it resolves (kb list causes); empty: no more", 1)) && *l) {
		if (!exists(A, "SELECT 1 FROM cause WHERE id = ?1", l))
			printf("no cause '%s' in this knowledge base.\n", l);
		else if ((r = link_to(A, "cause", l)))
			json_array_append_new(res, r);
		free(l);
	}
	if (A->stopped || sources(A, o) != 0)
		goto stop;
	json_object_set_new(o, "kind", json_string("fix"));
	return o;
stop:
	json_decref(o);
	return NULL;
}

static json_t *ask_fact(asker *A)
{
	static const char *const askers[] = {"client", "host_admin", "cloud_admin", "network_admin", NULL};
	json_t *o = json_object(), *vals = json_array();
	char *v;

	json_object_set_new(o, "values", vals);
	if (text(A, o, "id", "the fact's id: a-z, 0-9 and _, starting with a letter", 0) ||
	    text(A, o, "text", "the question as the technician is asked it", 0) ||
	    long_text(A, o, "help", "# How to find the answer (the command to run, where to click)."
		      " Lines starting with # are dropped.\n", 0) ||
	    choice(A, o, "asker", "who can answer: client, host_admin, cloud_admin or network_admin", askers, 0) ||
	    number(A, o, "cost", "the effort of finding out, in minutes-equivalent") ||
	    number(A, o, "unknown_rate", "how often people cannot tell: 0 to 0.9")) {
		json_decref(o);
		return NULL;
	}
	while ((v = field(A, "value", "one of its answers (a-z, 0-9, _ . + -); empty: no more (none: free text)", 1)) && *v) {
		json_t *item = json_pack("{s:s}", "value", v);

		free(v);
		if (text(A, item, "text", "what that answer means, as a choice shows it", 0) ||
		    number(A, item, "p", "how likely that answer is when a cause says nothing of it; they sum to 1")) {
			json_decref(item);
			json_decref(o);
			return NULL;
		}
		json_array_append_new(vals, item);
	}
	free(v);
	json_object_set_new(o, "check", json_array());
	if (A->stopped || sources(A, o) != 0) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "kind", json_string("fact"));
	return o;
}

static json_t *ask_source(asker *A)
{
	json_t *o = json_object();

	if (text(A, o, "id", "the source's id: a-z, 0-9 and _, starting with a letter", 0) ||
	    text(A, o, "file", "where the document is: a URL or a file in the seeds", 0) ||
	    text(A, o, "title", "its title", 0) || text(A, o, "note", "what it says or gets wrong (may be empty)", 1)) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "kind", json_string("source"));
	return o;
}

static const char rule_template[] =
	"-- A rule: what it does, in a sentence or two. Every line is kept.\n"
	"description = \"Ask X only when Y\"\n"
	"reads = {\"host_kind\"}        -- the facts it reads (kb list facts)\n"
	"sources = {\"seed_000\"}       -- the documents it comes from (kb list sources)\n"
	"\n"
	"-- f holds the facts read, nil while unknown. Effects: hide(fact, why),\n"
	"-- derive(fact, value, why), scale(cause, factor, why), exclude(fix, why),\n"
	"-- warn(fix, text), fill(slot, value). See kb/README.md.\n"
	"function run(f)\n"
	"  if f.host_kind and f.host_kind ~= \"azure_vm\" then\n"
	"    hide(\"nsg_allows_3389\", \"only Azure VMs have network security groups\")\n"
	"  end\n"
	"end\n";

static json_t *ask_rule(asker *A)
{
	json_t *o = json_object();
	char path[256], *src;
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	int fd;
	buf b = {0};
	char chunk[4096];
	size_t n;

	if (text(A, o, "id", "the rule's id (its file in rules/ is ID.lua)", 0)) {
		json_decref(o);
		return NULL;
	}
	printf("source: opening $VISUAL or $EDITOR with a commented template\n");
	snprintf(path, sizeof path, "%s/triage-rule-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w"))) {
		json_decref(o);
		tr_fail(A->e, TR_ERR, "kb add: cannot make a file to edit: %s", strerror(errno));
		return NULL;
	}
	fputs(rule_template, f);
	fclose(f);
	if (kbask_editor(path) != 0 || !(f = fopen(path, "r"))) {
		remove(path);
		json_decref(o);
		tr_fail(A->e, TR_ERR, "kb add: the editor ($VISUAL or $EDITOR) failed; nothing changed");
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	remove(path);
	src = buf_take(&b);
	json_object_set_new(o, "source", json_string(src ? src : ""));
	free(src);
	json_object_set_new(o, "kind", json_string("rule"));
	return o;
}

json_t *kbask_record(enum kb_kind kind, sqlite3 *db, json_t **links, tr_err *e)
{
	asker A = { db, e, 0 };
	json_t *out = json_array(), *one = NULL;
	char *yes;
	char *shown;

	*links = json_array();
	printf("A new %s: each field with what it means. Ctrl-D stops; nothing is written until you confirm.\n",
	       kbtext_kinds[kind]);
	if (kind == KB_CAUSE)
		one = ask_cause(&A, out, *links) ? out : NULL;
	else if ((one = kind == KB_FIX ? ask_fix(&A, NULL) : kind == KB_FACT ? ask_fact(&A)
		    : kind == KB_SOURCE ? ask_source(&A) : ask_rule(&A)))
		json_array_append_new(out, one);
	if (!one) {
		json_decref(out);
		json_decref(*links);
		*links = NULL;
		if (!e->code)
			tr_fail(e, TR_ERR, "kb add: stopped; nothing changed");
		return NULL;
	}
	shown = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	printf("%s\n", shown ? shown : "");
	free(shown);
	if (json_array_size(*links)) {
		shown = json_dumps(*links, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
		printf("and links to existing fixes:\n%s\n", shown ? shown : "");
		free(shown);
	}
	yes = line(&A, "Add it (checked as kb build checks)? [y/N] ");
	if (!yes || (strcmp(yes, "y") != 0 && strcmp(yes, "yes") != 0)) {
		free(yes);
		json_decref(out);
		json_decref(*links);
		*links = NULL;
		tr_fail(e, TR_ERR, "kb add: not confirmed; nothing changed");
		return NULL;
	}
	free(yes);
	return out;
}
