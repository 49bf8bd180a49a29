/* rest/router.c - the route table and path matching. A route's pattern
 * is a literal path in which "{}" captures one segment; method mismatch
 * on a known path is told apart from an unknown path (405 versus 404).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rest/modroutes.h"
#include "rest/router.h"

static const struct pbx_rest_route routes[] = {
	{"GET",    "/api/v1/health", pbx_rest_health_get, PBX_REST_PUBLIC},
	{"GET",    "/api/v1/users", pbx_rest_users_list, 0},
	{"POST",   "/api/v1/users", pbx_rest_users_create, PBX_REST_BODY},
	{"GET",    "/api/v1/users/{}", pbx_rest_users_get, 0},
	{"PATCH",  "/api/v1/users/{}", pbx_rest_users_patch, PBX_REST_BODY},
	{"DELETE", "/api/v1/users/{}", pbx_rest_users_delete, 0},
	{"GET",    "/api/v1/users/{}/registrations", pbx_rest_reg_of_user, 0},
	{"GET",    "/api/v1/registrations", pbx_rest_reg_list, 0},
	{"DELETE", "/api/v1/registrations/{}", pbx_rest_reg_delete, 0},
	{"GET",    "/api/v1/modules", pbx_rest_modules_list, 0},
	{"GET",    "/api/v1/calls", pbx_rest_calls_list, 0},
	{"POST",   "/api/v1/calls", pbx_rest_calls_originate, PBX_REST_BODY},
	{"GET",    "/api/v1/calls/{}", pbx_rest_calls_get, 0},
	{"DELETE", "/api/v1/calls/{}", pbx_rest_calls_hangup, 0},
	{"GET",    "/api/v1/cdrs", pbx_rest_cdrs_list, 0},
	{"GET",    "/api/v1/cdrs/{}", pbx_rest_cdrs_get, 0},
	{"GET",    "/api/v1/dialplan", pbx_rest_dialplan_get, 0},
	{"POST",   "/api/v1/dialplan/reload", pbx_rest_dialplan_reload, 0},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Match <path> against <pattern> segment by segment; on success the
 * captured segments are in <params>. An empty segment (a doubled or
 * trailing slash) never matches a capture, so "/api/v1/users/" is not a user.
 */
static bool match(const char *pattern, const char *path,
		  char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN])
{
	size_t np = 0;

	while (*pattern && *path) {
		const char *pe, *se;
		size_t plen, slen;

		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		pe = strchrnul(pattern, '/');
		se = strchrnul(path, '/');
		plen = (size_t)(pe - pattern);
		slen = (size_t)(se - path);

		if (plen == 2 && !memcmp(pattern, "{}", 2)) {
			if (slen == 0 || slen >= PBX_REST_PARAM_LEN ||
			    np >= PBX_REST_PARAMS_MAX)
				return false;
			memcpy(params[np], path, slen);
			params[np][slen] = '\0';
			np++;
		} else if (plen != slen || memcmp(pattern, path, slen)) {
			return false;
		}
		pattern = pe;
		path = se;
	}
	if (*pattern || *path)
		return false;
	/* Captures a longer pattern left behind are not this route's. */
	for (; np < PBX_REST_PARAMS_MAX; np++)
		params[np][0] = '\0';
	return true;
}

bool pbx_rest_route_match(const char *pattern, const char *path,
			  char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN])
{
	return match(pattern, path, params);
}

int pbx_rest_route_find(const char *method, const char *path,
			struct pbx_rest_route *route,
			char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN],
			char *allow, size_t allowsz)
{
	bool known = false;
	size_t i, len = 0;

	if (allowsz)
		allow[0] = '\0';

	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, path, params))
			continue;
		if (!strcmp(routes[i].method, method)) {
			*route = routes[i];
			return 0;
		}
		if (len < allowsz) {
			int n = snprintf(allow + len, allowsz - len, "%s%s",
					 known ? ", " : "",
					 routes[i].method);
			if (n > 0)
				len += (size_t)n;
		}
		known = true;
	}
	/* A path the core serves is never a module's. */
	if (!known)
		return pbx_rest_modroutes_find(method, path, route, params,
					       allow, allowsz);
	return EOPNOTSUPP;
}
