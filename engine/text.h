/*
 * text.h: writing knowledge-base text to a terminal or a pipe safely.
 * Knowledge-base strings are data: control characters (an escape sequence
 * in a fix title, say) are shown as \xNN, never sent raw to a terminal.
 */
#ifndef TR_TEXT_H
#define TR_TEXT_H
#include <stdio.h>
#include "buf.h"

/* Appends s to b with C0 controls and DEL shown as \xNN; keeps newlines
 * when keep_nl is set (tabs become a space). */
void text_safe(buf *b, const char *s, int keep_nl);

/* Writes s to f as text_safe does, without newlines kept. */
void text_put(FILE *f, const char *s);

/* Appends s to b wrapped at width columns (counting UTF-8 characters),
 * every line after the first indented by indent spaces; s is made safe.
 * The first line starts at column indent; a word longer than a line is
 * split. width is raised to indent + 20 when smaller. */
void text_wrap(buf *b, const char *s, int width, int indent);

#endif
