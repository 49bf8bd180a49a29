/* call/report.c - live calls as the REST API shows them (GET
 * /api/v1/calls): identity, state, times, variables, and each leg with
 * its codec, RTP address and counters; hang-up by id.
 */
#include <errno.h>
#include <time.h>
#include <sys/time.h>

#include "call/call_int.h"
#include "call/calls.h"
#include "util/strmap.h"

static json_t *time_json(int64_t us)
{
	char buf[64];
	time_t s = (time_t)(us / 1000000);
	struct tm tm;

	if (!us || !gmtime_r(&s, &tm))
		return json_null();
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(us % 1000000 / 1000));
	return json_string(buf);
}

static int var_json(const char *key, void *value, void *arg)
{
	json_object_set_new(arg, key, json_string(value));
	return 0;
}

static const char *state_name(const struct pbx_call *call)
{
	if (call->state == CALL_ENDING)
		return "ending";
	if (call->state == CALL_ANSWERED)
		return call->b ? "bridged" : "answered";
	if (call->originating)
		return "calling_caller";
	return call->dial ? "dialling" : "routing";
}

static json_t *call_json(struct pbx_call *call)
{
	struct timeval tv;
	int64_t now;
	json_t *o, *legs, *vars;

	gettimeofday(&tv, NULL);
	now = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	legs = json_array();
	vars = json_object();
	o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:o, s:o, s:I, "
		      "s:I}",
		      "id", call->id, "sip_call_id", call->sip_callid,
		      "caller", "number", call->caller_number,
		      "name", call->caller_name,
		      "destination", call->destination,
		      "state", state_name(call),
		      "started_at", time_json(call->start_us),
		      "answered_at", time_json(call->answer_us),
		      "duration", (json_int_t)((now - call->start_us) /
					       1000000),
		      "billsec", (json_int_t)(call->answer_us ?
					      (now - call->answer_us) /
					      1000000 : 0));
	if (!o || !legs || !vars) {
		json_decref(o);
		json_decref(legs);
		json_decref(vars);
		return NULL;
	}
	if (call->a)
		json_array_append_new(legs, pbx_cleg_json(call->a, "caller"));
	if (call->b)
		json_array_append_new(legs, pbx_cleg_json(call->b, "callee"));
	pbx_strmap_walk(call->vars, var_json, vars);
	json_object_set_new(o, "legs", legs);
	json_object_set_new(o, "variables", vars);
	return o;
}

static int list_one(const char *key, void *value, void *arg)
{
	json_array_append_new(arg, call_json(value));
	return 0;
}

json_t *pbx_calls_json(void)
{
	json_t *a = json_array();

	if (a && pbx_calls.live)
		pbx_strmap_walk(pbx_calls.live, list_one, a);
	return a;
}

json_t *pbx_call_json_by_id(const char *id)
{
	struct pbx_call *call = pbx_call_find(id);

	return call ? call_json(call) : NULL;
}

int pbx_call_hangup_by_id(const char *id)
{
	struct pbx_call *call = pbx_call_find(id);

	if (!call)
		return ENOENT;
	pbx_call_hangup(call, 0);
	return 0;
}
