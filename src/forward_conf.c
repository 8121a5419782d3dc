/* forward_conf: the endpoints `spandex forward` sends to (forward.h; docs/forwarding.md,
 * "Configuration"): a file of [name] blocks of key = value lines, read again at every pass, so
 * an edit takes effect without a restart (as the price table does), and one endpoint from the
 * environment, in the form of OpenTelemetry's own exporter settings. */
#include "src/forward.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/model/workspace.h"

static int fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);
	while (isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A header line "Name: value": a token name (RFC 9110 section 5.1), a value without line
 * breaks. */
static bool header_ok(const char *h)
{
	const char *colon = strchr(h, ':');
	if (!colon || colon == h)
		return false;
	for (const char *p = h; p < colon; p++)
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
			return false;
	return !strpbrk(h, "\r\n");
}

/* One key = value of endpoint e. */
static int set(struct fwd_endpoint *e, const char *key, char *v, char *why, size_t cap)
{
	if (!strcmp(key, "url")) {
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return fail(why, cap, "url must be an http:// or https:// URL");
		free(e->url);
		e->url = xstrdup(v);
	} else if (!strcmp(key, "protocol")) {
		if (!strcmp(v, "http/json") || !strcmp(v, "json"))
			e->json = true;
		else if (!strcmp(v, "http/protobuf") || !strcmp(v, "protobuf"))
			e->json = false;
		else
			return fail(why, cap, "protocol is http/protobuf or http/json, not '%s'",
				    v);
	} else if (!strcmp(key, "compression")) {
		if (strcmp(v, "gzip") && strcmp(v, "none"))
			return fail(why, cap, "compression is gzip or none, not '%s'", v);
		e->gzip = !strcmp(v, "gzip");
	} else if (!strcmp(key, "header")) {
		if (!header_ok(v))
			return fail(why, cap, "a header is 'Name: value'");
		if (e->nheaders == FWD_MAX_HEADERS)
			return fail(why, cap, "at most %d headers", FWD_MAX_HEADERS);
		e->headers[e->nheaders++] = xstrdup(v);
	} else if (!strcmp(key, "workspaces")) {
		for (char *w = strtok(v, " \t,"); w; w = strtok(NULL, " \t,")) {
			if (!strcmp(w, "*"))
				continue;
			if (!workspace_valid(w))
				return fail(why, cap, "'%s' is no workspace name", w);
			e->workspaces =
			    xrealloc(e->workspaces, (e->nworkspaces + 1) * sizeof *e->workspaces);
			e->workspaces[e->nworkspaces++] = xstrdup(w);
		}
	} else if (!strcmp(key, "timeout")) {
		char *end;
		long t = strtol(v, &end, 10);
		if (!*v || *end || t < 1 || t > 3600)
			return fail(why, cap, "timeout is a number of seconds from 1 to 3600");
		e->timeout_s = t;
	} else {
		return fail(why, cap,
			    "unknown key '%s' (url, protocol, compression, header, workspaces, "
			    "timeout)",
			    key);
	}
	return 0;
}

static struct fwd_endpoint *add(struct fwd_config *c, const char *name, char *why, size_t cap)
{
	if (!forward_name_valid(name)) {
		fail(why, cap, "'%s' is no endpoint name (1 to %d of a-z, 0-9, - and _)", name,
		     FORWARD_MAX_NAME);
		return NULL;
	}
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->ep[i].name, name)) {
			fail(why, cap, "endpoint '%s' is named twice", name);
			return NULL;
		}
	if (c->n == FWD_MAX_ENDPOINTS) {
		fail(why, cap, "at most %d endpoints", FWD_MAX_ENDPOINTS);
		return NULL;
	}
	struct fwd_endpoint *e = &c->ep[c->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	e->gzip = true;
	e->timeout_s = FWD_DEFAULT_TIMEOUT;
	return e;
}

static int parse_file(FILE *f, const char *path, struct fwd_config *c, char *why, size_t cap)
{
	char line[FWD_MAX_LINE + 2], msg[256];
	struct fwd_endpoint *e = NULL;
	unsigned no = 0;
	while (fgets(line, sizeof line, f)) {
		no++;
		if (!strchr(line, '\n') && !feof(f))
			return fail(why, cap, "%s:%u: a line over %d bytes", path, no,
				    FWD_MAX_LINE);
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end || end[1])
				return fail(why, cap, "%s:%u: a block starts [name]", path, no);
			*end = '\0';
			if (!(e = add(c, s + 1, msg, sizeof msg)))
				return fail(why, cap, "%s:%u: %s", path, no, msg);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!e || !eq)
			return fail(why, cap, "%s:%u: want [name] then key = value lines", path,
				    no);
		*eq = '\0';
		if (set(e, trim(s), trim(eq + 1), msg, sizeof msg) < 0)
			return fail(why, cap, "%s:%u: %s", path, no, msg);
	}
	for (size_t i = 0; i < c->n; i++)
		if (!c->ep[i].url)
			return fail(why, cap, "%s: endpoint '%s' has no url", path, c->ep[i].name);
	return 0;
}

/* OTEL_EXPORTER_OTLP_HEADERS' form: key=value pairs separated by commas, the values
 * percent-encoded (OpenTelemetry's "Specify Protocol" and W3C Baggage's form). */
static int env_headers(struct fwd_endpoint *e, const char *v, char *why, size_t cap)
{
	char *all = xstrdup(v), *save = NULL;
	int rc = 0;
	for (char *kv = strtok_r(all, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '='), h[FWD_MAX_LINE];
		size_t n = 0;
		if (!eq) {
			rc = fail(why, cap, "SPANDEX_FORWARD_HEADERS: want key=value,...");
			break;
		}
		*eq = '\0';
		n = (size_t)snprintf(h, sizeof h, "%s: ", trim(kv));
		for (const char *p = trim(eq + 1); *p && n + 1 < sizeof h; p++) {
			unsigned x;
			if (p[0] == '%' && isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2]) && sscanf(p + 1, "%2x", &x) == 1) {
				h[n++] = (char)x;
				p += 2;
			} else {
				h[n++] = *p;
			}
		}
		h[n] = '\0';
		rc = set(e, "header", h, why, cap);
	}
	free(all);
	return rc;
}

/* The endpoint of the environment: SPANDEX_FORWARD_ENDPOINT (its URL), _PROTOCOL, _HEADERS,
 * _COMPRESSION, _WORKSPACES, _TIMEOUT. */
static int from_env(struct fwd_config *c, char *why, size_t cap)
{
	static const char *const keys[][2] = {
	    {"SPANDEX_FORWARD_PROTOCOL", "protocol"},
	    {"SPANDEX_FORWARD_COMPRESSION", "compression"},
	    {"SPANDEX_FORWARD_WORKSPACES", "workspaces"},
	    {"SPANDEX_FORWARD_TIMEOUT", "timeout"},
	};
	const char *url = getenv("SPANDEX_FORWARD_ENDPOINT");
	char msg[256];
	if (!url || !*url)
		return 0;
	struct fwd_endpoint *e = add(c, FWD_ENV_NAME, msg, sizeof msg);
	if (!e)
		return fail(why, cap, "SPANDEX_FORWARD_ENDPOINT: %s", msg);
	char *v = xstrdup(url);
	int rc = set(e, "url", v, msg, sizeof msg);
	free(v);
	for (size_t i = 0; !rc && i < sizeof keys / sizeof keys[0]; i++) {
		const char *s = getenv(keys[i][0]);
		if (!s || !*s)
			continue;
		v = xstrdup(s);
		rc = set(e, keys[i][1], trim(v), msg, sizeof msg);
		free(v);
		if (rc)
			return fail(why, cap, "%s: %s", keys[i][0], msg);
	}
	if (rc)
		return fail(why, cap, "SPANDEX_FORWARD_ENDPOINT: %s", msg);
	const char *h = getenv("SPANDEX_FORWARD_HEADERS");
	return h && *h ? env_headers(e, h, why, cap) : 0;
}

int fwd_config_load(const char *data, struct fwd_config *c, char *why, size_t cap)
{
	const char *set_path = getenv("SPANDEX_FORWARD_CONFIG");
	char in_data[4096];
	memset(c, 0, sizeof *c);
	snprintf(in_data, sizeof in_data, "%s/%s", data, FWD_CONF_DATA);
	const char *path = set_path && *set_path	       ? set_path
			   : !access(in_data, F_OK)	       ? in_data
			   : !access(FWD_CONF_INSTALLED, F_OK) ? FWD_CONF_INSTALLED
							       : NULL;
	int rc = 0;
	if (path) {
		FILE *f = fopen(path, "re");
		if (!f)
			rc = fail(why, cap, "%s: %s", path, strerror(errno));
		else {
			snprintf(c->source, sizeof c->source, "%s", path);
			rc = parse_file(f, path, c, why, cap);
			fclose(f);
		}
	}
	if (!rc)
		rc = from_env(c, why, cap);
	if (rc)
		fwd_config_free(c);
	return rc;
}

void fwd_config_free(struct fwd_config *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct fwd_endpoint *e = &c->ep[i];
		free(e->url);
		for (size_t k = 0; k < e->nheaders; k++)
			free(e->headers[k]);
		for (size_t k = 0; k < e->nworkspaces; k++)
			free(e->workspaces[k]);
		free(e->workspaces);
	}
	memset(c, 0, sizeof *c);
}

bool fwd_covers(const struct fwd_endpoint *e, const char *ws)
{
	if (!e->nworkspaces)
		return true;
	for (size_t i = 0; i < e->nworkspaces; i++)
		if (!strcmp(e->workspaces[i], ws))
			return true;
	return false;
}
