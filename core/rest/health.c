/* rest/health.c - GET /api/v1/health, for load balancers and monitoring:
 * answers without a token, and says "degraded" (503) rather than failing
 * when PostgreSQL is away, so a checker can tell the two apart.
 */
#include <errno.h>
#include <time.h>

#include "config.h"
#include "rest/req.h"
#include "rest/router.h"

int pbx_rest_health_get(struct pbx_rest_req *req)
{
	struct timespec now;
	PGresult *res = NULL;
	json_int_t uptime;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &now);
	uptime = (json_int_t)(now.tv_sec - req->rest->started.tv_sec);

	/* A round trip, not just a pooled handle: the connection may have
	 * died since it was last used.
	 */
	err = pbx_rest_query(req, &res, "SELECT 1", 0, NULL);
	PQclear(res);
	if (err == ENOMEM)
		return err;

	return pbx_rest_reply(req, err ? 503 : 200,
			      json_pack("{s:s, s:s, s:s, s:I, s:s}",
					"status", err ? "degraded" : "ok",
					"version", PACKAGE_VERSION,
					"node", req->rest->node,
					"uptime_s", uptime,
					"database",
					err ? "unreachable" : "ok"));
}
