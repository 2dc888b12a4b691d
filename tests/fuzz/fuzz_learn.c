/*
 * fuzz_learn.c: libFuzzer harness for `kb learn`'s input, the exported
 * sessions that come from many technicians' machines (learn.c's reader,
 * the replay of each session on the knowledge base, the estimate and the
 * report behind it). The input is written to a file, as kb learn reads one.
 */
#include "fuzz_common.h"
#include "learn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[512];
	learn_data *d;
	learn_result r;
	buf rep = {0};
	FILE *f;

	fuzz_open_kb();
	if (!*path) {
		const char *dir = getenv("FUZZ_SCRATCH");

		snprintf(path, sizeof path, "%s/sessions.jsonl", dir && *dir ? dir : "/tmp");
	}
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	d = learn_data_new(fuzz_cli.m, fuzz_cli.db);
	tr_clear(&fuzz_cli.err);
	learn_read(d, path, &fuzz_cli.err);   /* a bad line stops the file; what came before counts */
	learn_estimate(d, LEARN_WEIGHT, &r);
	learn_report(d, &r, &rep);
	buf_free(&rep);
	learn_result_free(&r);
	learn_data_free(d);
	return 0;
}
