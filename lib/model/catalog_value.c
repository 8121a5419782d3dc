/* catalog_value: the value rules every field row and object member share (catalog.h): what
 * is a token count, what is a cost, and the rounding costs keep. */
#include <math.h>
#include "lib/model/catalog_value.h"

/* A non-negative integer (a version, or a count before its bound): integral floats count
 * because OTLP doubles and JSON 3.0 both mean 3. */
bool catalog_whole(json_t *v, int64_t *out)
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

/* Token count rule (see catalog.h). */
bool catalog_count(json_t *v, int64_t *out)
{
	int64_t n;
	if (!catalog_whole(v, &n) || n > CATALOG_MAX_TOKENS)
		return false;
	*out = n;
	return true;
}

bool catalog_count_sum(int64_t a, int64_t b, int64_t *out)
{
	if (a < 0 || b < 0 || a > CATALOG_MAX_TOKENS || b > CATALOG_MAX_TOKENS - a)
		return false;
	*out = a + b;
	return true;
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
	if (!(d >= 0 && d <= CATALOG_MAX_USD))
		return false;
	*out = catalog_round_cost(d);
	return true;
}
