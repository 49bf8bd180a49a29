/* pbx/rest.h - REST routes from modules: a module lists routes under
 * /api/v1/<module>/... and the core serves them with the same token
 * check, JSON parsing and error shape as its own (DESIGN.md section 7).
 * Handlers run on a REST thread and may block on PostgreSQL (through
 * pbx_rest_db_query()); to touch loop-owned state they go through
 * pbx_loop_call() (pbx/loop.h).
 */
#ifndef PBX_REST_H
#define PBX_REST_H

#include <jansson.h>

struct pbx_rest_req;
struct pbx_db_res;

/* A handler: reply with pbx_rest_reply()/pbx_rest_error() and return 0,
 * or return an errno without replying and the core answers it from its
 * one table (EINVAL 400, ENOENT 404, EEXIST 409, EIO 503 database
 * unreachable, ENOMEM and others 500).
 */
typedef int (pbx_rest_handler_h)(struct pbx_rest_req *req);

#define PBX_REST_PUBLIC 0x1       /* served without a bearer token */
#define PBX_REST_BODY   0x2       /* takes a JSON object body */

struct pbx_rest_route_def {
	const char *method;       /* "GET", "PUT", ...; NULL ends a table */
	const char *pattern;      /* below /api/v1/<module>: "" or "/{}";
				   * "{}" captures one path segment, at
				   * most two per route */
	pbx_rest_handler_h *h;
	unsigned flags;           /* PBX_REST_PUBLIC | PBX_REST_BODY */
};

/* Reply <status> with <body>, whose reference is taken (also on error).
 * A NULL <body> means an empty reply for 204, and a failed allocation
 * (ENOMEM) for any other status, so json_pack() can be passed directly.
 */
int pbx_rest_reply(struct pbx_rest_req *req, unsigned status, json_t *body);

/* Reply <status> with {"error":{"code":<code>,"message":...}} plus
 * "field":<field> when <field> is not NULL. Returns 0 or ENOMEM.
 */
int pbx_rest_error(struct pbx_rest_req *req, unsigned status,
		   const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Path segment <i> (from 0) captured by "{}" in the route, borrowed for
 * the request, or NULL when the route captured fewer.
 */
const char *pbx_rest_param(const struct pbx_rest_req *req, unsigned i);

/* The JSON object body of a PBX_REST_BODY route (already checked to be
 * an object), borrowed for the request; NULL for other routes.
 */
json_t *pbx_rest_body(const struct pbx_rest_req *req);

/* Query-string argument <name>, borrowed for the request, or NULL. */
const char *pbx_rest_req_arg(const struct pbx_rest_req *req,
			     const char *name);

/* Run <sql> with <n> text parameters <params> (NULL entries are SQL
 * NULL) on the request's pooled connection, blocking. Returns 0 with the
 * rows in <*resp> (free with pbx_db_res_free(), pbx/db.h); EIO when
 * PostgreSQL is unreachable, EEXIST for a unique violation, EPROTO for
 * any other database error (logged), ENOMEM. Each may be returned from
 * the handler as it is.
 */
int pbx_rest_db_query(struct pbx_rest_req *req, struct pbx_db_res **resp,
		      const char *sql, int n, const char *const *params);

#endif
