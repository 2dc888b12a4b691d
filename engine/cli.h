/*
 * cli.h: what a command handler gets from main.c's command table.
 * Handlers return TR_OK, TR_ERR or TR_EUSAGE (the process exit status) and
 * leave the message in c->err; main prints it. Nothing below main exits.
 */
#ifndef TR_CLI_H
#define TR_CLI_H
#include <sqlite3.h>
#include "err.h"
#include "model.h"

/* A command as help, the man page and completion see it: a visible row of
 * main.c's table without its handler. */
typedef struct cli_doc {
	const char *name;      /* one or two words */
	const char *usage;     /* arguments after the name */
	const char *summary;   /* one line */
	const char *help;      /* "  --opt ARG   text" lines, as in `triage CMD --help` */
} cli_doc;

/* Everything `triage --help` says, in one place, for the generated pages. */
typedef struct cli_docs {
	const char *tagline;   /* what triage is, one sentence */
	const cli_doc *cmds;   /* the visible commands, in table order */
	int ncmds;
	const char *global;    /* the global options, in the help format */
	const char *exits;     /* the exit statuses, one line */
	const char *version;   /* the program's version */
} cli_docs;

typedef struct cli {
	int argc;              /* the command's own arguments ... */
	char **argv;           /* ... after its name, --kb removed */
	const char *kb_path;   /* the knowledge base chosen (--kb, TRIAGE_KB, default) */
	sqlite3 *db;           /* open read-only when the command has CMD_KB */
	tr_model *m;           /* loaded when the command has CMD_KB */
	int exact;             /* --exact: the planner without approximation */
	const struct config *cf; /* the settings in effect and where each came from (config.h) */
	unsigned reach;        /* --reach, TRIAGE_REACH, the config file, else all (reach.h) */
	int reach_set;         /* the reach was set somewhere (not the built-in all) */
	int colour;            /* --color, TRIAGE_COLOR, the file: enum config_colour */
	const char *technician;/* the technician's name for the records; "" when none */
	tr_err err;
	const cli_docs *docs;  /* the command table's text (completion, man page) */
} cli;

/* Returns 1 when argv[*i] is flag, taking its value into *val (the next
 * argument, or after '=' in "--flag=value"), advancing *i. A flag missing
 * its value sets c->err (usage) and *val to NULL. */
int cli_flag(cli *c, int *i, const char *flag, const char **val);

/* Command handlers (one module each). */
int kb_cmd_build(cli *c);
int kb_cmd_dump(cli *c);
int kb_cmd_check(cli *c);
int kb_cmd_list(cli *c);
int kb_cmd_show(cli *c);
int kb_cmd_test(cli *c);
int kb_cmd_add(cli *c);
int kb_cmd_edit(cli *c);
int kb_cmd_rm(cli *c);
int kb_cmd_revert(cli *c);
int kb_cmd_log(cli *c);
int kblint_cmd(cli *c);
int kbnew_cmd(cli *c);
int jsonl_cmd_session(cli *c);
int diagnose_cmd(cli *c);
int shell_cmd(cli *c);
int export_cmd_guide(cli *c);
int export_cmd_session(cli *c);
int export_cmd_coverage(cli *c);
int complete_cmd_script(cli *c);
int complete_cmd_words(cli *c);
int sessions_cmd_list(cli *c);
int sessions_cmd_show(cli *c);
int sessions_cmd_rm(cli *c);
int sessions_cmd_end(cli *c);
int sessexport_cmd(cli *c);
int learn_cmd(cli *c);
int config_cmd_show(cli *c);
int export_cmd_handover(cli *c);

#endif
