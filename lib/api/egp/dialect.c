/* dialect: how Scale GP says an error (FastAPI's shapes, otel-egp.md §4.1) and where its
 * workspace (x-selected-account-id) and key (x-api-key) come from. */
#include "lib/api/egp/egp.h"

#include <ctype.h>
#include "lib/model/workspace.h"

/* An account id that is no workspace name (a UUID may start with a digit) names the
 * workspace "acct-<id in lower case>"; one that is a name is used as it is. */
static const char *account_workspace(struct arena *a, const char *account)
{
	if (workspace_valid(account))
		return account;
	char *w = arena_printf(a, "acct-%s", account);
	for (char *p = w; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return w;
}

const struct http_dialect egp_dialect = {
    .error = http_fastapi_error,
    .invalid = http_fastapi_invalid,
    .ws_header = "x-selected-account-id",
    .ws_default = "default",
    .ws_name = account_workspace,
    .ws_refusal = ST_BAD_REQUEST,
    .key = HTTP_KEY_X_API_KEY,
};
