/* call/call.h - the call core inside pbxd: what main.c, the Lua layer
 * and the REST calls API use beyond the public <pbx/call.h>. Loop
 * thread only unless a function says otherwise.
 */
#ifndef PBX_CALL_CALL_H
#define PBX_CALL_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <pbx/call.h>
#include <pbx/cfg.h>

/* ---- For the Lua layer (core/lua/) ---- */

/* The dialplan's per-call state, kept by the call for the Lua layer. */
void *pbx_call_script(const struct pbx_call *call);
void pbx_call_set_script(struct pbx_call *call, void *script);

/* route(call) returned (<err> 0) or failed (<err> an errno: a Lua error,
 * a runaway script). The core then ends the call: an unanswered caller
 * gets the code of the last dial (486 after busy, 480 after no answer,
 * 404 after unavailable), 500 after an error, or 480 when nothing was
 * dialled; an answered caller gets BYE. Called at most once per call.
 */
void pbx_call_route_end(struct pbx_call *call, int err);

/* ---- For the SIP side (core/sip/invite.c) ---- */

struct pbx_leg;

/* Header pbxd adds to the INVITEs it sends, naming the call they belong
 * to: one that comes back to pbxd while that call runs is a loop (482).
 */
#define PBX_CALL_LOOP_HDR "X-Pbxd-Call"

struct pbx_call_hdr {
	const char *name;
	const char *value;
};

/* What the SIP side knows of a new, authenticated call. Borrowed for
 * the duration of pbx_call_incoming(); the call copies what it keeps.
 */
struct pbx_call_intake {
	const char *sip_callid;
	const char *caller_number;    /* the authenticated extension */
	const char *caller_name;      /* From display name, unquoted */
	bool caller_local;
	const char *destination;      /* Request-URI user part */
	const char *sdp;              /* offer, or NULL (delayed offer) */
	size_t sdp_len;
	const char *sdp_type;         /* its Content-Type, or NULL */
	const struct pbx_call_hdr *hdrv;
	size_t hdrc;
	unsigned max_forwards;        /* for the INVITEs this call sends */
	const char *source_ip;
};

/* A caller's INVITE was admitted as inbound leg <leg>: make the call and
 * run its dialplan, or refuse it (bad SDP 488, no dialplan 500). Takes
 * <leg> over in every case.
 */
void pbx_call_incoming(struct pbx_leg *leg, const struct pbx_call_intake *in);

/* The live call with id <id>, or NULL (borrowed). */
struct pbx_call *pbx_call_find(const char *id);

#endif
