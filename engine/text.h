/*
 * text.h: writing knowledge-base text to a terminal or a pipe safely.
 * Knowledge-base strings are data: control characters (an escape sequence
 * in a fix title, say) are shown as \xNN, never sent raw to a terminal.
 */
#ifndef TR_TEXT_H
#define TR_TEXT_H
#include <stdio.h>
#include "buf.h"

/* Appends s to b with C0 controls and DEL shown as \xNN, C1 controls and
 * bidirectional or invisible format characters as \u{XXXX}, and bytes
 * that are not UTF-8 as \xNN; keeps newlines when keep_nl is set (tabs
 * become a space). */
void text_safe(buf *b, const char *s, int keep_nl);

/* Writes s to f as text_safe does, without newlines kept. */
void text_put(FILE *f, const char *s);

/* Appends s to b wrapped at width columns (counting UTF-8 characters),
 * every line after the first indented by indent spaces; s is made safe.
 * The first line starts at column indent; a word longer than a line is
 * split. width is raised to indent + 20 when smaller. */
void text_wrap(buf *b, const char *s, int width, int indent);

/* Whether s is inert text: valid UTF-8 without C0 controls (except the
 * characters in allow, e.g. "\t" or "\t\n"), DEL, C1 controls (U+0080 to
 * U+009F), or bidirectional and invisible format characters (U+00AD,
 * U+061C, U+180E, U+200B-U+200F, U+2028-U+202E, U+2060-U+206F, U+FEFF,
 * U+FFF9-U+FFFB, U+E0000-U+E007F). Returns 0, or -1 with what the first
 * offender is and where in why ("a control character U+001B at byte 4"). */
int text_inert(const char *s, const char *allow, char *why, size_t n);

#endif
