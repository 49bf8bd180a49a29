/* media/endpoint.c - the endpoint API the call core uses on the loop
 * thread: open and close endpoints, tell them where to send and what the
 * leg negotiated, bridge them, read their counters. The packets
 * themselves are relay.c's and report.c's, on the media threads.
 */
#define PBX_LOG_TAG "media"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <pbx/log.h>

#include "media/media_int.h"
#include "media/ports.h"

/* The thread serving the fewest endpoints. Bridged legs may sit on
 * different threads: the lock order of media_int.h allows it.
 */
static struct media_thread *pick_thread(struct pbx_media *m)
{
	struct media_thread *best = &m->thr[0];

	for (unsigned i = 1; i < m->nthr; i++)
		if (m->thr[i].load < best->load)
			best = &m->thr[i];
	return best;
}

static int watch_sock(struct media_thread *t, struct media_sock *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0 ? errno : 0;
}

static void ep_init(struct pbx_media *m, struct pbx_media_ep *ep,
		    void *owner)
{
	uint64_t r = media_rand(&m->rng);

	ep->m = m;
	ep->thr = pick_thread(m);
	ep->owner = owner;
	ep->id = ++m->next_id;
	ep->rtp.ep = ep;
	ep->rtcp.ep = ep;
	ep->rtcp.rtcp = true;
	ep->codec = PBX_CODEC_NONE;
	ep->dtmf_pt = -1;
	ep->ssrc = (uint32_t)r;
	pbx_rtp_out_init(&ep->out, ep->ssrc, (uint16_t)(r >> 32),
			 (uint32_t)media_rand(&m->rng));
	/* First report at a random point of the interval, so endpoints
	 * opened together do not report together.
	 */
	ep->next_rtcp_ns = media_now_ns() + media_rand(&m->rng) %
			   (m->rtcp_ns ? m->rtcp_ns : 1);
	pthread_mutex_init(&ep->rx_lock, NULL);
	pthread_mutex_init(&ep->tx_lock, NULL);
}

int pbx_media_ep_alloc(struct pbx_media *m, struct pbx_media_ep **epp,
		       void *owner)
{
	struct pbx_media_ep *ep;
	struct media_thread *t;
	int err;

	if (!m || !epp)
		return EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return ENOMEM;
	err = pbx_media_ports_open(m->ports, &ep->rtp.fd, &ep->rtcp.fd,
				   &ep->port);
	if (err) {
		free(ep);
		return err;
	}
	ep_init(m, ep, owner);
	t = ep->thr;
	err = watch_sock(t, &ep->rtp);
	if (err) {
		/* No thread can have seen it: free it here. */
		media_ep_destroy(ep);
		return err;
	}
	t->load++;
	pthread_mutex_lock(&t->lock);
	ep->adopt_next = t->adopt;
	t->adopt = ep;
	pthread_mutex_unlock(&t->lock);
	media_thr_wake(t);
	err = watch_sock(t, &ep->rtcp);
	if (err) {
		/* Its thread may hold an RTP event for it by now. */
		pbx_media_ep_free(ep);
		return err;
	}
	*epp = ep;
	return 0;
}

void pbx_media_ep_free(struct pbx_media_ep *ep)
{
	struct media_thread *t;

	if (!ep)
		return;
	t = ep->thr;
	pbx_media_unbridge(ep);
	pthread_mutex_lock(&ep->rx_lock);
	ep->closing = true;
	pthread_mutex_unlock(&ep->rx_lock);
	/* No event can be queued for it now; forget those already are. */
	media_ev_purge(t, ep);
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, ep->rtp.fd, NULL);
	epoll_ctl(t->epfd, EPOLL_CTL_DEL, ep->rtcp.fd, NULL);
	t->load--;
	/* Its thread frees it once done with the events in hand. */
	pthread_mutex_lock(&t->lock);
	ep->dying_next = t->dying;
	t->dying = ep;
	pthread_mutex_unlock(&t->lock);
	media_thr_wake(t);
}

void media_ep_destroy(struct pbx_media_ep *ep)
{
	pbx_media_ports_close(ep->m->ports, ep->port, ep->rtp.fd,
			      ep->rtcp.fd);
	pthread_mutex_destroy(&ep->rx_lock);
	pthread_mutex_destroy(&ep->tx_lock);
	free(ep);
}

unsigned pbx_media_ep_port(const struct pbx_media_ep *ep)
{
	return ep ? ep->port : 0;
}

void *pbx_media_ep_owner(const struct pbx_media_ep *ep)
{
	return ep ? ep->owner : NULL;
}

struct pbx_media_ep *pbx_media_ep_peer(const struct pbx_media_ep *ep)
{
	return ep ? ep->peer : NULL;
}

/* Copy <sa> into <a>; false for no usable address (NULL, port 0, or
 * unspecified: the SDP ways of saying "do not send").
 */
static bool sdp_addr(union pbx_media_addr *a, const struct sockaddr *sa,
		     socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET && len >= sizeof(a->in)) {
		memcpy(&a->in, sa, sizeof(a->in));
		return a->in.sin_port != 0 &&
		       a->in.sin_addr.s_addr != htonl(INADDR_ANY);
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(a->in6)) {
		memcpy(&a->in6, sa, sizeof(a->in6));
		return a->in6.sin6_port != 0 &&
		       !IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr);
	}
	return false;
}

int pbx_media_ep_remote(struct pbx_media_ep *ep, const struct sockaddr *sa,
			socklen_t len)
{
	union pbx_media_addr a;
	bool use, changed;

	if (!ep)
		return EINVAL;
	if (sa) {
		if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
			return EINVAL;
		if (sa->sa_family != ep->m->ip.sa.sa_family)
			return EAFNOSUPPORT;
		if (len < (sa->sa_family == AF_INET
			   ? sizeof(struct sockaddr_in)
			   : sizeof(struct sockaddr_in6)))
			return EINVAL;
	}
	use = sdp_addr(&a, sa, len);

	pthread_mutex_lock(&ep->rx_lock);
	pthread_mutex_lock(&ep->tx_lock);
	changed = ep->has_sdp != use ||
		  (use && !media_addr_eq(&ep->sdp, &a));
	/* A new address in a later offer or answer: the peer moved, so
	 * the next packet from anywhere may latch. The first SDP does not
	 * unlatch: early RTP may well have come before the answer.
	 */
	if (changed && ep->has_sdp) {
		ep->rtp_latch.set = false;
		ep->rtcp_latch.set = false;
	}
	ep->has_sdp = use;
	ep->sdp = a;
	ep->sdp_rtcp_port = 0;
	if (!ep->rtp_latch.set) {
		ep->has_dest = use;
		ep->dest = a;
	}
	pthread_mutex_unlock(&ep->tx_lock);
	pthread_mutex_unlock(&ep->rx_lock);
	return 0;
}

int pbx_media_ep_remote_rtcp(struct pbx_media_ep *ep, unsigned port)
{
	if (!ep || port > 65535)
		return EINVAL;
	pthread_mutex_lock(&ep->rx_lock);
	pthread_mutex_lock(&ep->tx_lock);
	ep->sdp_rtcp_port = port;
	pthread_mutex_unlock(&ep->tx_lock);
	pthread_mutex_unlock(&ep->rx_lock);
	return 0;
}

int pbx_media_ep_codec(struct pbx_media_ep *ep, enum pbx_codec codec,
		       uint8_t pt, int dtmf_pt)
{
	if (!ep || (codec != PBX_CODEC_PCMU && codec != PBX_CODEC_PCMA) ||
	    pt > 127 || dtmf_pt < -1 || dtmf_pt > 127 || dtmf_pt == pt)
		return EINVAL;
	pthread_mutex_lock(&ep->rx_lock);
	pthread_mutex_lock(&ep->tx_lock);
	ep->codec = codec;
	ep->pt = pt;
	ep->dtmf_pt = dtmf_pt;
	pthread_mutex_unlock(&ep->tx_lock);
	pthread_mutex_unlock(&ep->rx_lock);
	return 0;
}

int pbx_media_ep_timeout(struct pbx_media_ep *ep, int ms)
{
	if (!ep)
		return EINVAL;
	pthread_mutex_lock(&ep->rx_lock);
	ep->watch_ns = ms < 0 ? ep->m->timeout_ns : (uint64_t)ms * 1000000;
	ep->watch_from_ns = media_now_ns();
	ep->timeout_sent = false;
	pthread_mutex_unlock(&ep->rx_lock);
	return 0;
}

/* Point <ep>'s received packets at <sink> (NULL: nowhere). Taking the
 * rx_lock waits for a packet being relayed to the old sink, so once
 * this returns nothing reaches the old sink through <ep>.
 */
static void set_sink(struct pbx_media_ep *ep, struct pbx_media_ep *sink)
{
	pthread_mutex_lock(&ep->rx_lock);
	ep->sink = sink;
	pthread_mutex_unlock(&ep->rx_lock);
}

int pbx_media_bridge(struct pbx_media_ep *a, struct pbx_media_ep *b)
{
	if (!a || !b || a == b || a->m != b->m)
		return EINVAL;
	if (a->peer == b)
		return 0;
	pbx_media_unbridge(a);
	pbx_media_unbridge(b);
	/* Each outgoing stream notices its new source by itself (rtp.h),
	 * so there is nothing to reset here.
	 */
	set_sink(a, b);
	set_sink(b, a);
	a->peer = b;
	b->peer = a;
	return 0;
}

void pbx_media_unbridge(struct pbx_media_ep *ep)
{
	struct pbx_media_ep *p;

	if (!ep || !(p = ep->peer))
		return;
	set_sink(ep, NULL);
	set_sink(p, NULL);
	ep->peer = NULL;
	p->peer = NULL;
}

int pbx_media_ep_stats(struct pbx_media_ep *ep, struct pbx_media_stats *st)
{
	if (!ep || !st)
		return EINVAL;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&ep->rx_lock);
	st->rtp_in = ep->rtp_in;
	st->bytes_in = ep->bytes_in;
	st->dropped = ep->dropped;
	st->rtcp_in = ep->rtcp_in;
	st->lost = pbx_rtpstat_lost(&ep->rxs);
	st->jitter_us = pbx_rtpstat_jitter_units(&ep->rxs) *
			(1000000 / PBX_RTP_RATE);
	st->latched = ep->rtp_latch.set;
	st->codec = ep->codec;
	st->peer_report = ep->peer_report;
	st->peer_lost = ep->peer_lost;
	st->peer_jitter_us = ep->peer_jitter * (1000000 / PBX_RTP_RATE);
	pthread_mutex_lock(&ep->tx_lock);
	st->rtp_out = ep->rtp_out;
	st->bytes_out = ep->bytes_out;
	st->rtcp_out = ep->rtcp_out;
	st->has_remote = ep->has_dest;
	st->remote = ep->dest;
	pthread_mutex_unlock(&ep->tx_lock);
	pthread_mutex_unlock(&ep->rx_lock);
	return 0;
}
