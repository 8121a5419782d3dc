/* fuzz line: what the query predicates read from a stored span line without parsing it
 * (span_line_scan and its decoding of raw_attributes, crosswalk_line_type for Opik and SGP, the
 * Opik trace-row marker, jline_unquote, a walk over its members): a damaged or hostile line
 * must be read as "cannot tell" or as something, never past its end. */
#include "t/fuzz/fuzz.h"
#include <stdlib.h>
#include "lib/api/egp/map.h"
#include "lib/api/opik/map.h"
#include "lib/json/jline.h"
#include "lib/model/crosswalk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The bytes exactly, in a buffer of their own size, so ASan sees any read past them. */
	char *line = malloc(size ? size : 1);
	memcpy(line, data, size);
	struct span_line *m = malloc(sizeof *m);
	char buf[CROSSWALK_TYPE_MAX];
	span_line_scan(line, size, m);
	crosswalk_line_type(&opik_crosswalk, m, buf);
	crosswalk_line_type(&egp_crosswalk, m, buf);
	opik_line_is_trace_row(m);
	const char *v;
	size_t vn;
	span_line_attr(m, "sgp.metadata", &v, &vn);
	size_t pos = 0;
	struct jline_member f;
	while (jline_next(line, size, &pos, &f))
		;
	char *out = malloc(size ? size : 1);
	jline_unquote(line, size, out, size);
	free(out);
	free(m);
	free(line);
	return 0;
}
