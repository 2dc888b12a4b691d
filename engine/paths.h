/*
 * paths.h: where triage finds its files: the default knowledge base (beside
 * the executable, or in ../share/triage when installed) and the user's
 * session file (XDG data directory).
 */
#ifndef TR_PATHS_H
#define TR_PATHS_H
#include <stddef.h>

/* Writes the knowledge base to use into out: flag when not NULL, else
 * $TRIAGE_KB, else the default beside the executable. Returns out. */
const char *paths_kb(const char *flag, char *out, size_t n);

/* Writes the user's session file path into out ($TRIAGE_SESSIONS, else
 * $XDG_DATA_HOME/triage/sessions.sqlite, else ~/.local/share/...), creating
 * the default's directory (never $TRIAGE_SESSIONS's: a typo there is an
 * error, see sessdb_open). Returns out, or NULL when no home can be found. */
const char *paths_sessions(char *out, size_t n);

#endif
