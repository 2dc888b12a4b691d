/*
 * kbedit.h: changing a live knowledge base in place, one checked change at
 * a time, with its history (schema/006_change_history.sql). A change is
 * validated by kb build's own code (kbtext.h): under the write lock the
 * base is dumped to a private text tree, the change is made there, the
 * tree is built, and only a build that passes is copied back, in the same
 * transaction that records the change. Uses kbtext.h, store.h, jansson.
 */
#ifndef TR_KBEDIT_H
#define TR_KBEDIT_H
#include <stdio.h>
#include <jansson.h>
#include "buf.h"
#include "err.h"
#include "kbtext.h"

typedef struct kbedit kbedit;

/* Opens the knowledge base at path for one change: read-write, migrated in
 * place when older, and the write lock taken up front
 * (BEGIN IMMEDIATE, waiting up to $TRIAGE_EDIT_WAIT seconds, default 30,
 * for another editor), then dumps it to a private text tree. Fails with
 * one line: the file cannot be written (and why), or "PATH is being edited
 * by WHO (pid N, since T)". On TR_OK the caller owns *out (kbedit_end). */
int kbedit_begin(const char *path, kbedit **out, tr_err *e);

/* The record kind/id as the change stands so far, in the dump's shape
 * (a rule: its fields and "source"); NULL when there is none. Caller
 * json_decref. */
json_t *kbedit_get(kbedit *k, enum kb_kind kind, const char *id);

/* Puts record (the dump's shape; a rule needs only "id" and "source") in
 * place of kind/id, or removes it when record is NULL. Nothing is checked
 * until kbedit_commit. Returns TR_OK, or TR_ERR with e set. */
int kbedit_put(kbedit *k, enum kb_kind kind, const char *id, json_t *record, tr_err *e);

/* Appends to out "cause x (evidence), rule y (reads)" for every record that
 * refers to kind/id as the change stands; returns how many. */
int kbedit_referrers(kbedit *k, enum kb_kind kind, const char *id, buf *out);

/* Removes kind/id and changes every record that refers to it so that it
 * no longer does: a cause's evidence on a fact, a condition on it, a fix's
 * resolves of a cause (a fix left resolving nothing goes too), a rule that
 * reads the fact (rules are code: removed whole), a citation of a source.
 * Appends one line per other record touched to out ("changes cause x: ...",
 * "removes rule y"). Returns TR_OK or TR_ERR. */
int kbedit_cascade(kbedit *k, enum kb_kind kind, const char *id, buf *out, tr_err *e);

/* Keys of `kb show --json` that are derived from other records, so never
 * stored with this one: given (as the editor wrote it) is compared with the
 * record as built, and a difference refuses the change. Call before commit;
 * given is kept (a reference is taken). */
void kbedit_expect(kbedit *k, enum kb_kind kind, const char *id, json_t *given);

/* What kbedit_commit does with a change that passes. */
enum kbedit_mode { KBEDIT_APPLY, KBEDIT_DRY_RUN };

/* Builds the tree as changed (kb build's validation, whole), then in
 * KBEDIT_APPLY mode copies it into the file with the change recorded
 * (op: "add", "edit", "rm", "revert"; message; who: $TRIAGE_EDITOR or the
 * login name; reverts: the change undone, or 0) and the version advanced,
 * and commits (then switches the file to WAL, so that readers never wait
 * for an editor); in KBEDIT_DRY_RUN mode rolls back. Reports each record
 * changed (fields before -> after) on report, and the change number.
 * Returns TR_OK; TR_ERR with e naming the record and field when the change
 * is refused (the file is then byte-for-byte as it was); or TR_OK with
 * nothing done and "nothing to change" on report. */
int kbedit_commit(kbedit *k, const char *op, const char *message, long reverts,
		  enum kbedit_mode mode, FILE *report, tr_err *e);

/* Builds the tree as changed into a new knowledge base at out_path (which
 * must not exist), without touching the live file or recording anything:
 * the "after" side for a comparison (kbdiff_report(live path, out_path,
 * ...)). May come before kbedit_commit on the same change (the version
 * advances once). Returns TR_OK, or TR_ERR with e naming the record and
 * field when kb build refuses the change. */
int kbedit_apply_to_copy(kbedit *k, const char *out_path, tr_err *e);

/* Writes to out_path (which must not exist) the knowledge base at path as
 * it was before its newest recorded change: a copy with that change
 * reverted (the copy's history says so; path is only read). *change
 * receives the change's number. TR_ERR naming the file when its history
 * holds no change (or it has none: an older or foreign file). */
int kbedit_before_newest(const char *path, const char *out_path, long *change, tr_err *e);

/* Rolls back whatever was not committed, releases the lock, removes the
 * private tree, closes. NULL is fine. */
void kbedit_end(kbedit *k);

/* Puts back what change id changed (each record's "before"), as a new
 * change of op "revert". Refused, naming the record and the later change,
 * when a record has changed since. */
int kbedit_revert(kbedit *k, long id, tr_err *e);

/* Prints the history of db (newest first; only changes touching record
 * when not NULL) to out, as text or as one JSON array. */
int kbedit_log(sqlite3 *db, const char *record, int json, FILE *out, tr_err *e);

/* Appends to note what changed in db since version (the version a session
 * was saved on), one clause per record of ids (NULL-terminated) that a
 * change touched: "cause x edited by alice (change 4: 'why')". Returns how
 * many changes were named; 0 when the history does not reach back to
 * version, or nothing the ids name changed. */
int kbedit_since(sqlite3 *db, const char *version, const char *const *ids, buf *note);

/* For a session resumed on a changed knowledge base: appends to *note
 * (realloc'd; may start NULL) what the history of kbdb says changed since
 * version for the records the session involves (the facts and fixes of its
 * events, its five likeliest causes and their fixes). Nothing when the
 * history does not reach back to version. */
struct session;
void kbedit_session_note(sqlite3 *kbdb, const char *version, struct session *s, char **note);

#endif
