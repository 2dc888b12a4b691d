/* TEMPORARY: placeholders until the export branch merges. Deleted at merge. */
#include "cli.h"
#include "export.h"
int export_cmd_guide(cli *c) { return tr_fail(&c->err, TR_ERR, "export is not built yet"); }
int export_cmd_session(cli *c) { return tr_fail(&c->err, TR_ERR, "export is not built yet"); }
int export_cmd_coverage(cli *c) { return tr_fail(&c->err, TR_ERR, "export is not built yet"); }
void export_session(session *s, buf *out) { (void)s; (void)out; }
int export_write(const char *path, const buf *text, tr_err *e)
{
	(void)path;
	(void)text;
	return tr_fail(e, TR_ERR, "export is not built yet");
}
