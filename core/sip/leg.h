/* sip/leg.h - one SIP dialog of a call (DESIGN.md section 4), as the
 * call core drives it: answer or refuse the caller's INVITE, send an
 * INVITE to a callee, cancel, hang up, answer a re-INVITE. Events come
 * back through the handler given at creation. No Sofia-SIP types here:
 * they stay in core/sip/. Loop thread only.
 */
#ifndef PBX_SIP_LEG_H
#define PBX_SIP_LEG_H

#include <stdbool.h>
#include <stddef.h>

struct pbx_leg;

enum pbx_leg_ev_type {
	PBX_LEG_EV_PROGRESS = 1,  /* outbound: 180/183 (body: early SDP) */
	PBX_LEG_EV_ANSWER,        /* outbound: 2xx (body: SDP answer) */
	PBX_LEG_EV_FAILED,        /* outbound: final >= 300 (code) */
	PBX_LEG_EV_ACK,           /* inbound: ACK of our 2xx (body: SDP
				   * when our 2xx carried an offer) */
	PBX_LEG_EV_CANCEL,        /* inbound: the caller cancelled */
	PBX_LEG_EV_BYE,           /* the peer hung up (or its session
				   * timer expired: code 408) */
	PBX_LEG_EV_REINVITE,      /* an in-dialog INVITE (body: offer, or
				   * none) or UPDATE (update set, body:
				   * offer): answer with pbx_leg_reanswer()
				   * before the handler returns */
	PBX_LEG_EV_DTMF,          /* a keypress sent as SIP INFO (digit) */
	PBX_LEG_EV_GONE,          /* the dialog is over and the leg freed:
				   * the last event, no call on <leg> after */
};

struct pbx_leg_ev {
	enum pbx_leg_ev_type type;
	int code;                 /* SIP status where there is one */
	const char *body;         /* (borrowed) SDP, or NULL */
	size_t len;
	bool update;              /* REINVITE: the offer came in an UPDATE */
	char digit;               /* DTMF: '0'-'9', '*', '#', 'A'-'D' */
	unsigned duration_ms;     /* DTMF: as the INFO said, 0: unknown */
};

typedef void (pbx_leg_event_h)(struct pbx_leg *leg,
			       const struct pbx_leg_ev *ev, void *owner);

/* What an outbound INVITE carries. Strings are copied. */
struct pbx_leg_invite {
	const char *uri;          /* Request-URI and To */
	const char *next_hop;     /* where to send it, or NULL: the URI */
	const char *from_user;    /* caller number for From */
	const char *from_name;    /* display name, or NULL/"" */
	const char *headers;      /* extra lines "Name: v\r\n...", or NULL */
	unsigned max_forwards;
	const char *sdp;          /* our offer */
};

/* Send an INVITE as a new leg owned by <owner>, whose events go to <h>.
 * Returns 0 with <*legp> (a PBX_LEG_EV_GONE always follows), or EINVAL
 * for a URI that does not parse, ENOMEM.
 */
int pbx_leg_invite(struct pbx_leg **legp, const struct pbx_leg_invite *inv,
		   pbx_leg_event_h *h, void *owner);

/* Respond to the inbound leg's INVITE: 18x or 2xx with our SDP <sdp>
 * (or none), or a final error. <reason>: a Warning text or NULL.
 * After a 2xx the leg waits for
 * the ACK (PBX_LEG_EV_ACK). Returns 0, EALREADY when a final response
 * was already sent.
 */
int pbx_leg_respond(struct pbx_leg *leg, int code, const char *sdp,
		    const char *reason);

/* Answer the in-dialog offer being reported (PBX_LEG_EV_REINVITE):
 * 2xx with <sdp>, or an error (500 gets Retry-After).
 */
void pbx_leg_reanswer(struct pbx_leg *leg, int code, const char *sdp);

/* End the leg however its state requires: CANCEL an outbound INVITE
 * still ringing (a 2xx that still arrives is ACKed and hung up), BYE an
 * established dialog, <code> (>= 300, 0: 480) to an unanswered inbound
 * INVITE. A PBX_LEG_EV_GONE follows once the dialog is over; nothing
 * else is reported after this call. Safe to call twice.
 */
void pbx_leg_end(struct pbx_leg *leg, int code);

/* Change the owner and handler (a branch that won a dial moves to the
 * call). */
void pbx_leg_set_owner(struct pbx_leg *leg, pbx_leg_event_h *h,
		       void *owner);

/* The Request-URI (outbound) or Contact of the peer, borrowed. */
const char *pbx_leg_uri(const struct pbx_leg *leg);

/* Seconds after which a leg that was told to end is freed even if its
 * dialog never reported its end (a peer that vanished).
 */
#define PBX_LEG_END_GRACE_S 40

#endif
