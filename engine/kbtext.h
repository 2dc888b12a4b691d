/*
 * kbtext.h: the knowledge base as text (kb/ JSON files and rules/ Lua
 * files) to and from SQLite. One function builds a record's JSON for a
 * dump and for `kb show/list --json`; the latter ("full") adds the links
 * both ways and gives a fact's values as plain strings, with the value
 * objects of the dump under "choices".
 * Uses jansson, SQLite (store.h) and the rule sandbox (rules.h).
 */
#ifndef TR_KBTEXT_H
#define TR_KBTEXT_H
#include <stdio.h>
#include <jansson.h>
#include <sqlite3.h>
#include "buf.h"
#include "err.h"

/* Builds a knowledge base at out from dir/kb and dir/rules. The file is
 * written whole or not at all: a temporary file renamed into place. An
 * existing out that is not a triage knowledge base is never overwritten.
 * Errors name the source file and the field; every rule has a dry run
 * (each declared fact's values), so an undeclared read fails the build.
 * On success report (may be NULL) gets one line of counts. When there are
 * several errors, errs (may be NULL) gets each (up to 20) as a line
 * "triage: ...", and e says how many; with one error, or without errs, e
 * holds the first. */
int kbtext_build(const char *dir, const char *out, FILE *report, FILE *errs, tr_err *e);

/* As kbtext_build (report and errs NULL), without the model image
 * (image.h): for a build made only to be read back and thrown away (kb
 * edit's check of a change, kb check's rebuild), which a session never
 * opens. */
int kbtext_build_plain(const char *dir, const char *out, tr_err *e);

/* Appends to out one line ("fix x: {{slot}} ...\n") for each template slot
 * in a text of db that no free-text fact declares ("slot") and no rule
 * fills by name (a literal fill("slot", ...) in its source); returns how
 * many. `kb build` prints them as warnings. */
int kbtext_slots(sqlite3 *db, buf *out);

/* Writes db as dir/kb and dir/rules (created when missing), byte-for-byte
 * canonical. When a file there differs from what db holds, or a record
 * file in kb/facts, kb/causes, kb/fixes or rules is not in db, nothing is
 * written (TR_ERR, e names them) unless force; then those files are
 * replaced or removed and each is named on report. Other files are never
 * touched. */
int kbtext_dump(sqlite3 *db, const char *dir, int force, FILE *report, tr_err *e);

/* The record kinds, in the order `kb list` knows them. */
enum kb_kind { KB_FACT, KB_CAUSE, KB_FIX, KB_RULE, KB_SOURCE, KB_NKINDS };
extern const char *const kbtext_kinds[KB_NKINDS]; /* "fact", "cause", ... */

/* Returns the record id of kind as a new JSON object (caller json_decref),
 * with links both ways (a cause's fixes, a fix's causes) when full is set;
 * NULL with e set when there is none. */
json_t *kbtext_record(sqlite3 *db, enum kb_kind kind, const char *id, int full, tr_err *e);

/* Finds which kind id is; returns 0 and sets *kind, or -1 when none. */
int kbtext_kind_of(sqlite3 *db, const char *id, enum kb_kind *kind);

/* The checksum of record id of kind as db holds it now: FNV-1a (64 bits,
 * as 16 hex digits in out) over its canonical JSON, the dump's. kb build
 * stores it in record_checksum; a command that edits a record must store
 * the new one, or kb check names the record as changed behind triage's
 * back. A checksum catches accidents (a bad disk, a hand edit), not an
 * attacker, who can recompute it. Returns 0, or -1 with e set. */
int kbtext_checksum(sqlite3 *db, enum kb_kind kind, const char *id, char out[17], tr_err *e);

/* Calls fn for each id of kind in id order; stops at the first non-zero. */
int kbtext_each(sqlite3 *db, enum kb_kind kind, int (*fn)(const char *id, void *ctx), void *ctx);

#endif
