/* rest/rest.h - the REST API server (libmicrohttpd + jansson) and the
 * token command line. Handlers run on libmicrohttpd's threads and use a
 * blocking connection pool; the loop learns of changes through
 * PostgreSQL NOTIFY, never from REST directly.
 */
#ifndef PBX_REST_REST_H
#define PBX_REST_REST_H

#include <pbx/cfg.h>

struct pbx_rest;
struct pbx_db_pool;

/* Serve /api/v1 on cfg->rest_address:cfg->rest_port. <pool> is borrowed
 * and must outlive the server. Returns 0, EADDRINUSE or EINVAL (logged).
 */
int pbx_rest_start(struct pbx_rest **restp, const struct pbx_cfg *cfg,
		   struct pbx_db_pool *pool);

/* Stop serving; waits for handlers in progress. NULL is fine. */
void pbx_rest_stop(struct pbx_rest *rest);

/* "pbxd token create NAME | list | revoke NAME": <argv>[0] is "token".
 * Prints the new token once on stdout. Returns the process exit status.
 */
int pbx_rest_token_cmd(const struct pbx_cfg *cfg, int argc, char **argv);

#endif
