/* rest/router.h - the route table: which handler serves which method and
 * path under /api/v1, and what each needs (token, JSON body).
 */
#ifndef PBX_REST_ROUTER_H
#define PBX_REST_ROUTER_H

#include <stddef.h>

#include "rest/req.h"

#define PBX_REST_PUBLIC 0x1       /* served without a bearer token */
#define PBX_REST_BODY   0x2       /* takes a JSON object body */

struct pbx_rest_route {
	const char *method;
	const char *pattern;      /* "/api/v1/users/{}": {} is a segment */
	pbx_rest_handler_h *h;
	unsigned flags;           /* PBX_REST_PUBLIC | PBX_REST_BODY */
};

/* Find the route for <method> and <path>, copying the segments its {}
 * capture into <params>. Returns 0 with <*routep> set; ENOENT when no
 * route has this path; EOPNOTSUPP when some do, but not for <method>,
 * with their methods ("GET, POST") in <allow> for the Allow header.
 */
int pbx_rest_route_find(const char *method, const char *path,
			const struct pbx_rest_route **routep,
			char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN],
			char *allow, size_t allowsz);

/* ---- handlers (health.c, users.c, registrations.c) ---- */

/* GET /api/v1/health: version, node, uptime and database state; 503
 * when PostgreSQL is unreachable. No token.
 */
int pbx_rest_health_get(struct pbx_rest_req *req);

/* GET /api/v1/users?limit&offset: a page of users by extension. */
int pbx_rest_users_list(struct pbx_rest_req *req);

/* POST /api/v1/users: create; 201 with Location, 409 if it exists. */
int pbx_rest_users_create(struct pbx_rest_req *req);

/* GET /api/v1/users/{extension}. */
int pbx_rest_users_get(struct pbx_rest_req *req);

/* PATCH /api/v1/users/{extension}: change the fields given. */
int pbx_rest_users_patch(struct pbx_rest_req *req);

/* DELETE /api/v1/users/{extension}: 204; registrations cascade. */
int pbx_rest_users_delete(struct pbx_rest_req *req);

/* GET /api/v1/registrations?limit&offset&extension: live bindings. */
int pbx_rest_reg_list(struct pbx_rest_req *req);

/* GET /api/v1/users/{extension}/registrations: one user's bindings. */
int pbx_rest_reg_of_user(struct pbx_rest_req *req);

/* DELETE /api/v1/registrations/{id}: drop a binding (the SQL trigger
 * tells the SIP loop). 204, or 404 for an unknown or malformed id.
 */
int pbx_rest_reg_delete(struct pbx_rest_req *req);

#endif
