/* sip/leg.c - a leg is one nua handle with an INVITE dialog: this file
 * turns the call core's orders into nua calls and nua's events into leg
 * events (sip/leg.h). It keeps the handle until the dialog really ended
 * (nua's terminated state), so a BYE or a final response still goes out,
 * and frees it then, or after a grace time for peers that vanished.
 */
#define PBX_LOG_TAG "leg"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "sip/leg.h"
#include "sip/leg_int.h"
#include "sip/sip_int.h"

struct pbx_leg {
	nua_handle_t *nh;             /* (ref) */
	pbx_leg_event_h *h;
	void *owner;                  /* (borrowed) */
	char *uri;                    /* (ref) */
	char *callid;                 /* (ref) for logs */
	bool inbound;
	bool final_sent;              /* inbound: final response sent */
	bool answered;                /* a 2xx sent (inbound) or seen */
	bool ending;                  /* pbx_leg_end() was called */
	bool in_offer;                /* an in-dialog offer is being
				       * reported (PBX_LEG_EV_REINVITE) */
	bool reanswered;              /* ... and was answered */
	struct pbx_timer *grace;      /* frees a leg whose end never came */
};

static struct {
	nua_t *nua;                   /* (borrowed) */
	char domain[128];             /* host of our From addresses */
} lg;

void pbx_leg_setup(nua_t *nua, const char *domain)
{
	lg.nua = nua;
	snprintf(lg.domain, sizeof(lg.domain), "%s", domain);
}

static struct pbx_leg *leg_new(void)
{
	struct pbx_leg *leg = calloc(1, sizeof(*leg));

	if (leg && pbx_timer_alloc(&leg->grace)) {
		free(leg);
		return NULL;
	}
	return leg;
}

/* The dialog is over: let the handle go and tell the owner, last. */
static void leg_gone(struct pbx_leg *leg)
{
	struct pbx_leg_ev ev = { .type = PBX_LEG_EV_GONE };

	if (leg->nh) {
		nua_handle_bind(leg->nh, NULL);
		nua_handle_destroy(leg->nh);
		leg->nh = NULL;
	}
	pbx_timer_free(leg->grace);
	if (leg->h)
		leg->h(leg, &ev, leg->owner);
	free(leg->uri);
	free(leg->callid);
	free(leg);
}

static void on_grace(void *arg)
{
	struct pbx_leg *leg = arg;

	PBX_CWARN(leg->callid, "leg %s: no end of dialog after %u s, "
		  "dropped", leg->uri ? leg->uri : "?", PBX_LEG_END_GRACE_S);
	leg_gone(leg);
}

/* The SDP body of <sip>, if it has one. */
static bool sdp_body_of(const sip_t *sip, const char **body, size_t *len)
{
	if (!sip || !sip->sip_payload || !sip->sip_payload->pl_len ||
	    (sip->sip_content_type && sip->sip_content_type->c_type &&
	     strcasecmp(sip->sip_content_type->c_type, "application/sdp")))
		return false;
	*body = sip->sip_payload->pl_data;
	*len = sip->sip_payload->pl_len;
	return true;
}

static void emit(struct pbx_leg *leg, enum pbx_leg_ev_type type, int code,
		 const sip_t *sip)
{
	struct pbx_leg_ev ev = { .type = type, .code = code };

	if (leg->ending || !leg->h)
		return;
	sdp_body_of(sip, &ev.body, &ev.len);
	leg->h(leg, &ev, leg->owner);
}

/* Whether the peer said it takes UPDATE (RFC 3311: Allow lists it). */
static bool allows_update(const sip_t *sip)
{
	return sip && sip->sip_allow &&
	       sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE");
}

/* Whether the caller asks pbxd, its UAS, to refresh (RFC 4028 9). */
static bool wants_uas_refresh(const sip_t *sip)
{
	const sip_session_expires_t *x = sip->sip_session_expires;

	return x && x->x_refresher && !strcasecmp(x->x_refresher, "uas");
}

/* ---- Inbound: the caller's INVITE ---- */

int pbx_leg_accept(struct pbx_leg **legp, nua_handle_t *nh,
		   const sip_t *sip, pbx_leg_event_h *h, void *owner)
{
	struct pbx_leg *leg = leg_new();

	if (!leg)
		return ENOMEM;
	leg->nh = nh;
	leg->inbound = true;
	leg->h = h;
	leg->owner = owner;
	if (sip->sip_contact) {
		char *u = url_as_string(nua_handle_home(nh),
					sip->sip_contact->m_url);

		leg->uri = u ? strdup(u) : NULL;
	}
	leg->callid = sip->sip_call_id ? strdup(sip->sip_call_id->i_id) :
		      NULL;
	/* RFC 4028: pbxd refreshes by UPDATE only. A caller that does not
	 * know session timers, or asks pbxd to refresh without allowing
	 * UPDATE, gets none: nua's other refresh, an INVITE without SDP,
	 * cannot be completed with media off. The RTP timeout finds a dead
	 * caller anyway.
	 */
	if (!sip_has_supported(sip->sip_supported, "timer") ||
	    (wants_uas_refresh(sip) && !allows_update(sip)))
		nua_set_hparams(nh, NUTAG_SESSION_TIMER(0),
			SIPTAG_SUPPORTED_STR(PBX_SIP_SUPPORTED_NO_TIMER),
			TAG_END());
	nua_handle_bind(nh, leg);
	*legp = leg;
	return 0;
}

int pbx_leg_respond(struct pbx_leg *leg, int code, const char *sdp,
		    const char *reason)
{
	if (!leg || !leg->inbound || leg->final_sent || leg->ending)
		return EALREADY;
	if (code >= 200)
		leg->final_sent = true;
	if (code >= 200 && code < 300)
		leg->answered = true;
	/* NULL phrase: nua keeps the pointer (sofia notes 10.1), so only
	 * its own static default phrases are safe.
	 */
	nua_respond(leg->nh, code, NULL,
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)),
		    TAG_IF(reason, SIPTAG_WARNING_STR(reason)),
		    TAG_END());
	return 0;
}

void pbx_leg_reanswer(struct pbx_leg *leg, int code, const char *sdp)
{
	if (!leg || !leg->in_offer || leg->reanswered)
		return;
	leg->reanswered = true;
	nua_respond(leg->nh, code, NULL, NUTAG_WITH_THIS(lg.nua),
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)),
		    TAG_IF(code == 500, SIPTAG_RETRY_AFTER_STR("1")),
		    TAG_END());
}

/* ---- Outbound ---- */

/* '"' and '\' escaped for a quoted display name (RFC 3261 25.1). */
static void quote_name(char *out, size_t sz, const char *name)
{
	size_t n = 0;

	for (; *name && n + 3 < sz; name++) {
		if (*name == '"' || *name == '\\')
			out[n++] = '\\';
		if ((unsigned char)*name >= 0x20)
			out[n++] = *name;
	}
	out[n] = '\0';
}

int pbx_leg_invite(struct pbx_leg **legp, const struct pbx_leg_invite *inv,
		   pbx_leg_event_h *h, void *owner)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	char from[512], name[160], mf[8];
	struct pbx_leg *leg;
	url_t *url;
	int err = 0;

	if (!legp || !inv || !inv->uri || !inv->from_user || !lg.nua)
		return EINVAL;
	url = url_make(home, inv->uri);
	if (!url || (url->url_type != url_sip && url->url_type != url_sips) ||
	    !url->url_host) {
		su_home_deinit(home);
		return EINVAL;
	}
	leg = leg_new();
	if (!leg) {
		su_home_deinit(home);
		return ENOMEM;
	}
	leg->h = h;
	leg->owner = owner;
	leg->uri = strdup(inv->uri);
	quote_name(name, sizeof(name), inv->from_name ? inv->from_name : "");
	snprintf(from, sizeof(from), "%s%s%s<sip:%s@%s>", *name ? "\"" : "",
		 name, *name ? "\" " : "", inv->from_user, lg.domain);
	snprintf(mf, sizeof(mf), "%u", inv->max_forwards);
	leg->nh = nua_handle(lg.nua, leg, NUTAG_URL(url),
			     SIPTAG_TO(sip_to_create(home, (url_string_t *)
						     url)),
			     SIPTAG_FROM_STR(from), TAG_END());
	if (!leg->uri || !leg->nh) {
		err = ENOMEM;
		goto out;
	}
	nua_invite(leg->nh,
		   TAG_IF(inv->next_hop, NUTAG_PROXY(inv->next_hop)),
		   SIPTAG_MAX_FORWARDS_STR(mf),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(inv->sdp),
		   TAG_IF(inv->headers && *inv->headers,
			  SIPTAG_HEADER_STR(inv->headers)),
		   TAG_END());
 out:
	su_home_deinit(home);
	if (err) {
		if (leg->nh)
			nua_handle_destroy(leg->nh);
		pbx_timer_free(leg->grace);
		free(leg->uri);
		free(leg);
		return err;
	}
	*legp = leg;
	return 0;
}

/* ---- Ending ---- */

void pbx_leg_end(struct pbx_leg *leg, int code)
{
	if (!leg || leg->ending)
		return;
	leg->ending = true;
	if (leg->inbound && !leg->final_sent) {
		leg->final_sent = true;
		nua_respond(leg->nh, code >= 300 && code < 700 ? code : 480,
			    NULL, TAG_END());
	} else if (leg->answered) {
		nua_bye(leg->nh, TAG_END());
	} else if (!leg->inbound) {
		nua_cancel(leg->nh, TAG_END());
	}
	pbx_timer_start(leg->grace, PBX_LEG_END_GRACE_S * 1000, on_grace,
			leg);
}

void pbx_leg_set_owner(struct pbx_leg *leg, pbx_leg_event_h *h,
		       void *owner)
{
	leg->h = h;
	leg->owner = owner;
}

const char *pbx_leg_uri(const struct pbx_leg *leg)
{
	return leg && leg->uri ? leg->uri : "";
}

/* ---- Events from nua ---- */

static void on_response(struct pbx_leg *leg, int status, const sip_t *sip)
{
	if (status < 180)
		return;
	if (status < 200) {
		emit(leg, PBX_LEG_EV_PROGRESS, status, sip);
		return;
	}
	if (status < 300) {
		/* A re-INVITE's answer would come here too, but pbxd sends
		 * none: re-INVITEs end at the PBX (media is anchored).
		 */
		if (leg->answered)
			return;
		leg->answered = true;
		/* If pbxd is to refresh this session, a callee without
		 * UPDATE gets our INVITE again (same offer) instead.
		 */
		if (!allows_update(sip))
			nua_set_hparams(leg->nh, NUTAG_UPDATE_REFRESH(0),
					TAG_END());
		/* nua ACKs a 2xx itself (auto-ACK): a branch that answers
		 * after it was cancelled is then hung up (RFC 3261 15).
		 */
		if (leg->ending) {
			nua_bye(leg->nh, TAG_END());
			return;
		}
		emit(leg, PBX_LEG_EV_ANSWER, status, sip);
		return;
	}
	if (!leg->answered)
		emit(leg, PBX_LEG_EV_FAILED, status, sip);
}

/* An in-dialog INVITE, or an UPDATE with an offer (RFC 3311): the owner
 * answers it while it is reported. nua has already refused an INVITE
 * that overlaps an unanswered or un-ACKed one (500 with Retry-After).
 */
static void on_offer(struct pbx_leg *leg, bool update, const sip_t *sip)
{
	struct pbx_leg_ev ev = { .type = PBX_LEG_EV_REINVITE,
				 .update = update };

	leg->in_offer = true;
	leg->reanswered = false;
	if (!leg->ending && leg->h) {
		sdp_body_of(sip, &ev.body, &ev.len);
		leg->h(leg, &ev, leg->owner);
	}
	/* Whoever forgot to answer, the peer must hear something. */
	if (!leg->reanswered)
		pbx_leg_reanswer(leg, leg->ending ? 481 : 500, NULL);
	leg->in_offer = false;
}

/* UPDATE (RFC 3311): a session refresh without a body is ours to answer
 * (nua adds the Session-Expires); an offer goes to the owner.
 */
static void on_update(struct pbx_leg *leg, nua_handle_t *nh,
		      const sip_t *sip)
{
	const char *body = NULL;
	size_t len = 0;

	if (sdp_body_of(sip, &body, &len)) {
		on_offer(leg, true, sip);
		return;
	}
	if (sip && sip->sip_payload && sip->sip_payload->pl_len) {
		nua_respond(nh, SIP_415_UNSUPPORTED_MEDIA,
			    NUTAG_WITH_THIS(lg.nua),
			    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
		return;
	}
	nua_respond(nh, leg->ending ? 481 : 200, NULL,
		    NUTAG_WITH_THIS(lg.nua), TAG_END());
}

/* The value of line "<name>=" in <buf> (case-insensitive name), or
 * NULL.
 */
static char *body_param(char *buf, const char *name)
{
	size_t n = strlen(name);

	for (char *line = buf; line; line = strchr(line, '\n')) {
		line += strspn(line, "\r\n \t");
		if (!strncasecmp(line, name, n)) {
			line += n + strspn(line + n, " \t");
			if (*line == '=')
				return line + 1 + strspn(line + 1, " \t");
		}
	}
	return NULL;
}

/* The digit of a legacy SIP INFO keypress: the "Signal=" line of
 * application/dtmf-relay (its "Duration=" in ms into <*duration_ms>, 0
 * without one), or the body of application/dtmf. Signals 10-15 are '*',
 * '#', 'A'-'D' (RFC 4733 event numbers, as some phones send them).
 * 0: none.
 */
static char info_digit(const sip_t *sip, unsigned *duration_ms)
{
	char buf[256], *v = NULL, *d;
	const char *t;
	size_t n;

	*duration_ms = 0;
	if (!sip || !sip->sip_content_type || !sip->sip_payload ||
	    !(t = sip->sip_content_type->c_type))
		return 0;
	n = sip->sip_payload->pl_len < sizeof(buf) - 1 ?
	    sip->sip_payload->pl_len : sizeof(buf) - 1;
	memcpy(buf, sip->sip_payload->pl_data, n);
	buf[n] = '\0';
	if (!strcasecmp(t, "application/dtmf")) {
		v = buf + strspn(buf, " \t\r\n");
	} else if (!strcasecmp(t, "application/dtmf-relay")) {
		v = body_param(buf, "signal");
		d = body_param(buf, "duration");
		if (d && isdigit((unsigned char)*d))
			*duration_ms = (unsigned)strtoul(d, NULL, 10);
	}
	if (!v)
		return 0;
	if (v[0] == '1' && v[1] >= '0' && v[1] <= '5')
		return "*#ABCD"[v[1] - '0'];
	if (isdigit((unsigned char)v[1]))
		return 0;
	if (*v && strchr("0123456789*#ABCDabcd", *v))
		return (char)(*v >= 'a' ? *v - ('a' - 'A') : *v);
	return 0;
}

/* INFO inside the dialog (RFC 6086, legacy use without Info-Package):
 * always 200; a keypress is reported to the owner.
 */
static void on_info(struct pbx_leg *leg, nua_handle_t *nh, const sip_t *sip)
{
	struct pbx_leg_ev ev = { .type = PBX_LEG_EV_DTMF };

	nua_respond(nh, leg->ending ? 481 : 200, NULL,
		    NUTAG_WITH_THIS(lg.nua), TAG_END());
	ev.digit = info_digit(sip, &ev.duration_ms);
	if (ev.digit && !leg->ending && leg->h)
		leg->h(leg, &ev, leg->owner);
}

void pbx_leg_on_event(nua_event_t ev, int status, nua_handle_t *nh,
		      struct pbx_leg *leg, const sip_t *sip, tagi_t tags[])
{
	int cs = -1;

	switch (ev) {
	case nua_r_invite:
		on_response(leg, status, sip);
		return;
	case nua_i_invite:
		if (status < 200)
			on_offer(leg, false, sip);
		return;
	case nua_i_update:
		if (status < 200)
			on_update(leg, nh, sip);
		return;
	case nua_i_info:
		if (status < 200)
			on_info(leg, nh, sip);
		return;
	case nua_i_ack:
		emit(leg, PBX_LEG_EV_ACK, 0, sip);
		return;
	case nua_i_cancel:
		emit(leg, PBX_LEG_EV_CANCEL, 487, sip);
		return;
	case nua_i_bye:
		emit(leg, PBX_LEG_EV_BYE, 0, sip);
		leg->ending = true;
		return;
	case nua_r_bye:
		/* A BYE nobody asked nua for: the peer let the session
		 * expire (RFC 4028 10). Reported when it is answered.
		 */
		if (!leg->ending && leg->answered) {
			PBX_CINFO(leg->callid, "leg %s: session expired, "
				  "not refreshed", leg->uri ? leg->uri : "?");
			emit(leg, PBX_LEG_EV_BYE, 408, NULL);
			leg->ending = true;
		}
		return;
	case nua_i_options:
		if (status < 200)
			nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(lg.nua),
				    TAG_END());
		return;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs != nua_callstate_terminated)
			return;
		/* Ended without a BYE we saw: session timer expiry, a
		 * failed INVITE, or our own BYE or CANCEL done.
		 */
		if (!leg->ending && leg->answered)
			emit(leg, PBX_LEG_EV_BYE, status >= 400 ? status : 0,
			     NULL);
		leg->ending = true;
		leg_gone(leg);
		return;
	default:
		PBX_DEBUG("leg event %s %d ignored", nua_event_name(ev),
			  status);
		return;
	}
}
