/* rest/modroutes.h - modules' REST routes: the module loader adds a
 * module's table under /api/v1/<module> and removes it at unload; the
 * router looks them up after its own. Any thread: a rwlock guards the
 * table, although in practice modules load before REST starts and
 * unload after it stopped.
 */
#ifndef PBX_REST_MODROUTES_H
#define PBX_REST_MODROUTES_H

#include <stddef.h>

#include <jansson.h>

#include <pbx/rest.h>

#include "rest/router.h"

/* Serve <defs> (ended by a NULL method) as /api/v1/<module><pattern>.
 * <module> is a module name ([a-z0-9_]); <defs> and its strings are
 * copied. EEXIST when <module> has routes already, EINVAL for a bad
 * entry (no handler, a pattern not starting with '/', more "{}" than a
 * request can capture), ENOMEM. All or nothing.
 */
int pbx_rest_modroutes_add(const char *module,
			   const struct pbx_rest_route_def *defs);

/* Stop serving <module>'s routes (none is fine). */
void pbx_rest_modroutes_remove(const char *module);

/* pbx_rest_route_find() over the module routes only; same contract. */
int pbx_rest_modroutes_find(
	const char *method, const char *path, struct pbx_rest_route *route,
	char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN], char *allow,
	size_t allowsz);

/* <module>'s routes as ["GET /api/v1/dnd/{}", ...]; NULL if out of
 * memory.
 */
json_t *pbx_rest_modroutes_json(const char *module);

#endif
