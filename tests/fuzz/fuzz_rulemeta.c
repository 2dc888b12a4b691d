/*
 * fuzz_rulemeta.c: libFuzzer harness for the rule metadata reader: the
 * input is a rule file's source, loaded in the sandbox (rules_check) and
 * its description, reads, sources and enabled read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	rule_meta meta;
	tr_err e;

	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = 0;
	tr_clear(&e);
	if (rules_check("rules/fuzz.lua", src, &meta, &e) == TR_OK)
		rules_meta_free(&meta);
	else if (!e.msg[0])
		abort();
	free(src);
	return 0;
}
