/* sip/invite.c - a new INVITE arrives: hop limit (483), loops back to
 * pbxd (482), then digest authentication of the calling user with 407
 * and the registrar's rules (no user enumeration, per-source limits).
 * An authenticated INVITE becomes a leg and is handed to the call core
 * with what it needs to know about the caller.
 */
#define PBX_LOG_TAG "invite"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include <pbx/log.h>

#include "call/call.h"
#include "db/users.h"
#include "sip/deferred.h"
#include "sip/invite.h"
#include "sip/leg_int.h"
#include "sip/registrar_int.h"
#include "sip/sip_int.h"

#define HDRS_MAX 48
#define HDR_VALUE_MAX 1024

static struct {
	unsigned max_forwards;        /* call.max_forwards */
} iv = { .max_forwards = 70 };

void pbx_invite_config(unsigned max_forwards)
{
	iv.max_forwards = max_forwards;
}

static void challenge(struct pbx_deferred_req *in,
		      const struct pbx_user *user, bool stale)
{
	char hdr[2][PBX_AUTH_CHALLENGE_MAX];
	int n = pbx_registrar_challenge(in->reg, user, stale, hdr);

	if (!n) {
		pbx_deferred_respond(in, SIP_500_INTERNAL_SERVER_ERROR,
				     TAG_END());
		return;
	}
	pbx_deferred_respond(in, SIP_407_PROXY_AUTH_REQUIRED,
			     SIPTAG_PROXY_AUTHENTICATE_STR(hdr[0]),
			     TAG_IF(n > 1,
				    SIPTAG_PROXY_AUTHENTICATE_STR(hdr[1])),
			     TAG_END());
}

/* Display name without its quotes and escapes. */
static void unquote_name(char *out, size_t sz, const char *d)
{
	size_t n = 0;

	if (!d)
		d = "";
	if (*d == '"')
		d++;
	for (; *d && n + 1 < sz; d++) {
		if (*d == '\\' && d[1])
			d++;
		else if (*d == '"' && !d[1])
			break;
		out[n++] = *d;
	}
	out[n] = '\0';
}

/* Every header of the INVITE as name/value text, for call:header(). */
static size_t collect_headers(su_home_t *home, const sip_t *sip,
			      struct pbx_call_hdr *hv)
{
	size_t n = 0;

	for (msg_header_t *h = (msg_header_t *)sip->sip_request;
	     h && n < HDRS_MAX; h = h->sh_succ) {
		const msg_hclass_t *hc = h->sh_class;
		char *val;
		issize_t len;

		if (!hc || hc == sip_request_class ||
		    hc == sip_payload_class || hc == sip_separator_class ||
		    hc == sip_error_class)
			continue;
		val = su_alloc(home, HDR_VALUE_MAX);
		if (!val)
			break;
		len = msg_header_field_e(val, HDR_VALUE_MAX, h, 0);
		if (len < 0 || len >= HDR_VALUE_MAX)
			continue;
		val[len] = '\0';
		hv[n].name = hc->hc_name && *hc->hc_name ? hc->hc_name :
			     h->sh_unknown->un_name;
		hv[n].value = val;
		if (hv[n].name)
			n++;
	}
	return n;
}

/* Authenticated: the INVITE becomes the call's first leg. */
static void admit(struct pbx_deferred_req *in)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const sip_t *sip = in->sip;
	struct pbx_call_hdr hv[HDRS_MAX];
	struct pbx_call_intake ci = { 0 };
	const url_t *ru = sip->sip_request->rq_url;
	char name[128];
	struct pbx_leg *leg;

	if (pbx_leg_accept(&leg, in->nh, sip, NULL, NULL)) {
		pbx_deferred_respond(in, SIP_500_INTERNAL_SERVER_ERROR,
				     TAG_END());
		goto out;
	}
	unquote_name(name, sizeof(name), sip->sip_from->a_display);
	ci.sip_callid = in->callid;
	ci.caller_number = in->ext;
	ci.caller_name = name;
	ci.caller_local = true;
	ci.destination = ru && ru->url_user ? ru->url_user : "";
	if (sip->sip_payload && sip->sip_payload->pl_len) {
		ci.sdp = sip->sip_payload->pl_data;
		ci.sdp_len = sip->sip_payload->pl_len;
		ci.sdp_type = sip->sip_content_type ?
			      sip->sip_content_type->c_type : NULL;
	}
	ci.hdrv = hv;
	ci.hdrc = collect_headers(home, sip, hv);
	ci.max_forwards = sip->sip_max_forwards ?
			  (unsigned)sip->sip_max_forwards->mf_count - 1 :
			  iv.max_forwards;
	ci.source_ip = in->ip;
	in->nh = NULL;                /* the leg has it now */
	pbx_call_incoming(leg, &ci);
 out:
	su_home_deinit(home);
}

static void authenticate(struct pbx_deferred_req *in,
			 const struct pbx_user *user)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	auth_response_t ar[1] = {{ .ar_size = sizeof(ar[0]) }};
	const char *realm = pbx_registrar_realm(in->reg);
	enum pbx_auth_verdict v;
	int err;

	err = pbx_auth_find_in(home, in->sip->sip_proxy_authorization,
			       realm, ar);
	if (err == ENOENT) {
		challenge(in, user, false);
		goto out;
	}
	if (err) {
		pbx_deferred_respond(in, 400,
				     "Malformed Proxy-Authorization header",
				     TAG_END());
		goto out;
	}
	v = strcmp(ar->ar_username, in->ext) ? PBX_AUTH_REJECT :
	    pbx_registrar_verify(in->reg, ar, user, "INVITE");
	switch (v) {
	case PBX_AUTH_OK:
		admit(in);
		break;
	case PBX_AUTH_STALE:
		challenge(in, user, true);
		break;
	case PBX_AUTH_RECHALLENGE:
		challenge(in, user, false);
		break;
	case PBX_AUTH_REJECT:
		PBX_CINFO(in->callid, "INVITE authentication of %s failed "
			  "from %s", in->ext, in->ip);
		pbx_registrar_failed(in->reg, in->ip, in->ext);
		pbx_deferred_respond(in, SIP_403_FORBIDDEN, TAG_END());
		break;
	}
 out:
	su_home_deinit(home);
}

/* The call id pbxd put on an INVITE it sent, if this one carries it. */
static const char *loop_token(const sip_t *sip)
{
	for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next) {
		if (u->un_name && !strcasecmp(u->un_name, PBX_CALL_LOOP_HDR))
			return u->un_value;
	}
	return NULL;
}

void pbx_invite_handle(struct pbx_registrar *reg, nua_t *nua,
		       nua_handle_t *nh, const sip_t *sip)
{
	struct pbx_deferred_req stack_in = {
		.reg = reg, .nua = nua, .nh = nh, .sip = sip,
		.msg = nua_current_request(nua), .log_tag = PBX_LOG_TAG,
	};
	struct pbx_deferred_req *in = &stack_in;
	const struct pbx_user *user;
	const url_t *from = sip->sip_from ? sip->sip_from->a_url : NULL;
	const char *token;

	in->callid = sip->sip_call_id ? sip->sip_call_id->i_id : NULL;
	pbx_sip_source(in->msg, in->ip, NULL, NULL);
	/* RFC 3261 16.3 item 2 and 8.2.2.2: a request out of hops, or one
	 * pbxd itself sent for a call still running here, goes no further.
	 */
	if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0) {
		pbx_deferred_respond(in, SIP_483_TOO_MANY_HOPS, TAG_END());
		return;
	}
	token = loop_token(sip);
	if (token && pbx_call_find(token)) {
		PBX_CINFO(in->callid, "INVITE loops back into call %s: 482",
			  token);
		pbx_deferred_respond(in, SIP_482_LOOP_DETECTED, TAG_END());
		return;
	}
	if (pbx_registrar_blocked(reg, in->ip)) {
		pbx_deferred_respond(in, 403,
				     "Too many failed authentications",
				     TAG_END());
		return;
	}
	if (!from || !from->url_user || !*from->url_user ||
	    strlen(from->url_user) >= sizeof(in->ext)) {
		/* Challenge anyway: who the caller is comes from the
		 * credentials, and an empty From must not tell us apart.
		 */
		challenge(in, NULL, false);
		return;
	}
	snprintf(in->ext, sizeof(in->ext), "%s", from->url_user);

	user = pbx_users_find(pbx_registrar_users(reg), in->ext, time(NULL));
	if (user) {
		authenticate(in, user);
		return;
	}
	pbx_deferred_fetch(in, pbx_registrar_users(reg), authenticate);
}
