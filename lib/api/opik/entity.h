/* entity: what an Opik request is about, a span or a trace (map.h stores both as spandex
 * spans), and the names Opik gives what comes without one. */
#ifndef SPANDEX_API_OPIK_ENTITY_H
#define SPANDEX_API_OPIK_ENTITY_H

enum opik_entity { OPIK_SPAN, OPIK_TRACE };

#define OPIK_DEFAULT_PROJECT "Default Project"
#define OPIK_SOURCE "opik" /* spandex's source of what came through Opik */

#endif
