/*
 * main.c: the triage command line: global options, the command table and
 * dispatch. Each row names a command, its handler, whether it needs the
 * knowledge base open, and its help; `triage help` is made from the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "cli.h"
#include "paths.h"
#include "text.h"
#include "store.h"

#ifndef TRIAGE_VERSION
#define TRIAGE_VERSION "dev"
#endif

enum { CMD_KB = 1 };   /* open the knowledge base read-only and load it first */

typedef struct command {
	const char *name;      /* one or two words */
	int (*run)(cli *c);
	unsigned flags;
	const char *usage;     /* arguments after the name */
	const char *summary;   /* one line */
	const char *help;      /* options, one per line */
} command;

static const command commands[] = {
	{ "ask", shell_cmd, CMD_KB, "[--fact ID=VALUE]... [--resume ID]",
	  "start the interactive troubleshooting shell (the default command)",
	  "  --fact ID=VALUE   a fact known before the session starts (repeatable)\n"
	  "  --resume ID       resume a saved session\n" },
	{ "session", jsonl_cmd_session, CMD_KB, "--jsonl [--fact ID=VALUE]... [--depth N]",
	  "drive a session over JSON Lines on stdin/stdout (for front ends)",
	  "  --jsonl           speak the JSON Lines protocol (the only mode)\n"
	  "  --fact ID=VALUE   a fact known before the session starts (repeatable)\n"
	  "  --depth N         the planner's lookahead: 1 (default) or 2\n" },
	{ "diagnose", diagnose_cmd, CMD_KB, "[--fact ID=VALUE]... [--json]",
	  "one shot: the ranking, the next question worth asking, the ranked fixes",
	  "  --fact ID=VALUE   a known fact (repeatable)\n"
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
	{ "kb dump", kb_cmd_dump, CMD_KB, "DIR",
	  "write the knowledge base as text to DIR/kb and DIR/rules", "" },
	{ "kb list", kb_cmd_list, CMD_KB, "facts|causes|fixes|rules|sources [--json]",
	  "list the records of one kind", "  --json            every field of every record\n" },
	{ "kb show", kb_cmd_show, CMD_KB, "ID [--json]",
	  "show one record (a fact, cause, fix, rule or source)",
	  "  --json            every field as JSON\n" },
	{ "kb test", kb_cmd_test, CMD_KB, "[--depth N] [--max-steps N] [--verbose] FILE...",
	  "run knowledge-base test cases; prints a line per case and a total",
	  "  A case is a JSON line: {\"id\", \"facts\", \"cause\"} and either\n"
	  "  \"expect_top\": true (given facts, the cause ranks first) or a whole\n"
	  "  session answered from \"facts\" (the default), like ../shared/eval.\n"
	  "  --depth N         the planner's lookahead (1 or 2; default 1)\n"
	  "  --max-steps N     a session case fails past N steps (default 30)\n"
	  "  --verbose         print each session's questions and fixes\n" },
	{ "export guide", export_cmd_guide, CMD_KB, "[--cause ID] [-o FILE]",
	  "the knowledge base (or one cause) as a Markdown fix guide",
	  "  --cause ID        only this cause\n  -o FILE           write to FILE (atomically) instead of stdout\n" },
	{ "export session", export_cmd_session, CMD_KB, "ID [-o FILE]",
	  "a saved session as a Markdown report",
	  "  -o FILE           write to FILE (atomically) instead of stdout\n" },
	{ "export coverage", export_cmd_coverage, CMD_KB, "[-o FILE]",
	  "causes against the facts that tell them apart, as Markdown",
	  "  -o FILE           write to FILE (atomically) instead of stdout\n" },
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage_line(FILE *f, const command *cmd)
{
	fprintf(f, "usage: triage %s %s\n", cmd->name, cmd->usage);
}

static void print_help(FILE *f)
{
	fputs("triage: troubleshooting that asks the right questions and ranks the fixes.\n\n"
	      "usage: triage [--kb PATH] [COMMAND] [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
	fputs("\nglobal options (before or after the command):\n"
	      "  --kb PATH         the knowledge base (default: $TRIAGE_KB, else the one\n"
	      "                    installed beside triage)\n"
	      "  -h, --help        help; `triage COMMAND --help` for one command\n"
	      "  --version         print the version\n\n"
	      "exit status: 0 success, 1 failure, 2 usage error.\n", f);
}

static void command_help(const command *cmd)
{
	usage_line(stdout, cmd);
	printf("\n%s.\n", cmd->summary);
	if (*cmd->help)
		printf("\n%s", cmd->help);
	printf("  --kb PATH         the knowledge base to use\n");
}

int cli_flag(cli *c, int *i, const char *flag, const char **val)
{
	const char *a = c->argv[*i];
	size_t n = strlen(flag);

	if (strncmp(a, flag, n) != 0 || (a[n] != '\0' && a[n] != '='))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (*i + 1 >= c->argc) {
		*val = NULL;
		tr_fail(&c->err, TR_EUSAGE, "%s needs a value", flag);
		return 1;
	}
	*val = c->argv[++*i];
	return 1;
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
	static char kb[4096];
	const char *kb_flag = NULL;
	const command *cmd;
	char **args = calloc((size_t)argc + 1, sizeof *args);
	int n = 0, words = 0, rc, help = 0;
	cli c;

	memset(&c, 0, sizeof c);
	if (!args)
		return TR_ERR;
	/* --kb, --help and --version are global, before or after the command */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--kb") == 0 || strncmp(argv[i], "--kb=", 5) == 0) {
			if (argv[i][4] == '=')
				kb_flag = argv[i] + 5;
			else if (i + 1 < argc)
				kb_flag = argv[++i];
			else {
				fputs("triage: --kb needs a path\n", stderr);
				free(args);
				return TR_EUSAGE;
			}
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			help = 1;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("triage %s (schema %d, SQLite %s)\n", TRIAGE_VERSION,
			       store_schema_version(), sqlite3_libversion());
			free(args);
			return TR_OK;
		} else
			args[n++] = argv[i];
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
		if (cmd)
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
	c.kb_path = paths_kb(kb_flag, kb, sizeof kb);
	tr_clear(&c.err);
	rc = (cmd->flags & CMD_KB) ? open_kb(&c) : TR_OK;
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
