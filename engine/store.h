/*
 * store.h: opening, checking and migrating SQLite files of triage.
 * A knowledge base carries application_id STORE_APP_ID and user_version =
 * its schema version; the schema is the numbered scripts in schema/,
 * compiled in. The user's session file is a second, smaller schema.
 * Uses SQLite only.
 */
#ifndef TR_STORE_H
#define TR_STORE_H
#include <sqlite3.h>
#include "err.h"

#define STORE_APP_ID 0x54726961      /* "Tria": a knowledge base */
#define STORE_SESSION_APP_ID 0x54726953 /* "TriS": a user's session file */

enum store_mode {
	STORE_READ,   /* read-only; an older schema is migrated in a private in-memory copy */
	STORE_WRITE,  /* read-write; an older schema is migrated in place, in one transaction */
	STORE_CREATE, /* a new file at a path that must not exist yet */
	STORE_EDIT    /* as STORE_WRITE, but the journal mode is left as the file has
		       * it: an editor's refused change must leave the file's bytes
		       * as they were (kbedit.c switches to WAL after a commit) */
};

/* Opens the knowledge base at path in mode. On TR_OK *out is an open handle
 * with foreign keys on, owned by the caller (sqlite3_close_v2). On failure
 * *out is NULL, e says "PATH: what is wrong" in one line, and the file was
 * neither created nor changed. */
int store_open(const char *path, enum store_mode mode, sqlite3 **out, tr_err *e);

/* Opens (creating it and its schema when missing) the user's session file
 * at path, read-write. Same contract as store_open. */
int store_open_sessions(const char *path, sqlite3 **out, tr_err *e);

/* Fails e with why reading db went wrong: "corrupt database: ..." when
 * SQLite found a damaged page (opening to read does not check every page:
 * store.c), else "cannot read the knowledge base: ...". Returns TR_ERR. */
int store_read_fail(sqlite3 *db, tr_err *e);

/* The schema version this build writes and reads. */
int store_schema_version(void);

/* Runs the knowledge-base migrations after version from (0 for a new file)
 * on db inside one transaction and stamps the application id and version.
 * Returns TR_OK or TR_ERR with e set; on failure nothing is changed. */
int store_migrate(sqlite3 *db, int from, tr_err *e);

/* Removes the SQLite file at path and what SQLite keeps beside it (its
 * -wal, -shm and -journal files), ignoring any that is missing: for the
 * private copies a command makes and throws away. */
void store_unlink(const char *path);

#endif
