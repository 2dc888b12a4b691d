/*
 * paths.c: locating the default knowledge base and the session file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "paths.h"

static int exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

const char *paths_kb(const char *flag, char *out, size_t n)
{
	char exe[PATH_MAX];
	const char *env = getenv("TRIAGE_KB");
	ssize_t len;
	char *slash;

	if (flag || (env && *env)) {
		snprintf(out, n, "%s", flag ? flag : env);
		return out;
	}
	len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0) {
		snprintf(out, n, "kb.sqlite");
		return out;
	}
	exe[len] = '\0';
	if ((slash = strrchr(exe, '/')))
		*slash = '\0';
	snprintf(out, n, "%s/kb.sqlite", exe);
	if (exists(out))
		return out;
	snprintf(out, n, "%s/../share/triage/kb.sqlite", exe);
	return out;
}

static void mkdirs(char *p)
{
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
}

const char *paths_sessions(char *out, size_t n)
{
	const char *env = getenv("TRIAGE_SESSIONS");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (env && *env) {   /* the user's own choice: its directory is not created */
		snprintf(out, n, "%s", env);
		return out;
	} else if (xdg && *xdg)
		snprintf(out, n, "%s/triage/sessions.sqlite", xdg);
	else if (home && *home)
		snprintf(out, n, "%s/.local/share/triage/sessions.sqlite", home);
	else
		return NULL;
	mkdirs(out);
	return out;
}
