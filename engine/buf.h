/*
 * buf.h: a growable byte string, the engine's one string builder.
 * Invariant: data is NUL-terminated whenever len > 0 or after any append.
 * Allocation failure aborts (a string builder that fails silently would
 * lose text; every caller would otherwise need the same check).
 */
#ifndef TR_BUF_H
#define TR_BUF_H
#include <stddef.h>

typedef struct buf {
	char *data;   /* heap bytes, NUL-terminated; NULL while empty */
	size_t len;   /* bytes used, excluding the NUL */
	size_t cap;   /* bytes allocated */
} buf;

/* Appends n bytes of s. */
void buf_add(buf *b, const char *s, size_t n);
/* Appends the NUL-terminated string s. */
void buf_puts(buf *b, const char *s);
/* Appends one byte. */
void buf_putc(buf *b, char c);
/* Appends printf-style formatted text. */
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the text, "" while empty; owned by b. */
const char *buf_str(const buf *b);
/* Empties b, keeping its memory. */
void buf_reset(buf *b);
/* Frees b's memory and empties it. */
void buf_free(buf *b);
/* Hands the heap text to the caller (free() it) and empties b. */
char *buf_take(buf *b);

/* Returns a heap copy of s (never NULL); aborts when out of memory. */
char *xstrdup(const char *s);
/* malloc/calloc/realloc that abort when out of memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);

#endif
