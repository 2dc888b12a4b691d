/*
 * fuzz_shell.c: libFuzzer harness for the shell's command-line parser and
 * commands: the input is what a person types (shell.c, reading a pipe).
 * Inputs holding '/' or '~' are skipped: `export FILE` must not write
 * outside the fuzzer's scratch directory (FUZZ_SCRATCH, the working dir).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (memchr(data, '/', size) || memchr(data, '~', size) || memchr(data, '\\', size))
		return -1;
	if (!ready) {
		const char *scratch = getenv("FUZZ_SCRATCH");
		char path[4096];

		fuzz_open_kb();
		if (!scratch || chdir(scratch) != 0)
			abort();
		/* sessions are saved after every step: keep their syncs off the disk */
		if (access("/dev/shm", W_OK) == 0)
			snprintf(path, sizeof path, "/dev/shm/triage-fuzz-%ld.sqlite", (long)getpid());
		else
			snprintf(path, sizeof path, "%s/sessions.sqlite", scratch);
		setenv("TRIAGE_SESSIONS", path, 1);
		ready = 1;
	}
	fuzz_with_stdin(shell_cmd, data, size, 0, NULL);
	return 0;
}
