// SPDX-License-Identifier: MIT
/*
 * Fuzz target: gvtctl's JSON reader, which parses whatever the process on
 * the other end of the socket sends. It must never read past its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[128];
	struct json *j;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	j = json_parse(text, err, sizeof(err));
	if (j) {
		json_get_u64(j, "id", 0);
		json_get_str(j, "type", "");
		json_free(j);
	}
	free(text);
	return 0;
}
