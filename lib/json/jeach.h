/* jeach: a jansson object's members walked in order by its iterator. json_object_foreach finds
 * each member's iterator again from its key (json_object_key_to_iter, twice a member): five
 * library calls a member where these loops make three. Ingest walks each span's attributes
 * about five times (the mapping, the evaluations, the catalog twice, the flattened lists), so
 * the difference is about 1M instructions of a batch of 1,000 OTLP spans (BENCHMARKS-HISTORY.md,
 * "The mapping's walks over a span's attributes"). obj is evaluated at each step: pass a
 * variable. */
#ifndef SPANDEX_JEACH_H
#define SPANDEX_JEACH_H

#include <jansson.h>

/* Each member of obj in order: key and val set, it the loop's iterator (a name of the
 * caller's, so that loops nest). */
#define JSON_EACH(obj, it, key, val)                                                               \
	for (void *it = json_object_iter(obj);                                                     \
	     it && ((key) = json_object_iter_key(it), (val) = json_object_iter_value(it), 1);      \
	     it = json_object_iter_next((obj), it))

/* JSON_EACH where the body may delete the member it is at (json_object_foreach_safe's rule):
 * next is the member after it, taken before the body runs. */
#define JSON_EACH_SAFE(obj, it, next, key, val)                                                    \
	for (void *it = json_object_iter(obj),                                                     \
		  *next = it ? json_object_iter_next((obj), it) : NULL;                            \
	     it && ((key) = json_object_iter_key(it), (val) = json_object_iter_value(it), 1);      \
	     it = next, next = it ? json_object_iter_next((obj), it) : NULL)

#endif
