/* rest/modroutes.c - routes modules add under /api/v1/<module>, and the
 * accessors of <pbx/rest.h> that only module handlers need (core
 * handlers read struct pbx_rest_req directly). Matching is the router's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/db.h>
#include <pbx/rest.h>

#include "db/pubapi.h"
#include "rest/modroutes.h"
#include "rest/req.h"
#include "rest/router.h"

/* One route of a module; <pattern> is the full path pattern. */
struct modroute {
	struct modroute *next;
	char *module;             /* (ref) owner */
	char *method;             /* (ref) */
	char *pattern;            /* (ref) "/api/v1/<module>/{}" */
	pbx_rest_handler_h *h;
	unsigned flags;
};

/* Readers are REST threads looking a request up; writers the loader.
 * The lookup copies the route out, so no entry is used past the lock.
 */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct modroute *table;     /* (ref) in registration order */

static void modroute_free(struct modroute *r)
{
	free(r->module);
	free(r->method);
	free(r->pattern);
	free(r);
}

static unsigned count_captures(const char *pattern)
{
	unsigned n = 0;

	for (const char *p = pattern; (p = strstr(p, "{}")); p += 2)
		n++;
	return n;
}

/* A new entry for <def> of <module>, or NULL with <*errp> set. */
static struct modroute *modroute_new(const char *module,
				     const struct pbx_rest_route_def *def,
				     int *errp)
{
	struct modroute *r;

	if (!def->method[0] || !def->h || !def->pattern ||
	    (def->pattern[0] && def->pattern[0] != '/') ||
	    count_captures(def->pattern) > PBX_REST_PARAMS_MAX) {
		*errp = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		*errp = ENOMEM;
		return NULL;
	}
	r->module = strdup(module);
	r->method = strdup(def->method);
	if (asprintf(&r->pattern, "/api/v1/%s%s", module, def->pattern) < 0)
		r->pattern = NULL;
	if (!r->module || !r->method || !r->pattern) {
		modroute_free(r);
		*errp = ENOMEM;
		return NULL;
	}
	r->h = def->h;
	r->flags = def->flags;
	return r;
}

static bool has_module(const char *module)
{
	for (struct modroute *r = table; r; r = r->next) {
		if (!strcmp(r->module, module))
			return true;
	}
	return false;
}

int pbx_rest_modroutes_add(const char *module,
			   const struct pbx_rest_route_def *defs)
{
	struct modroute *head = NULL, **tail = &head, **end;
	int err = 0;

	if (!module || !*module || !defs)
		return EINVAL;

	/* Build the entries unlocked, then link them all at once. */
	for (const struct pbx_rest_route_def *d = defs; d->method; d++) {
		struct modroute *r = modroute_new(module, d, &err);

		if (!r)
			goto out;
		*tail = r;
		tail = &r->next;
	}

	pthread_rwlock_wrlock(&lock);
	if (has_module(module)) {
		err = EEXIST;
	} else {
		for (end = &table; *end; end = &(*end)->next)
			;
		*end = head;
		head = NULL;
	}
	pthread_rwlock_unlock(&lock);
 out:
	while (head) {
		struct modroute *r = head;

		head = r->next;
		modroute_free(r);
	}
	return err;
}

void pbx_rest_modroutes_remove(const char *module)
{
	struct modroute **rp, *gone = NULL;

	if (!module)
		return;
	pthread_rwlock_wrlock(&lock);
	for (rp = &table; *rp;) {
		struct modroute *r = *rp;

		if (strcmp(r->module, module)) {
			rp = &r->next;
			continue;
		}
		*rp = r->next;
		r->next = gone;
		gone = r;
	}
	pthread_rwlock_unlock(&lock);

	while (gone) {
		struct modroute *r = gone;

		gone = r->next;
		modroute_free(r);
	}
}

int pbx_rest_modroutes_find(
	const char *method, const char *path, struct pbx_rest_route *route,
	char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN], char *allow,
	size_t allowsz)
{
	bool known = false;
	size_t len = 0;
	int err = ENOENT;

	if (allowsz)
		allow[0] = '\0';

	pthread_rwlock_rdlock(&lock);
	for (struct modroute *r = table; r; r = r->next) {
		if (!pbx_rest_route_match(r->pattern, path, params))
			continue;
		if (!strcmp(r->method, method)) {
			/* The pattern is not copied: dispatch needs only
			 * the handler and the flags.
			 */
			route->method = NULL;
			route->pattern = NULL;
			route->h = r->h;
			route->flags = r->flags;
			err = 0;
			break;
		}
		if (len < allowsz) {
			int n = snprintf(allow + len, allowsz - len, "%s%s",
					 known ? ", " : "", r->method);
			if (n > 0)
				len += (size_t)n;
		}
		known = true;
	}
	pthread_rwlock_unlock(&lock);

	if (err && known)
		err = EOPNOTSUPP;
	return err;
}

json_t *pbx_rest_modroutes_json(const char *module)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	pthread_rwlock_rdlock(&lock);
	for (struct modroute *r = table; r; r = r->next) {
		char line[160];

		if (strcmp(r->module, module))
			continue;
		snprintf(line, sizeof(line), "%s %s", r->method, r->pattern);
		if (json_array_append_new(a, json_string(line))) {
			json_decref(a);
			a = NULL;
			break;
		}
	}
	pthread_rwlock_unlock(&lock);
	return a;
}

/* ---- Accessors for module handlers ---- */

const char *pbx_rest_param(const struct pbx_rest_req *req, unsigned i)
{
	if (!req || i >= PBX_REST_PARAMS_MAX || !req->params[i][0])
		return NULL;
	return req->params[i];
}

json_t *pbx_rest_body(const struct pbx_rest_req *req)
{
	return req ? req->body : NULL;
}

int pbx_rest_db_query(struct pbx_rest_req *req, struct pbx_db_res **resp,
		      const char *sql, int n, const char *const *params)
{
	struct pbx_db_res *res;
	PGresult *pg;
	int err;

	if (!req || !resp || !sql)
		return EINVAL;
	err = pbx_rest_query(req, &pg, sql, n, params);
	if (err)
		return err;
	res = pbx_db_res_from_pg(pg);
	PQclear(pg);
	if (!res)
		return ENOMEM;
	*resp = res;
	return 0;
}
