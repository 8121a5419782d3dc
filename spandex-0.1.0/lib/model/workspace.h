/* workspace: the names a workspace may have, the same in every API (NeMo path, OTLP
 * X-Workspace, Opik Comet-Workspace, SGP x-selected-account-id). Nothing here allocates. */
#ifndef SPANDEX_MODEL_WORKSPACE_H
#define SPANDEX_MODEL_WORKSPACE_H

#include <stdbool.h>

/* Reference section 10: 2-63 characters, [a-z] first, then [a-z0-9-@.+_], no "--", no
 * trailing '-'. True when name is allowed; it then is safe as a single path component. */
bool workspace_valid(const char *name);
/* The refusal in words, for the error replies of every API. */
#define WORKSPACE_RULES                                                                            \
	"2-63 characters, starting with a lowercase letter, then lowercase letters, digits, '-', " \
	"'@', '.', '+' or '_', without '--' or a trailing '-'"

#endif
