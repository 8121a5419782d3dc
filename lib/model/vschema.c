/* vschema: request-body checks with pydantic v2's error types and messages (what FastAPI
 * returns in HTTPValidationError.detail[]). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/model/span.h"
#include "lib/model/vschema.h"
#include "lib/json/jsonx.h"

/* Copies loc and appends one element. */
static json_t *vs_child(json_t *loc, json_t *elem)
{
	json_t *c = loc ? json_copy(loc) : json_array();
	json_array_append_new(c, elem);
	return c;
}

/* Returns loc + [key] as a new array. */
json_t *vs_loc(json_t *loc, const char *key)
{
	return vs_child(loc, json_string(key));
}

/* Returns loc + [i] as a new array. */
json_t *vs_loci(json_t *loc, size_t i)
{
	return vs_child(loc, json_integer((json_int_t)i));
}

/* Adds an error at loc (+ key); see vschema.h. */
void vs_error(struct verrs *v, json_t *loc, const char *key, const char *type, const char *msg,
	      json_t *input)
{
	verrs_add(v, key ? vs_loc(loc, key) : json_copy(loc), type, msg,
		  input ? json_deep_copy(input) : NULL);
}

static bool vs_integral(json_t *val)
{
	double d;
	if (json_is_integer(val))
		return true;
	if (!json_is_real(val))
		return false;
	d = json_real_value(val);
	/* 2^63: the first double outside int64_t. */
	return d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

/* Returns the integer of a value vs_check accepted as VS_INT. */
int64_t vs_int(json_t *val)
{
	return json_is_integer(val) ? json_integer_value(val) : (int64_t)json_real_value(val);
}

/* The pydantic v2 error type and message of val against t (NULL: it passes). */
static const char *vs_problem(json_t *val, enum vs_type t, bool nonneg, const char **msg)
{
	const char *type = NULL;
	switch (t) {
	case VS_ANY:
		return NULL;
	case VS_STR:
		if (!json_is_string(val))
			type = "string_type", *msg = "Input should be a valid string";
		break;
	case VS_INT:
		if (json_is_real(val) && !vs_integral(val))
			type = "int_from_float",
			*msg =
			    "Input should be a valid integer, got a number with a fractional part";
		else if (!vs_integral(val))
			type = "int_type", *msg = "Input should be a valid integer";
		break;
	case VS_NUM:
		if (!json_is_number(val))
			type = "float_type", *msg = "Input should be a valid number";
		break;
	case VS_BOOL:
		if (!json_is_boolean(val))
			type = "bool_type", *msg = "Input should be a valid boolean";
		break;
	case VS_LIST:
		if (!json_is_array(val))
			type = "list_type", *msg = "Input should be a valid list";
		break;
	case VS_DICT:
		if (!json_is_object(val))
			type = "dict_type", *msg = "Input should be a valid dictionary";
		break;
	case VS_MODEL:
		if (!json_is_object(val))
			type = "model_attributes_type",
			*msg =
			    "Input should be a valid dictionary or object to extract fields from";
		break;
	}
	if (!type && nonneg && json_is_number(val) && json_number_value(val) < 0)
		type = "greater_than_equal", *msg = "Input should be greater than or equal to 0";
	return type;
}

/* Checks val's type; see vschema.h. Messages are pydantic v2's. */
bool vs_check(struct verrs *v, json_t *loc, json_t *val, enum vs_type t, bool nonneg)
{
	const char *msg = NULL, *type = vs_problem(val, t, nonneg, &msg);
	if (!type)
		return true;
	vs_error(v, loc, NULL, type, msg, val);
	return false;
}

/* pydantic's le=max; see vschema.h. */
bool vs_check_le(struct verrs *v, json_t *loc, const char *key, json_t *val, double max)
{
	char msg[64];
	if (!json_is_number(val) || json_number_value(val) <= max)
		return true;
	snprintf(msg, sizeof msg, "Input should be less than or equal to %.17g", max);
	vs_error(v, loc, key, "less_than_equal", msg, val);
	return false;
}

/* vs_model, with field i's value in vals[i] when vals is not NULL. */
static bool model(struct verrs *v, json_t *loc, json_t *obj, const struct vs_field *fields,
		  size_t n, bool closed, json_t **vals)
{
	size_t before = verrs_count(v);
	json_t *val;

	size_t found = 0;
	if (vals)
		memset(vals, 0, n * sizeof *vals);
	if (!vs_check(v, loc, obj, VS_MODEL, false))
		return false;
	/* Each field's value in one walk over the members (jsonx_members). */
	if (vals)
		found = jsonx_members(obj, &fields[0].name, sizeof *fields, n, vals);
	for (size_t i = 0; i < n; i++) {
		if (vals)
			val = vals[i];
		else
			found += (val = json_object_get(obj, fields[i].name)) != NULL;
		if (!val || (json_is_null(val) && !fields[i].required)) {
			if (fields[i].required && !val)
				vs_error(v, loc, fields[i].name, "missing", "Field required", obj);
			continue;
		}
		/* The location is built only for an error: most bodies have none. */
		const char *msg, *type = vs_problem(val, fields[i].type, fields[i].nonneg, &msg);
		if (type)
			vs_error(v, loc, fields[i].name, type, msg, val);
	}
	/* Every member one of the fields (the names are distinct): no extra to look for. */
	if (closed && found < json_object_size(obj))
		vs_extras(v, loc, obj, fields, n);
	return verrs_count(v) == before;
}

/* vs_model's checks of the values alone; see vschema.h. */
bool vs_vals_ok(const struct vs_field *fields, size_t n, json_t *const *vals)
{
	const char *msg;
	for (size_t i = 0; i < n; i++) {
		if (!vals[i] ? fields[i].required
			     : (!json_is_null(vals[i]) || fields[i].required) &&
				   vs_problem(vals[i], fields[i].type, fields[i].nonneg, &msg))
			return false;
	}
	return true;
}

/* Checks obj as a model; see vschema.h. */
bool vs_model(struct verrs *v, json_t *loc, json_t *obj, const struct vs_field *fields, size_t n,
	      bool closed)
{
	return model(v, loc, obj, fields, n, closed, NULL);
}

/* vs_model with the fields' values; see vschema.h. */
bool vs_model_vals(struct verrs *v, json_t *loc, json_t *obj, const struct vs_field *fields,
		   size_t n, bool closed, json_t **vals)
{
	return model(v, loc, obj, fields, n, closed, vals);
}

void vs_extras(struct verrs *v, json_t *loc, json_t *obj, const struct vs_field *fields, size_t n)
{
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val)
	{
		size_t i;
		for (i = 0; i < n && strcmp(fields[i].name, key); i++)
			;
		if (i == n)
			vs_error(v, loc, key, "extra_forbidden", "Extra inputs are not permitted",
				 val);
	}
}

/* Checks val against a list of allowed strings; see vschema.h. */
bool vs_choice(struct verrs *v, json_t *loc, json_t *val, const char *const *choices,
	       const char *type)
{
	struct buf msg;
	size_t n = 0;

	for (; choices[n]; n++)
		if (json_is_string(val) && !strcmp(json_string_value(val), choices[n]))
			return true;
	buf_init(&msg);
	buf_adds(&msg, "Input should be ");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(&msg, i + 1 == n ? " or " : ", ");
		buf_printf(&msg, "'%s'", choices[i]);
	}
	vs_error(v, loc, NULL, type, msg.p, val);
	buf_free(&msg);
	return false;
}

bool vs_datetime(json_t *val, int64_t *us)
{
	if (json_is_number(val))
		return time_from_unix(json_number_value(val), us);
	return json_is_string(val) && (time_parse(json_string_value(val), false, us) ||
				       time_parse_unix(json_string_value(val), us));
}

bool vs_id(struct verrs *v, json_t *loc, json_t *val)
{
	if (!json_is_string(val))
		return vs_check(v, loc, val, VS_STR, false);
	const char *why = span_id_problem(json_string_value(val));
	if (!why)
		return true;
	if (!strncmp(why, "String should have at least", 27))
		verrs_add_ctx(v, json_incref(loc), "string_too_short", why, json_incref(val),
			      json_pack("{s:i}", "min_length", 1));
	else if (!strncmp(why, "String should have at most", 26))
		verrs_add_ctx(v, json_incref(loc), "string_too_long", why, json_incref(val),
			      json_pack("{s:i}", "max_length", SPAN_MAX_ID));
	else
		verrs_add(v, json_incref(loc), "value_error", why, json_incref(val));
	return false;
}

bool vs_str_len(struct verrs *v, json_t *loc, json_t *val, size_t min, size_t max)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)json_string_value(val); p && *p; p++)
		n += (*p & 0xc0) != 0x80;
	if (n >= min && n <= max)
		return true;
	char msg[96];
	if (n < min) {
		snprintf(msg, sizeof(msg), "String should have at least %zu character%s", min,
			 min == 1 ? "" : "s");
		verrs_add_ctx(v, json_copy(loc), "string_too_short", msg, json_incref(val),
			      json_pack("{s:I}", "min_length", (json_int_t)min));
	} else {
		snprintf(msg, sizeof(msg), "String should have at most %zu characters", max);
		verrs_add_ctx(v, json_copy(loc), "string_too_long", msg, json_incref(val),
			      json_pack("{s:I}", "max_length", (json_int_t)max));
	}
	return false;
}
