/* media/media.h - the media engine: RTP endpoints anchored on the PBX and
 * relayed between bridged legs by a pool of media threads (DESIGN.md
 * sections 1 and 4; docs/internals/media.md has the whole design).
 *
 * Thread rules. Every function here is for the loop thread only (the one
 * thread that owns calls); none blocks beyond a short per-endpoint lock
 * also taken by the media thread for one packet. Events come back on the
 * loop thread through the handler given to pbx_media_alloc(). The media
 * threads never call into the call core.
 */
#ifndef PBX_MEDIA_MEDIA_H
#define PBX_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pbx/codec.h>

struct pbx_media;
struct pbx_media_ep;

struct pbx_media_cfg {
	const char *ip;           /* address to bind, IPv4 or IPv6 literal */
	unsigned port_min;        /* RTP/RTCP port range, inclusive; RTP */
	unsigned port_max;        /* ports are even, RTCP = RTP + 1 */
	unsigned threads;         /* media threads, 0 = one per core */
	unsigned rtp_timeout_s;   /* pbx_media_ep_timeout() default, 0 off */
	unsigned relatch_ms;      /* silence before re-latching, 0 = 2000 */
	unsigned rtcp_interval_ms; /* mean report interval, 0 = 5000 */
};

union pbx_media_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

enum pbx_media_ev_type {
	PBX_MEDIA_EV_LATCHED = 1, /* RTP source learned (or changed) */
	PBX_MEDIA_EV_DTMF,        /* an RFC 4733 digit ended */
	PBX_MEDIA_EV_TIMEOUT,     /* no RTP for the endpoint's timeout */
};

struct pbx_media_ev {
	enum pbx_media_ev_type type;
	struct pbx_media_ep *ep;  /* (borrowed) valid during the handler */
	void *owner;              /* ep's owner, from pbx_media_ep_alloc() */
	char digit;               /* DTMF: '0'-'9', '*', '#', 'A'-'D' */
	unsigned duration_ms;     /* DTMF: length; TIMEOUT: silence */
	union pbx_media_addr addr; /* LATCHED: the source now used */
};

/* Runs on the loop thread for each event. It may call any pbx_media_*
 * function, pbx_media_ep_free(ev->ep) included (not pbx_media_free()).
 */
typedef void (pbx_media_event_h)(const struct pbx_media_ev *ev, void *arg);

struct pbx_media_stats {
	uint64_t rtp_in;          /* RTP packets accepted */
	uint64_t bytes_in;        /* their octets (UDP payload) */
	uint64_t rtp_out;         /* RTP packets sent */
	uint64_t bytes_out;       /* their octets */
	uint64_t dropped;         /* refused: foreign source, malformed,
				   * unknown payload type, nowhere to go */
	uint64_t rtcp_in;
	uint64_t rtcp_out;
	int32_t lost;             /* cumulative, of the current source */
	uint32_t jitter_us;       /* interarrival jitter (RFC 3550 A.8) */
	bool latched;             /* <remote> was learned from packets */
	bool has_remote;          /* <remote> is where we send */
	union pbx_media_addr remote;
	enum pbx_codec codec;
	bool peer_report;         /* the peer's RTCP reported on our stream: */
	int32_t peer_lost;        /* its cumulative loss count */
	uint32_t peer_jitter_us;  /* its jitter */
};

/* Start the engine: bind nothing yet, start the media threads, and watch
 * their event queue on the loop (so pbx_sip_loop_init() comes first).
 * <h>(ev, <arg>) gets every event; with <h> NULL events are not kept
 * and the loop is not needed (benchmarks). Returns 0, EINVAL for a bad
 * address or range, ENOMEM, or the errno of thread or fd creation.
 */
int pbx_media_alloc(struct pbx_media **mp, const struct pbx_media_cfg *cfg,
		    pbx_media_event_h *h, void *arg);

/* Stop the threads and free <m>, with any endpoint still open (which the
 * call core should have freed first). NULL is fine.
 */
void pbx_media_free(struct pbx_media *m);

/* Open an endpoint: an RTP/RTCP port pair bound to the configured address,
 * served by one of the media threads. <owner> comes back in its events.
 * Until its codec is set, PT 0 and 8 are taken as PCMU and PCMA and other
 * payload types are dropped; until a remote is set or learned, nothing is
 * sent. Returns 0, EADDRINUSE when the range is exhausted, or ENOMEM.
 */
int pbx_media_ep_alloc(struct pbx_media *m, struct pbx_media_ep **epp,
		       void *owner);

/* Unbridge and close <ep>. Once this returns no event about <ep> is
 * delivered; its memory and ports are released by its media thread after
 * any packet it is handling. NULL is fine.
 */
void pbx_media_ep_free(struct pbx_media_ep *ep);

/* The RTP port of <ep> (RTCP is one above), for our SDP. */
unsigned pbx_media_ep_port(const struct pbx_media_ep *ep);

/* The owner given to pbx_media_ep_alloc(). */
void *pbx_media_ep_owner(const struct pbx_media_ep *ep);

/* Where the peer's SDP says to send (<sa> of <len> octets; RTCP goes to
 * the port above until RTCP arrives). Used until the first packet
 * latches its source (symmetric RTP, for NAT); a later call with another
 * address (a re-INVITE) drops the latch so the next packet latches anew.
 * NULL, port 0 or an unspecified address stop sending (hold, rejected
 * stream) until a packet latches. Returns 0, EINVAL, or EAFNOSUPPORT
 * when the family differs from the bound address.
 */
int pbx_media_ep_remote(struct pbx_media_ep *ep, const struct sockaddr *sa,
			socklen_t len);

/* The peer's RTCP port from an a=rtcp line (RFC 3605), used instead of
 * the RTP port + 1 while sending to the SDP address (not once latched).
 * pbx_media_ep_remote() resets it: call this after it. Returns 0 or
 * EINVAL.
 */
int pbx_media_ep_remote_rtcp(struct pbx_media_ep *ep, unsigned port);

/* The negotiated codec of <ep>'s leg: <codec> with payload type <pt>,
 * and the telephone-event payload type <dtmf_pt> (-1 for none). Packets
 * sent to this leg use them: audio is transcoded when the bridged leg's
 * codec differs; DTMF events are dropped when <dtmf_pt> is -1. Returns
 * 0 or EINVAL.
 */
int pbx_media_ep_codec(struct pbx_media_ep *ep, enum pbx_codec codec,
		       uint8_t pt, int dtmf_pt);

/* Watch <ep> for RTP silence: after <ms> milliseconds without RTP (counted
 * from this call or the last packet, whichever is later) it reports
 * PBX_MEDIA_EV_TIMEOUT once, and again after RTP resumes and stops.
 * <ms> < 0 takes the configured rtp_timeout_s; 0 stops watching (the
 * initial state: a ringing leg may well be silent). Returns 0 or EINVAL.
 */
int pbx_media_ep_timeout(struct pbx_media_ep *ep, int ms);

/* Play <digit> ('0'-'9', '*', '#', 'A'-'D') for <duration_ms> (0: 100;
 * else clamped to 40..2000) as RFC 4733 telephone-events on <ep>'s
 * outgoing stream, to <ep>'s remote: same SSRC and sequence as the
 * audio relayed into it, which goes on meanwhile. Digits queue (up to
 * 16) and play one after the other. Returns 0 once queued, EINVAL for
 * a bad digit, ENOTSUP when <ep>'s leg negotiated no telephone-event
 * (dtmf_pt -1), ENOBUFS when the queue is full.
 */
int pbx_media_ep_send_dtmf(struct pbx_media_ep *ep, char digit,
			   unsigned duration_ms);

/* Relay media between <a> and <b> both ways, replacing whatever either
 * was bridged to (those lose their bridge). Each outgoing stream keeps
 * its SSRC and continues its sequence and timestamps, with the marker
 * bit on the first packet of the new source. Returns 0 or EINVAL.
 */
int pbx_media_bridge(struct pbx_media_ep *a, struct pbx_media_ep *b);

/* End <ep>'s bridge, both ways. Its packets are then counted and
 * dropped (DTMF still reported). NULL or unbridged is fine.
 */
void pbx_media_unbridge(struct pbx_media_ep *ep);

/* The endpoint bridged to <ep>, or NULL (borrowed). */
struct pbx_media_ep *pbx_media_ep_peer(const struct pbx_media_ep *ep);

/* Copy <ep>'s counters into <st> (REST calls API). Returns 0 or EINVAL. */
int pbx_media_ep_stats(struct pbx_media_ep *ep, struct pbx_media_stats *st);

#endif
