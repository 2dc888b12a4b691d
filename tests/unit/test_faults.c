/*
 * test_faults.c: fault injection over opening a knowledge base, starting,
 * answering, saving and resuming sessions. Two kinds of fault, each at
 * every point where it can strike (N = 1, 2, ... until the scenario runs
 * through without reaching N):
 *   - an SQLite VFS shim that fails the Nth file operation (SQLITE_IOERR,
 *     or SQLITE_FULL for writes: a full disk);
 *   - SQLite's allocator failing its Nth allocation (out of memory; every
 *     N up to 8, then in steps of N/8).
 * Every N must give success or a clear error (no crash; under make asan
 * no leak), and afterwards the knowledge base and the session file still
 * open, and the session saved before the fault still resumes, whole.
 *
 * The engine's own allocations (xmalloc) abort on failure by policy (see
 * the README's Robustness section), so only SQLite's are injected.
 */
#include "testkit.h"
#include "kbtext.h"
#include "sessdb.h"
#include "session.h"

/* ---- the failing VFS ---- */

static sqlite3_vfs *real_vfs;
static long countdown = -1;      /* fail when it reaches 0; <0 never */
static long hits;                /* operations seen */

static int strike(void)
{
	hits++;
	return countdown >= 0 && countdown-- == 0;
}

typedef struct { sqlite3_file base; sqlite3_file *real; } ffile;

#define REAL(f) (((ffile *)(f))->real)

static int f_close(sqlite3_file *f)
{
	int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;

	sqlite3_free(REAL(f));
	return rc;
}
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off)
{
	return strike() ? SQLITE_IOERR_READ : REAL(f)->pMethods->xRead(REAL(f), b, n, off);
}
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off)
{
	return strike() ? SQLITE_FULL : REAL(f)->pMethods->xWrite(REAL(f), b, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return strike() ? SQLITE_IOERR_TRUNCATE : REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags)
{
	return strike() ? SQLITE_IOERR_FSYNC : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return strike() ? SQLITE_IOERR_FSTAT : REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int f_reserved(sqlite3_file *f, int *r) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int f_control(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int f_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int f_chars(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }

static const sqlite3_io_methods fmethods = {
	1, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock, f_unlock, f_reserved,
	f_control, f_sector, f_chars, NULL, NULL, NULL, NULL, NULL, NULL,
};

static int v_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	ffile *ff = (ffile *)f;
	int rc;

	(void)v;
	ff->base.pMethods = NULL;
	if (strike())
		return SQLITE_CANTOPEN;
	if (!(ff->real = sqlite3_malloc(real_vfs->szOsFile)))
		return SQLITE_NOMEM;
	memset(ff->real, 0, (size_t)real_vfs->szOsFile);
	rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out);
	if (rc != SQLITE_OK) {
		sqlite3_free(ff->real);
		return rc;
	}
	ff->base.pMethods = &fmethods;
	return SQLITE_OK;
}
static int v_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return strike() ? SQLITE_IOERR_DELETE : real_vfs->xDelete(real_vfs, name, sync);
}
static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return strike() ? SQLITE_IOERR_ACCESS : real_vfs->xAccess(real_vfs, name, flags, out);
}
static int v_full(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static int v_random(sqlite3_vfs *v, int n, char *out) { (void)v; return real_vfs->xRandomness(real_vfs, n, out); }
static int v_sleep(sqlite3_vfs *v, int us) { (void)v; return real_vfs->xSleep(real_vfs, us); }
static int v_time(sqlite3_vfs *v, double *t) { (void)v; return real_vfs->xCurrentTime(real_vfs, t); }
static int v_err(sqlite3_vfs *v, int n, char *out) { (void)v; return real_vfs->xGetLastError(real_vfs, n, out); }

static sqlite3_vfs fault_vfs;

static void install_vfs(void)
{
	if (real_vfs)
		return;
	real_vfs = sqlite3_vfs_find(NULL);
	fault_vfs = (sqlite3_vfs){
		1, (int)sizeof(ffile), real_vfs->mxPathname, NULL, "fault", NULL,
		v_open, v_delete, v_access, v_full, NULL, NULL, NULL, NULL,
		v_random, v_sleep, v_time, v_err, NULL, NULL, NULL, NULL,
	};
	sqlite3_vfs_register(&fault_vfs, 1);
}

/* ---- SQLite's allocator, failing the Nth allocation ---- */

static sqlite3_mem_methods real_mem;
static long mem_countdown = -1, mem_hits;

static void *m_malloc(int n)
{
	mem_hits++;
	if (mem_countdown >= 0 && mem_countdown-- == 0)
		return NULL;
	return real_mem.xMalloc(n);
}
static void *m_realloc(void *p, int n)
{
	mem_hits++;
	if (mem_countdown >= 0 && mem_countdown-- == 0)
		return NULL;
	return real_mem.xRealloc(p, n);
}

static void install_mem(void)
{
	static int done;
	sqlite3_mem_methods m;

	if (done)
		return;
	done = 1;
	sqlite3_shutdown();
	sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem);
	m = real_mem;
	m.xMalloc = m_malloc;
	m.xRealloc = m_realloc;
	sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
	sqlite3_initialize();
}

/* ---- the scenario ---- */

typedef struct {
	char *dir, *kb, *sessions;
	sqlite3_int64 saved;        /* a session saved before any fault */
	int saved_events;
} world;

/* Opens the knowledge base (phase 0 stops there), starts a session,
 * answers, saves it twice (a new row, then an update), resumes it. The
 * fault is armed (countdown = arm) at the start in phase 0, after the
 * knowledge base is loaded in phase 1: each phase's operations are
 * counted from 0. Returns TR_OK or the first error. */
static int scenario(const world *w, int phase, long arm, tr_err *e)
{
	sqlite3 *kb = NULL, *sdb = NULL;
	tr_model *m = NULL;
	session *s = NULL, *back = NULL;
	sqlite3_int64 id = 0;
	int rc;

	hits = 0;
	countdown = phase == 0 ? arm : -1;
	if ((rc = store_open(w->kb, STORE_READ, &kb, e)) != TR_OK)
		goto out;
	if ((rc = model_load(kb, &m, e)) != TR_OK || phase == 0)
		goto out;
	countdown = arm;
	hits = 0;
	if ((rc = session_open(m, 1, &s, e)) != TR_OK)
		goto out;
	if ((rc = session_add(s, EV_GIVEN, "host_kind", "server", e)) != TR_OK ||
	    (rc = session_answer(s, "unknown", e)) != TR_OK)
		goto out;
	if ((rc = sessdb_open(w->sessions, &sdb, e)) != TR_OK)
		goto out;
	if ((rc = sessdb_save(sdb, s, NULL, NULL, &id, e)) != TR_OK)
		goto out;
	if ((rc = session_answer(s, "unknown", e)) != TR_OK || (rc = sessdb_save(sdb, s, NULL, NULL, &id, e)) != TR_OK)
		goto out;
	rc = sessdb_load(sdb, id, m, 1, &back, NULL, NULL, e);
out:
	countdown = -1;
	session_free(back);
	session_free(s);
	model_free(m);
	sqlite3_close(sdb);
	sqlite3_close(kb);
	return rc;
}

/* With faults off: both files open, and the session saved first resumes
 * with all its events. */
static void assert_intact(const world *w, const char *what, long n)
{
	sqlite3 *kb = NULL, *sdb = NULL;
	tr_model *m = NULL;
	session *s = NULL;
	const session_event *ev;
	tr_err e;

	tr_clear(&e);
	if (store_open(w->kb, STORE_READ, &kb, &e) != TR_OK || model_load(kb, &m, &e) != TR_OK)
		fail_msg("%s at %ld: the knowledge base no longer opens: %s", what, n, e.msg);
	if (sessdb_open(w->sessions, &sdb, &e) != TR_OK)
		fail_msg("%s at %ld: the session file no longer opens: %s", what, n, e.msg);
	if (sessdb_load(sdb, w->saved, m, 1, &s, NULL, NULL, &e) != TR_OK)
		fail_msg("%s at %ld: the session saved before is lost: %s", what, n, e.msg);
	assert_int_equal(session_events(s, &ev), w->saved_events);
	session_free(s);
	model_free(m);
	sqlite3_close(sdb);
	sqlite3_close(kb);
}

static int setup(void **state)
{
	world *w = calloc(1, sizeof *w);
	sqlite3 *kb, *sdb;
	tr_model *m;
	session *s;
	tr_err e;
	const session_event *ev;

	install_mem();              /* first: it restarts SQLite, which resets the VFS list */
	install_vfs();
	if (access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);   /* thousands of runs: no disk syncs */
	w->dir = tk_mkdtemp();
	w->kb = tk_fmt("%s/kb.sqlite", w->dir);
	w->sessions = tk_fmt("%s/sessions.sqlite", w->dir);
	tr_clear(&e);
	if (kbtext_build(".", w->kb, NULL, NULL, &e) != TR_OK)
		fail_msg("kb build: %s", e.msg);
	if (store_open(w->kb, STORE_READ, &kb, &e) != TR_OK || model_load(kb, &m, &e) != TR_OK ||
	    session_open(m, 1, &s, &e) != TR_OK || session_add(s, EV_GIVEN, "port_3389_open", "no", &e) != TR_OK ||
	    sessdb_open(w->sessions, &sdb, &e) != TR_OK || sessdb_save(sdb, s, NULL, NULL, &w->saved, &e) != TR_OK)
		fail_msg("setup: %s", e.msg);
	w->saved_events = session_events(s, &ev);
	session_free(s);
	model_free(m);
	sqlite3_close(sdb);
	sqlite3_close(kb);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world *w = *state;

	tk_rmrf(w->dir);
	free(w->dir); free(w->kb); free(w->sessions); free(w);
	return 0;
}

/* Injects an I/O error at every operation of one phase of the scenario. */
static void io_errors(world *w, int phase, const char *what, long at_least)
{
	long n, failed = 0;

	for (n = 0;; n += phase == 0 && n >= 64 ? n / 32 : 1) {
		tr_err e;

		int rc;
		long seen;

		tr_clear(&e);
		rc = scenario(w, phase, n, &e);
		seen = hits;
		if (rc != TR_OK) {
			failed++;
			if (!e.msg[0])
				fail_msg("I/O error at operation %ld of %s: failed without a message", n, what);
		}
		/* after every fault that surfaced, and every 16th absorbed one */
		if (rc != TR_OK || n % 16 == 0)
			assert_intact(w, what, n);
		if (seen <= n)              /* the phase ran through without reaching N */
			break;
	}
	print_message("%s: I/O errors injected at %ld of its operations; %ld gave a clear error, "
		      "the rest were absorbed\n", what, n, failed);
	assert_true(n >= at_least);
	assert_true(failed > 0);
}

static void test_every_io_error_opening_a_kb_gives_success_or_a_clear_error(void **state)
{
	/* every operation up to 64, then in steps of N/32 (the reads of a
	 * large file are alike) */
	io_errors(*state, 0, "opening the knowledge base", 20);
}

static void test_every_io_error_in_a_session_gives_success_or_a_clear_error(void **state)
{
	/* saving twice and resuming; the disk is full for every write struck */
	io_errors(*state, 1, "starting, answering, saving and resuming", 20);
}

static void test_every_sqlite_allocation_failure_gives_success_or_a_clear_error(void **state)
{
	world *w = *state;
	long n, failed = 0;

	for (n = 0;; n += 1 + n / 8) {
		tr_err e;
		long seen;
		int rc;

		tr_clear(&e);
		mem_countdown = n;
		mem_hits = 0;
		rc = scenario(w, 1, -1, &e);
		mem_countdown = -1;
		seen = mem_hits;
		if (rc != TR_OK) {
			failed++;
			if (!e.msg[0])
				fail_msg("allocation failure at %ld: failed without a message", n);
		}
		if (rc != TR_OK || n % 16 == 0)
			assert_intact(w, "allocation failure", n);
		if (seen <= n)
			break;
	}
	print_message("SQLite allocation failures injected up to allocation %ld; %ld gave a clear error\n",
		      n, failed);
	assert_true(failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_io_error_opening_a_kb_gives_success_or_a_clear_error),
		cmocka_unit_test(test_every_io_error_in_a_session_gives_success_or_a_clear_error),
		cmocka_unit_test(test_every_sqlite_allocation_failure_gives_success_or_a_clear_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
