/*
 * main.c: the triage command line: global options, the command table and
 * dispatch. Each row names a command, its handler, whether it needs the
 * knowledge base open, and its help; `triage help` is made from the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "cli.h"
#include "config.h"
#include "manpage.h"
#include "paths.h"
#include "text.h"
#include "store.h"

#ifndef TRIAGE_VERSION
#define TRIAGE_VERSION "dev"
#endif

enum {
	CMD_KB = 1,      /* open the knowledge base read-only and load it first */
	CMD_HIDDEN = 2,  /* plumbing: not in help, the man page or completion */
	CMD_DB = 4       /* open the knowledge base read-only, without loading it:
			  * a command that reads a record or two by SQL */
};

typedef struct command {
	const char *name;      /* one or two words */
	int (*run)(cli *c);
	unsigned flags;
	const char *usage;     /* arguments after the name */
	const char *summary;   /* one line */
	const char *help;      /* options, one per line */
} command;

static const command commands[] = {
	{ "ask", shell_cmd, CMD_KB, "[--fact ID=VALUE]... [--title TEXT] [--resume ID]",
	  "start the interactive troubleshooting shell (the default command)",
	  "  --fact ID=VALUE   a fact known before the session starts (repeatable)\n"
	  "  --title TEXT      name the session (a ticket number, a few words)\n"
	  "  --resume ID       resume a saved session\n" },
	{ "session", jsonl_cmd_session, CMD_KB,
	  "--jsonl [--fact ID=VALUE]... [--title TEXT] [--resume ID] [--no-save] [--depth N] [--reach LIST]",
	  "drive a session over JSON Lines on stdin/stdout (for front ends)",
	  "  --jsonl           speak the JSON Lines protocol (the only mode)\n"
	  "  --fact ID=VALUE   a fact known before the session starts (repeatable)\n"
	  "  --title TEXT      name the session (a ticket number, a few words)\n"
	  "  --resume ID       continue a saved session (one writer at a time)\n"
	  "  --no-save         do not save the session (saved like the shell's by default;\n"
	  "                    the ranking line's \"session\" is its ID)\n"
	  "  --depth N         the planner's lookahead: 1 (default) or 2\n"
	  "  --reach LIST      what the person can reach (see triage --help); the session\n"
	  "                    may end in a hand-over line, then done with status handover\n" },
	{ "sessions show", sessions_cmd_show, CMD_KB, "ID [--json]",
	  "one saved session: its title, status and every event as recorded",
	  "  --json            the same as one JSON object\n" },
	{ "sessions rm", sessions_cmd_rm, 0, "ID",
	  "remove a saved session (refused while a shell has it open)", "" },
	{ "sessions export", sessexport_cmd, CMD_KB, "[--since DATE] [--keep-text] [-o FILE]",
	  "finished sessions as JSON Lines, for kb learn (free text left out)",
	  "  --since DATE      only sessions that ended on or after DATE (YYYY-MM-DD)\n"
	  "  --keep-text       keep free text: free-text facts, the ending's note, the title\n"
	  "  -o FILE           write to FILE (atomically) instead of stdout\n" },
	{ "sessions end", sessions_cmd_end, 0, "ID outside|abandoned|handover [--note TEXT]",
	  "record how a saved session ended when no fix of the knowledge base did it",
	  "  --note TEXT       what fixed it (needed with outside)\n" },
	{ "sessions", sessions_cmd_list, 0, "[--search TEXT] [--json]",
	  "the saved sessions, newest first (see also sessions show, sessions rm)",
	  "  --search TEXT     only sessions whose title or facts contain TEXT (any case)\n"
	  "  --json            one JSON array\n" },
	{ "diagnose", diagnose_cmd, CMD_KB, "[--fact ID=VALUE]... [--all] [--json]",
	  "one shot: the ranking, the next question worth asking, the ranked fixes",
	  "  --fact ID=VALUE   a known fact (repeatable)\n"
	  "  --all             every fix in the plan (else the first 5), wrapped to the terminal\n"
	  "  --json            print one JSON object\n" },
	{ "kb build", kb_cmd_build, 0, "-o FILE [DIR]",
	  "build a knowledge base from DIR/kb and DIR/rules (DIR defaults to .)",
	  "  -o FILE           the knowledge base to write (replaced whole, or not at all)\n" },
	{ "kb check", kb_cmd_check, 0, "",
	  "verify a knowledge base: integrity, schema, every record, checksums",
	  "  Checks the file named by --kb (or the default): SQLite's full integrity\n"
	  "  check, the application id and schema, every record as kb build would\n"
	  "  validate it, and each record's checksum stored at build time. Prints\n"
	  "  one line per problem and exits 1 when there is any.\n" },
	{ "kb dump", kb_cmd_dump, CMD_KB, "[--force] DIR",
	  "write the knowledge base as text to DIR/kb and DIR/rules",
	  "  --force           replace edited record files and remove ones the knowledge\n"
	  "                    base lacks (each is named); without it such a DIR is refused\n" },
	{ "kb learn", learn_cmd, CMD_KB, "FILE... [--weight N] [--test FILE]... [--dry-run] [-o OUT | --apply [-m MSG]]",
	  "propose priors and likelihoods learned from exported sessions",
	  "  --weight N        the knowledge base's numbers count as N sessions (default 100)\n"
	  "  --test FILE       play the knowledge tests in FILE (a kb test case file) before\n"
	  "                    and after learning: what now fails, what costs more or less\n"
	  "  --dry-run         print the proposed changes only (with --apply: also check them\n"
	  "                    as kb edit would, writing nothing)\n"
	  "  -o OUT            write the learned knowledge base: a new FILE, or the text\n"
	  "                    tree under an existing directory OUT (as kb dump)\n"
	  "  --apply           change this knowledge base: one recorded change (kb log shows\n"
	  "                    it, kb revert undoes it), checked as kb edit checks\n"
	  "  -m MSG            with --apply: the history's message\n" },
	{ "kb list", kb_cmd_list, CMD_KB, "facts|causes|fixes|rules|sources [--json]",
	  "list the records of one kind", "  --json            every field of every record\n" },
	{ "kb show", kb_cmd_show, CMD_DB, "ID [--json]",
	  "show one record (a fact, cause, fix, rule or source)",
	  "  --json            every field as JSON\n" },
	{ "kb test", kb_cmd_test, CMD_KB,
	  "[--changed [--before OLD] [--sessions N] [--json]] [--depth N] [--max-steps N] [--verbose] FILE...",
	  "run knowledge-base test cases; prints a line per case and a total",
	  "  A case is a JSON line (lines starting with # are comments), one of:\n"
	  "    {\"id\", \"cause\", \"facts\", \"reported\"?}  a whole session: questions\n"
	  "        are answered from \"facts\" (else unknown), \"reported\" facts are given\n"
	  "        up front; it passes when a fix for \"cause\" works within --max-steps\n"
	  "        and no wrong high-risk fix was tried (as ../shared/eval does)\n"
	  "    {\"id\", \"given\", \"top\"}  given these facts, cause \"top\" ranks first\n"
	  "  --depth N         the planner's lookahead (1 or 2; default 1)\n"
	  "  --max-steps N     a session case fails past N steps (default 30)\n"
	  "  --verbose         print each session's questions and fixes\n"
	  "  --changed         what a change moves: the cases (FILE... optional) and the saved\n"
	  "                    sessions of this knowledge base, replayed on --before and on\n"
	  "                    --kb; lists the rankings, next actions, recommended fixes and\n"
	  "                    outcomes that differ, where first and by how much\n"
	  "  --before OLD      with --changed: the knowledge base before the change (default:\n"
	  "                    the newest change in the history, reverted in a private copy)\n"
	  "  --sessions N      with --changed: replay the N most recent saved sessions\n"
	  "                    (default 100; 0: none)\n"
	  "  --json            with --changed: one JSON object\n" },
	{ "kb add", kb_cmd_add, 0,
	  "[fact|cause|fix|rule|source|evidence|resolves] [--json FILE|-] [-m MSG] [--dry-run [--test FILE]...]",
	  "add a record or a link to the live knowledge base, checked as kb build checks",
	  "  --json FILE       the record as kb show --json prints it (or as the text tree\n"
	  "                    holds it); - reads standard input. evidence: {\"cause\",\n"
	  "                    \"fact\", \"p\", \"why\"}; resolves: {\"fix\", \"cause\", \"p\", \"why\"}\n"
	  "                    A list adds several records in one change, each with its\n"
	  "                    \"kind\" (a new cause and its fix). On a terminal, without\n"
	  "                    it, triage asks for each field, long texts in $EDITOR\n"
	  "  kb add rule FILE.lua adds a rule file as written in rules/ (its id: the name)\n"
	  "  -m MSG            why, kept in the history (kb log)\n"
	  "  --dry-run         check and show what would change and what it would move in\n"
	  "                    the saved sessions and --test case files; write nothing\n"
	  "  --test FILE       with --dry-run: knowledge tests to compare (repeatable)\n"
	  "  A refused change leaves the file as it was and names the record and field.\n"
	  "  The history records who: $TRIAGE_EDITOR, else the login name. Another\n"
	  "  editor is waited for up to $TRIAGE_EDIT_WAIT seconds (default 30).\n" },
	{ "kb edit", kb_cmd_edit, 0, "ID [--json FILE|-] [-m MSG] [--dry-run [--test FILE]...]",
	  "change one record of the live knowledge base, checked as kb build checks",
	  "  --json FILE       the whole record as kb show ID --json prints it; - reads\n"
	  "                    standard input. Without it, on a terminal, the record opens\n"
	  "                    in $VISUAL or $EDITOR\n"
	  "  -m MSG            why, kept in the history (kb log)\n"
	  "  --dry-run         check and show what would change and what it would move in\n"
	  "                    the saved sessions and --test case files; write nothing\n"
	  "  --test FILE       with --dry-run: knowledge tests to compare (repeatable)\n" },
	{ "kb rm", kb_cmd_rm, 0, "ID [--cascade] [-m MSG] [--dry-run [--test FILE]...]",
	  "remove a record (or: kb rm evidence CAUSE FACT, kb rm resolves FIX CAUSE)",
	  "  --cascade         also change what refers to it (each named); without it a\n"
	  "                    record still referred to is refused, naming what refers\n"
	  "  -m MSG            why, kept in the history (kb log)\n"
	  "  --dry-run         check and show what would change and what it would move in\n"
	  "                    the saved sessions and --test case files; write nothing\n"
	  "  --test FILE       with --dry-run: knowledge tests to compare (repeatable)\n" },
	{ "kb revert", kb_cmd_revert, 0, "CHANGE [-m MSG] [--dry-run [--test FILE]...]",
	  "undo one change of the history (itself recorded as a change)",
	  "  -m MSG            why (default: \"revert change N\")\n"
	  "  --dry-run         check and show what would change and what it would move in\n"
	  "                    the saved sessions and --test case files; write nothing\n"
	  "  --test FILE       with --dry-run: knowledge tests to compare (repeatable)\n" },
	{ "kb log", kb_cmd_log, CMD_DB, "[ID] [--json]",
	  "the history of changes made with kb add, edit, rm and revert, newest first",
	  "  ID                only changes to this record\n"
	  "  --json            every change with each record before and after\n" },
	{ "kb lint", kblint_cmd, CMD_KB, "[--json] [FILE...]",
	  "review the knowledge: errors (exit 1) and warnings, one line each",
	  "  Errors: a cause no fix resolves, a medium or high-risk fix without undo, a\n"
	  "  command with a control character, a {{slot}} nothing fills. Warnings:\n"
	  "  causes no fact tells apart, facts nothing uses, questions hidden in every\n"
	  "  context, likelihoods at the clamps (0.01, 0.99), duplicate titles, a tab\n"
	  "  or newline in a command, and, given case files (FILE..., as kb test takes\n"
	  "  them), rules that have no effect in any state of any case.\n"
	  "  --json            one JSON object: errors, warnings, findings (level, check,\n"
	  "                    record, message)\n" },
	{ "kb new", kbnew_cmd, CMD_KB, "rule NAME [-o FILE]",
	  "write a commented rule template to rules/NAME.lua (never overwrites)",
	  "  The template says what a rule reads, its effects and the sandbox's limits,\n"
	  "  with an example made of this knowledge base's ids that passes kb build;\n"
	  "  it is switched off (enabled = false) until you make it yours.\n"
	  "  -o FILE           write to FILE instead (refused when it exists)\n" },
	{ "export guide", export_cmd_guide, CMD_KB, "[--cause ID] [-o FILE]",
	  "the knowledge base (or one cause) as a Markdown fix guide",
	  "  --cause ID        only this cause\n  -o FILE           write to FILE (atomically) instead of stdout\n" },
	{ "export session", export_cmd_session, CMD_KB, "ID [-o FILE]",
	  "a saved session as a Markdown report",
	  "  -o FILE           write to FILE (atomically) instead of stdout\n" },
	{ "export coverage", export_cmd_coverage, CMD_KB, "[-o FILE]",
	  "causes against the facts that tell them apart, as Markdown",
	  "  -o FILE           write to FILE (atomically) instead of stdout\n" },
	{ "export handover", export_cmd_handover, CMD_KB, "ID [-o FILE]",
	  "a saved session's hand-over note for the next tier, as Markdown",
	  "  What is known (each fact and where it came from), the fixes that failed,\n"
	  "  the ranking, and the next steps beyond the session's reach in planned\n"
	  "  order, with their commands. The session's recorded reach is used unless\n"
	  "  --reach is given.\n"
	  "  -o FILE           write to FILE (atomically) instead of stdout\n" },
	{ "config", config_cmd_show, 0, "",
	  "the settings in effect (kb, reach, color, technician) and where each came from",
	  "  Each setting comes from its flag (--kb, --reach, --color, --technician),\n"
	  "  else its environment variable (TRIAGE_KB, TRIAGE_REACH, TRIAGE_COLOR,\n"
	  "  TRIAGE_TECHNICIAN), else the configuration file, else the built-in default.\n"
	  "  The file is $XDG_CONFIG_HOME/triage/config (else ~/.config/triage/config):\n"
	  "  lines of key = value; blank lines and lines starting with # are ignored.\n"
	  "  The output is itself such a file.\n" },
	{ "completion", complete_cmd_script, 0, "bash|zsh|fish",
	  "print a shell completion script (commands, options, ids from the knowledge base)",
	  "  Load it for this shell with `source <(triage completion bash)` (zsh: the\n"
	  "  same; fish: `triage completion fish | source`). `make install` and the\n"
	  "  Debian package put all three where the shells look for them.\n" },
	{ "__complete", complete_cmd_words, CMD_HIDDEN, "WORD...",
	  "the candidates for the last WORD (what the completion scripts call)", "" },
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage_line(FILE *f, const command *cmd)
{
	fprintf(f, "usage: triage %s %s\n", cmd->name, cmd->usage);
}

/* What --help says besides the table; the man page is made from the same. */
static const char tagline[] =
	"troubleshooting that asks the right questions and ranks the fixes.";
static const char global_help[] =
	"  --kb PATH         the knowledge base (default: $TRIAGE_KB, else the config\n"
	"                    file's kb, else the one installed beside triage)\n"
	"  --reach LIST      what the person at the keyboard can reach, comma-separated:\n"
	"                    client (the client computer as its user), host (its\n"
	"                    console or an admin session), portal (the cloud portal),\n"
	"                    network (routers, firewalls, VPN), gateway (the RD\n"
	"                    Gateway), admin (administrator rights on the client), or\n"
	"                    all (the default; also $TRIAGE_REACH and the config file)\n"
	"  --color WHEN      colour in the shell: auto (a terminal without NO_COLOR),\n"
	"                    always or never (also $TRIAGE_COLOR, the config file)\n"
	"  --technician NAME your name for the records (hand-over notes, reports;\n"
	"                    also $TRIAGE_TECHNICIAN, the config file)\n"
	"  --exact           plan over every cause and question, without the\n"
	"                    approximation used on large knowledge bases\n"
	"  -h, --help        help; `triage COMMAND --help` for one command\n"
	"  --version         print the version and the knowledge base's\n";
static const char exits[] = "0 success, 1 failure, 2 usage error.";

static void print_help(FILE *f)
{
	fprintf(f, "triage: %s\n\n"
		"usage: triage [--kb PATH] [--reach LIST] [COMMAND] [ARGS]\n\ncommands:\n", tagline);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!(commands[i].flags & CMD_HIDDEN))
			fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nglobal options (before or after the command):\n%s\n"
		"exit status: %s\n", global_help, exits);
}

/* The table's visible rows and the text above, for the generated pages. */
static const cli_docs *docs(void)
{
	static cli_doc rows[NCOMMANDS];
	static cli_docs d;

	if (d.cmds)
		return &d;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!(commands[i].flags & CMD_HIDDEN))
			rows[d.ncmds++] = (cli_doc){ commands[i].name, commands[i].usage,
						     commands[i].summary, commands[i].help };
	d = (cli_docs){ tagline, rows, d.ncmds, global_help, exits, TRIAGE_VERSION };
	return &d;
}

/* --version: the program, and the knowledge base that would be used (none
 * found or unusable is said, not an error). */
static void print_version(const char *kb)
{
	char path[4096];
	struct stat st;
	sqlite3 *db = NULL;
	tr_model *m = NULL;
	tr_err e;

	printf("triage %s (schema %d, SQLite %s)\n", TRIAGE_VERSION,
	       store_schema_version(), sqlite3_libversion());
	snprintf(path, sizeof path, "%s", kb);
	tr_clear(&e);
	if (stat(path, &st) != 0)
		printf("knowledge base: none found (looked for %s)\n", path);
	else if (store_open(path, STORE_READ, &db, &e) != TR_OK || model_load(db, &m, &e) != TR_OK)
		printf("knowledge base: none usable (%s)\n", e.msg);
	else
		printf("knowledge base: %s version %s, digest %s\n  %s\n  %s\n",
		       m->kb_id, m->version, m->digest, m->title, path);
	model_free(m);
	sqlite3_close(db);
}

static void command_help(const command *cmd)
{
	usage_line(stdout, cmd);
	printf("\n%s.\n", cmd->summary);
	if (*cmd->help)
		printf("\n%s", cmd->help);
	printf("  --kb PATH         the knowledge base to use\n");
}

/* The global option (enum config_key) arg is, with or without "=value";
 * -1 when it is none. */
static int global_flag(const char *arg)
{
	for (int k = 0; k < CONFIG_NKEYS; k++) {
		size_t len = strlen(config_flags[k]);

		if (strncmp(arg, config_flags[k], len) == 0 && (arg[len] == '\0' || arg[len] == '='))
			return k;
	}
	return -1;
}

/* Finds the command named by argv[0] (and argv[1]); sets *words. */
static const command *lookup(int argc, char **argv, int *words)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *name = commands[i].name, *sp = strchr(name, ' ');

		if (!sp && argc >= 1 && strcmp(argv[0], name) == 0) {
			*words = 1;
			return &commands[i];
		}
		if (sp && argc >= 2 && strncmp(argv[0], name, (size_t)(sp - name)) == 0 &&
		    argv[0][sp - name] == '\0' && strcmp(argv[1], sp + 1) == 0) {
			*words = 2;
			return &commands[i];
		}
	}
	return NULL;
}

static int is_group(const char *word)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *sp = strchr(commands[i].name, ' ');

		if (sp && strncmp(word, commands[i].name, (size_t)(sp - commands[i].name)) == 0 &&
		    word[sp - commands[i].name] == '\0')
			return 1;
	}
	return 0;
}

static void group_help(FILE *f, const char *word)
{
	fprintf(f, "usage: triage %s SUBCOMMAND\n\n", word);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strncmp(commands[i].name, word, strlen(word)) == 0 && commands[i].name[strlen(word)] == ' ')
			fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
}

static int open_kb(cli *c)
{
	if (store_open(c->kb_path, STORE_READ, &c->db, &c->err) != TR_OK)
		return TR_ERR;
	if (model_load(c->db, &c->m, &c->err) != TR_OK) {
		char why[sizeof c->err.msg];

		snprintf(why, sizeof why, "%s", c->err.msg);
		return tr_fail(&c->err, TR_ERR, "%s: %s", c->kb_path, why);
	}
	return TR_OK;
}

int main(int argc, char **argv)
{
	static config cf;
	const char *flags[CONFIG_NKEYS] = {NULL};
	const command *cmd;
	char **args = calloc((size_t)argc + 1, sizeof *args);
	int n = 0, words = 0, rc, help = 0, version = 0, k;
	cli c;

	memset(&c, 0, sizeof c);
#ifdef __GLIBC__
	/* SQLite and Lua free and reallocate the same few megabytes many
	 * thousand times in a build or a session's load; glibc's default would
	 * give the top of the heap back to the kernel after each (brk and a TLB
	 * flush every time: 12% of a build). Keep up to 64 MiB. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	if (!args)
		return TR_ERR;
	/* --kb, --help and --version are global, before or after the command;
	 * the completion helper gets its words untouched */
	for (int i = 1; i < argc; i++) {
		if (i == 1 && strcmp(argv[1], "__complete") == 0) {
			while (i < argc)
				args[n++] = argv[i++];
			break;
		} else if ((k = global_flag(argv[i])) >= 0) {
			size_t len = strlen(config_flags[k]);

			if (argv[i][len] == '=')
				flags[k] = argv[i] + len + 1;
			else if (i + 1 < argc)
				flags[k] = argv[++i];
			else {
				fprintf(stderr, "triage: %s needs %s\n", config_flags[k], k == CONFIG_KB ? "a path" : "a value");
				free(args);
				return TR_EUSAGE;
			}
		} else if (strcmp(argv[i], "--exact") == 0)
			c.exact = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			help = 1;
		else if (strcmp(argv[i], "--version") == 0)
			version = 1;
		else
			args[n++] = argv[i];
	}
	if ((n == 0 || strcmp(args[0], "__complete") != 0) && !(help && !version) &&
	    !(n > 0 && strcmp(args[0], "help") == 0)) {
		tr_clear(&c.err);
		if ((rc = config_load(&cf, flags, &c.err)) != TR_OK) {
			fputs("triage: ", stderr);
			text_put(stderr, c.err.msg);
			fputc('\n', stderr);
			free(args);
			return rc;
		}
	}
	if (version) {
		print_version(cf.v[CONFIG_KB].value);
		free(args);
		return TR_OK;
	}
	if (n == 0 && help) {
		print_help(stdout);
		free(args);
		return TR_OK;
	}
	if (n == 0 || args[0][0] == '-' || strcmp(args[0], "shell") == 0)  /* the default: ask */
		cmd = &commands[0], words = n && args[0][0] != '-' ? 1 : 0;
	else if (strcmp(args[0], "help") == 0) {
		cmd = n > 1 ? lookup(n - 1, args + 1, &words) : NULL;
		if (n == 2 && strcmp(args[1], "--man") == 0)   /* triage(1), for the build */
			manpage_write(stdout, docs());
		else if (cmd)
			command_help(cmd);
		else if (n > 1 && is_group(args[1]))
			group_help(stdout, args[1]);
		else
			print_help(stdout);
		free(args);
		return TR_OK;
	} else if (!(cmd = lookup(n, args, &words))) {
		if (is_group(args[0])) {
			if (help) {
				group_help(stdout, args[0]);
				free(args);
				return TR_OK;
			}
			fprintf(stderr, "triage: %s: %s\n", args[0],
				n > 1 ? "unknown subcommand" : "missing subcommand");
			group_help(stderr, args[0]);
		} else
		{
			fputs("triage: unknown command '", stderr);
			text_put(stderr, args[0]);
			fputs("' (try triage --help)\n", stderr);
		}
		free(args);
		return TR_EUSAGE;
	}
	if (help) {
		command_help(cmd);
		free(args);
		return TR_OK;
	}
	c.argc = n - words;
	c.argv = args + words;
	c.kb_path = cf.v[CONFIG_KB].value;
	c.cf = &cf;
	c.reach = cf.reach;
	c.reach_set = cf.v[CONFIG_REACH].set;
	c.colour = cf.colour;
	c.technician = cf.v[CONFIG_TECHNICIAN].value;
	c.docs = docs();
	tr_clear(&c.err);
	rc = (cmd->flags & CMD_KB) ? open_kb(&c)
	   : (cmd->flags & CMD_DB) ? store_open(c.kb_path, STORE_READ, &c.db, &c.err) : TR_OK;
	if (rc == TR_OK)
		rc = cmd->run(&c);
	if (rc != TR_OK) {
		if (c.err.msg[0]) {   /* messages quote what was typed: shown safe */
			fputs("triage: ", stderr);
			text_put(stderr, c.err.msg);
			fputc('\n', stderr);
		}
		if (rc == TR_EUSAGE)
			usage_line(stderr, cmd);
	}
	model_free(c.m);
	sqlite3_close(c.db);
	free(args);
	return rc;
}
