/*
 * luapat.h: Lua 5.4 pattern matching that charges its work to a budget.
 * The same semantics as Lua's string patterns (classes, sets, quantifiers,
 * captures and position captures, %b, %f, back references, anchors are the
 * caller's), written afresh so that every step is counted: a matcher that
 * has spent the budget stops with LPAT_EBUDGET instead of running on inside
 * one C call. No Lua dependency: rules.c builds find/match/gmatch/gsub on it.
 */
#ifndef TR_LUAPAT_H
#define TR_LUAPAT_H
#include <stddef.h>

#define LPAT_MAXCAPS 32      /* captures per pattern, as in Lua */
#define LPAT_MAXDEPTH 200    /* nested match calls ("pattern too complex") */
#define LPAT_POSITION (-2)   /* capture length of a position capture () */
#define LPAT_OPEN (-1)       /* capture length of a capture not yet closed */

enum lpat_status { LPAT_OK, LPAT_ESYNTAX, LPAT_EBUDGET };

typedef struct {
	const char *init;        /* where the capture starts in the subject */
	ptrdiff_t len;           /* its length, LPAT_POSITION or LPAT_OPEN */
} lpat_cap;

/* One matching: the subject, the pattern, the captures and the meter.
 * Fields are read by the caller after lpat_match; set them with lpat_init. */
typedef struct {
	const char *src, *src_end;   /* the subject */
	const char *pat, *pat_end;   /* the pattern (after any '^' the caller took) */
	long *steps;                 /* the shared meter, charged one per step */
	long limit;                  /* LPAT_EBUDGET once *steps exceeds it */
	int level;                   /* captures open or closed so far */
	int depth;                   /* nesting of match calls */
	int status;                  /* enum lpat_status */
	char msg[80];                /* the error, Lua's wording, when status is LPAT_ESYNTAX */
	lpat_cap cap[LPAT_MAXCAPS];
} lpat_state;

/* Prepares ms for subject s[0..ls) and pattern p[0..lp); steps is charged
 * and compared with limit. Neither text needs a terminating NUL. */
void lpat_init(lpat_state *ms, const char *s, size_t ls, const char *p, size_t lp,
	       long *steps, long limit);

/* Tries the pattern at subject position s (src <= s <= src_end), from a
 * fresh capture state. Returns the end of the match, or NULL: no match when
 * ms->status is LPAT_OK, else an error (a malformed pattern, or the budget
 * spent). */
const char *lpat_match(lpat_state *ms, const char *s);

/* Charges n steps to ms's meter; returns 0, or -1 (status LPAT_EBUDGET)
 * once the meter passes the limit. */
int lpat_charge(lpat_state *ms, long n);

/* Whether the pattern p[0..lp) uses any special character (else a plain
 * substring search gives the same answer). */
int lpat_has_specials(const char *p, size_t lp);

/* Plain substring search for p[0..lp) in s[0..ls), charging one step per
 * 64 bytes compared. Returns the first occurrence or NULL (check status). */
const char *lpat_find_plain(lpat_state *ms, const char *s, size_t ls, const char *p, size_t lp);

#endif
