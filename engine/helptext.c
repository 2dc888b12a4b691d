/*
 * helptext.c: options and running text in the command table's help, read
 * one item at a time from the help strings themselves (no copies kept).
 * Uses only the C library.
 */
#include <stdio.h>
#include <string.h>
#include "helptext.h"

int helptext_next(const char **p, helptext_item *it)
{
	const char *l = *p, *s, *more;
	size_t len, t = 0;

	while (*l == '\n')
		l++;
	if (!*l)
		return 0;
	len = strcspn(l, "\n");
	s = l + strspn(l, " ");
	it->option = s - l == 2 && *s == '-';
	if (!it->option) {
		it->tag = it->text, it->taglen = 0;
		snprintf(it->text, sizeof it->text, "%.*s", (int)(l + len - s), s);
		*p = l + len;
		return 1;
	}
	while (s + t < l + len && !(s[t] == ' ' && s[t + 1] == ' '))
		t++;
	it->tag = s, it->taglen = t;
	s += t + strspn(s + t, " ");
	snprintf(it->text, sizeof it->text, "%.*s", (int)(l + len - s), s);
	for (more = l + len; strncmp(more, "\n    ", 5) == 0;) {   /* continued */
		const char *m = more + 1 + strspn(more + 1, " ");
		size_t ml = strcspn(m, "\n"), tl = strlen(it->text);

		snprintf(it->text + tl, sizeof it->text - tl, " %.*s", (int)ml, m);
		more = m + ml;
	}
	*p = more;
	return 1;
}

size_t helptext_name(const char *s, const char *end, const char **next)
{
	size_t k = 0;

	*next = end;
	if (s >= end || *s != '-')
		return 0;
	while (s + k < end && s[k] != ',' && s[k] != ' ')
		k++;
	for (*next = s + k; *next < end && (**next == ',' || **next == ' '); ++*next)
		;
	return k;
}
