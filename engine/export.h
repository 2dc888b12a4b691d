/*
 * export.h: Markdown fix guides and session reports (CommonMark).
 * Knowledge-base text is escaped, commands come out exactly as stored in
 * fenced code blocks tagged with their shell, no raw HTML passes through,
 * and links are http(s) only. Files are written atomically.
 * Uses model.h, session.h and explain.h.
 */
#ifndef TR_EXPORT_H
#define TR_EXPORT_H
#include "buf.h"
#include "err.h"
#include "model.h"
#include "session.h"

/* The knowledge base (cause NULL) or one cause as a fix guide. TR_ERR
 * when cause names no cause. */
int export_guide(const tr_model *m, const char *cause, buf *out, tr_err *e);

/* The report of a session: questions and answers, the ranking, fixes tried
 * and their outcome, the recommended next fix and why. */
void export_session(session *s, buf *out);

/* export_session under a heading of the caller's (NULL: "Troubleshooting
 * session"), with a note below it (NULL: none), such as what sessdb_load
 * said changed since the session was saved. */
void export_session_titled(session *s, const char *title, const char *note, buf *out);

/* The hand-over note of a session for the next tier: what is known (each
 * fact and where it came from), the fixes that failed, the ranking, and
 * the steps beyond the session's reach in planned order (session_handover)
 * with what each needs and its commands. title NULL: "Hand-over";
 * technician (NULL or "": none) is named as the one handing over. */
void export_handover(session *s, const char *title, const char *technician, buf *out);

/* Causes against the facts that tell them apart. */
void export_coverage(const tr_model *m, buf *out);

/* Writes text to path through a temporary file in the same directory and
 * a rename; path NULL or "-" writes stdout. On error nothing is left behind
 * and e names the file and the reason. An existing SQLite file (a knowledge
 * base, a session file) is never overwritten. */
int export_write(const char *path, const buf *text, tr_err *e);

#endif
