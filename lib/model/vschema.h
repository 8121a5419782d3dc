/* vschema: pydantic-style checks of JSON request bodies, reporting into a struct verrs with
 * FastAPI's loc/type/msg (pydantic v2 error types). loc arrays passed in are borrowed; the
 * functions build the child locations they report. */
#ifndef SPANDEX_VSCHEMA_H
#define SPANDEX_VSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/model/verr.h"

enum vs_type {
	VS_ANY,	  /* any JSON value */
	VS_STR,	  /* string */
	VS_INT,	  /* integer (an integral float counts, as in pydantic's lax mode) */
	VS_NUM,	  /* integer or float */
	VS_BOOL,  /* true / false */
	VS_LIST,  /* array */
	VS_DICT,  /* open object (dict) */
	VS_MODEL, /* object checked by the caller (a nested model) */
};

struct vs_field {
	const char *name;
	enum vs_type type;
	bool required;
	bool nonneg; /* VS_INT / VS_NUM: ge=0 */
};

/* loc + [key] / loc + [i], as new arrays (the caller owns them). */
json_t *vs_loc(json_t *loc, const char *key);
json_t *vs_loci(json_t *loc, size_t i);

/* Adds one error at loc + [key] (key NULL: at loc itself); input is copied (may be NULL). */
void vs_error(struct verrs *v, json_t *loc, const char *key, const char *type, const char *msg,
	      json_t *input);

/* True when val has type t (and is >= 0 when nonneg); otherwise adds the pydantic error at
 * loc and returns false. */
bool vs_check(struct verrs *v, json_t *loc, json_t *val, enum vs_type t, bool nonneg);

/* True when val is no number or at most max; otherwise adds pydantic's less_than_equal at
 * loc + [key] (key NULL: at loc). For a field of a model with a named limit (le=max), checked
 * after vs_model. */
bool vs_check_le(struct verrs *v, json_t *loc, const char *key, json_t *val, double max);

/* Checks obj as a model at loc: an object, every required field present, no unknown key when
 * closed, each present field of its type (null counts as absent for optional fields). Returns
 * true when nothing was added to v. */
bool vs_model(struct verrs *v, json_t *loc, json_t *obj, const struct vs_field *fields, size_t n,
	      bool closed);

/* vs_model, and field i's value (NULL: absent) into vals[0..n) when obj is an object, found in
 * one walk over its members: for a caller that reads the fields it checked (lib/ingest/direct.c
 * read each twice, a json_object_get a field and a read). */
bool vs_model_vals(struct verrs *v, json_t *loc, json_t *obj, const struct vs_field *fields,
		   size_t n, bool closed, json_t **vals);

/* True when values vals[0..n) of fields[0..n) (NULL: absent) would pass vs_model: each required
 * field present, each present one of its type. No error is added: for a caller that read the
 * members itself and takes the reported path (vs_model) when this says no. */
bool vs_vals_ok(const struct vs_field *fields, size_t n, json_t *const *vals);

/* Adds extra_forbidden for each key of obj that is none of fields[0..n) (what vs_model does
 * when closed; for callers that check the fields' values first, as pydantic reports them). */
void vs_extras(struct verrs *v, json_t *loc, json_t *obj, const struct vs_field *fields, size_t n);

/* True when val is a string equal to one of choices (NULL-terminated); otherwise adds a
 * pydantic "enum"/"literal_error" error listing them ("Input should be 'a', 'b' or 'c'"). */
bool vs_choice(struct verrs *v, json_t *loc, json_t *val, const char *const *choices,
	       const char *type);

/* True when val is a string that can be stored as an id (span_id_problem); otherwise adds
 * pydantic's string_too_short / string_too_long, or a value_error, at loc. */
bool vs_id(struct verrs *v, json_t *loc, json_t *val);
/* A datetime as pydantic's lax mode takes it into *us: RFC 3339 text (without an offset: UTC),
 * or a Unix time as a number or its text (time_from_unix). No error is added. */
bool vs_datetime(json_t *val, int64_t *us);

/* True when val (a string) has min..max characters (code points, as pydantic counts them);
 * otherwise adds pydantic's string_too_short / string_too_long at loc. */
bool vs_str_len(struct verrs *v, json_t *loc, json_t *val, size_t min, size_t max);

/* The integer of a VS_INT-valid value. */
int64_t vs_int(json_t *val);

#endif
