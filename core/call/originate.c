/* call/originate.c - click-to-call (POST /api/v1/calls): pbxd rings the
 * caller's phones first, and the one that answers becomes the caller of
 * a call routed by the dialplan to the destination, as if dialled.
 */
#define PBX_LOG_TAG "call"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/log.h>

#include "call/call_int.h"
#include "call/calls.h"
#include "db/location.h"
#include "lua/dialplan.h"

#define NUMBER_MAX 64

/* What may stand in a number we put into SIP URIs and From headers. */
static bool is_number(const char *s)
{
	size_t n = strlen(s);

	return n && n < NUMBER_MAX &&
	       strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ*#+._-") == n;
}

static void on_caller_answered(struct pbx_call *call,
			       const struct pbx_dial_outcome *o, void *arg)
{
	int err;

	if (o->result != PBX_DIAL_ANSWERED) {
		pbx_call_end(call, 0, "pbx");
		return;
	}
	PBX_CINFO(call->sip_callid, "call %s: %s answered, routing to %s",
		  call->id, call->caller_number, call->destination);
	err = pbx_lua_route(call);
	if (err && !pbx_call_is_ending(call))
		pbx_call_end(call, 500, "pbx");
}

int pbx_call_originate(const char *from, const char *to,
		       const struct pbx_dial_opts *opts, char id[37])
{
	struct pbx_dial_opts o = { 0 };
	struct pbx_call *call;
	char target[NUMBER_MAX + 8];
	int err;

	if (!from || !to || !is_number(from) || !is_number(to))
		return EINVAL;
	if (!pbx_location_find(pbx_calls.loc, from))
		return ENOENT;
	call = pbx_call_new();
	if (!call)
		return ENOMEM;
	call->originating = true;
	call->caller_local = true;
	call->max_forwards = pbx_calls.max_forwards;
	call->sip_callid = strdup(call->id);
	call->caller_number = strdup(from);
	call->caller_name = strdup(opts && opts->caller_name ?
				   opts->caller_name : "");
	call->destination = strdup(to);
	call->hdrv = calloc(1, sizeof(*call->hdrv));
	if (!call->sip_callid || !call->caller_number ||
	    !call->caller_name || !call->destination || !call->hdrv ||
	    pbx_call_go_live(call)) {
		pbx_call_discard(call);
		return ENOMEM;
	}
	/* The caller's phone shows whom it is about to be connected to. */
	o.caller_number = to;
	o.caller_name = opts && opts->caller_name ? opts->caller_name : to;
	o.timeout_s = opts ? opts->timeout_s : 0;
	o.headers = opts ? opts->headers : NULL;
	snprintf(target, sizeof(target), "user/%s", from);
	err = pbx_call_dial(call, target, &o, on_caller_answered, NULL);
	if (err) {
		pbx_call_end(call, 500, "pbx");
		return err;
	}
	PBX_INFO("call %s: originated, ringing %s for %s", call->id, from,
		 to);
	memcpy(id, call->id, PBX_UUID_LEN + 1);
	return 0;
}
