/*
 * slot.h: typed free-text facts and {{slot}} templates. A free-text fact
 * declares the kind of value it holds (a host name, a port...); a value is
 * checked against its kind when given. A template's {{slot}} is filled by
 * quoting the value for the shell that runs the text, so that no value can
 * end its argument or start another command; a value that cannot be quoted
 * safely there leaves the slot unfilled, shown as <slot>. Pure functions.
 */
#ifndef TR_SLOT_H
#define TR_SLOT_H
#include "buf.h"
#include "err.h"

/* The kinds of free text. SLOT_TEXT (the default) is any printable text. */
enum slot_kind { SLOT_TEXT, SLOT_HOST, SLOT_IP, SLOT_AZURE_NAME, SLOT_PORT, SLOT_PATH,
		 SLOT_NAME, SLOT_NKINDS };

/* "text", "host", "ip", "azure_name", "port", "path", "name", by kind. */
extern const char *const slot_kind_names[SLOT_NKINDS];

/* The kind named name, or -1. */
int slot_kind_of(const char *name);

/* Longest free-text value, in bytes. */
#define SLOT_MAX 256

/* Checks value against kind. On TR_EUSAGE e says, on one line, what value
 * is not and what it must be ("'x;y' is not a host name or IP address:
 * ..."). Every kind refuses control characters, invalid UTF-8, invisible
 * and bidirectional format characters and values over SLOT_MAX bytes. */
int slot_check(enum slot_kind kind, const char *value, tr_err *e);

/* Finds the value for slot name (n bytes); NULL when none. A value that
 * slot_check refused is never returned. */
typedef const char *(*slot_lookup)(const void *ctx, const char *name, size_t n);

/* What a render left unfilled: each slot once, with why (NULL when no value
 * is known, else why the value could not be quoted for this shell). */
#define SLOT_MISS_MAX 16
typedef struct slot_miss {
	char name[65];
	const char *why;
} slot_miss;
typedef struct slot_report {
	slot_miss v[SLOT_MISS_MAX];
	int n;
} slot_report;

/* Renders text, filling each {{slot}} through lookup. shell is the shell
 * that runs the text ("powershell", "cmd", "reg", "azure-cli"), or "gui" or
 * NULL for text a person reads (filled as given). An unfilled slot is shown
 * as <slot>. rep (may be NULL) receives the slots left unfilled. The
 * caller frees the result. */
char *slot_render(const char *text, const char *shell, slot_lookup lookup, const void *ctx,
		  slot_report *rep);

/* Quotes value for shell at a point of a command whose text before it is
 * prefix (which says whether the slot sits inside quotes). Appends to out
 * and returns TR_OK, or returns TR_ERR with *why saying what the shell
 * cannot take (out unchanged). */
int slot_quote(const char *shell, const char *prefix, size_t nprefix, const char *value,
	       buf *out, const char **why);

#endif
