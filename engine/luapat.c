/*
 * luapat.c: Lua 5.4 pattern matching with a step meter (luapat.h).
 * A backtracking matcher over pattern items: each call of item(), each
 * character a repetition tries and each byte %b or a back reference scans
 * costs one step. Syntax errors use Lua's own messages, so a rule sees the
 * same errors as with the standard library.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "luapat.h"

#define ESC '%'

static const char *fail(lpat_state *ms, const char *msg)
{
	if (ms->status == LPAT_OK) {
		ms->status = LPAT_ESYNTAX;
		snprintf(ms->msg, sizeof ms->msg, "%s", msg);
	}
	return NULL;
}

int lpat_charge(lpat_state *ms, long n)
{
	*ms->steps += n;
	if (*ms->steps <= ms->limit)
		return 0;
	if (ms->status == LPAT_OK)
		ms->status = LPAT_EBUDGET;
	return -1;
}

void lpat_init(lpat_state *ms, const char *s, size_t ls, const char *p, size_t lp,
	       long *steps, long limit)
{
	memset(ms, 0, sizeof *ms);
	ms->src = s;
	ms->src_end = s + ls;
	ms->pat = p;
	ms->pat_end = p + lp;
	ms->steps = steps;
	ms->limit = limit;
}

int lpat_has_specials(const char *p, size_t lp)
{
	for (size_t i = 0; i < lp; i++)
		if (strchr("^$*+?.([%-", p[i]) && p[i])
			return 1;
	return 0;
}

const char *lpat_find_plain(lpat_state *ms, const char *s, size_t ls, const char *p, size_t lp)
{
	if (lp == 0)
		return s;
	for (size_t i = 0; i + lp <= ls; i++) {
		if ((i & 63) == 0 && lpat_charge(ms, 1 + (long)(lp >> 6)))
			return NULL;
		if (s[i] == p[0] && memcmp(s + i, p, lp) == 0)
			return s + i;
	}
	return NULL;
}

/* ---- single characters ---- */

/* Whether c belongs to class letter cl (%a, %d, ...; upper case negates). */
static int in_class(unsigned char c, unsigned char cl)
{
	int r;

	switch (tolower(cl)) {
	case 'a': r = isalpha(c); break;
	case 'c': r = iscntrl(c); break;
	case 'd': r = isdigit(c); break;
	case 'g': r = isgraph(c); break;
	case 'l': r = islower(c); break;
	case 'p': r = ispunct(c); break;
	case 's': r = isspace(c); break;
	case 'u': r = isupper(c); break;
	case 'w': r = isalnum(c); break;
	case 'x': r = isxdigit(c); break;
	default: return cl == c;      /* an escaped character stands for itself */
	}
	if (isupper(cl))
		r = !r;
	return r != 0;
}

/* The end of the single-character class starting at p: past %x, past a
 * set's ']', or past one character. NULL (and an error) when malformed. */
static const char *class_end(lpat_state *ms, const char *p)
{
	if (*p == ESC) {
		if (p + 1 >= ms->pat_end)
			return fail(ms, "malformed pattern (ends with '%')");
		return p + 2;
	}
	if (*p != '[')
		return p + 1;
	p++;
	if (p < ms->pat_end && *p == '^')
		p++;
	/* the first character of a set is itself even when it is ']' */
	for (;;) {
		if (p >= ms->pat_end)
			return fail(ms, "malformed pattern (missing ']')");
		if (*p++ == ESC && p < ms->pat_end)
			p++;
		if (p >= ms->pat_end)
			return fail(ms, "malformed pattern (missing ']')");
		if (*p == ']')
			return p + 1;
	}
}

/* Whether c is in the set [..] spanning set[0] '[' to close ']'. */
static int in_set(unsigned char c, const char *set, const char *close)
{
	const char *p = set + 1;
	int yes = 1;

	if (*p == '^') {
		yes = 0;
		p++;
	}
	for (; p < close; p++) {
		if (*p == ESC && p + 1 < close) {
			p++;
			if (in_class(c, (unsigned char)*p))
				return yes;
		} else if (p + 2 < close && p[1] == '-') {
			if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
				return yes;
			p += 2;
		} else if ((unsigned char)*p == c) {
			return yes;
		}
	}
	return !yes;
}

/* Whether the subject character at s matches the class p..ep. */
static int one(const lpat_state *ms, const char *s, const char *p, const char *ep)
{
	unsigned char c;

	if (s >= ms->src_end)
		return 0;
	c = (unsigned char)*s;
	switch (*p) {
	case '.': return 1;
	case ESC: return in_class(c, (unsigned char)p[1]);
	case '[': return in_set(c, p, ep - 1);
	default: return (unsigned char)*p == c;
	}
}

/* ---- items ---- */

static const char *item(lpat_state *ms, const char *s, const char *p);

/* Greedy repetition (* and +): take as many as match, then give back. */
static const char *greedy(lpat_state *ms, const char *s, const char *p, const char *ep)
{
	ptrdiff_t n = 0;

	while (one(ms, s + n, p, ep)) {
		if (lpat_charge(ms, 1))
			return NULL;
		n++;
	}
	for (; n >= 0; n--) {
		const char *r = item(ms, s + n, ep + 1);

		if (r || ms->status != LPAT_OK)
			return r;
	}
	return NULL;
}

/* Lazy repetition (-): try the rest first, then one more. */
static const char *lazy(lpat_state *ms, const char *s, const char *p, const char *ep)
{
	for (;;) {
		const char *r = item(ms, s, ep + 1);

		if (r || ms->status != LPAT_OK)
			return r;
		if (!one(ms, s, p, ep) || lpat_charge(ms, 1))
			return NULL;
		s++;
	}
}

static const char *open_capture(lpat_state *ms, const char *s, const char *p, ptrdiff_t what)
{
	const char *r;

	if (ms->level >= LPAT_MAXCAPS)
		return fail(ms, "too many captures");
	ms->cap[ms->level].init = s;
	ms->cap[ms->level].len = what;
	ms->level++;
	r = item(ms, s, p);
	if (!r)
		ms->level--;
	return r;
}

static const char *close_capture(lpat_state *ms, const char *s, const char *p)
{
	int l = ms->level - 1;
	const char *r;

	while (l >= 0 && ms->cap[l].len != LPAT_OPEN)
		l--;
	if (l < 0)
		return fail(ms, "invalid pattern capture");
	ms->cap[l].len = s - ms->cap[l].init;
	r = item(ms, s, p);
	if (!r)
		ms->cap[l].len = LPAT_OPEN;
	return r;
}

/* %bxy at p: a balanced run from x to its matching y. */
static const char *balanced(lpat_state *ms, const char *s, const char *p)
{
	int depth = 1;

	if (s >= ms->src_end || *s != p[2])
		return NULL;
	while (++s < ms->src_end) {
		if (lpat_charge(ms, 1))
			return NULL;
		if (*s == p[3]) {
			if (--depth == 0)
				return s + 1;
		} else if (*s == p[2]) {
			depth++;
		}
	}
	return NULL;
}

/* %1..%9 at p: the text of an earlier closed capture, again. */
static const char *backref(lpat_state *ms, const char *s, int d)
{
	int l = d - 1;
	size_t len;
	char m[40];

	if (l < 0 || l >= ms->level || ms->cap[l].len == LPAT_OPEN) {
		snprintf(m, sizeof m, "invalid capture index %%%d", d);
		return fail(ms, m);
	}
	if (ms->cap[l].len == LPAT_POSITION)
		return NULL;     /* a position is no text: it never matches again */
	len = (size_t)ms->cap[l].len;
	if (lpat_charge(ms, 1 + (long)(len >> 6)))
		return NULL;
	if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[l].init, s, len) == 0)
		return s + len;
	return NULL;
}

/* %f[set] at p: a frontier, where the previous character is outside the
 * set and the next inside (the subject's ends count as '\0'). */
static const char *frontier(lpat_state *ms, const char *s, const char *p, const char **next)
{
	const char *ep;
	unsigned char before, after;

	p += 2;
	if (p >= ms->pat_end || *p != '[')
		return fail(ms, "missing '[' after '%f' in pattern");
	if (!(ep = class_end(ms, p)))
		return NULL;
	before = s == ms->src ? 0 : (unsigned char)s[-1];
	after = s < ms->src_end ? (unsigned char)*s : 0;
	*next = ep;
	if (!in_set(before, p, ep - 1) && in_set(after, p, ep - 1))
		return s;
	return NULL;
}

/* Matches pattern p..pat_end at s; returns the end of the match or NULL.
 * Items that consume one character loop here; the rest recurse. */
static const char *item(lpat_state *ms, const char *s, const char *p)
{
	const char *r = NULL, *ep;

	if (++ms->depth > LPAT_MAXDEPTH) {
		ms->depth--;
		return fail(ms, "pattern too complex");
	}
	for (;;) {
		if (lpat_charge(ms, 1)) {
			r = NULL;
			break;
		}
		if (p >= ms->pat_end) {
			r = s;
			break;
		}
		if (*p == '(') {
			if (p + 1 < ms->pat_end && p[1] == ')')
				r = open_capture(ms, s, p + 2, LPAT_POSITION);
			else
				r = open_capture(ms, s, p + 1, LPAT_OPEN);
			break;
		}
		if (*p == ')') {
			r = close_capture(ms, s, p + 1);
			break;
		}
		if (*p == '$' && p + 1 == ms->pat_end) {
			r = s == ms->src_end ? s : NULL;
			break;
		}
		if (*p == ESC && p + 1 < ms->pat_end) {
			char c = p[1];

			if (c == 'b') {
				if (p + 4 > ms->pat_end) {
					r = fail(ms, "malformed pattern (missing arguments to '%b')");
					break;
				}
				if (!(s = balanced(ms, s, p))) {
					r = NULL;
					break;
				}
				p += 4;
				continue;
			}
			if (c == 'f') {
				const char *next = NULL;

				if (!(s = frontier(ms, s, p, &next))) {
					r = NULL;
					break;
				}
				p = next;
				continue;
			}
			if (c >= '0' && c <= '9') {
				if (!(s = backref(ms, s, c - '0'))) {
					r = NULL;
					break;
				}
				p += 2;
				continue;
			}
		}
		if (!(ep = class_end(ms, p))) {
			r = NULL;
			break;
		}
		if (!one(ms, s, p, ep)) {
			if (ep < ms->pat_end && (*ep == '*' || *ep == '?' || *ep == '-')) {
				p = ep + 1;    /* zero repetitions are fine */
				continue;
			}
			r = NULL;
			break;
		}
		if (ep < ms->pat_end && *ep == '?') {
			r = item(ms, s + 1, ep + 1);
			if (r || ms->status != LPAT_OK)
				break;
			p = ep + 1;
			continue;
		}
		if (ep < ms->pat_end && *ep == '+') {
			r = greedy(ms, s + 1, p, ep);
			break;
		}
		if (ep < ms->pat_end && *ep == '*') {
			r = greedy(ms, s, p, ep);
			break;
		}
		if (ep < ms->pat_end && *ep == '-') {
			r = lazy(ms, s, p, ep);
			break;
		}
		s++;
		p = ep;
	}
	ms->depth--;
	return r;
}

const char *lpat_match(lpat_state *ms, const char *s)
{
	ms->level = 0;
	ms->depth = 0;
	return item(ms, s, ms->pat);
}
