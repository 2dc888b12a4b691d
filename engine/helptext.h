/*
 * helptext.h: reading the help text of main.c's command table, where each
 * option is a line "  -x, --long ARG   text" (its text going on in lines
 * indented deeper) and any other indented line is running text. The man
 * page and shell completion both read it, so both follow --help.
 */
#ifndef TR_HELPTEXT_H
#define TR_HELPTEXT_H
#include <stddef.h>

typedef struct helptext_item {
	int option;            /* 1: an option; 0: a line of running text */
	const char *tag;       /* option: "-x, --long ARG" (not NUL-terminated); else "" */
	size_t taglen;         /* 0 for running text */
	char text[512];        /* option: its text, continuations joined; else the line */
} helptext_item;

/* Reads the next item at *p into it and moves *p past it; returns 0 at the
 * end. Text longer than it.text is cut. */
int helptext_next(const char **p, helptext_item *it);

/* The length of the option name at s in a tag ending at end ("-h" of
 * "-h, --help"), 0 when s is not a name (it is the metavariable or the
 * end); *next is set to the name after it. */
size_t helptext_name(const char *s, const char *end, const char **next);

#endif
