/*
 * manpage.c: triage(1) as roff (the man(7) macros), from the command table.
 * Help lines "  --opt ARG   text" become tagged paragraphs; literals are
 * bold, metavariables italic, as man-pages(7) asks. Uses helptext.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "helptext.h"
#include "manpage.h"

/* Writes n bytes of text escaped for roff: backslash, minus, and a dot or
 * quote that would start a request. `code` becomes bold. */
static void roff_text(FILE *f, const char *s, size_t n, int line_start)
{
	int code = 0;

	for (size_t i = 0; i < n; i++, line_start = 0) {
		if (line_start && (s[i] == '.' || s[i] == '\''))
			fputs("\\&", f);
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else if (s[i] == '`')
			fputs((code = !code) ? "\\fB" : "\\fR", f);
		else
			fputc(s[i], f);
	}
	if (code)
		fputs("\\fR", f);
}

/* Writes a synopsis or option tag: lower-case words and options bold,
 * upper-case metavariables italic, brackets and bars roman. */
static void roff_synopsis(FILE *f, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		const char *font = NULL;

		if (islower((unsigned char)s[i]) || s[i] == '-' || s[i] == '_') {
			while (j < n && (islower((unsigned char)s[j]) || isdigit((unsigned char)s[j]) ||
					 s[j] == '-' || s[j] == '_'))
				j++;
			font = "\\fB";
		} else if (isupper((unsigned char)s[i])) {
			while (j < n && (isupper((unsigned char)s[j]) || s[j] == '_'))
				j++;
			font = "\\fI";
		} else
			j = i + 1;
		if (font)
			fputs(font, f);
		roff_text(f, s + i, j - i, 0);
		if (font)
			fputs("\\fR", f);
		i = j;
	}
}

/* Writes help text: each option as a tagged paragraph, other lines as
 * running text. */
static void roff_help(FILE *f, const char *help)
{
	helptext_item it;
	int in_text = 0;

	while (helptext_next(&help, &it)) {
		if (it.option) {
			fputs(".TP\n", f);
			roff_synopsis(f, it.tag, it.taglen);
			fputc('\n', f);
		} else if (!in_text)
			fputs(".PP\n", f);
		in_text = !it.option;
		roff_text(f, it.text, strlen(it.text), 1);
		fputc('\n', f);
	}
}

static void page_date(char *out, size_t n)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	char *end = NULL;
	time_t t = time(NULL);
	struct tm tm;

	if (epoch && *epoch) {
		long long v = strtoll(epoch, &end, 10);

		if (*end == '\0' && v >= 0)
			t = (time_t)v;
	}
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d", &tm);
}

static const char description[] =
	".SH DESCRIPTION\n"
	"\\fBtriage\\fR is a troubleshooting expert system for the help desk.\n"
	"Told a symptom, it asks the questions worth asking, keeps the facts it is given,\n"
	"and ranks fix procedures, each with the exact commands to run, its risk and its undo.\n"
	"Commands are shown, never run.\n"
	".PP\n"
	"What it knows comes from a knowledge base: a SQLite file compiled by\n"
	"\\fBtriage kb build\\fR from text (see \\fBtriage\\-kb\\fR(5)).\n"
	"Without a command, \\fBtriage\\fR starts the interactive shell (\\fBtriage ask\\fR).\n"
	"There, answer by number or by name, or \\fBunknown\\fR; \\fB?\\fR shows how to find out,\n"
	"\\fBwhy\\fR explains the step, \\fBback\\fR undoes, \\fBset\\fR \\fIFACT\\fR=\\fIVALUE\\fR\n"
	"volunteers a fact, and \\fBhelp\\fR lists the rest.\n";

static const char rest[] =
	".SH ENVIRONMENT\n"
	".TP\n.B TRIAGE_KB\n"
	"The knowledge base to use when \\fB\\-\\-kb\\fR is not given. A site can point every desk\n"
	"at one shared, read-only copy with it; \\fBtriage\\fR never writes to a knowledge base\n"
	"it only reads.\n"
	".TP\n.B TRIAGE_SESSIONS\n"
	"The file where sessions are saved.\n"
	".TP\n.B XDG_DATA_HOME\n"
	"Saved sessions go to \\fI$XDG_DATA_HOME/triage/sessions.sqlite\\fR\n"
	"(default \\fI~/.local/share\\fR) when \\fBTRIAGE_SESSIONS\\fR is not set.\n"
	".TP\n.B NO_COLOR\n"
	"When set, the shell uses no colour.\n"
	".TP\n.B SOURCE_DATE_EPOCH\n"
	"The date written into this page by \\fBtriage help \\-\\-man\\fR.\n"
	".SH FILES\n"
	".TP\n.I bindir/kb.sqlite\n"
	"A knowledge base beside the executable (the build tree) is the default.\n"
	".TP\n.I bindir/../share/triage/kb.sqlite\n"
	"Otherwise the installed one, \\fI/usr/share/triage/kb.sqlite\\fR in the Debian package.\n"
	".TP\n.I ~/.local/share/triage/sessions.sqlite\n"
	"Your saved sessions (never in the knowledge base).\n"
	".SH EXAMPLES\n"
	"Start the shell with a fact known up front:\n"
	".PP\n.RS\n.EX\ntriage \\-\\-fact host_kind=server\n.EE\n.RE\n"
	".PP\n"
	"One shot for a ticket, as JSON:\n"
	".PP\n.RS\n.EX\ntriage diagnose \\-\\-fact host_kind=azure_vm \\-\\-fact port_3389_open=no \\-\\-json\n.EE\n.RE\n"
	".PP\n"
	"A Markdown fix guide, and a saved session's report:\n"
	".PP\n.RS\n.EX\ntriage export guide \\-o guide.md\ntriage export session 3 \\-o ticket.md\n.EE\n.RE\n"
	".PP\n"
	"Use a shared knowledge base, and see which one is in effect:\n"
	".PP\n.RS\n.EX\nexport TRIAGE_KB=/srv/helpdesk/kb.sqlite\ntriage \\-\\-version\n.EE\n.RE\n"
	".PP\n"
	"Tab completion in bash for this shell only:\n"
	".PP\n.RS\n.EX\nsource <(triage completion bash)\n.EE\n.RE\n"
	".SH SEE ALSO\n"
	"\\fBtriage\\-kb\\fR(5), \\fBsqlite3\\fR(1)\n";

/* Writes the exit statuses "0 success, 1 failure, ..." as a tagged list. */
static void roff_exits(FILE *f, const char *s)
{
	fputs(".SH EXIT STATUS\n", f);
	while (*s) {
		size_t code = strcspn(s, " "), len = strcspn(s, ",.");

		fputs(".TP\n", f);
		roff_text(f, s, code, 1);
		fputc('\n', f);
		roff_text(f, s + code + 1, len > code ? len - code - 1 : 0, 1);
		fputs(".\n", f);
		s += len;
		while (*s == ',' || *s == '.' || *s == ' ')
			s++;
	}
}

void manpage_write(FILE *f, const cli_docs *d)
{
	char date[32];

	page_date(date, sizeof date);
	fprintf(f, ".\\\" triage(1): generated by `triage help --man` from the command table; do not edit.\n"
		".TH TRIAGE 1 %s \"triage %s\" \"User Commands\"\n.SH NAME\ntriage \\- ", date, d->version);
	roff_text(f, d->tagline, strcspn(d->tagline, "."), 0);
	fputs("\n.SH SYNOPSIS\n.B triage\n[\\fB\\-\\-kb\\fR \\fIPATH\\fR] [\\fICOMMAND\\fR] [\\fIARGS\\fR]\n", f);
	fputs(description, f);
	fputs(".SH COMMANDS\n", f);
	for (int i = 0; i < d->ncmds; i++) {
		const cli_doc *c = &d->cmds[i];

		fprintf(f, ".SS \"\\fBtriage %s\\fR ", c->name);
		roff_synopsis(f, c->usage, strlen(c->usage));
		fputs("\"\n", f);
		roff_text(f, c->summary, strlen(c->summary), 1);
		fputs(".\n", f);
		roff_help(f, c->help);
	}
	fputs(".SH GLOBAL OPTIONS\nBefore or after the command:\n", f);
	roff_help(f, d->global);
	roff_exits(f, d->exits);
	fputs(rest, f);
}
