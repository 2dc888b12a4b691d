/*
 * kbask.h: `kb add KIND` on a terminal without --json: asks for each field
 * of a new record with its meaning and allowed values (libedit, as the
 * shell reads), opens long texts and a rule's source in $VISUAL/$EDITOR
 * with a template, shows the record and asks to confirm. It only gathers:
 * the change is checked by kbedit.c as any other.
 */
#ifndef TR_KBASK_H
#define TR_KBASK_H
#include <jansson.h>
#include <sqlite3.h>
#include "err.h"
#include "kbtext.h"

/* Asks for a new record of kind, reading ids and values from db (the live
 * file, for the facts, sources, causes and fixes that may be named).
 * Returns a JSON list of what to add, each with its "kind" (a new cause
 * comes with its new fix), and in *links the resolves links to add to
 * existing fixes ({"fix", "cause", "p", "why"}; caller json_decref both);
 * NULL with e set when the editor stops (end of input, "no" at the end). */
json_t *kbask_record(enum kb_kind kind, sqlite3 *db, json_t **links, tr_err *e);

/* Runs $VISUAL, else $EDITOR, else vi, on path (its words, then the file,
 * as git does). Returns 0 when it exits with status 0. */
int kbask_editor(const char *path);

#endif
