/*
 * kbcheck.h: `triage kb check`: verifies a knowledge-base file. SQLite's
 * full integrity check, the application id, the schema version and the
 * schema itself, every record valid as kb build would validate it, and
 * every record's checksum (kbtext_checksum) against the one stored at
 * build time, so that a record changed behind triage's back is named.
 * Uses SQLite, store.h and kbtext.h.
 */
#ifndef TR_KBCHECK_H
#define TR_KBCHECK_H
#include "buf.h"
#include "err.h"

/* Checks the knowledge base at path (opened read-only; never changed) and
 * appends one line per problem to out ("fix renew_x: changed outside
 * triage ..."). Returns the number of problems, or -1 with e set when the
 * check itself could not run (no such file). */
int kbcheck_run(const char *path, buf *out, tr_err *e);

#endif
