/* params: the query parameters of the Intake list endpoints (reference nemo-intake.md
 * section 2), shared by their route tables and handlers. */
#ifndef SPANDEX_API_INTAKE_PARAMS_H
#define SPANDEX_API_INTAKE_PARAMS_H

/* Positions in the list tables of lib/api/intake/routes.c: every list takes page,
 * page_size, sort and filter, then search (spandex's extension: free-text terms), then mode
 * (spans, traces). spans/groups takes by before all of them (IP_GROUP_BY), the seed page's
 * order and so the order of FastAPI's 422 items; the others follow it from IP_PAGE on. */
enum { IP_PAGE, IP_PAGE_SIZE, IP_SORT, IP_FILTER, IP_SEARCH, IP_MODE };
enum { IP_GROUP_BY, IP_GROUP_REST };

/* Positions in the table of spans/stats. */
enum { IP_STATS_START, IP_STATS_END, IP_STATS_BUCKET, IP_STATS_FILTER, IP_STATS_SEARCH };

/* Positions in the table of spans/export and traces/export. */
enum { IP_EXPORT_FORMAT, IP_EXPORT_SORT, IP_EXPORT_FILTER, IP_EXPORT_SEARCH };

#endif
