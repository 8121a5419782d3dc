/* line: members of the canonical lines, written and read once for spans and judgements. */
#include "lib/model/line.h"

#include <math.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"

void line_key(struct buf *b, const char *k)
{
	size_t n = strlen(k);
	buf_reserve(b, n + 4);
	char *o = b->p + b->len;
	o[0] = ',';
	o[1] = '"';
	memcpy(o + 2, k, n);
	o[n + 2] = '"';
	o[n + 3] = ':';
	b->len += n + 4;
	b->p[b->len] = 0;
}

void line_str(struct buf *b, const char *k, const char *v)
{
	if (!v)
		return;
	line_key(b, k);
	jsonw_string(b, v, strlen(v));
}

void line_time(struct buf *b, const char *k, int64_t us)
{
	if (us == LINE_NONE)
		return;
	char t[32];
	time_format(us, t);
	line_key(b, k);
	size_t n = strlen(t);
	buf_reserve(b, n + 2);
	b->p[b->len] = '"';
	memcpy(b->p + b->len + 1, t, n);
	b->p[b->len + n + 1] = '"';
	b->len += n + 2;
	b->p[b->len] = 0;
}

void line_int(struct buf *b, const char *k, int64_t v)
{
	if (v == LINE_NONE)
		return;
	line_key(b, k);
	jsonw_int(b, v);
}

void line_num(struct buf *b, const char *k, double v)
{
	if (isnan(v))
		return;
	line_key(b, k);
	jsonw_number(b, v);
}

void line_obj(struct buf *b, const char *k, const json_t *v, bool always)
{
	if (!v && !always)
		return;
	line_key(b, k);
	if (v)
		jsonw_value(b, v);
	else
		buf_adds(b, "{}");
}

const char *line_get_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool line_get_time(json_t *o, const char *k, int64_t *us)
{
	const char *v = line_get_str(o, k);
	*us = LINE_NONE;
	return !v || time_parse(v, true, us);
}

int64_t line_get_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : LINE_NONE;
}

double line_get_num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

json_t *line_get_obj(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_object(v) ? json_incref(v) : NULL;
}

int line_lookup(const char *const *names, int n, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

json_t *line_parse(const char *line, size_t len)
{
	size_t pos;
	return jsonx_parse_with(line, len, JSONX_NO_DUPLICATES | JSONX_DEEP, &pos, NULL);
}
