/* call/legmedia.c - the media side of one leg: its RTP endpoint on the
 * PBX, the SDP offer/answer with its peer (sip/sdp.h), and re-INVITEs,
 * which end here: media is anchored, so a codec change, a hold or a
 * session refresh from one party never needs the other party's consent.
 */
#define PBX_LOG_TAG "call"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/log.h>

#include "call/call_int.h"

int pbx_cleg_media_open(struct cleg *cl)
{
	int err;

	if (cl->ep)
		return 0;
	err = pbx_media_ep_alloc(pbx_calls.media, &cl->ep, cl);
	if (err)
		PBX_CWARN(cl->call->sip_callid, "no RTP port: %s",
			  strerror(err));
	else
		pbx_sdp_session_init(&cl->ours, 0);
	return err;
}

void pbx_cleg_media_close(struct cleg *cl)
{
	pbx_media_ep_free(cl->ep);
	cl->ep = NULL;
}

void pbx_cleg_clear(struct cleg *cl)
{
	pbx_cleg_media_close(cl);
	free(cl->answer);
	free(cl->uri);
	free(cl->next_hop);
	cl->answer = cl->uri = cl->next_hop = NULL;
}

/* Point the endpoint at what the peer's SDP says; a peer on hold gets
 * nothing until it sends again (the engine latches its packets).
 */
static int apply_peer(struct cleg *cl)
{
	union pbx_media_addr a;
	socklen_t len = 0;
	const struct pbx_sdp_media *m = &cl->peer;
	int err;

	memset(&a, 0, sizeof(a));
	if (m->family == AF_INET6) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons((uint16_t)m->port);
		if (inet_pton(AF_INET6, m->addr, &a.in6.sin6_addr) == 1)
			len = sizeof(a.in6);
	} else {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons((uint16_t)m->port);
		if (inet_pton(AF_INET, m->addr, &a.in.sin_addr) == 1)
			len = sizeof(a.in);
	}
	if (!(m->dir & PBX_SDP_RECVONLY) || !m->port)
		len = 0;
	err = pbx_media_ep_remote(cl->ep, len ? &a.sa : NULL, len);
	if (!err && len && m->rtcp_port && m->rtcp_port != m->port + 1)
		err = pbx_media_ep_remote_rtcp(cl->ep, m->rtcp_port);
	if (!err)
		err = pbx_media_ep_codec(cl->ep, m->codec, m->pt, m->dtmf_pt);
	return err;
}

/* Hold and unhold are told to the hooks (music on hold plays on them). */
static void note_hold(struct cleg *cl)
{
	struct pbx_call_event_info ev = { 0 };

	if (cl->peer.hold == cl->hold)
		return;
	cl->hold = cl->peer.hold;
	/* A held party may well send nothing: that is not a dead phone. */
	if (cl->answered || cl->call->state == CALL_ANSWERED)
		pbx_media_ep_timeout(cl->ep, cl->hold ? 0 : -1);
	ev.type = cl->hold ? PBX_CALL_EV_HOLD : PBX_CALL_EV_UNHOLD;
	ev.from_caller = cl == cl->call->a;
	PBX_CINFO(cl->call->sip_callid, "%s %s", ev.from_caller ? "caller" :
		  "callee", cl->hold ? "holds" : "resumes");
	pbx_call_fire(cl->call, &ev);
}

/* The peer's SDP <m>, read and accepted, becomes the leg's media. */
static int adopt(struct cleg *cl, const struct pbx_sdp_media *m)
{
	int err = pbx_cleg_media_open(cl);

	if (err)
		return err;
	cl->peer = *m;
	cl->has_peer = true;
	err = apply_peer(cl);
	if (!err)
		note_hold(cl);
	return err;
}

int pbx_cleg_take_offer(struct cleg *cl, const char *body, size_t len,
			char *why, size_t whysz)
{
	struct pbx_sdp_media m;
	enum pbx_codec cur = cl->has_peer ? cl->peer.codec : PBX_CODEC_NONE;
	int err;

	err = pbx_sdp_parse_offer(body, len, &pbx_calls.prefs, &m, why,
				  whysz);
	if (err)
		return err;
	/* Keep the codec in use when the new offer still allows it: no
	 * transcoding change in the middle of a call for nothing.
	 */
	if (cur != PBX_CODEC_NONE)
		(void)pbx_sdp_media_choose(&m, cur);
	return adopt(cl, &m);
}

int pbx_cleg_take_answer(struct cleg *cl, const char *body, size_t len,
			 char *why, size_t whysz)
{
	struct pbx_sdp_media m;
	int err;

	err = pbx_sdp_parse_answer(body, len, &pbx_calls.prefs, &m, why,
				   whysz);
	if (err)
		return err;
	return adopt(cl, &m);
}

int pbx_cleg_make_offer(struct cleg *cl, enum pbx_codec first,
			enum pbx_sdp_dir dir, char **sdpp)
{
	struct pbx_sdp_prefs p = pbx_calls.prefs;
	int err = pbx_cleg_media_open(cl);

	if (err)
		return err;
	for (unsigned i = 1; first != PBX_CODEC_NONE && i < p.codecc; i++) {
		if (p.codecv[i] == first) {
			p.codecv[i] = p.codecv[0];
			p.codecv[0] = first;
		}
	}
	return pbx_sdp_make_offer(&cl->ours, &p, pbx_calls.media_ip,
				  pbx_media_ep_port(cl->ep), dir, sdpp);
}

int pbx_cleg_make_answer(struct cleg *cl, const char *offer, size_t len,
			 enum pbx_codec prefer, char **sdpp)
{
	int err = pbx_cleg_media_open(cl);

	if (err)
		return err;
	if (prefer != PBX_CODEC_NONE && prefer != cl->peer.codec &&
	    !pbx_sdp_media_choose(&cl->peer, prefer)) {
		err = pbx_media_ep_codec(cl->ep, cl->peer.codec, cl->peer.pt,
					 cl->peer.dtmf_pt);
		if (err)
			return err;
	}
	return pbx_sdp_make_answer(&cl->ours, offer, len, &cl->peer,
				   pbx_calls.media_ip,
				   pbx_media_ep_port(cl->ep), sdpp);
}

/* ---- Re-INVITEs and UPDATEs (RFC 3261 14.2, RFC 3311 5.2) ---- */

void pbx_cleg_reinvite(struct cleg *cl, const struct pbx_leg_ev *ev)
{
	char why[160] = "", *sdp = NULL;
	int err;

	/* nua has already refused an overlapping INVITE; an UPDATE's
	 * offer is ours to check: glare with the offer in our 2xx, or an
	 * offer while the INVITE's own offer is still unanswered (no
	 * reliable provisionals here: until our 2xx).
	 */
	if (ev->update && cl->offer_in_ack) {
		pbx_leg_reanswer(cl->sig, 491, NULL);
		return;
	}
	if (ev->update && !cl->answered) {
		pbx_leg_reanswer(cl->sig, 500, NULL);
		return;
	}
	if (!ev->body) {
		/* No offer (a refresh, or a peer asking for ours): offer
		 * what we have; the answer comes in the ACK.
		 */
		err = pbx_cleg_make_offer(cl, cl->has_peer ? cl->peer.codec :
					  PBX_CODEC_NONE, PBX_SDP_SENDRECV,
					  &sdp);
		if (err) {
			pbx_leg_reanswer(cl->sig, 500, NULL);
			return;
		}
		cl->offer_in_ack = true;
		pbx_leg_reanswer(cl->sig, 200, sdp);
		free(sdp);
		return;
	}
	/* RFC 3264 8: an offer we cannot take leaves the session as it
	 * was (pbx_cleg_take_offer() changes nothing until it parsed).
	 */
	err = pbx_cleg_take_offer(cl, ev->body, ev->len, why, sizeof(why));
	if (err == ENOTSUP || err == EBADMSG || err == EMSGSIZE) {
		PBX_CINFO(cl->call->sip_callid, "%s refused: %s",
			  ev->update ? "UPDATE" : "re-INVITE", why);
		pbx_leg_reanswer(cl->sig, 488, NULL);
		return;
	}
	if (!err)
		err = pbx_cleg_make_answer(cl, ev->body, ev->len,
					   PBX_CODEC_NONE, &sdp);
	if (err) {
		pbx_leg_reanswer(cl->sig, 500, NULL);
		return;
	}
	pbx_leg_reanswer(cl->sig, 200, sdp);
	free(sdp);
}

void pbx_cleg_ack(struct cleg *cl, const struct pbx_leg_ev *ev)
{
	char why[160] = "";

	if (!cl->offer_in_ack)
		return;
	cl->offer_in_ack = false;
	if (!ev->body || pbx_cleg_take_answer(cl, ev->body, ev->len, why,
					      sizeof(why))) {
		PBX_CWARN(cl->call->sip_callid, "ACK without a usable SDP "
			  "answer (%s): hanging up", *why ? why : "none");
		pbx_call_end(cl->call, 488, "pbx");
	}
}

/* ---- REST ---- */

json_t *pbx_cleg_json(struct cleg *cl, const char *role)
{
	struct pbx_media_stats st;
	char addr[INET6_ADDRSTRLEN + 8] = "";
	json_t *o;

	o = json_pack("{s:s, s:s, s:b, s:b}", "role", role,
		      "uri", cl->uri ? cl->uri : pbx_leg_uri(cl->sig),
		      "answered", cl->answered, "hold", cl->hold);
	if (!o || !cl->ep || pbx_media_ep_stats(cl->ep, &st))
		return o;
	if (st.has_remote) {
		char ip[INET6_ADDRSTRLEN] = "";
		unsigned port;

		if (st.remote.sa.sa_family == AF_INET6) {
			inet_ntop(AF_INET6, &st.remote.in6.sin6_addr, ip,
				  sizeof(ip));
			port = ntohs(st.remote.in6.sin6_port);
			snprintf(addr, sizeof(addr), "[%s]:%u", ip, port);
		} else {
			inet_ntop(AF_INET, &st.remote.in.sin_addr, ip,
				  sizeof(ip));
			port = ntohs(st.remote.in.sin_port);
			snprintf(addr, sizeof(addr), "%s:%u", ip, port);
		}
	}
	json_object_set_new(o, "codec",
			    json_string(pbx_sdp_codec_name(st.codec)));
	json_object_set_new(o, "local_port",
			    json_integer(pbx_media_ep_port(cl->ep)));
	json_object_set_new(o, "remote", *addr ? json_string(addr) :
			    json_null());
	json_object_set_new(o, "latched", json_boolean(st.latched));
	json_object_set_new(o, "rtp", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:i}",
		"packets_in", (json_int_t)st.rtp_in,
		"packets_out", (json_int_t)st.rtp_out,
		"bytes_in", (json_int_t)st.bytes_in,
		"bytes_out", (json_int_t)st.bytes_out,
		"dropped", (json_int_t)st.dropped,
		"jitter_us", (int)st.jitter_us));
	return o;
}
