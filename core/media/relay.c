/* media/relay.c - the RTP packet path, on the media threads: latch the
 * source (symmetric RTP), count, detect RFC 4733 digits, and forward to
 * the bridged endpoint with its own SSRC, continuous sequence numbers and
 * timestamps, its payload types, and G.711 transcoding where the legs
 * differ. No allocation and no lock but the two endpoints' (media_int.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "media/g711.h"
#include "media/media_int.h"

enum kind {
	KIND_OTHER = 0,           /* not negotiated: dropped */
	KIND_AUDIO,
	KIND_DTMF,
};

bool media_addr_eq(const union pbx_media_addr *a,
		   const union pbx_media_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
		      sizeof(a->in6.sin6_addr)) == 0;
}

bool media_relay_latch(struct pbx_media_ep *ep, struct media_latch *l,
		       const union pbx_media_addr *src, uint64_t now,
		       bool rtcp)
{
	struct pbx_media_ev ev;

	if (l->set && media_addr_eq(&l->addr, src)) {
		l->last_ns = now;
		return true;
	}
	/* Another source while ours is alive: a stray or an attack. Once
	 * ours has been silent for relatch_ns, the newcomer is more likely
	 * the same phone behind a NAT that rebound, or after a re-INVITE.
	 */
	if (l->set && now - l->last_ns < ep->m->relatch_ns)
		return false;
	l->set = true;
	l->addr = *src;
	l->last_ns = now;
	if (rtcp)
		return true;

	pthread_mutex_lock(&ep->tx_lock);
	ep->has_dest = true;
	ep->dest = *src;
	pthread_mutex_unlock(&ep->tx_lock);

	memset(&ev, 0, sizeof(ev));
	ev.type = PBX_MEDIA_EV_LATCHED;
	ev.ep = ep;
	ev.owner = ep->owner;
	ev.addr = *src;
	media_ev_push(ep->m, ep->thr, &ev);
	return true;
}

/* What payload type <pt> carries on <ep>'s leg. Static PT 0 and 8 are
 * taken as PCMU and PCMA even when another was negotiated: an answerer
 * may send any codec of the answer (RFC 3264 6.1), and transcoding them
 * costs nothing.
 */
static enum kind classify(const struct pbx_media_ep *ep, uint8_t pt,
			  enum pbx_codec *codec)
{
	if (ep->codec != PBX_CODEC_NONE && pt == ep->pt) {
		*codec = ep->codec;
		return KIND_AUDIO;
	}
	if (ep->dtmf_pt >= 0 && pt == ep->dtmf_pt)
		return KIND_DTMF;
	if (pt == 0 || pt == 8) {
		*codec = pt == 0 ? PBX_CODEC_PCMU : PBX_CODEC_PCMA;
		return KIND_AUDIO;
	}
	return KIND_OTHER;
}

/* Report the digits the telephone-event packet completes. */
static void dtmf_input(struct pbx_media_ep *ep, const struct pbx_rtp_hdr *h,
		       const uint8_t *buf, uint64_t now)
{
	struct pbx_dtmf_digit d[2];
	struct pbx_dtmf_ev e;
	unsigned n;

	if (pbx_dtmf_parse(&e, buf + h->hlen, h->plen))
		return;
	n = pbx_dtmf_rx_feed(&ep->dtmf, h->ts, &e, now, d);
	for (unsigned i = 0; i < n; i++) {
		struct pbx_media_ev ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = PBX_MEDIA_EV_DTMF;
		ev.ep = ep;
		ev.owner = ep->owner;
		ev.digit = d[i].digit;
		ev.duration_ms = d[i].duration_ms;
		media_ev_push(ep->m, ep->thr, &ev);
	}
}

/* Rewrite the packet in <buf> for <dst>'s leg and send it. The new
 * 12-byte header goes right before the payload, over the old header's
 * tail: CSRCs, extensions and padding are the source leg's business.
 * Holds <src>'s rx_lock: <dst> cannot be freed meanwhile (unbridging
 * takes that lock), so its socket stays open until sendto() returns.
 */
static bool forward(struct pbx_media_ep *src, struct pbx_media_ep *dst,
		    const struct pbx_rtp_hdr *h, uint8_t *buf, enum kind k,
		    enum pbx_codec in, uint64_t now)
{
	uint8_t *payload = buf + h->hlen, *out = payload - PBX_RTP_HDR;
	size_t olen = PBX_RTP_HDR + h->plen;
	uint32_t ts;
	uint16_t seq;
	uint8_t pt;
	bool mark;

	pthread_mutex_lock(&dst->tx_lock);
	if (!dst->has_dest || (k == KIND_DTMF && dst->dtmf_pt < 0)) {
		pthread_mutex_unlock(&dst->tx_lock);
		return false;
	}
	if (k == KIND_DTMF) {
		pt = (uint8_t)dst->dtmf_pt;
	} else if (dst->codec == PBX_CODEC_NONE) {
		pt = h->pt;
	} else {
		pt = dst->pt;
		if (in == PBX_CODEC_PCMU && dst->codec == PBX_CODEC_PCMA)
			pbx_g711_ulaw2alaw_buf(payload, payload, h->plen);
		else if (in == PBX_CODEC_PCMA && dst->codec == PBX_CODEC_PCMU)
			pbx_g711_alaw2ulaw_buf(payload, payload, h->plen);
	}
	/* G.711 carries one sample per octet; events do not advance. */
	mark = pbx_rtp_out_map(&dst->out, src->id, h->ssrc, h->seq, h->ts,
			       k == KIND_AUDIO ? (uint32_t)h->plen : 0, now,
			       &seq, &ts);
	pbx_rtp_write(out, pt, mark || h->marker, seq, ts, dst->ssrc);
	dst->rtp_out++;
	dst->bytes_out += olen;
	dst->octets_out += h->plen;
	dst->sent_since_report = true;
	/* A full socket buffer loses the packet, as the network would.
	 * Sent under the lock: <dst>'s own thread may insert packets into
	 * this stream (inject.c), and they must leave in sequence order.
	 */
	(void)sendto(dst->rtp.fd, out, olen, MSG_DONTWAIT, &dst->dest.sa,
		     media_addr_len(&dst->dest));
	pthread_mutex_unlock(&dst->tx_lock);
	return true;
}

/* Arrival time in RTP clock units, for the jitter estimate. */
static uint32_t arrival_units(uint64_t now)
{
	return (uint32_t)(now / (1000000000u / PBX_RTP_RATE));
}

static void rtp_packet(struct pbx_media_ep *ep, uint8_t *buf, size_t len,
		       const union pbx_media_addr *src, uint64_t now)
{
	struct pbx_rtp_hdr h;
	enum pbx_codec in = PBX_CODEC_NONE;
	bool valid = pbx_rtp_parse(&h, buf, len) == 0;
	bool sent = false;
	enum kind k;

	pthread_mutex_lock(&ep->rx_lock);
	if (ep->closing)
		goto out;
	if (!valid || !media_relay_latch(ep, &ep->rtp_latch, src, now,
					 false)) {
		ep->dropped++;
		goto out;
	}
	ep->rtp_in++;
	ep->bytes_in += len;
	ep->last_rx_ns = now;
	ep->timeout_sent = false;
	k = classify(ep, h.pt, &in);
	if (k != KIND_OTHER)
		pbx_rtpstat_seq(&ep->rxs, h.ssrc, h.seq);
	if (k == KIND_AUDIO)
		pbx_rtpstat_jitter(&ep->rxs, h.ts, arrival_units(now));
	else if (k == KIND_DTMF)
		dtmf_input(ep, &h, buf, now);
	if (k != KIND_OTHER && ep->sink)
		sent = forward(ep, ep->sink, &h, buf, k, in, now);
	if (!sent)
		ep->dropped++;
 out:
	pthread_mutex_unlock(&ep->rx_lock);
}

void media_relay_input(struct media_thread *t, struct pbx_media_ep *ep)
{
	struct media_rxbuf *rx = t->rx;
	unsigned n = media_thr_recv(t, ep->rtp.fd);
	uint64_t now;

	if (!n)
		return;
	now = media_now_ns();
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *mh = &rx->msgs[i].msg_hdr;

		if (mh->msg_flags & MSG_TRUNC)
			continue;
		rtp_packet(ep, rx->data[i], rx->msgs[i].msg_len, &rx->src[i],
			   now);
	}
}
