/* rest/dialplan.c - POST /api/v1/dialplan/reload and GET
 * /api/v1/dialplan: reload the Lua dialplan and show its figures. The
 * dialplan belongs to the loop thread, so both handlers do their part
 * there through pbx_loop_call() and build the reply here from copies.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pbx/loop.h>

#include "lua/dialplan.h"
#include "rest/req.h"
#include "rest/router.h"

struct dp_job {
	bool reload;              /* in: reload first */
	int err;                  /* out: pbx_lua_reload_current()'s */
	char msg[512];            /* out: its reason */
	bool loaded;              /* out: a dialplan is loaded */
	char file[1024];          /* out: its path */
	int64_t loaded_at;
	uint64_t routes, errors, decide_ns;
	size_t mem_used, mem_max;
};

/* On the loop thread: reload if asked, then copy the figures. */
static void on_loop(void *arg)
{
	struct dp_job *j = arg;
	struct pbx_lua_stats st;

	if (j->reload)
		j->err = pbx_lua_reload_current(j->msg, sizeof(j->msg));
	pbx_lua_stats(&st);
	j->loaded = st.file != NULL;
	snprintf(j->file, sizeof(j->file), "%s", st.file ? st.file : "");
	j->loaded_at = st.loaded_at;
	j->routes = st.routes;
	j->errors = st.errors;
	j->decide_ns = st.decide_ns;
	j->mem_used = st.mem_used;
	j->mem_max = st.mem_max;
}

/* Unix time <t> as RFC 3339 UTC text, like every other *_at field; null
 * when nothing was loaded.
 */
static json_t *time_json(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (!t || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

static int run(struct pbx_rest_req *req, struct dp_job *j)
{
	if (pbx_loop_call(on_loop, j))
		return pbx_rest_error(req, 503, "unavailable", NULL,
				      "pbxd is shutting down");
	return 0;
}

int pbx_rest_dialplan_reload(struct pbx_rest_req *req)
{
	struct dp_job j = { .reload = true };
	int err;

	err = run(req, &j);
	if (err || req->status)
		return err;
	if (j.err == ENOMEM)
		return ENOMEM;
	if (j.err)
		return pbx_rest_error(req, 400, "dialplan_error", NULL, "%s",
				      j.msg);
	return pbx_rest_reply(req, 200,
			      json_pack("{s:s, s:o}", "file", j.file,
					"loaded_at",
					time_json(j.loaded_at)));
}

int pbx_rest_dialplan_get(struct pbx_rest_req *req)
{
	struct dp_job j = { .reload = false };
	double avg_us;
	int err;

	err = run(req, &j);
	if (err || req->status)
		return err;
	avg_us = j.routes ? (double)j.decide_ns / (double)j.routes / 1e3 :
		0.0;
	return pbx_rest_reply(req, 200,
			      json_pack("{s:s?, s:o, s:I, s:I, s:f, s:I, s:I}",
					"file", j.loaded ? j.file : NULL,
					"loaded_at",
					time_json(j.loaded_at),
					"routes", (json_int_t)j.routes,
					"errors", (json_int_t)j.errors,
					"decide_us_avg", avg_us,
					"memory_bytes",
					(json_int_t)j.mem_used,
					"memory_max_bytes",
					(json_int_t)j.mem_max));
}
