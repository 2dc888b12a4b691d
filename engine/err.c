/*
 * err.c: setting and clearing tr_err (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include "err.h"

int tr_fail(tr_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

void tr_clear(tr_err *e)
{
	e->code = TR_OK;
	e->msg[0] = '\0';
}
