/* crosswalk: kinds and statuses between spandex and another API, by the API's table
 * (crosswalk.h). */
#include <string.h>
#include <strings.h>
#include "lib/model/crosswalk.h"

static const char *default_type(const struct crosswalk *cw, enum span_kind kind)
{
	for (size_t i = 0; i < cw->nrows; i++)
		if (cw->rows[i].kind == kind)
			return cw->rows[i].type;
	return cw->fallback;
}

int crosswalk_kind(const struct crosswalk *cw, const char *type)
{
	for (size_t i = 0; type && i < cw->nrows; i++)
		if (!strcmp(cw->rows[i].type, type))
			return (int)cw->rows[i].kind;
	return cw->keep_unlisted ? KIND_UNKNOWN : -1;
}

bool crosswalk_keep_type(const struct crosswalk *cw, const char *type)
{
	int k = crosswalk_kind(cw, type);
	return k >= 0 && strcmp(default_type(cw, (enum span_kind)k), type) != 0;
}

void crosswalk_set_type(const struct crosswalk *cw, struct span *s, json_t *type)
{
	if (type && crosswalk_keep_type(cw, json_string_value(type)))
		span_raw_set(s, cw->attr, json_incref(type));
	else if (s->raw_attributes)
		json_object_del(s->raw_attributes, cw->attr);
}

const char *crosswalk_type_of(const struct crosswalk *cw, enum span_kind kind, const char *kept)
{
	/* A type the API did not list maps to KIND_UNKNOWN (keep_unlisted) and is kept as sent. */
	if (kept && crosswalk_kind(cw, kept) == (int)kind)
		return kept;
	return default_type(cw, kind);
}

const char *crosswalk_type(const struct crosswalk *cw, const struct span *s)
{
	json_t *kept = s->raw_attributes ? json_object_get(s->raw_attributes, cw->attr) : NULL;
	return crosswalk_type_of(cw, s->kind, json_string_value(kept));
}

/* A string member's text when it is plain (no escapes) and fits in buf; else NULL. */
static const char *plain(const char *v, size_t vn, char *buf, size_t size)
{
	if (vn < 2 || v[0] != '"' || vn - 2 >= size || memchr(v, '\\', vn))
		return NULL;
	memcpy(buf, v + 1, vn - 2);
	buf[vn - 2] = 0;
	return buf;
}

const char *crosswalk_line_type(const struct crosswalk *cw, const struct span_line *m,
				char buf[CROSSWALK_TYPE_MAX])
{
	char kb[32];
	const char *v, *kept = NULL;
	size_t vn;
	int kind = m->kind && plain(m->kind, m->kindn, kb, sizeof kb) ? span_kind_parse(kb) : -1;
	if (kind < 0)
		return NULL;
	int has = span_line_attr(m, cw->attr, &v, &vn);
	if (!has || (has > 0 && v[0] == '"' && !(kept = plain(v, vn, buf, CROSSWALK_TYPE_MAX))))
		return NULL;
	return crosswalk_type_of(cw, (enum span_kind)kind, kept);
}

uint32_t crosswalk_kinds_of(const struct crosswalk *cw, const char *type)
{
	uint32_t set = 0;
	/* Kept: the kinds the type is stored as; read back: the kinds it is the default of. */
	for (size_t i = 0; type && i < cw->nrows; i++)
		if (!strcasecmp(cw->rows[i].type, type))
			set |= 1u << cw->rows[i].kind;
	for (int k = 0; type && k < KIND__COUNT; k++)
		if (!strcasecmp(default_type(cw, (enum span_kind)k), type))
			set |= 1u << k;
	/* A type the API does not list, kept on KIND_UNKNOWN (keep_unlisted). */
	if (type && cw->keep_unlisted && crosswalk_kind(cw, type) == KIND_UNKNOWN)
		set |= 1u << KIND_UNKNOWN;
	return set;
}

int crosswalk_status(const struct crosswalk *cw, const char *status)
{
	for (size_t i = 0; status && i < cw->nstatuses; i++)
		if (!strcmp(cw->statuses[i].name, status))
			return (int)cw->statuses[i].st;
	return -1;
}

const char *crosswalk_status_name(const struct crosswalk *cw, enum span_status st)
{
	for (size_t i = 0; i < cw->nstatuses; i++)
		if (cw->statuses[i].st == st)
			return cw->statuses[i].name;
	return NULL;
}

uint32_t crosswalk_statuses_of(const struct crosswalk *cw, const char *status)
{
	uint32_t set = 0;
	for (size_t i = 0; status && i < cw->nstatuses; i++)
		if (!strcmp(cw->statuses[i].name, status))
			set |= 1u << cw->statuses[i].st;
	return set;
}
