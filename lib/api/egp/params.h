/* params: positions in the parameter tables of lib/api/egp/routes.c. */
#ifndef SPANDEX_API_EGP_PARAMS_H
#define SPANDEX_API_EGP_PARAMS_H

enum { ES_AFTER, ES_BEFORE, ES_LIMIT, ES_SORT_BY, ES_SORT_ORDER, ES_FROM, ES_TO, ES_PARTIAL };
enum { EA_SPAN_ID, EA_TRACE_ID, EA_TYPE };
enum { EL_AFTER, EL_BEFORE, EL_LIMIT, EL_TRACE_ID, EL_PARENTS_ONLY, EL_FROM, EL_TO };

#endif
