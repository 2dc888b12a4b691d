/*
 * config.c: the configuration file and the precedence of every setting
 * (see config.h). The file is `key = value` lines; blank lines and lines
 * starting with # are ignored. Uses reach.h, paths.h and text.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "config.h"
#include "paths.h"
#include "reach.h"
#include "text.h"

const char *const config_keys[] = {"kb", "reach", "color", "technician"};
const char *const config_flags[] = {"--kb", "--reach", "--color", "--technician"};
const char *const config_envs[] = {"TRIAGE_KB", "TRIAGE_REACH", "TRIAGE_COLOR", "TRIAGE_TECHNICIAN"};
static const char *const colours[] = {"auto", "always", "never"};

const char *config_path(char *out, size_t n)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(out, n, "%s/triage/config", xdg);
	else if (home && *home)
		snprintf(out, n, "%s/.config/triage/config", home);
	else
		return NULL;
	return out;
}

/* Checks value v for key k and stores it in cf (from says where it came
 * from); on a bad value e says why, after where. */
static int put(config *cf, int k, const char *v, const char *from, int code, tr_err *e)
{
	char why[96], canon[64];
	unsigned r;
	tr_err bad;

	if (!*v)
		return tr_fail(e, code, "%s: %s needs a value", from, config_keys[k]);
	if (text_inert(v, NULL, why, sizeof why) != 0)
		return tr_fail(e, code, "%s: %s contains %s", from, config_keys[k], why);
	if (k == CONFIG_REACH) {
		if (reach_parse(v, &r, &bad) != TR_OK)
			return tr_fail(e, code, "%s: %s", from, bad.msg);
		cf->reach = r;
		v = reach_format(r, canon, sizeof canon);
	} else if (k == CONFIG_COLOR) {
		int c = 0;

		while (c < 3 && strcmp(v, colours[c]) != 0)
			c++;
		if (c == 3)
			return tr_fail(e, code, "%s: color is auto, always or never, not '%s'", from, v);
		cf->colour = c;
	}
	if (strlen(v) >= sizeof cf->v[k].value)
		return tr_fail(e, code, "%s: %s is too long", from, config_keys[k]);
	snprintf(cf->v[k].value, sizeof cf->v[k].value, "%s", v);
	snprintf(cf->v[k].from, sizeof cf->v[k].from, "%s", from);
	cf->v[k].set = 1;
	return TR_OK;
}

/* A kb path from the file: ~/ is the home directory, a relative path is
 * relative to the file's directory. */
static void file_path(const config *cf, const char *v, char *out, size_t n)
{
	const char *home = getenv("HOME"), *slash = strrchr(cf->path, '/');

	if (v[0] == '~' && v[1] == '/' && home && *home)
		snprintf(out, n, "%s%s", home, v + 1);
	else if (v[0] != '/' && slash)
		snprintf(out, n, "%.*s/%s", (int)(slash - cf->path), cf->path, v);
	else
		snprintf(out, n, "%s", v);
}

/* Reads one line of the file: key = value. seen[k] is the line that set
 * key k (0 none); a key a flag or the environment set is checked and
 * left as it is. */
static int file_line(config *cf, char *line, int no, int *seen, tr_err *e)
{
	char *eq, *key = line + strspn(line, " \t"), *v, *end, where[4200], path[4096];
	int k;

	snprintf(where, sizeof where, "%s line %d", cf->path, no);
	if (!*key || *key == '#')
		return TR_OK;
	if (!(eq = strchr(key, '=')))
		return tr_fail(e, TR_ERR, "%s: expected key = value (keys: kb, reach, color, technician)", where);
	for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	v = eq + 1 + strspn(eq + 1, " \t");
	for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'); end--)
		;
	*end = '\0';
	for (k = 0; k < CONFIG_NKEYS && strcmp(key, config_keys[k]) != 0; k++)
		;
	if (k == CONFIG_NKEYS)
		return tr_fail(e, TR_ERR, "%s: unknown key '%.64s' (kb, reach, color, technician)", where, key);
	if (seen[k])
		return tr_fail(e, TR_ERR, "%s: %s is set twice (first on line %d)", where, key, seen[k]);
	seen[k] = no;
	if (k == CONFIG_KB && *v) {
		file_path(cf, v, path, sizeof path);
		v = path;
	}
	if (cf->v[k].set) {   /* a flag or the environment wins; the line must still be good */
		config spare = *cf;

		return put(&spare, k, v, where, TR_ERR, e);
	}
	return put(cf, k, v, where, TR_ERR, e);
}

static int read_file(config *cf, tr_err *e)
{
	FILE *f = fopen(cf->path, "r");
	char line[8192];
	int no = 0, seen[CONFIG_NKEYS] = {0}, rc = TR_OK;

	if (!f) {
		struct stat st;

		/* missing, or behind a directory this user cannot search (another
		 * user's HOME): no configuration; an unreadable file is an error */
		if (errno == ENOENT || errno == ENOTDIR || (errno == EACCES && stat(cf->path, &st) != 0))
			return TR_OK;
		return tr_fail(e, TR_ERR, "%s: cannot read the configuration: %s", cf->path, strerror(errno));
	}
	cf->found = 1;
	while (rc == TR_OK && fgets(line, sizeof line, f)) {
		size_t n = strlen(line);

		no++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f))
			rc = tr_fail(e, TR_ERR, "%s line %d: line longer than %zu bytes", cf->path, no,
				     sizeof line - 2);
		if (rc == TR_OK)
			rc = file_line(cf, line, no, seen, e);
	}
	if (rc == TR_OK && ferror(f))
		rc = tr_fail(e, TR_ERR, "%s: cannot read the configuration: %s", cf->path, strerror(errno));
	fclose(f);
	return rc;
}

int config_load(config *cf, const char *const flags[CONFIG_NKEYS], tr_err *e)
{
	char builtin[4096];
	const char *no_color = getenv("NO_COLOR");

	memset(cf, 0, sizeof *cf);
	cf->reach = REACH_ALL;
	cf->colour = CONFIG_COLOUR_AUTO;
	for (int k = 0; k < CONFIG_NKEYS; k++) {
		const char *env = getenv(config_envs[k]);

		if (flags && flags[k]) {
			if (put(cf, k, flags[k], config_flags[k], TR_EUSAGE, e) != TR_OK)
				return TR_EUSAGE;
		} else if (env && *env) {
			if (put(cf, k, env, config_envs[k], TR_ERR, e) != TR_OK)
				return TR_ERR;
		}
	}
	if (!config_path(cf->path, sizeof cf->path))
		snprintf(cf->path, sizeof cf->path, "(none: set HOME or XDG_CONFIG_HOME)");
	else if (read_file(cf, e) != TR_OK)
		return TR_ERR;
	/* NO_COLOR (no-color.org) yields to triage's own settings, the file's too */
	if (!cf->v[CONFIG_COLOR].set && no_color && *no_color)
		put(cf, CONFIG_COLOR, "never", "NO_COLOR", TR_ERR, e);
	if (!cf->v[CONFIG_KB].set) {
		paths_kb(NULL, builtin, sizeof builtin);
		snprintf(cf->v[CONFIG_KB].value, sizeof cf->v[CONFIG_KB].value, "%s", builtin);
	}
	if (!cf->v[CONFIG_REACH].set)
		snprintf(cf->v[CONFIG_REACH].value, sizeof cf->v[CONFIG_REACH].value, "all");
	if (!cf->v[CONFIG_COLOR].set)
		snprintf(cf->v[CONFIG_COLOR].value, sizeof cf->v[CONFIG_COLOR].value, "auto");
	for (int k = 0; k < CONFIG_NKEYS; k++)
		if (!cf->v[k].set)
			snprintf(cf->v[k].from, sizeof cf->v[k].from, "built-in");
	return TR_OK;
}

int config_cmd_show(cli *c)
{
	const config *cf = c->cf;

	if (c->argc > 0)
		return tr_fail(&c->err, TR_EUSAGE, "config: unexpected argument '%s'", c->argv[0]);
	fputs("# the settings in effect; each from a flag, else the environment, else\n"
	      "# the configuration file, else built in\n# configuration file: ", stdout);
	text_put(stdout, cf->path);
	puts(cf->found ? "" : " (not found)");
	for (int k = 0; k < CONFIG_NKEYS; k++) {
		fputs("\n# from: ", stdout);
		text_put(stdout, cf->v[k].from);
		if (!cf->v[k].set && k == CONFIG_TECHNICIAN)
			printf("\n# %s = (none)\n", config_keys[k]);
		else {
			printf("\n%s = ", config_keys[k]);
			text_put(stdout, cf->v[k].value);
			putchar('\n');
		}
	}
	return TR_OK;
}
