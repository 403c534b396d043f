// SPDX-License-Identifier: MIT
/*
 * A small JSON reader for the control protocol's replies: objects, arrays,
 * strings, booleans, null and numbers (integers exact to 64 bits).
 */
#ifndef GVTCTL_JSON_H
#define GVTCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,	/* a non-negative integer */
	JSON_NUMBER,	/* anything else numeric */
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	bool b;
	uint64_t u;
	double d;
	char *s;
	struct json **items;	/* array elements or object values */
	char **keys;		/* object keys */
	size_t n;
};

/* Parse @text; NULL on error, with a message in @err. */
struct json *json_parse(const char *text, char *err, size_t err_len);
void json_free(struct json *j);

const struct json *json_get(const struct json *obj, const char *key);
uint64_t json_get_u64(const struct json *obj, const char *key, uint64_t def);
bool json_get_bool(const struct json *obj, const char *key, bool def);
const char *json_get_str(const struct json *obj, const char *key,
			 const char *def);

#endif /* GVTCTL_JSON_H */
