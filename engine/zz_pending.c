/* TEMPORARY: placeholders until the shell and export branches merge. Deleted at merge. */
#include "cli.h"
int shell_cmd(cli *c) { return tr_fail(&c->err, TR_ERR, "the shell is not built yet"); }
