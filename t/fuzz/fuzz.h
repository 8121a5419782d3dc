/* fuzz: what the libFuzzer harnesses of t/fuzz share (t/fuzz/run builds and runs them). Each
 * harness feeds outside bytes to one parser the way a request would, in a fresh arena with
 * jansson allocating in it, and releases what the parser hands back: any crash, leak or
 * sanitizer report is a finding. */
#ifndef SPANDEX_FUZZ_H
#define SPANDEX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "lib/base/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string in a (stopping at its first NUL). */
static inline char *fuzz_str(struct arena *a, const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	return arena_strndup(a, (const char *)data, n);
}

#endif
