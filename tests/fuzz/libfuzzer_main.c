/* libFuzzer's entry point for one target, chosen with -DFUZZ_TARGET=fuzz_NAME
 * (tests/fuzz/meson.build, when configured with -Dfuzzing=true). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return FUZZ_TARGET(data, size);
}
