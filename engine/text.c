/*
 * text.c: safe and wrapped output of knowledge-base text (text.h).
 */
#include <stdio.h>
#include <string.h>
#include "text.h"

/* Decodes the UTF-8 character at p (strictly: no overlong forms or
 * surrogates); returns its length, or 0 when p holds no valid character. */
static int utf8_char(const unsigned char *p, unsigned *cp)
{
	int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
	      : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	unsigned c = n == 1 ? p[0] : n == 2 ? p[0] & 0x1fu : n == 3 ? p[0] & 0x0fu : p[0] & 0x07u;
	static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};

	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	if (n == 0 || c < least[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Bidirectional and invisible format characters: they change how text
 * around them looks (or hide text) without being seen themselves. */
static int is_format(unsigned c)
{
	return c == 0xad || c == 0x61c || c == 0x180e || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
	       (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe0000 && c <= 0xe007f);
}

void text_safe(buf *b, const char *s, int keep_nl)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned c;
		int n = utf8_char(p, &c);

		if (n == 0) {
			buf_printf(b, "\\x%02x", *p++);
			continue;
		}
		if (c == '\n' && keep_nl)
			buf_putc(b, '\n');
		else if (c == '\t')
			buf_putc(b, ' ');
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else if ((c >= 0x80 && c <= 0x9f) || is_format(c))
			buf_printf(b, "\\u{%04X}", c);
		else
			buf_add(b, (const char *)p, (size_t)n);
		p += n;
	}
}

int text_inert(const char *s, const char *allow, char *why, size_t n)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned c;
		int k = utf8_char(p, &c);
		size_t at = (size_t)(p - (const unsigned char *)s);

		if (k == 0) {
			snprintf(why, n, "a byte that is not UTF-8 (\\x%02x) at byte %zu", *p, at);
			return -1;
		}
		if ((c < 0x20 && !(allow && strchr(allow, (int)c))) || (c >= 0x7f && c <= 0x9f)) {
			snprintf(why, n, "a control character U+%04X at byte %zu", c, at);
			return -1;
		}
		if (is_format(c)) {
			snprintf(why, n, "an invisible or bidirectional format character U+%04X at byte %zu", c, at);
			return -1;
		}
		p += k;
	}
	return 0;
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
