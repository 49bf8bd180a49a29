/* rest/calls.c - /api/v1/calls: live calls (list, one, hang up) and
 * click-to-call. Calls belong to the loop thread, so every handler runs
 * its part there through pbx_loop_call() and only builds the reply here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <pbx/loop.h>

#include "call/calls.h"
#include "rest/req.h"
#include "rest/router.h"
#include "rest/validate.h"

#define ORIGINATE_TIMEOUT_MAX 600

struct job {
	const char *id;               /* (borrowed) path parameter */
	json_t *json;                 /* (ref) result */
	int err;
	/* originate */
	const char *from, *to, *caller_name;
	unsigned timeout_s;
	char new_id[37];
};

static void do_list(void *arg)
{
	struct job *j = arg;

	j->json = pbx_calls_json();
}

static void do_get(void *arg)
{
	struct job *j = arg;

	j->json = pbx_call_json_by_id(j->id);
}

static void do_hangup(void *arg)
{
	struct job *j = arg;

	j->err = pbx_call_hangup_by_id(j->id);
}

static void do_originate(void *arg)
{
	struct job *j = arg;
	struct pbx_dial_opts o = {
		.timeout_s = j->timeout_s, .caller_name = j->caller_name,
	};

	j->err = pbx_call_originate(j->from, j->to, &o, j->new_id);
}

int pbx_rest_calls_list(struct pbx_rest_req *req)
{
	struct job j = { 0 };
	int err = pbx_loop_call(do_list, &j);

	if (err)
		return err == ESHUTDOWN ? EIO : err;
	if (!j.json)
		return ENOMEM;
	return pbx_rest_reply(req, 200, json_pack("{s:I, s:o}", "total",
				(json_int_t)json_array_size(j.json),
				"items", j.json));
}

int pbx_rest_calls_get(struct pbx_rest_req *req)
{
	struct job j = { .id = req->params[0] };
	int err;

	if (!pbx_rest_validate_uuid(j.id))
		return pbx_rest_error(req, 404, "not_found", NULL,
				      "no live call '%.40s'", j.id);
	err = pbx_loop_call(do_get, &j);
	if (err)
		return err == ESHUTDOWN ? EIO : err;
	if (!j.json)
		return pbx_rest_error(req, 404, "not_found", NULL,
				      "no live call '%s'", j.id);
	return pbx_rest_reply(req, 200, j.json);
}

int pbx_rest_calls_hangup(struct pbx_rest_req *req)
{
	struct job j = { .id = req->params[0] };
	int err;

	if (!pbx_rest_validate_uuid(j.id))
		return pbx_rest_error(req, 404, "not_found", NULL,
				      "no live call '%.40s'", j.id);
	err = pbx_loop_call(do_hangup, &j);
	if (err)
		return err == ESHUTDOWN ? EIO : err;
	if (j.err == ENOENT)
		return pbx_rest_error(req, 404, "not_found", NULL,
				      "no live call '%s'", j.id);
	return pbx_rest_reply(req, 204, NULL);
}

/* A required string member <name> of <body>; 400 names it otherwise. */
static const char *member(struct pbx_rest_req *req, const char *name,
			  bool required, int *errp)
{
	json_t *v = json_object_get(req->body, name);

	if (!v && !required)
		return NULL;
	if (!json_is_string(v) || !*json_string_value(v)) {
		*errp = pbx_rest_error(req, 400, "invalid", name,
				       "%s must be a non-empty string", name);
		if (!*errp)
			*errp = -1;
		return NULL;
	}
	return json_string_value(v);
}

int pbx_rest_calls_originate(struct pbx_rest_req *req)
{
	struct job j = { 0 };
	json_t *t = json_object_get(req->body, "timeout");
	int err = 0;

	j.from = member(req, "from", true, &err);
	if (!err)
		j.to = member(req, "to", true, &err);
	if (!err)
		j.caller_name = member(req, "caller_name", false, &err);
	if (err)
		return err < 0 ? 0 : err;
	if (t && (!json_is_integer(t) || json_integer_value(t) < 1 ||
		  json_integer_value(t) > ORIGINATE_TIMEOUT_MAX))
		return pbx_rest_error(req, 400, "invalid", "timeout",
				      "timeout must be 1 to %d seconds",
				      ORIGINATE_TIMEOUT_MAX);
	j.timeout_s = t ? (unsigned)json_integer_value(t) : 0;
	err = pbx_loop_call(do_originate, &j);
	if (err)
		return err == ESHUTDOWN ? EIO : err;
	if (j.err == EINVAL)
		return pbx_rest_error(req, 400, "invalid", NULL,
				      "from and to must be numbers or names "
				      "of [0-9A-Za-z*#+._-], under 64 "
				      "characters");
	if (j.err == ENOENT)
		return pbx_rest_error(req, 409, "not_registered", "from",
				      "%.64s has no registered phone to "
				      "ring", j.from);
	if (j.err)
		return j.err;
	err = pbx_rest_header(req, "Location", "/api/v1/calls/%s",
			      j.new_id);
	if (err)
		return err;
	return pbx_rest_reply(req, 201, json_pack("{s:s, s:s, s:s}",
				"id", j.new_id, "from", j.from, "to", j.to));
}
