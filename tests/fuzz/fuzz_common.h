/*
 * fuzz_common.h: shared by the libFuzzer harnesses (make fuzz): the
 * knowledge base every harness runs against (FUZZ_KB, default
 * build-fuzz/kb.sqlite), loaded once, and stdin/stdout redirection so that
 * a front end reads the fuzzer's bytes as its input.
 */
#ifndef TR_FUZZ_COMMON_H
#define TR_FUZZ_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "model.h"
#include "store.h"

static cli fuzz_cli;

/* Opens the knowledge base once; aborts (a harness setup error) if it cannot. */
static void fuzz_open_kb(void)
{
	const char *kb = getenv("FUZZ_KB");

	if (fuzz_cli.m)
		return;
	fuzz_cli.kb_path = kb && *kb ? kb : "build-fuzz/kb.sqlite";
	if (store_open(fuzz_cli.kb_path, STORE_READ, &fuzz_cli.db, &fuzz_cli.err) != TR_OK ||
	    model_load(fuzz_cli.db, &fuzz_cli.m, &fuzz_cli.err) != TR_OK) {
		fprintf(stderr, "fuzz: %s\n", fuzz_cli.err.msg);
		abort();
	}
}

/* Runs handler with stdin reading data[0..size) and stdout discarded. */
static int fuzz_with_stdin(int (*handler)(cli *), const uint8_t *data, size_t size,
			   int argc, char **argv)
{
	FILE *in = fmemopen(size ? (void *)data : (void *)"", size ? size : 1, "r");
	FILE *saved_in = stdin, *saved_out = stdout, *null = fopen("/dev/null", "w");
	int rc;

	if (!in || !null)
		abort();
	stdin = in;
	stdout = null;
	fuzz_cli.argc = argc;
	fuzz_cli.argv = argv;
	tr_clear(&fuzz_cli.err);
	rc = handler(&fuzz_cli);
	stdin = saved_in;
	stdout = saved_out;
	fclose(in);
	fclose(null);
	return rc;
}

#endif
