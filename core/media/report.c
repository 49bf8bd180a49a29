/* media/report.c - an endpoint's periodic side, on its media thread: our
 * RTCP reports (RFC 3550 6.4) on the RTCP port, the peer's reports read
 * from it, the RTP timeout watch, and digits whose end packets were all
 * lost. Wire formats are rtcp.c's.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "media/media_int.h"
#include "media/rtcp.h"

static void rtcp_packet(struct pbx_media_ep *ep, const uint8_t *buf,
			size_t len, const union pbx_media_addr *src,
			uint64_t now)
{
	struct pbx_rtcp_info info;
	bool valid = pbx_rtcp_parse(&info, buf, len, ep->ssrc) == 0;

	pthread_mutex_lock(&ep->rx_lock);
	if (ep->closing)
		goto out;
	if (!valid || !media_relay_latch(ep, &ep->rtcp_latch, src, now,
					 true)) {
		ep->dropped++;
		goto out;
	}
	ep->rtcp_in++;
	if (info.sr) {
		ep->lsr = info.lsr;
		ep->lsr_ns = now;
	}
	if (info.rb) {
		ep->peer_report = true;
		ep->peer_lost = info.block.lost;
		ep->peer_jitter = info.block.jitter;
	}
 out:
	pthread_mutex_unlock(&ep->rx_lock);
}

void media_report_input(struct media_thread *t, struct pbx_media_ep *ep)
{
	struct media_rxbuf *rx = t->rx;
	unsigned n = media_thr_recv(t, ep->rtcp.fd);
	uint64_t now;

	if (!n)
		return;
	now = media_now_ns();
	for (unsigned i = 0; i < n; i++) {
		if (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		rtcp_packet(ep, rx->data[i], rx->msgs[i].msg_len,
			    &rx->src[i], now);
	}
}

/* Queue an event about <ep>; 0 or ENOSPC (media_ev_push()). */
static int push_event(struct pbx_media_ep *ep, enum pbx_media_ev_type type,
		      char digit, unsigned ms)
{
	struct pbx_media_ev ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ep = ep;
	ev.owner = ep->owner;
	ev.digit = digit;
	ev.duration_ms = ms;
	return media_ev_push(ep->m, ep->thr, &ev);
}

/* RTP silence and lost digit ends (rx_lock held). */
static void watch(struct pbx_media_ep *ep, uint64_t now)
{
	struct pbx_dtmf_digit d;

	if (ep->watch_ns && !ep->timeout_sent) {
		uint64_t from = ep->last_rx_ns > ep->watch_from_ns
				? ep->last_rx_ns : ep->watch_from_ns;
		unsigned ms;

		/* The loop may have (re)started the watch after this tick
		 * took <now>: no silence yet, and no unsigned wrap-around.
		 */
		if (now <= from)
			goto dtmf;
		ms = (unsigned)((now - from) / 1000000);

		/* A full queue: try again next tick, a call must not hang
		 * because an event was lost.
		 */
		if (now - from >= ep->watch_ns)
			ep->timeout_sent = push_event(ep, PBX_MEDIA_EV_TIMEOUT,
						      0, ms) == 0;
	}
 dtmf:
	if (pbx_dtmf_rx_flush(&ep->dtmf, now, MEDIA_DTMF_IDLE_NS, &d))
		push_event(ep, PBX_MEDIA_EV_DTMF, d.digit, d.duration_ms);
}

/* Where our RTCP goes (both locks held): where the peer's RTCP comes
 * from; else the SDP's a=rtcp port while we send to the SDP address;
 * else the port above our RTP destination (RFC 3550 11).
 */
static bool rtcp_dest(const struct pbx_media_ep *ep,
		      union pbx_media_addr *to)
{
	unsigned port;

	if (ep->rtcp_latch.set) {
		*to = ep->rtcp_latch.addr;
		return true;
	}
	if (!ep->has_dest)
		return false;
	*to = ep->dest;
	if (to->sa.sa_family == AF_INET)
		port = ntohs(to->in.sin_port) + 1u;
	else
		port = ntohs(to->in6.sin6_port) + 1u;
	if (!ep->rtp_latch.set && ep->sdp_rtcp_port)
		port = ep->sdp_rtcp_port;
	if (to->sa.sa_family == AF_INET)
		to->in.sin_port = htons((uint16_t)port);
	else
		to->in6.sin6_port = htons((uint16_t)port);
	return true;
}

/* Build our report into <pkt> (rx_lock held). An SR if we sent RTP since
 * the last report, else an RR; a report block about the source we
 * receive, if any. Returns its length, 0 if there is nowhere to send.
 */
static size_t build_report(struct pbx_media_ep *ep, uint64_t now,
			   uint8_t *pkt, size_t size,
			   union pbx_media_addr *to)
{
	struct pbx_rtcp_sr sr, *srp = NULL;
	struct pbx_rtcp_rb rb, *rbp = NULL;
	bool ok;

	pthread_mutex_lock(&ep->tx_lock);
	ok = rtcp_dest(ep, to);
	if (ok && ep->sent_since_report) {
		sr.ntp = pbx_rtcp_ntp_now();
		sr.rtp_ts = pbx_rtp_out_ts_at(&ep->out, now);
		sr.packets = (uint32_t)ep->rtp_out;
		sr.octets = (uint32_t)ep->octets_out;
		srp = &sr;
	}
	if (ok) {
		ep->sent_since_report = false;
		ep->rtcp_out++;
	}
	pthread_mutex_unlock(&ep->tx_lock);
	if (!ok)
		return 0;

	if (ep->rxs.active) {
		rb.ssrc = ep->rxs.ssrc;
		rb.fraction = pbx_rtpstat_fraction(&ep->rxs);
		rb.lost = pbx_rtpstat_lost(&ep->rxs);
		rb.ext_max = pbx_rtpstat_ext_max(&ep->rxs);
		rb.jitter = pbx_rtpstat_jitter_units(&ep->rxs);
		rb.lsr = ep->lsr_ns ? ep->lsr : 0;
		/* Delay since that SR, in 1/65536 s (6.4.1). */
		rb.dlsr = ep->lsr_ns
			  ? (uint32_t)(((now - ep->lsr_ns) << 16) /
				       1000000000u)
			  : 0;
		rbp = &rb;
	}
	return pbx_rtcp_build(pkt, size, ep->ssrc, srp, rbp, ep->m->cname);
}

void media_report_tick(struct media_thread *t, struct pbx_media_ep *ep,
		       uint64_t now)
{
	uint8_t pkt[PBX_RTCP_MAX];
	union pbx_media_addr to;
	size_t len = 0;

	pthread_mutex_lock(&ep->rx_lock);
	if (ep->closing) {
		pthread_mutex_unlock(&ep->rx_lock);
		return;
	}
	watch(ep, now);
	if (now >= ep->next_rtcp_ns) {
		ep->next_rtcp_ns = now + media_jittered(&t->rng,
							ep->m->rtcp_ns);
		len = build_report(ep, now, pkt, sizeof(pkt), &to);
	}
	pthread_mutex_unlock(&ep->rx_lock);
	/* The socket is safe without the lock: only this thread closes
	 * it, and not before the next inbox run.
	 */
	if (len)
		(void)sendto(ep->rtcp.fd, pkt, len, MSG_DONTWAIT, &to.sa,
			     media_addr_len(&to));
}
