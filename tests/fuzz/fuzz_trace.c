// SPDX-License-Identifier: MIT
/*
 * Fuzz target: gvt-trace text, which people write by hand and record from
 * guests. Whatever the text, the replayer must report (not crash), and
 * must leave no vGPU, mapping or GPU behind.
 */
#include <stdint.h>
#include <stdlib.h>

#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_report rep = { .idle_timeout_ms = 1 };

	if (size > 64 * 1024)
		return 0;
	replay_text((const char *)data, size, &rep);
	if (rep.reported > REPLAY_MAX_REPORTED || rep.reported > rep.failures)
		abort();
	return 0;
}
