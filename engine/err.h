/*
 * err.h: the one error convention of the engine.
 * Every fallible function returns an int result code (TR_OK on success) and,
 * on failure, leaves a one-line message in a caller-owned tr_err.
 * Codes double as process exit statuses: 0 ok, 1 failure, 2 usage error.
 */
#ifndef TR_ERR_H
#define TR_ERR_H

enum {
	TR_OK = 0,     /* success */
	TR_ERR = 1,    /* the operation failed; the message says why */
	TR_EUSAGE = 2  /* the caller asked for something malformed */
};

typedef struct tr_err {
	int code;          /* last code set, TR_OK when clear */
	char msg[1024];    /* one line, no trailing newline */
} tr_err;

/* Sets e (may be NULL) to code and the printf-style message; returns code. */
int tr_fail(tr_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clears e to TR_OK with an empty message. */
void tr_clear(tr_err *e);

#endif
