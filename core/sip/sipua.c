/* sip/sipua.c - the Sofia-SIP user agent: binds the transports, routes
 * each nua event to its owner (REGISTER to the registrar) and answers
 * what pbxd does not serve yet. Loop thread only; the only place that
 * creates or destroys the nua object.
 */
#define PBX_LOG_TAG "sip"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/tport_tag.h>

#include <pbx/log.h>

#include "sip/invite.h"
#include "sip/leg_int.h"
#include "sip/registrar.h"
#include "sip/registrar_int.h"
#include "sip/sip.h"
#include "sip/sip_int.h"

#define ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REGISTER"
/* No 100rel: provisional responses are relayed, never made reliable. */
#define SUPPORTED "timer, " PBX_SIP_SUPPORTED_NO_TIMER

static struct {
	nua_t *nua;
	struct pbx_registrar *reg;    /* (borrowed) */
	pbx_sipua_done_h *done;
	void *done_arg;
	bool shut_down;               /* nua_r_shutdown reported final */
} ua;

static const char *callid_of(const sip_t *sip)
{
	return sip && sip->sip_call_id ? sip->sip_call_id->i_id : NULL;
}

/* OPTIONS to pbxd itself (RFC 3261 11.2): what we allow and support.
 * nua adds "Accept: application/sdp" by itself.
 */
static void answer_options(nua_t *nua, nua_handle_t *nh)
{
	nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua),
		    SIPTAG_ALLOW_STR(ALLOW),
		    SIPTAG_SUPPORTED_STR(SUPPORTED), TAG_END());
	nua_handle_destroy(nh);
}

/* A request no part of pbxd serves yet, on a handle nobody owns. */
static void refuse(nua_t *nua, nua_handle_t *nh, int status,
		   const sip_t *sip)
{
	/* INFO belongs to a dialog (RFC 6086 4.2.2). */
	if (status < 200 && sip && sip->sip_request &&
	    sip->sip_request->rq_method == sip_method_info) {
		nua_respond(nh, SIP_481_NO_TRANSACTION, NUTAG_WITH_THIS(nua),
			    TAG_END());
	} else if (status < 200) {
		PBX_LOG(PBX_LOG_INFO, callid_of(sip), "%s not served: 501",
			sip && sip->sip_request ?
			sip->sip_request->rq_method_name : "request");
		nua_respond(nh, SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(nua),
			    SIPTAG_ALLOW_STR(ALLOW), TAG_END());
	}
	nua_handle_destroy(nh);
}

static void on_event(nua_event_t ev, int status, char const *phrase,
		     nua_t *nua, nua_magic_t *magic, nua_handle_t *nh,
		     nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	if (hmagic && nh) {
		pbx_leg_on_event(ev, status, nh, (struct pbx_leg *)hmagic, sip,
				 tags);
		return;
	}
	switch (ev) {
	case nua_i_invite:
		if (status < 200)
			pbx_invite_handle(ua.reg, nua, nh, sip);
		else
			nua_handle_destroy(nh);
		return;
	case nua_i_register:
		if (status < 200)
			pbx_registrar_handle(ua.reg, nua, nh, sip);
		else
			nua_handle_destroy(nh);
		return;
	case nua_i_options:
		if (status < 200)
			answer_options(nua, nh);
		else
			nua_handle_destroy(nh);
		return;
	case nua_r_shutdown:
		if (status >= 200)
			ua.shut_down = true;
		if (status >= 200 && ua.done) {
			pbx_sipua_done_h *done = ua.done;

			ua.done = NULL;
			done(ua.done_arg);
		}
		return;
	case nua_i_error:
		PBX_WARN("stack error %d %s", status, phrase);
		return;
	default:
		break;
	}
	if (nua_event_is_incoming_request(ev) && !hmagic && nh) {
		refuse(nua, nh, status, sip);
		return;
	}
	/* State and terminated events on handles we already let go of. */
	if (ev == nua_i_terminated || ev == nua_i_state)
		return;
	PBX_DEBUG("unhandled event %s %d %s", nua_event_name(ev), status,
		  phrase ? phrase : "");
}

/* "sip:ADDR:PORT[;transport=..]", IPv6 addresses in brackets. */
static void bind_url(char *out, size_t sz, const struct pbx_cfg *cfg)
{
	bool v6 = strchr(cfg->sip_address, ':') != NULL;
	const char *tr = "";

	if (cfg->sip_udp && !cfg->sip_tcp)
		tr = ";transport=udp";
	else if (cfg->sip_tcp && !cfg->sip_udp)
		tr = ";transport=tcp";
	snprintf(out, sz, "sip:%s%s%s:%u%s", v6 ? "[" : "", cfg->sip_address,
		 v6 ? "]" : "", cfg->sip_port, tr);
}

int pbx_sipua_start(const struct pbx_cfg *cfg, struct pbx_registrar *reg)
{
	char url[160];

	bind_url(url, sizeof(url), cfg);
	ua.reg = reg;
	ua.nua = nua_create(pbx_sip_root(), on_event, NULL,
		NUTAG_URL(url),
		/* The _STR tags replace nua's default lists (NUTAG_ALLOW and
		 * NUTAG_SUPPORTED would add to them).
		 */
		SIPTAG_ALLOW_STR(ALLOW),
		NUTAG_APPL_METHOD("REGISTER"),
		NUTAG_APPL_METHOD("OPTIONS"),
		/* In-dialog: UPDATE may carry an offer only the call can
		 * answer, INFO a keypress (sip/leg.c).
		 */
		NUTAG_APPL_METHOD("UPDATE"),
		NUTAG_APPL_METHOD("INFO"),
		SIPTAG_SUPPORTED_STR(SUPPORTED),
		/* A B2BUA relays SDP; Sofia's own offer/answer stays off. */
		NUTAG_MEDIA_ENABLE(0),
		NUTAG_AUTOALERT(0), NUTAG_AUTOANSWER(0),
		/* RFC 4028: the peers refresh (we answer their refreshes
		 * here, media being anchored); nua tears down a dialog
		 * whose session was not refreshed in time.
		 */
		NUTAG_SESSION_TIMER(cfg->call_session_expires),
		NUTAG_MIN_SE(90),
		NUTAG_SESSION_REFRESHER(nua_remote_refresher),
		NUTAG_UPDATE_REFRESH(1),
		NUTAG_USER_AGENT(cfg->sip_user_agent),
		SIPTAG_SERVER_STR(cfg->sip_user_agent),
		/* Default socket buffers overflow under load and turn into
		 * retransmissions (sofia notes 10.11).
		 */
		TPTAG_UDP_RMEM(4 << 20), TPTAG_UDP_WMEM(4 << 20),
		TAG_END());
	if (!ua.nua) {
		PBX_ERR("cannot bind SIP on %s: %s", url, strerror(errno));
		return errno ? errno : EADDRINUSE;
	}
	pbx_leg_setup(ua.nua, cfg->sip_realm);
	pbx_invite_config(cfg->call_max_forwards);
	PBX_NOTICE("SIP listening on %s", url);
	return 0;
}

void pbx_sipua_shutdown(pbx_sipua_done_h *done, void *arg)
{
	if (!ua.nua) {
		done(arg);
		return;
	}
	ua.done = done;
	ua.done_arg = arg;
	nua_shutdown(ua.nua);
}

void pbx_sipua_destroy(void)
{
	if (!ua.nua)
		return;
	/* nua_destroy() asserts unless shutdown completed (sofia notes 2):
	 * when start-up failed after binding, shut down here, bounded.
	 */
	if (!ua.shut_down) {
		ua.done = NULL;
		nua_shutdown(ua.nua);
		for (int i = 0; !ua.shut_down && i < 100; i++)
			su_root_step(pbx_sip_root(), 100);
	}
	if (ua.shut_down)
		nua_destroy(ua.nua);
	else
		PBX_ERR("SIP stack did not shut down in time");
	ua.nua = NULL;
}
