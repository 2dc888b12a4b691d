/* TEMPORARY: placeholders until the shell and export branches merge. Deleted at merge. */
#include "cli.h"
int shell_cmd(cli *c) { return tr_fail(&c->err, TR_ERR, "the shell is not built yet"); }
int export_cmd_guide(cli *c) { return tr_fail(&c->err, TR_ERR, "export is not built yet"); }
int export_cmd_session(cli *c) { return tr_fail(&c->err, TR_ERR, "export is not built yet"); }
int export_cmd_coverage(cli *c) { return tr_fail(&c->err, TR_ERR, "export is not built yet"); }
