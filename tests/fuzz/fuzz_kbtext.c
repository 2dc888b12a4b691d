/*
 * fuzz_kbtext.c: libFuzzer harness for the knowledge-base text loader
 * (kbtext_build): a copy of the repository's kb/ and rules/ in a scratch
 * directory (FUZZ_SCRATCH, made by make fuzz), where the input replaces one
 * file chosen by its first byte; then kb build.
 */
#include "fuzz_common.h"
#include "kbtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const targets[] = {
	"kb/facts/host_kind.json", "kb/causes/expired_rdp_certificate.json",
	"kb/fixes/renew_rdp_certificate.json", "kb/sources.json", "kb/kb.json",
	"rules/ip_works.lua",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *scratch = getenv("FUZZ_SCRATCH");
	char path[4096], keep[4096], out[4096];
	FILE *f;
	tr_err e;

	if (!scratch || size < 1)
		return 0;
	snprintf(path, sizeof path, "%s/src/%s", scratch, targets[data[0] % 6]);
	snprintf(keep, sizeof keep, "%s.orig", path);
	snprintf(out, sizeof out, "%s/out.sqlite", scratch);
	if (access(keep, F_OK) != 0 && rename(path, keep) != 0)
		abort();
	if (!(f = fopen(path, "wb")))
		abort();
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/src", scratch);
	tr_clear(&e);
	if (kbtext_build(path, out, NULL, NULL, &e) != TR_OK && !e.msg[0])
		abort();            /* a failure must say why */
	remove(out);
	snprintf(path, sizeof path, "%s/src/%s", scratch, targets[data[0] % 6]);
	rename(keep, path);
	return 0;
}
