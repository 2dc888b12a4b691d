/*
 * kbnew.c: `triage kb new rule NAME [-o FILE]`: writes a commented rule
 * template, what a rule reads, its effects and the sandbox's limits, with
 * a working example made of ids from the knowledge base in effect, so that
 * it compiles and passes kb build as written. The example is switched off
 * (enabled = false) until the editor makes it theirs. Uses model.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "cli.h"
#include "rules.h"

static int is_ident(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* The record of m named id, as "fact", "cause", ...; NULL when none. */
static const char *used_by(const tr_model *m, const char *id)
{
	if (model_fact(m, id) >= 0)
		return "fact";
	if (model_cause(m, id) >= 0)
		return "cause";
	if (model_fix(m, id) >= 0)
		return "fix";
	if (model_rule(m, id) >= 0)
		return "rule";
	for (int i = 0; i < m->nsources; i++)
		if (strcmp(m->sources[i].id, id) == 0)
			return "source";
	return NULL;
}

/* The template for rule name, its example made of m's first fact with
 * values, its first cause and its first source. */
static void template(const tr_model *m, const char *name, int f, buf *b)
{
	const tr_fact *fa = &m->facts[f];
	const char *value = m->values[fa->first].value, *cause = m->causes[0].id;

	buf_printf(b,
		"-- %s: say here, in a line or two, what this rule knows that records cannot\n"
		"-- hold, and which document says so.\n"
		"--\n"
		"-- A rule is metadata and a run(f) function (kb/README.md, \"rules/ID.lua\"):\n"
		"--   description  one line, shown by `kb show` and in explanations (`why`)\n"
		"--   reads        the facts run(f) may read: reading any other is an error, and\n"
		"--                after each answer only the rules that read it run again\n"
		"--   sources      the documents it comes from (ids in kb/sources.json); required\n"
		"--   enabled      false keeps the rule but switches it off\n"
		"--\n"
		"-- run(f) gets the facts as a read-only table: f.some_fact is its value (a\n"
		"-- string), or nil while unknown. It changes nothing itself: it calls effects,\n"
		"-- each recorded with its reason and shown by `why` and `how`:\n"
		"--   derive(fact, value, why)    sets a fact the person has not answered\n"
		"--   hide(fact, why)             the question does not apply here: never ask it\n"
		"--   scale(cause, factor, why)   multiplies the cause's weight (0 rules it out)\n"
		"--   fill(slot, text, why)       fills {{slot}} in commands, steps and texts\n"
		"--   warn(fix, text)             attaches a safety warning to a fix\n"
		"--   exclude(fix, why)           the fix does not apply here: never recommended\n"
		"-- Ids that do not exist are refused by kb build's dry run.\n"
		"--\n"
		"-- The sandbox: Lua 5.4 without io, os, package, require, debug, load, dofile,\n"
		"-- collectgarbage, string.dump, print, metatables or coroutines; reading or\n"
		"-- creating an undeclared global is an error; string, table, math and utf8 are\n"
		"-- read-only. A run may use %d instructions (work done in library\n"
		"-- functions counts), %u MiB and 3 s of CPU; a rule that errs or hits a\n"
		"-- limit is switched off for the session and named. Runs must be pure: the\n"
		"-- same facts give the same effects (kb build computes the starting state once).\n"
		"--\n"
		"-- Check it: `triage kb build -o /tmp/kb.sqlite .` compiles it and runs it once\n"
		"-- for each value of each fact it reads; `triage --kb /tmp/kb.sqlite kb lint\n"
		"-- CASES...` says whether any test case makes it fire; `triage --kb\n"
		"-- /tmp/kb.sqlite kb test --changed --before OLD.sqlite CASES...` what it moves.\n"
		"\n"
		"description = \"Example: %s = %s makes %s twice as likely\"\n"
		"reads = {\"%s\"}\n"
		"sources = {\"%s\"}\n"
		"enabled = false   -- the example is off: make it yours, then delete this line\n"
		"\n"
		"function run(f)\n"
		"  if f.%s == \"%s\" then\n"
		"    scale(\"%s\", 2, \"%s is %s\")\n"
		"  end\n"
		"  -- Other effects, for the same shape:\n"
		"  --   if f.%s and f.%s ~= \"%s\" then hide(\"some_fact\", \"why it does not apply\") end\n"
		"  --   warn(\"some_fix\", \"what to take care of\")\n"
		"end\n",
		name, RULES_BUDGET, RULES_MEMORY >> 20, fa->id, value, cause, fa->id,
		m->sources[0].id, fa->id, value, cause, fa->id, value, fa->id, fa->id, value);
}

static int write_new(const char *path, const buf *b, tr_err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ssize_t n;

	if (fd < 0)
		return tr_fail(e, TR_ERR, errno == EEXIST ? "kb new rule: %s exists (not overwritten)"
			       : "kb new rule: cannot create %s: %s", path, strerror(errno));
	n = write(fd, buf_str(b), b->len);
	if (close(fd) != 0 || n < 0 || (size_t)n != b->len) {
		unlink(path);
		return tr_fail(e, TR_ERR, "kb new rule: cannot write %s", path);
	}
	return TR_OK;
}

int kbnew_cmd(cli *c)
{
	const char *kind = NULL, *name = NULL, *out = NULL, *other;
	char path[4096];
	buf b = {0};
	int f = 0, rc;

	for (int i = 0; i < c->argc; i++) {
		if (cli_flag(c, &i, "-o", &out)) {
			if (!out)
				return TR_EUSAGE;
		} else if (c->argv[i][0] == '-')
			return tr_fail(&c->err, TR_EUSAGE, "kb new: unknown option %s", c->argv[i]);
		else if (!kind)
			kind = c->argv[i];
		else if (!name)
			name = c->argv[i];
		else
			return tr_fail(&c->err, TR_EUSAGE, "kb new: unexpected argument '%s'", c->argv[i]);
	}
	if (!kind || strcmp(kind, "rule") != 0)
		return tr_fail(&c->err, TR_EUSAGE, "kb new: say what to make: rule NAME");
	if (!name)
		return tr_fail(&c->err, TR_EUSAGE, "kb new rule: name the rule");
	if (!is_ident(name))
		return tr_fail(&c->err, TR_EUSAGE, "kb new rule: '%s' is not an identifier (a-z, 0-9, _; "
			       "starts with a letter; at most 64)", name);
	if ((other = used_by(c->m, name)))
		return tr_fail(&c->err, TR_ERR, "kb new rule: '%s' is already a %s in %s", name, other,
			       c->kb_path);
	while (f < c->m->nfacts && c->m->facts[f].nvalues < 2)
		f++;
	if (f == c->m->nfacts || c->m->ncauses == 0 || c->m->nsources == 0)
		return tr_fail(&c->err, TR_ERR, "kb new rule: %s has no fact with values, cause or "
			       "source to make the example of", c->kb_path);
	snprintf(path, sizeof path, "rules/%s.lua", name);
	template(c->m, name, f, &b);
	rc = write_new(out ? out : path, &b, &c->err);
	buf_free(&b);
	if (rc == TR_OK)
		printf("wrote %s: a template for rule %s, switched off until you make it yours\n",
		       out ? out : path, name);
	return rc;
}
