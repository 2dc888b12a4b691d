/*
 * cli.c: what every command handler shares (cli.h): reading an option and
 * its value. Kept out of main.c so that the modules holding handlers link
 * into the unit tests without the command table.
 */
#include <string.h>
#include "cli.h"

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
