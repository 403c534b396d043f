// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 32

struct parser {
	const char *p;
	char *err;
	size_t err_len;
	int depth;
};

static struct json *fail(struct parser *ps, const char *what)
{
	if (ps->err && !ps->err[0])
		snprintf(ps->err, ps->err_len, "%s near '%.16s'", what, ps->p);
	return NULL;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static struct json *new_json(enum json_type type)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j)
		j->type = type;
	return j;
}

static char *parse_string_raw(struct parser *ps)
{
	size_t cap = 16, len = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	ps->p++; /* opening quote */
	while (*ps->p && *ps->p != '"') {
		char c = *ps->p++;

		if (c == '\\') {
			if (!*ps->p)
				goto out_bad;
			c = *ps->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"': case '\\': case '/': break;
			case 'u': {
				unsigned int v = 0;

				for (int i = 0; i < 4; i++) {
					char h = *ps->p;

					if (!h)
						goto out_bad;
					ps->p++;
					v <<= 4;
					if (h >= '0' && h <= '9') v |= (unsigned int)(h - '0');
					else if (h >= 'a' && h <= 'f') v |= (unsigned int)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F') v |= (unsigned int)(h - 'A' + 10);
					else goto out_bad;
				}
				/* Our replies escape only control characters. */
				c = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				goto out_bad;
			}
		}
		if (len + 2 > cap) {
			char *t = realloc(s, cap *= 2);

			if (!t)
				goto out_bad;
			s = t;
		}
		s[len++] = c;
	}
	if (*ps->p != '"')
		goto out_bad;
	ps->p++;
	s[len] = '\0';
	return s;

out_bad:
	free(s);
	fail(ps, "bad string");
	return NULL;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_container(struct parser *ps, bool object)
{
	struct json *j = new_json(object ? JSON_OBJECT : JSON_ARRAY);
	char close = object ? '}' : ']';

	if (!j)
		return NULL;
	if (++ps->depth > MAX_DEPTH) {
		json_free(j);
		return fail(ps, "nested too deeply");
	}
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *v;
		struct json **items;
		char **keys;

		skip_ws(ps);
		if (object) {
			if (*ps->p != '"')
				goto out_bad;
			key = parse_string_raw(ps);
			if (!key)
				goto out_bad;
			skip_ws(ps);
			if (*ps->p != ':') {
				free(key);
				goto out_bad;
			}
			ps->p++;
		}
		v = parse_value(ps);
		items = v ? realloc(j->items, (j->n + 1) * sizeof(*items)) : NULL;
		keys = items && object ? realloc(j->keys, (j->n + 1) * sizeof(*keys)) : NULL;
		if (items)
			j->items = items;
		if (keys)
			j->keys = keys;
		if (!v || !items || (object && !keys)) {
			free(key);
			json_free(v);
			goto out_bad;
		}
		j->items[j->n] = v;
		if (object)
			j->keys[j->n] = key;
		j->n++;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			ps->depth--;
			return j;
		}
		goto out_bad;
	}
out_bad:
	json_free(j);
	return fail(ps, object ? "bad object" : "bad array");
}

static struct json *parse_value(struct parser *ps)
{
	struct json *j;

	skip_ws(ps);
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"':
		j = new_json(JSON_STRING);
		if (j && !(j->s = parse_string_raw(ps))) {
			json_free(j);
			return NULL;
		}
		return j;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			size_t len = strlen(words[i]);

			if (strncmp(ps->p, words[i], len))
				continue;
			ps->p += len;
			j = new_json(i == 2 ? JSON_NULL : JSON_BOOL);
			if (j)
				j->b = i == 0;
			return j;
		}
		return fail(ps, "bad literal");
	}
	default: {
		const char *start = ps->p;
		char *end;

		if (*start != '-' && (*start < '0' || *start > '9'))
			return fail(ps, "unexpected character");
		j = new_json(JSON_NUMBER);
		if (!j)
			return NULL;
		errno = 0;
		j->d = strtod(start, &end);
		if (end == start) {
			json_free(j);
			return fail(ps, "bad number");
		}
		if (*start != '-' && strspn(start, "0123456789") == (size_t)(end - start)) {
			j->type = JSON_INT;
			j->u = strtoull(start, NULL, 10);
		}
		ps->p = end;
		return j;
	}
	}
}

struct json *json_parse(const char *text, char *err, size_t err_len)
{
	struct parser ps = { text, err, err_len, 0 };
	struct json *j;

	if (err && err_len)
		err[0] = '\0';
	j = parse_value(&ps);
	if (!j)
		return NULL;
	skip_ws(&ps);
	if (*ps.p) {
		json_free(j);
		return fail(&ps, "trailing characters");
	}
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->s);
	free(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

uint64_t json_get_u64(const struct json *obj, const char *key, uint64_t def)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_INT ? v->u : def;
}

bool json_get_bool(const struct json *obj, const char *key, bool def)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_BOOL ? v->b : def;
}

const char *json_get_str(const struct json *obj, const char *key,
			 const char *def)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->s : def;
}
