/* rest/router.h - the route table: which handler serves which method and
 * path under /api/v1, and what each needs (token, JSON body).
 */
#ifndef PBX_REST_ROUTER_H
#define PBX_REST_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "rest/req.h"

struct pbx_rest_route {
	const char *method;
	const char *pattern;      /* "/api/v1/users/{}": {} is a segment */
	pbx_rest_handler_h *h;
	unsigned flags;           /* PBX_REST_PUBLIC | PBX_REST_BODY */
};

/* Find the route for <method> and <path>, core routes first, then the
 * modules' (rest/modroutes.h), copying the segments its {} capture into
 * <params> (the rest of <params> is cleared). Returns 0 with a copy of
 * the route in <*route>: a module's may be unregistered meanwhile;
 * ENOENT when no route has this path; EOPNOTSUPP when some do, but not
 * for <method>, with their methods ("GET, POST") in <allow> for the
 * Allow header. Any thread.
 */
int pbx_rest_route_find(const char *method, const char *path,
			struct pbx_rest_route *route,
			char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN],
			char *allow, size_t allowsz);

/* Match <path> against <pattern> as pbx_rest_route_find() does. */
bool pbx_rest_route_match(
	const char *pattern, const char *path,
	char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN]);

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

/* GET /api/v1/modules: {"items":[...],"total"} from the module loader
 * (modules.c); 503 once pbxd is stopping.
 */
int pbx_rest_modules_list(struct pbx_rest_req *req);

/* GET /api/v1/cdrs?from&to&caller&destination&disposition&limit&offset:
 * call detail records newest first (cdrs.c); limit up to 1000, 400 for
 * a time that is not RFC 3339 or an unknown disposition.
 */
int pbx_rest_cdrs_list(struct pbx_rest_req *req);

/* GET /api/v1/cdrs/{call_id}: one record, or 404 (also for an id that
 * is not a uuid).
 */
int pbx_rest_cdrs_get(struct pbx_rest_req *req);

/* ---- calls.c: live calls, through the loop thread ---- */

/* GET /api/v1/calls: {"total","items"} of every live call. */
int pbx_rest_calls_list(struct pbx_rest_req *req);

/* GET /api/v1/calls/{id}: one live call, 404 when not live. */
int pbx_rest_calls_get(struct pbx_rest_req *req);

/* DELETE /api/v1/calls/{id}: hang it up; 204, or 404. */
int pbx_rest_calls_hangup(struct pbx_rest_req *req);

/* POST /api/v1/calls {"from","to"[,"timeout","caller_name"]}:
 * click-to-call; 201 {"id"} with Location, 409 when <from> has no
 * registered phone.
 */
int pbx_rest_calls_originate(struct pbx_rest_req *req);

/* ---- dialplan.c: the Lua dialplan, through the loop thread ---- */

/* GET /api/v1/dialplan: file, loaded_at, routes, errors,
 * decide_us_avg, memory_bytes, memory_max_bytes.
 */
int pbx_rest_dialplan_get(struct pbx_rest_req *req);

/* POST /api/v1/dialplan/reload: 200 {"file","loaded_at"}, or 400
 * {"error":{"code":"dialplan_error","message":"<file>:<line>: ..."}}
 * with the running dialplan kept.
 */
int pbx_rest_dialplan_reload(struct pbx_rest_req *req);

#endif
