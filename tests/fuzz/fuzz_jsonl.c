/*
 * fuzz_jsonl.c: libFuzzer harness for the JSON Lines front end: the input
 * is what a front end writes to `triage session --jsonl` (jsonl.c's line
 * reader, request parser and every session call behind it).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a0[] = "--jsonl";
	char *argv[] = { a0, NULL };

	fuzz_open_kb();
	fuzz_with_stdin(jsonl_cmd_session, data, size, 1, argv);
	return 0;
}
