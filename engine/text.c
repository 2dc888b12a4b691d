/*
 * text.c: safe and wrapped output of knowledge-base text (text.h).
 */
#include <string.h>
#include "text.h"

void text_safe(buf *b, const char *s, int keep_nl)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n' && keep_nl)
			buf_putc(b, '\n');
		else if (*p == '\t')
			buf_putc(b, ' ');
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\x%02x", *p);
		else
			buf_putc(b, (char)*p);
	}
}

void text_put(FILE *f, const char *s)
{
	buf b = {0};

	text_safe(&b, s, 0);
	fputs(buf_str(&b), f);
	buf_free(&b);
}

/* Columns of the UTF-8 text s[0..n): one per character. */
static int columns(const char *s, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Bytes of the first cols characters of the UTF-8 text s[0..n). */
static size_t prefix(const char *s, size_t n, int cols)
{
	size_t i = 0;

	for (; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && cols-- == 0)
			break;
	return i;
}

void text_wrap(buf *b, const char *s, int width, int indent)
{
	buf safe = {0};
	const char *p;
	int col = indent;

	text_safe(&safe, s, 1);
	p = buf_str(&safe);
	if (width < indent + 20)
		width = indent + 20;
	while (*p) {
		size_t n = strcspn(p, " \n");
		int w = columns(p, n);

		if (col > indent && col + 1 + w > width) {
			buf_printf(b, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			buf_putc(b, ' ');
			col++;
		}
		while (w > width - col) {  /* a word longer than a line: split it */
			size_t k = prefix(p, n, width - col);

			buf_add(b, p, k);
			buf_printf(b, "\n%*s", indent, "");
			w -= columns(p, k);
			p += k;
			n -= k;
			col = indent;
		}
		buf_add(b, p, n);
		col += w;
		p += n;
		if (*p == '\n') {
			buf_printf(b, "\n%*s", indent, "");
			col = indent;
		}
		while (*p == ' ' || *p == '\n')
			p++;
	}
	buf_free(&safe);
}
