/* catalog_value: the value rules every field row and object member share (catalog.h): what
 * is a token count, what is a cost, and the rounding costs keep. */
#include <math.h>
#include "lib/model/catalog_value.h"

/* Token count rule (see catalog.h): integral floats count because OTLP doubles and JSON 3.0
 * both mean 3. */
bool catalog_count(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return false;
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		/* 2^63 as a double: the first value that no longer fits int64_t. */
		if (!(d >= 0 && d < 9223372036854775808.0) || d != floor(d))
			return false;
		*out = (int64_t)d;
		return true;
	}
	return false;
}

/* Rounds d to the 6 decimals of the service's micro-USD columns. */
double catalog_round_cost(double d)
{
	return round(d * CATALOG_COST_DECIMALS) / CATALOG_COST_DECIMALS;
}

/* Cost rule (see catalog.h). */
bool catalog_cost(json_t *v, double *out)
{
	double d;
	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	if (!isfinite(d) || d < 0)
		return false;
	*out = catalog_round_cost(d);
	return true;
}
