/*
 * export.c: Markdown (CommonMark) exports: the fix guide, the session report
 * and the coverage table, and the atomic writer they share (see export.h).
 * The md_* helpers are the only code that emits knowledge-base text.
 * Uses model.h, plan.h, session.h, explain.h and sessdb.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "explain.h"
#include "export.h"
#include "jsonl.h"
#include "plan.h"
#include "reach.h"
#include "sessdb.h"
#include "text.h"

/* The risk-priced cost the planner uses for fix x (plan.h). */
static double priced(const tr_model *m, int x)
{
	plan_in in;

	memset(&in, 0, sizeof in);
	in.m = m;
	in.step = PLAN_STEP;
	return plan_cost(&in, x);
}

/* Two causes are told apart by a fact when one of its answers is at least
 * this many times as likely under one cause as under the other. */
#define EXPORT_SEPARATES 3.0

/* ---- CommonMark primitives ----
 * Inline text escapes a character only where CommonMark would read it as
 * markup (md_needs), so no emphasis, link, code span, raw HTML, entity or
 * block marker can form and plain text reads as plain text. Newlines, tabs
 * and carriage returns become spaces, so text never starts a block; other
 * control characters are shown as \xNN. cmark proves it in the tests.
 */
static int md_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int md_punct(char ch)
{
	return ch && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", ch) != NULL;
}

static int md_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Whether ch at s[i] of s (whose text starts at start) needs a backslash:
 * only where CommonMark would read it as markup, so running text such as
 * 2026.11.1, on-premises or (router, modem) stays as written.
 *   anywhere: ` < [ ] * (code, HTML, autolinks, links, emphasis), \ before
 *             punctuation or at the end, & starting an entity, _ unless
 *             inside a word;
 *   at the start: # > + - = ~ and a list number's . or ) before a space
 *             (block markers, setext underlines, fences);
 *   a trailing run of # (a heading's closing sequence). */
static int md_needs(const char *start, const char *s, const char *end)
{
	char ch = *s, prev = s > start ? s[-1] : ' ', next = s + 1 < end ? s[1] : '\0';
	const char *p;

	switch (ch) {
	case '`': case '<': case '[': case ']': case '*':
		return 1;
	case '\\':
		return !next || md_punct(next);
	case '&':
		return md_alnum(next) || next == '#';
	case '_':
		return !(md_alnum(prev) && md_alnum(next));
	case '#':
		if (s == start)
			return 1;
		for (p = s; p < end && *p == '#'; p++)
			;
		return p == end && (prev == ' ' || prev == '#');
	case '>': case '+': case '-': case '=': case '~':
		return s == start;
	case '.': case ')':
		for (p = start; p < s && *p >= '0' && *p <= '9'; p++)
			;
		return p == s && s > start && s - start <= 9 && (next == ' ' || !next);
	default:
		return 0;
	}
}

/* Appends s escaped for inline context, without leading or trailing space
 * (four leading spaces would start an indented code block). */
static void md_inline(buf *b, const char *s)
{
	const char *end = s + strlen(s), *start;

	while (md_space(*s))
		s++;
	while (end > s && md_space(end[-1]))
		end--;
	for (start = s; s < end; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n' || ch == '\r' || ch == '\t')
			buf_putc(b, ' ');
		else if (ch < 0x20 || ch == 0x7f)
			buf_printf(b, "\\\\x%02X", ch);
		else {
			if (md_needs(start, s, end))
				buf_putc(b, '\\');
			buf_putc(b, (char)ch);
		}
	}
}

/* The longest run of c in s. */
static size_t md_run(const char *s, char c)
{
	size_t best = 0, n = 0;

	for (; *s; s++) {
		n = *s == c ? n + 1 : 0;
		if (n > best)
			best = n;
	}
	return best;
}

static void md_repeat(buf *b, char c, size_t n)
{
	while (n--)
		buf_putc(b, c);
}

/* Appends s as a code span: literal text, never HTML. The fence is longer
 * than any backtick run inside; padding keeps edge backticks and spaces. */
static void md_code(buf *b, const char *s)
{
	size_t n = md_run(s, '`') + 1, len = strlen(s);
	int pad;

	if (!len)
		return;
	pad = s[0] == '`' || s[len - 1] == '`' ||
	      (s[0] == ' ' && s[len - 1] == ' ' && strspn(s, " ") < len);
	md_repeat(b, '`', n);
	if (pad)
		buf_putc(b, ' ');
	for (; *s; s++)
		buf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
	if (pad)
		buf_putc(b, ' ');
	md_repeat(b, '`', n);
}

/* Whether info (a shell name) can be a fence's info string as it is. */
static int md_info_ok(const char *info)
{
	return *info && strspn(info, "abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-") == strlen(info);
}

/* Appends text as a fenced code block, byte for byte (CommonMark reads a
 * carriage return as a line end; nothing else is changed). The block's
 * text is exactly text plus one newline. */
static void md_fence(buf *b, const char *info, const char *text)
{
	size_t n = md_run(text, '`') + 1;

	if (n < 3)
		n = 3;
	md_repeat(b, '`', n);
	if (md_info_ok(info))
		buf_puts(b, info);
	buf_putc(b, '\n');
	buf_puts(b, text);
	buf_putc(b, '\n');
	md_repeat(b, '`', n);
	buf_puts(b, "\n\n");
}

/* Whether url may be a link: http(s), ASCII, nothing that could end the
 * destination early or be decoded on the way (space, controls, <>()[]
 * quotes, backslash, backtick, braces). */
static int md_url_ok(const char *url)
{
	size_t skip = strncasecmp(url, "http://", 7) == 0 ? 7
		      : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;

	if (!skip || !url[skip] || url[skip] == '/')
		return 0;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[]\"'\\`{}|^", *p))
			return 0;
	return 1;
}

/* Appends a link to url with text, or the text alone when url is no
 * http(s) link. Entities are decoded in a link's address, so '&' is
 * written as one (&amp;) and "&amp;" in url stays as it is. */
static void md_link(buf *b, const char *text, const char *url)
{
	if (!md_url_ok(url)) {
		md_inline(b, text);
		return;
	}
	buf_putc(b, '[');
	md_inline(b, *text ? text : url);
	buf_puts(b, "](");
	for (; *url; url++)
		if (*url == '&')
			buf_puts(b, "&amp;");
		else
			buf_putc(b, *url);
	buf_putc(b, ')');
}

static void md_heading(buf *b, int level, const char *text)
{
	md_repeat(b, '#', (size_t)level);
	buf_putc(b, ' ');
	md_inline(b, text);
	buf_puts(b, "\n\n");
}

/* A paragraph of text; nothing when text is empty. */
static void md_para(buf *b, const char *text)
{
	if (!*text)
		return;
	md_inline(b, text);
	buf_puts(b, "\n\n");
}

/* A paragraph "**label** text"; nothing when text is empty. */
static void md_field(buf *b, const char *label, const char *text)
{
	if (!*text)
		return;
	buf_printf(b, "**%s** ", label);
	md_inline(b, text);
	buf_puts(b, "\n\n");
}

/* Multi-line text from explain.c: unindented lines become paragraphs,
 * indented ones list items. */
static void md_lines(buf *b, const char *text)
{
	int in_list = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		char *line = xmalloc(n + 1);
		int item = text[0] == ' ';

		memcpy(line, text, n);
		line[n] = '\0';
		if (in_list && !item)
			buf_putc(b, '\n');
		buf_puts(b, item ? "- " : "");
		md_inline(b, line);
		buf_puts(b, item ? "\n" : "\n\n");
		in_list = item;
		free(line);
		text += nl ? n + 1 : n;
	}
	if (in_list)
		buf_putc(b, '\n');
}

/* ---- ordering ---- */

typedef struct ranked {
	int i;        /* record index */
	double key;   /* sort key, highest first */
} ranked;

static int by_key(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Causes by prior, highest first; the caller frees the array. */
static ranked *causes_by_prior(const tr_model *m)
{
	ranked *r = xcalloc((size_t)m->ncauses + 1, sizeof *r);

	for (int c = 0; c < m->ncauses; c++)
		r[c] = (ranked){c, m->causes[c].prior};
	qsort(r, (size_t)m->ncauses, sizeof *r, by_key);
	return r;
}

/* The fixes' own links to cause c (not those through a fix they include)
 * by efficiency p / priced cost; returns how many. */
static int fixes_for(const tr_model *m, int c, ranked *out)
{
	int n = 0;

	for (int l = 0; l < m->nlinks; l++)
		if (m->links[l].cause == c && m->links[l].via < 0)
			out[n++] = (ranked){l, m->links[l].p / priced(m, m->links[l].fix)};
	qsort(out, (size_t)n, sizeof *out, by_key);
	return n;
}

/* P(value v | cause c) over the default likelihood. */
static double like_ratio(const tr_model *m, int c, int v)
{
	double d = m->values[v].p;

	return d > 0 ? model_like(m, c, v) / d : 1;
}

static void put_ratio(buf *b, double r)
{
	buf_printf(b, r >= 10 ? "x%.0f" : r >= 1 ? "x%.1f" : "x%.2g", r);
}

/* ---- pieces shared by the exports ---- */

static void put_value(buf *b, const tr_model *m, int v)
{
	md_inline(b, m->values[v].text);
	buf_puts(b, " (");
	md_code(b, m->values[v].value);
	buf_putc(b, ')');
}

static int source_index(const tr_model *m, const char *id)
{
	for (int i = 0; i < m->nsources; i++)
		if (strcmp(m->sources[i].id, id) == 0)
			return i;
	return -1;
}

/* One citation: the source's title (a link when its file is an http(s)
 * address, else followed by the file name) and the citation's note. */
static void put_cite(buf *b, const tr_model *m, const tr_cite *cite)
{
	int k = source_index(m, cite->source);

	buf_puts(b, "- ");
	if (k < 0)
		md_code(b, cite->source);
	else if (md_url_ok(m->sources[k].file))
		md_link(b, m->sources[k].title, m->sources[k].file);
	else {
		md_inline(b, m->sources[k].title);
		buf_puts(b, " (");
		md_code(b, m->sources[k].file);
		buf_putc(b, ')');
	}
	if (*cite->note) {
		buf_puts(b, ": ");
		md_inline(b, cite->note);
	}
	buf_putc(b, '\n');
}

static void put_cites(buf *b, const tr_model *m, const tr_cite *cites, int n)
{
	for (int i = 0; i < n; i++)
		put_cite(b, m, &cites[i]);
	buf_puts(b, n ? "\n" : "None cited.\n\n");
}

static const char *where_runs(const char *on)
{
	static const char *const where[][2] = {
		{"client", "On the client"}, {"host", "On the host"}, {"router", "On the router"},
		{"portal", "In the Azure portal"}, {"gateway", "On the RD Gateway"}};

	for (size_t i = 0; i < sizeof where / sizeof *where; i++)
		if (strcmp(on, where[i][0]) == 0)
			return where[i][1];
	return NULL;
}

static const char *how_runs(const char *shell)
{
	static const char *const how[][2] = {
		{"powershell", "in PowerShell"}, {"cmd", "in a Command Prompt"},
		{"reg", "as a .reg file for Registry Editor"}, {"gui", "by hand, in this click path"},
		{"azure-cli", "with the Azure CLI"}};

	for (size_t i = 0; i < sizeof how / sizeof *how; i++)
		if (strcmp(shell, how[i][0]) == 0)
			return how[i][1];
	return NULL;
}

/* text with its slots filled as s knows them (s NULL: every slot shown
 * unfilled, as <slot>), quoted for shell (NULL: text a person reads). */
static char *fill(session *s, const char *text, const char *shell)
{
	return s ? session_fill(s, text, shell, NULL) : slot_render(text, shell, NULL, NULL, NULL);
}

/* lead "only if host_kind is azure_vm" tail, while s does not know that
 * (or s is NULL). */
static void put_when(buf *b, const tr_model *m, session *s, const tr_where *w, const char *lead,
		     const char *tail)
{
	char when[512];

	if (w->n == 0 || (s && session_where(s, w) > 0))
		return;
	model_where_text(m, w, when, sizeof when);
	buf_puts(b, lead);
	buf_puts(b, "only if ");
	md_inline(b, when);
	buf_puts(b, tail);
}

/* "On the host, in PowerShell:" then the command in a fenced block; s
 * (when not NULL) fills the {{slots}} as the session knows them. */
static void put_command(buf *b, const tr_model *m, const tr_command *cmd, session *s)
{
	const char *where = where_runs(cmd->on), *how = how_runs(cmd->shell);
	char *text = fill(s, cmd->text, cmd->shell);

	if (where)
		buf_puts(b, where);
	else {
		buf_puts(b, "On ");
		md_inline(b, cmd->on);
	}
	buf_puts(b, ", ");
	if (how)
		buf_puts(b, how);
	else
		md_code(b, cmd->shell);
	put_when(b, m, s, &cmd->applies, ", ", "");
	buf_puts(b, ":\n\n");
	md_fence(b, cmd->shell, text);
	free(text);
}

static void put_steps(buf *b, const tr_model *m, const tr_fix *fix, session *s)
{
	int k = 0;

	if (!fix->nsteps)
		return;
	buf_puts(b, "**Steps**\n\n");
	for (int i = 0; i < fix->nsteps; i++) {
		char *t;

		if (s && session_where(s, &fix->step_applies[i]) == 0)
			continue;
		t = fill(s, fix->steps[i], NULL);
		buf_printf(b, "%d. ", ++k);
		md_inline(b, t);
		put_when(b, m, s, &fix->step_applies[i], " (", ")");
		buf_putc(b, '\n');
		free(t);
	}
	buf_putc(b, '\n');
}

static void put_commands(buf *b, const tr_model *m, const tr_fix *fix, session *s)
{
	if (!fix->ncmds)
		return;
	buf_puts(b, "**Commands**\n\n");
	for (int i = 0; i < fix->ncmds; i++)
		if (!s || session_where(s, &fix->cmds[i].applies) != 0)
			put_command(b, m, &fix->cmds[i], s);
}

/* Risk and effort as list items. */
static void put_effort(buf *b, const tr_model *m, int x)
{
	const tr_fix *fix = &m->fixes[x];

	buf_printf(b, "- **Risk:** %s\n", model_risk_names[fix->risk]);
	buf_printf(b, "- **Effort:** about %d min of work%s%s\n",
		   fix->minutes, fix->admin ? ", needs administrator rights" : "",
		   fix->reboot ? ", needs a reboot" : "");
}

/* Undo, expected outcome and sources. */
static void put_fix_tail(buf *b, const tr_model *m, const tr_fix *fix, session *s)
{
	char *undo = fill(s, fix->undo, NULL), *outcome = fill(s, fix->outcome, NULL);

	if (*fix->undo)
		md_field(b, "Undo:", undo);
	else
		buf_puts(b, "**Undo:** nothing to undo.\n\n");
	md_field(b, "Expected outcome:", outcome);
	free(undo);
	free(outcome);
	buf_puts(b, "**Sources**\n\n");
	put_cites(b, m, fix->cites, fix->ncites);
}

/* ---- the fix guide ---- */

static void guide_intro(buf *b, const tr_model *m)
{
	md_heading(b, 1, m->title);
	md_para(b, m->summary);
	buf_puts(b, "Knowledge base ");
	md_code(b, m->kb_id);
	buf_puts(b, ", version ");
	md_inline(b, m->version);
	buf_printf(b, ": %d causes, %d fixes, %d facts. Causes come most common first. "
		   "Each cause's fixes come in the order to try them: the best chance of success "
		   "for the minutes of work, riskier fixes later.\n\n",
		   m->ncauses, m->nfixes, m->nfacts);
}

static void guide_contents(buf *b, const tr_model *m, const ranked *order, int n)
{
	buf_puts(b, "## Contents\n\n");
	for (int i = 0; i < n; i++) {
		buf_printf(b, "%d. ", i + 1);
		md_inline(b, m->causes[order[i].i].title);
		buf_putc(b, '\n');
	}
	buf_putc(b, '\n');
}

/* The value of fact f whose likelihood cause c raises most. */
static int raised_most(const tr_model *m, int c, int f, double *ratio)
{
	const tr_fact *fact = &m->facts[f];
	int best = fact->first;

	for (int v = fact->first; v < fact->first + fact->nvalues; v++)
		if (like_ratio(m, c, v) > like_ratio(m, c, best))
			best = v;
	*ratio = like_ratio(m, c, best);
	return best;
}

static void recognise_one(buf *b, const tr_model *m, int c, const tr_evidence *ev)
{
	double r;
	int v = raised_most(m, c, ev->fact, &r);

	buf_puts(b, "- ");
	md_inline(b, m->facts[ev->fact].text);
	buf_puts(b, " **Answer:** ");
	put_value(b, m, v);
	buf_puts(b, ", ");
	put_ratio(b, r);
	buf_printf(b, ": %.0f%% with this cause, %.0f%% by default. ",
		   100 * model_like(m, c, v), 100 * m->values[v].p);
	md_inline(b, ev->why);
	buf_putc(b, '\n');
}

/* The cause's stated evidence, the strongest first. */
static void guide_recognise(buf *b, const tr_model *m, int c)
{
	ranked *r = xcalloc((size_t)m->nevidence + 1, sizeof *r);
	int n = 0;
	double ratio;

	for (int i = 0; i < m->nevidence; i++)
		if (m->evidence[i].cause == c && m->facts[m->evidence[i].fact].nvalues > 0) {
			raised_most(m, c, m->evidence[i].fact, &ratio);
			r[n++] = (ranked){i, ratio};
		}
	qsort(r, (size_t)n, sizeof *r, by_key);
	buf_puts(b, "### How to recognise it\n\n");
	for (int i = 0; i < n; i++)
		recognise_one(b, m, c, &m->evidence[r[i].i]);
	buf_puts(b, n ? "\n" : "No answer points to this cause more than to others.\n\n");
	free(r);
}

/* What the fix does for the cause of link (or -1), its chance in session
 * s (or NULL), risk, effort and the warnings rules attached, as a list. */
static void put_fix_facts(buf *b, const tr_model *m, int x, int link, session *s)
{
	const char *warn;

	if (link >= 0) {
		buf_printf(b, "- **Resolves this cause:** %.0f%% of the time: ", 100 * m->links[link].p);
		if (m->links[link].via >= 0) {
			buf_puts(b, "through ");
			md_code(b, m->fixes[m->links[link].via].id);
			buf_puts(b, ", part of its steps: ");
		}
		md_inline(b, m->links[link].why);
		buf_putc(b, '\n');
	}
	for (int j = 0; j < m->fixes[x].nincl; j++) {
		buf_puts(b, j ? ", " : "- **Includes:** the steps of ");
		md_code(b, m->fixes[m->fixes[x].incl[j]].id);
		if (j == m->fixes[x].nincl - 1)
			buf_puts(b, " (tried with it)\n");
	}
	if (s)
		buf_printf(b, "- **Chance it resolves the problem now:** %.0f%%\n",
			   100 * session_fix_chance(s, x));
	put_effort(b, m, x);
	for (int i = 0; s && (warn = session_warning(s, x, i)); i++) {
		buf_puts(b, "- **Warning:** ");
		md_inline(b, warn);
		buf_putc(b, '\n');
	}
	buf_putc(b, '\n');
}

/* One fix as a section at level; link (or -1) says what it does for the
 * cause the section is in; s (or NULL) is the session it is recommended in,
 * which fills the {{slots}} of its commands. */
static void put_fix(buf *b, const tr_model *m, int x, int level, int link, session *s)
{
	const tr_fix *fix = &m->fixes[x];
	char *summary = fill(s, fix->summary, NULL);

	md_heading(b, level, fix->title);
	md_para(b, summary);
	free(summary);
	put_fix_facts(b, m, x, link, s);
	if (fix->applies.n) {
		char when[512];

		model_where_text(m, &fix->applies, when, sizeof when);
		md_field(b, "Applies only if:", when);
	}
	put_steps(b, m, fix, s);
	put_commands(b, m, fix, s);
	put_fix_tail(b, m, fix, s);
}

static void guide_cause(buf *b, const tr_model *m, int c, double prior_sum)
{
	const tr_cause *cause = &m->causes[c];
	ranked *links = xcalloc((size_t)m->nlinks + 1, sizeof *links);
	int n = fixes_for(m, c, links);

	md_heading(b, 2, cause->title);
	md_field(b, "What it is:", cause->summary);
	buf_printf(b, "**How common:** prior %.3f, %.1f%% of all causes", cause->prior,
		   prior_sum > 0 ? 100 * cause->prior / prior_sum : 0);
	buf_puts(b, *cause->prior_why ? ": " : ".");
	md_inline(b, cause->prior_why);
	buf_puts(b, "\n\n");
	guide_recognise(b, m, c);
	buf_puts(b, "### Fixes\n\n");
	if (!n)
		buf_puts(b, "No fix in this knowledge base resolves this cause.\n\n");
	for (int i = 0; i < n; i++)
		put_fix(b, m, m->links[links[i].i].fix, 4, links[i].i, NULL);
	buf_puts(b, "### Sources\n\n");
	put_cites(b, m, cause->cites, cause->ncites);
	free(links);
}

int export_guide(const tr_model *m, const char *cause, buf *out, tr_err *e)
{
	ranked *order;
	int n = m->ncauses;
	double prior_sum = 0;

	if (cause && model_cause(m, cause) < 0)
		return tr_fail(e, TR_ERR, "no cause '%s' in the knowledge base", cause);
	order = causes_by_prior(m);
	if (cause) {
		order[0] = (ranked){model_cause(m, cause), 0};
		n = 1;
	}
	for (int c = 0; c < m->ncauses; c++)
		prior_sum += m->causes[c].prior;
	guide_intro(out, m);
	guide_contents(out, m, order, n);
	for (int i = 0; i < n; i++)
		guide_cause(out, m, order[i].i, prior_sum);
	free(order);
	return TR_OK;
}

/* ---- the session report ---- */

static void report_head(buf *b, session *s, const char *title, const char *note)
{
	const tr_model *m = session_model(s);

	md_heading(b, 1, title ? title : "Troubleshooting session");
	buf_puts(b, "**Knowledge base:** ");
	md_inline(b, m->title);
	buf_puts(b, " (");
	md_code(b, m->kb_id);
	buf_puts(b, ", version ");
	md_inline(b, m->version);
	buf_puts(b, ")\n\n");
	if (note)
		md_field(b, "Note:", note);
}

static void report_status(buf *b, session *s)
{
	enum done_status st;

	buf_puts(b, "**Status:** ");
	if (!session_done(s, &st))
		buf_puts(b, "in progress.\n\n");
	else if (st == DONE_RESOLVED)
		buf_puts(b, "done: resolved, a fix worked.\n\n");
	else if (st == DONE_EXHAUSTED)
		buf_puts(b, "done: exhausted, nothing left is worth asking or trying.\n\n");
	else if (st == DONE_HANDOVER)
		buf_puts(b, "handed over: nothing left in reach is worth doing first; "
			 "the next steps need more reach (`export handover`).\n\n");
	else
		buf_puts(b, "done: ended before the problem was resolved.\n\n");
}

/* What the session knows of fact f: the value, or free text, or unknown. */
static void put_known(buf *b, const session *s, int f)
{
	const tr_model *m = session_model(s);
	int v = session_value(s, f);
	const char *text = session_text(s, f);

	if (v >= 0)
		put_value(b, m, v);
	else if (text)
		md_inline(b, text);
	else
		buf_puts(b, "unknown (could not tell)");
}

static void put_origin(buf *b, const session *s, int f)
{
	const tr_model *m = session_model(s);
	const char *why = NULL;
	int r;

	switch (session_origin(s, f)) {
	case ORIGIN_GIVEN: buf_puts(b, "given at the start"); break;
	case ORIGIN_ANSWER: buf_puts(b, "answered"); break;
	case ORIGIN_SET: buf_puts(b, "volunteered"); break;
	case ORIGIN_RULE:
		r = session_derived_by(s, f, &why);
		buf_puts(b, "derived by rule ");
		md_code(b, r >= 0 ? m->rules[r].id : "?");
		if (why && *why) {
			buf_puts(b, ": ");
			md_inline(b, why);
		}
		break;
	default: buf_puts(b, "answered"); break;
	}
}

static void report_facts(buf *b, session *s)
{
	const tr_model *m = session_model(s);
	int n = 0;

	buf_puts(b, "## Facts\n\n");
	for (int f = 0; f < m->nfacts; f++) {
		if (session_origin(s, f) == ORIGIN_NONE && !session_is_unknown(s, f))
			continue;
		buf_puts(b, "- ");
		md_code(b, m->facts[f].id);
		buf_puts(b, ": ");
		put_known(b, s, f);
		buf_puts(b, "; ");
		put_origin(b, s, f);
		buf_putc(b, '\n');
		n++;
	}
	buf_puts(b, n ? "\n" : "None yet.\n\n");
}

/* An event's value as people read it. */
static void put_event_value(buf *b, const tr_model *m, int f, const char *value)
{
	int v = f >= 0 ? model_value(m, f, value) : -1;

	if (v >= 0)
		put_value(b, m, v);
	else if (strcmp(value, "unknown") == 0)
		buf_puts(b, "unknown (could not tell)");
	else
		md_inline(b, value);
}

static void report_answers(buf *b, session *s)
{
	const tr_model *m = session_model(s);
	const session_event *ev;
	int n = session_events(s, &ev), k = 0;
	static const char *const label[] = {"Given at the start", "", "Volunteered", ""};

	buf_puts(b, "## Questions and answers\n\n");
	for (int i = 0; i < n; i++) {
		int f = model_fact(m, ev[i].subject);

		if (ev[i].kind == EV_RESULT)
			continue;
		buf_printf(b, "%d. ", ++k);
		if (ev[i].kind != EV_ANSWER)
			buf_printf(b, "%s: ", label[ev[i].kind]);
		if (f >= 0)
			md_inline(b, m->facts[f].text);
		else
			md_code(b, ev[i].subject);
		buf_puts(b, " **Answer:** ");
		put_event_value(b, m, f, ev[i].value);
		buf_putc(b, '\n');
	}
	buf_puts(b, k ? "\n" : "None yet.\n\n");
}

/* The fixes x includes, as a sublist: tried with it (model.h). */
static void put_included(buf *b, const tr_model *m, int x, const char *indent)
{
	for (int j = 0; j < m->fixes[x].nincl; j++) {
		int y = m->fixes[x].incl[j];

		buf_printf(b, "%s- tried with it, its steps include: ", indent);
		md_inline(b, m->fixes[y].title);
		buf_puts(b, " (");
		md_code(b, m->fixes[y].id);
		buf_puts(b, ")\n");
	}
}

static void report_tried(buf *b, session *s)
{
	const tr_model *m = session_model(s);
	const session_event *ev;
	int n = session_events(s, &ev), k = 0;

	buf_puts(b, "## Fixes tried\n\n");
	for (int i = 0; i < n; i++) {
		int x = model_fix(m, ev[i].subject);

		if (ev[i].kind != EV_RESULT)
			continue;
		buf_printf(b, "%d. ", ++k);
		if (x >= 0)
			md_inline(b, m->fixes[x].title);
		buf_puts(b, x >= 0 ? " (" : "");
		md_code(b, ev[i].subject);
		buf_puts(b, x >= 0 ? "): **" : ": **");
		md_inline(b, ev[i].value);
		buf_puts(b, "**\n");
		if (x >= 0 && strcmp(ev[i].value, "failed") == 0)
			put_included(b, m, x, "   ");
	}
	buf_puts(b, k ? "\n" : "None yet.\n\n");
}

static void report_ranking(buf *b, session *s)
{
	const tr_model *m = session_model(s);
	const double *p = session_p(s);
	int *order = xcalloc((size_t)m->ncauses + 1, sizeof *order);
	int n = session_ranking(s, order);

	buf_puts(b, "## Most likely causes\n\n");
	for (int i = 0; i < n && i < 10; i++) {
		buf_printf(b, "%d. ", i + 1);
		md_inline(b, m->causes[order[i]].title);
		buf_puts(b, " (");
		md_code(b, m->causes[order[i]].id);
		buf_printf(b, "): %.1f%%\n", 100 * p[order[i]]);
	}
	if (n > 10)
		buf_printf(b, "\nAnd %d more, at %.1f%% or less.\n", n - 10, 100 * p[order[10]]);
	buf_puts(b, n ? "\n" : "No cause is left.\n\n");
	free(order);
}

static void report_question(buf *b, session *s, int f)
{
	const tr_model *m = session_model(s);
	const tr_fact *fact = &m->facts[f];
	buf why = {0};

	buf_puts(b, "Answer this question next: ");
	md_inline(b, fact->text);
	buf_puts(b, " (");
	md_code(b, fact->id);
	buf_puts(b, ")\n\n");
	for (int v = fact->first; v < fact->first + fact->nvalues; v++) {
		buf_puts(b, "- ");
		put_value(b, m, v);
		buf_putc(b, '\n');
	}
	buf_puts(b, "- unknown (cannot tell)\n\n");
	{
		char *help = fill(s, fact->help, NULL);

		md_field(b, "How to find out:", help);
		free(help);
	}
	for (int i = 0; i < fact->ncheck; i++)
		if (session_where(s, &fact->check[i].applies) != 0)
			put_command(b, m, &fact->check[i], s);
	explain_brief(s, &why);
	md_field(b, "Why ask:", buf_str(&why));
	buf_free(&why);
}

static void report_fix(buf *b, session *s, int x)
{
	buf why = {0};

	put_fix(b, session_model(s), x, 3, -1, s);
	buf_puts(b, "**Why this fix**\n\n");
	if (session_next(s)->kind == ACT_RECOMMEND) {
		explain_brief(s, &why);
		buf_puts(&why, ".\n");
	}
	explain_fix(s, x, 0, &why);
	md_lines(b, buf_str(&why));
	buf_free(&why);
}

/* The first fix of the plan, when the session is not done. */
static int next_fix(session *s)
{
	const action *a = session_next(s);
	const tr_model *m = session_model(s);
	int *order, n, x;

	if (a->kind == ACT_RECOMMEND || a->kind == ACT_DONE)
		return a->kind == ACT_RECOMMEND ? a->fix : -1;
	order = xcalloc((size_t)m->nfixes + 1, sizeof *order);
	n = session_plan(s, order);
	x = n > 0 ? order[0] : -1;
	free(order);
	return x;
}

static void report_next(buf *b, session *s)
{
	const action *a = session_next(s);
	int x = next_fix(s);

	buf_puts(b, "## Next step\n\n");
	if (a->kind == ACT_QUESTION)
		report_question(b, s, a->fact);
	else if (a->kind == ACT_RECOMMEND)
		buf_puts(b, "Try the recommended fix below.\n\n");
	else if (a->status == DONE_RESOLVED)
		buf_puts(b, "None: the problem is resolved.\n\n");
	else if (a->status == DONE_HANDOVER)
		buf_puts(b, "None within this session's reach: hand the problem over with the "
			 "hand-over note (`export handover`), which lists the next tier's steps.\n\n");
	else
		buf_puts(b, "None left in this knowledge base: hand the problem to an expert, "
			 "with this report.\n\n");
	if (x < 0)
		return;
	buf_puts(b, "## Recommended next fix\n\n");
	if (a->kind == ACT_QUESTION)
		buf_puts(b, "The fix to try first if you act now instead of answering:\n\n");
	report_fix(b, s, x);
}

/* The fixes what is known rules out (session_ruled_out), under heading;
 * nothing when there are none. */
static void report_ruled_out(buf *b, session *s, const char *heading)
{
	const tr_model *m = session_model(s);
	int v[EXPLAIN_RULED_OUT], n = session_ruled_out(s, v, EXPLAIN_RULED_OUT);

	if (n == 0)
		return;
	buf_printf(b, "## %s\n\n", heading);
	buf_puts(b, "Not offered because of what the session knows; if an answer was wrong, "
		 "putting it right brings them back.\n\n");
	for (int i = 0; i < n; i++) {
		buf why = {0};

		explain_ruled_out(s, v[i], &why);
		buf_puts(b, "- ");
		md_code(b, m->fixes[v[i]].id);
		buf_printf(b, " (%.0f%% likely were it to apply): ", 100 * plan_chance(m, session_p(s), v[i]));
		md_inline(b, buf_str(&why));
		buf_puts(b, ".\n");
		buf_free(&why);
	}
	buf_puts(b, "\n");
}

void export_session_titled(session *s, const char *title, const char *note, buf *out)
{
	enum done_status st;

	session_next(s);
	report_head(out, s, title, note);
	report_status(out, s);
	report_facts(out, s);
	report_answers(out, s);
	report_tried(out, s);
	report_ranking(out, s);
	report_next(out, s);
	if (session_done(s, &st) && (st == DONE_EXHAUSTED || st == DONE_HANDOVER))
		report_ruled_out(out, s, "Ruled out by what is known");
}

void export_session(session *s, buf *out)
{
	export_session_titled(s, NULL, NULL, out);
}

/* ---- the hand-over note ---- */

/* The reach names in r as "host, portal and admin rights on the client". */
static void put_reach(buf *b, unsigned r)
{
	int n = 0, k = 0;

	if ((r & REACH_ALL) == REACH_ALL) {
		buf_puts(b, "everything");
		return;
	}
	for (int i = 0; i < REACH_NNAMES; i++)
		n += (int)((r >> i) & 1u);
	for (int i = 0; i < REACH_NNAMES; i++)
		if (r & (1u << i)) {
			buf_puts(b, k == 0 ? "" : k == n - 1 ? " and " : ", ");
			buf_puts(b, 1u << i == REACH_ADMIN ? "admin rights on the client" : reach_names[i]);
			k++;
		}
}

static void handover_status(buf *b, session *s)
{
	enum done_status st;

	buf_puts(b, "**Status:** ");
	if (!session_done(s, &st))
		buf_puts(b, "in progress: there is still something in reach worth doing first "
			 "(the session's next step); these are the steps after it, were it handed over now.\n\n");
	else if (st == DONE_HANDOVER)
		buf_puts(b, "handed over: nothing left in reach is worth doing first.\n\n");
	else if (st == DONE_RESOLVED)
		buf_puts(b, "resolved: a fix worked, nothing to hand over.\n\n");
	else
		buf_puts(b, "ended before the problem was resolved.\n\n");
}

static void handover_failed(buf *b, session *s)
{
	const tr_model *m = session_model(s);
	const session_event *ev;
	int k = 0, n = session_events(s, &ev);

	buf_puts(b, "## Fixes that failed\n\n");
	for (int i = 0, x; i < n; i++)   /* in the order they were tried */
		if (ev[i].kind == EV_RESULT && (x = model_fix(m, ev[i].subject)) >= 0 &&
		    session_fix_state(s, x) == FIX_FAILED && strcmp(ev[i].value, "failed") == 0) {
			buf_printf(b, "%d. ", ++k);
			md_inline(b, m->fixes[x].title);
			buf_puts(b, " (");
			md_code(b, m->fixes[x].id);
			buf_puts(b, ")\n");
			put_included(b, m, x, "   ");
		}
	buf_puts(b, k ? "\n" : "None.\n\n");
}

/* The question the next tier should answer first. */
static void handover_ask(buf *b, session *s, int f)
{
	const tr_model *m = session_model(s);
	const tr_fact *fact = &m->facts[f];
	char *help = fill(s, fact->help, NULL);

	buf_puts(b, "**Ask first:** ");
	md_inline(b, fact->text);
	buf_puts(b, " (");
	md_code(b, fact->id);
	buf_puts(b, ", answered by ");
	md_code(b, fact->asker);
	buf_puts(b, "). Its answer may change the order below.\n\n");
	md_field(b, "How to find out:", help);
	free(help);
	for (int i = 0; i < fact->ncheck; i++)
		if (session_where(s, &fact->check[i].applies) != 0)
			put_command(b, m, &fact->check[i], s);
}

static void handover_step(buf *b, session *s, const plan_step *st, int k)
{
	const tr_model *m = session_model(s);
	const tr_fix *fix = &m->fixes[st->fix];
	buf head = {0};
	char names[96];

	buf_printf(&head, "Step %d", k);
	md_heading(b, 3, buf_str(&head));
	buf_free(&head);
	buf_puts(b, "Fix ");
	md_code(b, fix->id);
	buf_puts(b, "; it addresses ");
	for (int l = fix->link; l < fix->link + fix->nlink; l++) {
		buf_puts(b, l == fix->link ? "" : l == fix->link + fix->nlink - 1 ? " and " : ", ");
		md_code(b, m->causes[m->links[l].cause].id);
	}
	buf_puts(b, ". Needs: ");
	put_reach(b, session_needs(s, st->fix));
	buf_printf(b, " (`--reach %s`).\n\n", reach_format(session_needs(s, st->fix), names, sizeof names));
	if (st->check >= 0) {
		const plan_check *ck = &session_checks(s)[st->check];

		buf_puts(b, "**Check first:** ");
		md_inline(b, m->facts[ck->fact].text);
		buf_puts(b, " (");
		md_code(b, m->facts[ck->fact].id);
		buf_puts(b, "). Try this fix only if the answer is ");
		put_value(b, m, ck->value);
		buf_puts(b, ".\n\n");
	}
	put_fix(b, m, st->fix, 4, -1, s);
}

void export_handover(session *s, const char *title, const char *technician, buf *out)
{
	const tr_model *m = session_model(s);
	const plan_step *steps;
	int ask, n;

	session_next(s);
	n = session_handover(s, &steps, &ask);
	report_head(out, s, title ? title : "Hand-over", NULL);
	if (technician && *technician)
		md_field(out, "Handed over by:", technician);
	buf_puts(out, "**Reach of this session:** ");
	put_reach(out, session_reach(s));
	buf_puts(out, ".\n\n");
	handover_status(out, s);
	report_facts(out, s);
	handover_failed(out, s);
	report_ranking(out, s);
	buf_puts(out, "## Next steps for the next tier\n\n");
	if (ask >= 0)
		handover_ask(out, s, ask);
	if (n == 0 && ask < 0)
		buf_puts(out, "None: nothing left in this knowledge base is worth trying.\n\n");
	else if (n)
		buf_puts(out, "In planned order; the first that works ends it.\n\n");
	for (int i = 0; i < n; i++)
		handover_step(out, s, &steps[i], i + 1);
	report_ruled_out(out, s, "Ruled out by what is known");
	(void)m;
}

/* ---- coverage ---- */

/* The value of fact f that tells most about cause c (ratio furthest from
 * 1 either way). */
static int most_telling(const tr_model *m, int c, int f, double *ratio)
{
	const tr_fact *fact = &m->facts[f];
	int best = fact->first;

	for (int v = fact->first; v < fact->first + fact->nvalues; v++)
		if (fabs(log(like_ratio(m, c, v))) > fabs(log(like_ratio(m, c, best))))
			best = v;
	*ratio = like_ratio(m, c, best);
	return best;
}

static void coverage_line(buf *b, const tr_model *m, int c, int f)
{
	double r;
	int v = most_telling(m, c, f, &r);
	const char *why = model_why(m, c, f);

	buf_puts(b, "- ");
	md_code(b, m->facts[f].id);
	buf_puts(b, " = ");
	md_code(b, m->values[v].value);
	buf_puts(b, ": ");
	put_ratio(b, r);
	buf_printf(b, " (%.2f vs %.2f by default). ",
		   model_like(m, c, v), m->values[v].p);
	md_inline(b, m->facts[f].text);
	if (why) {
		buf_puts(b, " Why: ");
		md_inline(b, why);
	}
	buf_putc(b, '\n');
}

/* One cause: the facts that move it, the most telling first. */
static void coverage_cause(buf *b, const tr_model *m, int c)
{
	ranked *r = xcalloc((size_t)m->nfacts + 1, sizeof *r);
	int n = 0;
	double ratio;

	md_heading(b, 2, m->causes[c].title);
	md_code(b, m->causes[c].id);
	buf_printf(b, ", prior %.3f.\n\n", m->causes[c].prior);
	for (int f = 0; f < m->nfacts; f++) {
		if (m->facts[f].nvalues == 0)
			continue;
		most_telling(m, c, f, &ratio);
		if (fabs(log(ratio)) >= log(1.05))
			r[n++] = (ranked){f, fabs(log(ratio))};
	}
	qsort(r, (size_t)n, sizeof *r, by_key);
	for (int i = 0; i < n; i++)
		coverage_line(b, m, c, r[i].i);
	buf_puts(b, n ? "\n" : "No fact tells this cause apart: only its prior and the rules move it.\n\n");
	free(r);
}

/* How well fact f separates causes a and b: the largest ratio between
 * their likelihoods of one answer. */
static double separation(const tr_model *m, int a, int b, int f)
{
	double best = 1;

	for (int v = m->facts[f].first; v < m->facts[f].first + m->facts[f].nvalues; v++) {
		double la = model_like(m, a, v), lb = model_like(m, b, v);
		double r = la > 0 && lb > 0 ? la / lb : HUGE_VAL;

		if (r < 1)
			r = 1 / r;
		if (r > best)
			best = r;
	}
	return best;
}

/* The fact that separates a and b best; *ratio receives how well. */
static int best_separator(const tr_model *m, int a, int b, double *ratio)
{
	int best = -1;

	*ratio = 1;
	for (int f = 0; f < m->nfacts; f++) {
		double r = m->facts[f].nvalues ? separation(m, a, b, f) : 1;

		if (r > *ratio) {
			*ratio = r;
			best = f;
		}
	}
	return best;
}

static void coverage_pair(buf *b, const tr_model *m, int a, int c, int f, double r)
{
	buf_puts(b, "- ");
	md_inline(b, m->causes[a].title);
	buf_puts(b, " (");
	md_code(b, m->causes[a].id);
	buf_puts(b, ") and ");
	md_inline(b, m->causes[c].title);
	buf_puts(b, " (");
	md_code(b, m->causes[c].id);
	if (f < 0) {
		buf_puts(b, "): no fact differs at all\n");
		return;
	}
	buf_puts(b, "): the best single fact is ");
	md_code(b, m->facts[f].id);
	buf_puts(b, " (");
	put_ratio(b, r);
	buf_puts(b, ")\n");
}

/* Every pair of causes, hardest to separate first; the caller frees it.
 * A pair (a, b) is held as a * ncauses + b, its key the ratio negated. */
static ranked *pairs_by_separation(const tr_model *m, const ranked *order, int *n)
{
	ranked *r = xcalloc((size_t)m->ncauses * (size_t)m->ncauses / 2 + 1, sizeof *r);
	double ratio;

	*n = 0;
	for (int i = 0; i < m->ncauses; i++)
		for (int j = i + 1; j < m->ncauses; j++) {
			int a = order[i].i, c = order[j].i;

			best_separator(m, a, c, &ratio);
			r[(*n)++] = (ranked){a * m->ncauses + c, -ratio};
		}
	qsort(r, (size_t)*n, sizeof *r, by_key);
	return r;
}

static void coverage_pairs(buf *b, const tr_model *m, const ranked *order)
{
	int n, k = 0, show;
	ranked *r = pairs_by_separation(m, order, &n);

	buf_puts(b, "## Causes no single fact separates\n\n");
	buf_printf(b, "A fact separates two causes when one of its answers is at least %g times "
		   "as likely under one as under the other. No fact separates these pairs; only "
		   "several answers together, the rules or a failed fix tell them apart.\n\n",
		   EXPORT_SEPARATES);
	while (k < n && -r[k].key < EXPORT_SEPARATES)
		k++;
	show = k ? k : n < 5 ? n : 5;
	if (!k)
		buf_printf(b, "None: every pair has a fact that separates it.%s\n\n",
			   n ? " These pairs are the ones a single question separates least:" : "");
	for (int i = 0; i < show; i++) {
		int a = r[i].i / m->ncauses, c = r[i].i % m->ncauses;
		double ratio;
		int f = best_separator(m, a, c, &ratio);

		coverage_pair(b, m, a, c, f, ratio);
	}
	buf_puts(b, n ? "\n" : "");
	free(r);
}

/* Whether some cause's likelihoods on fact f differ from the default. */
static int fact_used(const tr_model *m, int f)
{
	for (int c = 0; c < m->ncauses; c++)
		for (int v = m->facts[f].first; v < m->facts[f].first + m->facts[f].nvalues; v++)
			if (fabs(log(like_ratio(m, c, v))) >= log(1.05))
				return 1;
	return 0;
}

static void coverage_idle(buf *b, const tr_model *m)
{
	int n = 0;

	buf_puts(b, "## Questions that tell no cause apart\n\n");
	buf_puts(b, "No cause states evidence on these; only rules can make use of the answers.\n\n");
	for (int f = 0; f < m->nfacts; f++)
		if (m->facts[f].nvalues && !fact_used(m, f)) {
			buf_puts(b, "- ");
			md_code(b, m->facts[f].id);
			buf_puts(b, ": ");
			md_inline(b, m->facts[f].text);
			buf_putc(b, '\n');
			n++;
		}
	buf_puts(b, n ? "\n" : "None: every question bears on at least one cause.\n\n");
}

void export_coverage(const tr_model *m, buf *out)
{
	ranked *order = causes_by_prior(m);

	buf_puts(out, "# Coverage: ");
	md_inline(out, m->title);
	buf_puts(out, "\n\nKnowledge base ");
	md_code(out, m->kb_id);
	buf_puts(out, ", version ");
	md_inline(out, m->version);
	buf_puts(out, ". For each cause, most common first, the facts that move it: the most "
		 "telling answer and its likelihood ratio, P(answer | cause) over the default "
		 "P(answer) of causes silent on the fact. Far from 1 (above 3, below 0.33) is "
		 "strong evidence for or against the cause.\n\n");
	for (int i = 0; i < m->ncauses; i++)
		coverage_cause(out, m, order[i].i);
	coverage_pairs(out, m, order);
	coverage_idle(out, m);
	free(order);
}

/* ---- writing ---- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Standard output; on a terminal, with control and format characters
 * shown escaped (text_safe), as the shell shows them. */
static int write_stdout(const buf *text, tr_err *e)
{
	buf safe = {0};

	if (isatty(fileno(stdout))) {
		text_safe(&safe, buf_str(text), 1);
		text = &safe;
	}
	if (fwrite(buf_str(text), 1, text->len, stdout) != text->len || fflush(stdout) != 0) {
		int err = errno;

		clearerr(stdout);
		buf_free(&safe);
		return tr_fail(e, TR_ERR, "cannot write to standard output: %s", strerror(err));
	}
	buf_free(&safe);
	return TR_OK;
}

/* An existing file that is not a regular one (a device, a pipe) is written
 * in place: there is nothing to replace atomically. */
static int write_in_place(const char *path, const buf *text, tr_err *e)
{
	int fd = open(path, O_WRONLY | O_TRUNC), err;
	buf safe = {0};

	if (fd < 0)
		return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	if (isatty(fd)) {        /* -o /dev/tty: as safe as standard output */
		text_safe(&safe, buf_str(text), 1);
		text = &safe;
	}
	if (write_all(fd, buf_str(text), text->len) != 0) {
		err = errno;
		close(fd);
		buf_free(&safe);
		return tr_fail(e, TR_ERR, "%s: %s", path, strerror(err));
	}
	buf_free(&safe);
	if (close(fd) != 0)
		return tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	return TR_OK;
}

/* The mode the new file gets: the old file's, else 0666 less the umask. */
static mode_t new_mode(const char *path)
{
	struct stat st;
	mode_t mask;

	if (stat(path, &st) == 0)
		return st.st_mode & 07777;
	mask = umask(022);
	umask(mask);
	return 0666 & ~mask;
}

/* Writes the temporary file fd (named tmp) and renames it over path. */
static int write_temp(int fd, const char *tmp, const char *path, const buf *text)
{
	if (fchmod(fd, new_mode(path)) != 0 || write_all(fd, buf_str(text), text->len) != 0 ||
	    fsync(fd) != 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	if (close(fd) != 0)
		return -1;
	return rename(tmp, path);
}

static int write_file(const char *path, const buf *text, tr_err *e)
{
	buf name = {0};
	char *tmp;
	int fd, rc = TR_OK;

	buf_printf(&name, "%s.XXXXXX", path);
	tmp = buf_take(&name);
	if ((fd = mkstemp(tmp)) < 0)
		rc = tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
	else if (write_temp(fd, tmp, path, text) != 0) {
		rc = tr_fail(e, TR_ERR, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* Whether path is an SQLite database (a knowledge base, a session file):
 * its first 16 bytes are SQLite's magic string. */
static int is_sqlite(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	int fd = open(path, O_RDONLY | O_NONBLOCK), same;

	if (fd < 0)
		return 0;
	same = read(fd, head, sizeof head) == (ssize_t)sizeof head && memcmp(head, magic, sizeof head) == 0;
	close(fd);
	return same;
}

int export_write(const char *path, const buf *text, tr_err *e)
{
	struct stat st;
	char *real;
	int rc;

	if (!path || strcmp(path, "-") == 0)
		return write_stdout(text, e);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && is_sqlite(path))
		return tr_fail(e, TR_ERR, "refusing to overwrite %s: it is an SQLite database, not a report", path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_in_place(path, text, e);
	/* Through a symbolic link, replace the file it points to, not the link. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && (real = realpath(path, NULL))) {
		rc = write_file(real, text, e);
		free(real);
		return rc;
	}
	return write_file(path, text, e);
}

/* ---- the commands ---- */

typedef struct export_opts {
	const char *cause;   /* --cause ID, or NULL */
	const char *out;     /* -o FILE, or NULL for stdout */
	const char *arg;     /* the one positional argument, or NULL */
} export_opts;

/* Parses -o, --cause (when cause_ok) and one positional argument (when
 * arg_ok) for command name. */
static int parse_opts(cli *c, const char *name, int cause_ok, int arg_ok, export_opts *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 0; i < c->argc; i++) {
		const char *a = c->argv[i], *v = NULL;

		if (cli_flag(c, &i, "-o", &v) || (cause_ok && cli_flag(c, &i, "--cause", &v))) {
			if (!v)
				return TR_EUSAGE;
			*(a[1] == 'o' ? &o->out : &o->cause) = v;
		} else if (a[0] == '-' && a[1])
			return tr_fail(&c->err, TR_EUSAGE, "%s: unknown option %s", name, a);
		else if (!arg_ok || o->arg)
			return tr_fail(&c->err, TR_EUSAGE, "%s: unexpected argument '%s'", name, a);
		else
			o->arg = a;
	}
	return TR_OK;
}

/* Writes text where o says and frees it. */
static int finish(buf *text, const export_opts *o, tr_err *e)
{
	int rc = export_write(o->out, text, e);

	buf_free(text);
	return rc;
}

int export_cmd_guide(cli *c)
{
	export_opts o;
	buf text = {0};

	if (parse_opts(c, "export guide", 1, 0, &o) != TR_OK)
		return TR_EUSAGE;
	if (export_guide(c->m, o.cause, &text, &c->err) != TR_OK) {
		buf_free(&text);
		return TR_ERR;
	}
	return finish(&text, &o, &c->err);
}

int export_cmd_coverage(cli *c)
{
	export_opts o;
	buf text = {0};

	if (parse_opts(c, "export coverage", 0, 0, &o) != TR_OK)
		return TR_EUSAGE;
	export_coverage(c->m, &text);
	return finish(&text, &o, &c->err);
}

/* Parses a saved session's id: a positive decimal number. */
static int session_id(cli *c, const char *name, const char *arg, sqlite3_int64 *id)
{
	char *end;
	long long v;

	if (!arg)
		return tr_fail(&c->err, TR_EUSAGE, "%s: name the saved session (its ID)", name);
	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0)
		return tr_fail(&c->err, TR_EUSAGE, "%s: '%s' is not a session ID", name, arg);
	*id = v;
	return TR_OK;
}

int export_cmd_handover(cli *c)
{
	export_opts o;
	sqlite3_int64 id = 0;
	sqlite3 *db;
	session *s;
	buf text = {0}, title = {0};

	if (parse_opts(c, "export handover", 0, 1, &o) != TR_OK ||
	    session_id(c, "export handover", o.arg, &id) != TR_OK)
		return TR_EUSAGE;
	if (sessdb_open(NULL, &db, &c->err) != TR_OK)
		return TR_ERR;
	if (sessdb_load(db, id, c->m, SESSION_DEPTH, &s, NULL, NULL, &c->err) != TR_OK) {
		sqlite3_close(db);
		return TR_ERR;
	}
	jsonl_reach_resumed(c, db, id, s);
	buf_puts(&title, "Hand-over: ");
	sessdb_heading(db, id, &title);
	sqlite3_close(db);
	export_handover(s, buf_str(&title), c->technician, &text);
	buf_free(&title);
	session_free(s);
	return finish(&text, &o, &c->err);
}

int export_cmd_session(cli *c)
{
	export_opts o;
	sqlite3_int64 id = 0;
	sqlite3 *db;
	session *s;
	char *note = NULL;
	buf text = {0}, title = {0};

	if (parse_opts(c, "export session", 0, 1, &o) != TR_OK ||
	    session_id(c, "export session", o.arg, &id) != TR_OK)
		return TR_EUSAGE;
	if (sessdb_open(NULL, &db, &c->err) != TR_OK)
		return TR_ERR;
	if (sessdb_load(db, id, c->m, SESSION_DEPTH, &s, &note, NULL, &c->err) != TR_OK) {
		sqlite3_close(db);
		return TR_ERR;
	}
	jsonl_reach_resumed(c, db, id, s);   /* the report of a handed-over session says so */
	sessdb_heading(db, id, &title);
	sqlite3_close(db);
	export_session_titled(s, buf_str(&title), note, &text);
	buf_free(&title);
	free(note);
	session_free(s);
	return finish(&text, &o, &c->err);
}
