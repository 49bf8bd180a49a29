/* media/media_int.h - shared inside core/media/ only: the engine, its
 * threads and endpoints, and the rules that let the loop and the media
 * threads share an endpoint without a global lock.
 *
 * Locks. Each endpoint has two: rx_lock guards what its receive side
 * changes (latching, reception stats, DTMF, where its packets go), and
 * tx_lock guards its outgoing stream (destination, sequence mapping,
 * send counters). A thread holds at most one rx_lock and one tx_lock at a
 * time, and takes rx_lock first: the relay holds the source's rx_lock
 * while it writes into the sink's stream under the sink's tx_lock, so
 * two legs relaying to each other from two threads cannot deadlock.
 * Fields marked (rx+tx) are written holding both and read holding either.
 * The event queue lock and the ports lock come after both.
 */
#ifndef PBX_MEDIA_MEDIA_INT_H
#define PBX_MEDIA_MEDIA_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <pbx/loop.h>

#include "media/dtmf.h"
#include "media/dtmf_tx.h"
#include "media/media.h"
#include "media/rtp.h"
#include "media/rtpstat.h"

#define MEDIA_BATCH     16      /* datagrams read per recvmmsg() */
#define MEDIA_BUF       2048    /* room per datagram; larger is dropped */
#define MEDIA_EVQ_SIZE  1024    /* events queued per thread */
#define MEDIA_TICK_MS   100     /* housekeeping period of a thread */
#define MEDIA_MAX_THREADS 64
#define MEDIA_DTMF_IDLE_NS (600 * 1000000ull) /* lost end of a digit */

struct pbx_media_ports;
struct media_thread;

/* What an epoll event points to: a socket of an endpoint, or the
 * thread's wake-up eventfd (ep NULL).
 */
struct media_sock {
	int fd;
	bool rtcp;
	struct pbx_media_ep *ep;          /* (borrowed) */
};

/* Symmetric RTP: the source we accept and answer (RFC 4961). */
struct media_latch {
	bool set;
	union pbx_media_addr addr;
	uint64_t last_ns;                 /* last packet from <addr> */
};

/* One recvmmsg() batch, prepared once per thread: the packet path
 * allocates nothing.
 */
struct media_rxbuf {
	struct mmsghdr msgs[MEDIA_BATCH];
	struct iovec iov[MEDIA_BATCH];
	union pbx_media_addr src[MEDIA_BATCH];
	uint8_t data[MEDIA_BATCH][MEDIA_BUF];
};

struct media_evq {
	pthread_mutex_t lock;
	struct pbx_media_ev ring[MEDIA_EVQ_SIZE];
	unsigned head;                    /* oldest */
	unsigned count;
	uint64_t dropped;                 /* pushes refused, queue full */
};

struct pbx_media_ep {
	/* Set by pbx_media_ep_alloc(), then read-only. */
	struct pbx_media *m;              /* (borrowed) */
	struct media_thread *thr;         /* (borrowed) owns the sockets */
	void *owner;                      /* (borrowed) */
	uint64_t id;                      /* unique, never reused */
	unsigned port;
	uint32_t ssrc;                    /* of our outgoing stream */
	struct media_sock rtp;
	struct media_sock rtcp;

	pthread_mutex_t rx_lock;
	pthread_mutex_t tx_lock;

	/* rx_lock */
	bool closing;                     /* being freed: no more events */
	struct pbx_media_ep *sink;        /* (borrowed) gets our packets */
	struct media_latch rtp_latch;
	struct media_latch rtcp_latch;
	struct pbx_rtpstat rxs;           /* current source */
	struct pbx_dtmf_rx dtmf;
	uint64_t last_rx_ns;              /* last RTP accepted */
	uint64_t watch_ns;                /* timeout, 0 = not watching */
	uint64_t watch_from_ns;           /* when watching (re)started */
	bool timeout_sent;
	uint32_t lsr;                     /* peer's last SR, NTP middle */
	uint64_t lsr_ns;                  /* when it came, 0 = never */
	bool peer_report;                 /* peer's view of our stream */
	int32_t peer_lost;
	uint32_t peer_jitter;
	uint64_t rtp_in, bytes_in, rtcp_in, dropped;
	uint64_t next_rtcp_ns;

	/* rx+tx */
	enum pbx_codec codec;
	uint8_t pt;
	int dtmf_pt;                      /* -1: none */
	bool has_sdp;
	union pbx_media_addr sdp;         /* remote from the SDP */
	unsigned sdp_rtcp_port;           /* a=rtcp, 0: RTP port + 1 */

	/* tx_lock */
	bool has_dest;
	union pbx_media_addr dest;        /* where RTP goes */
	struct pbx_rtp_out out;
	struct pbx_dtmf_tx dtx;           /* digits we send (inject.c) */
	uint64_t rtp_out, bytes_out, octets_out, rtcp_out;
	bool sent_since_report;

	/* Loop thread only. */
	struct pbx_media_ep *peer;        /* (borrowed) bridged to */

	/* Media thread <thr> only: its list of endpoints, and of those
	 * sending digits (inject.c) with when their next packet is due.
	 */
	struct pbx_media_ep *next, *prev;
	bool playing;
	uint64_t play_due;
	struct pbx_media_ep *play_next, *play_prev;
	/* thr->lock: the thread's inbox. A link per list, since an
	 * endpoint freed right after its allocation or its digits sits
	 * in several at once.
	 */
	struct pbx_media_ep *adopt_next;
	struct pbx_media_ep *dying_next;
	bool kicked;                      /* in the kick list */
	struct pbx_media_ep *kick_next;
};

struct media_thread {
	struct pbx_media *m;              /* (borrowed) */
	unsigned index;
	pthread_t tid;
	bool running;                     /* tid is joinable */
	int epfd;
	struct media_sock wake;           /* eventfd: inbox or stop */

	pthread_mutex_t lock;             /* guards the next four */
	struct pbx_media_ep *adopt;       /* new endpoints to list */
	struct pbx_media_ep *dying;       /* endpoints to free */
	struct pbx_media_ep *kick;        /* endpoints given digits */
	bool stop;

	/* The thread only. */
	struct pbx_media_ep *eps;         /* endpoints served */
	struct pbx_media_ep *playing;     /* those sending digits */
	uint64_t rng;
	struct media_rxbuf *rx;           /* receive buffers */

	struct media_evq evq;             /* events to the loop */

	/* Loop thread only. */
	unsigned load;                    /* endpoints assigned */
};

struct pbx_media {
	struct pbx_media_cfg cfg;         /* cfg.ip is not kept */
	union pbx_media_addr ip;          /* bound address, port 0 */
	socklen_t iplen;
	struct pbx_media_ports *ports;
	struct media_thread *thr;         /* nthr of them */
	unsigned nthr;
	int evfd;                         /* eventfd: events queued */
	struct pbx_loop_watch *watch;
	pbx_media_event_h *h;
	void *arg;
	uint64_t relatch_ns;
	uint64_t rtcp_ns;                 /* mean report interval */
	uint64_t timeout_ns;              /* default RTP timeout */
	char cname[24];                   /* our RTCP CNAME */

	/* Loop thread only. */
	uint64_t rng;
	uint64_t next_id;
};

static inline uint64_t media_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: SSRCs, initial sequence numbers, report jitter. Not for
 * secrets; seeded from getrandom() per owner thread.
 */
static inline uint64_t media_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random value in [<mean>/2, 3*<mean>/2) (RFC 3550 6.3.1). */
static inline uint64_t media_jittered(uint64_t *rng, uint64_t mean)
{
	return mean / 2 + media_rand(rng) % (mean ? mean : 1);
}

static inline socklen_t media_addr_len(const union pbx_media_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6)
					   : sizeof(a->in);
}

/* ---- engine.c ---- */

/* Wake thread <t> to read its inbox (loop side). */
void media_thr_wake(struct media_thread *t);

/* ---- endpoint.c ---- */

/* Close and free <ep> on its media thread, after it left epoll. */
void media_ep_destroy(struct pbx_media_ep *ep);

/* Read up to MEDIA_BATCH datagrams of <fd> into t->rx; returns how many
 * (0 when none or on error). t->rx->msgs[i].msg_len has their lengths.
 */
unsigned media_thr_recv(struct media_thread *t, int fd);

/* ---- relay.c (media thread) ---- */

/* Read and relay what the RTP socket of <ep> holds. */
void media_relay_input(struct media_thread *t, struct pbx_media_ep *ep);

/* Source address equality, port included. */
bool media_addr_eq(const union pbx_media_addr *a,
		   const union pbx_media_addr *b);

/* Accept or refuse a packet from <src> for latch <l> of <ep> at <now>
 * (rx_lock held). Returns true if it may be used; latches a first or
 * replacement source.
 */
bool media_relay_latch(struct pbx_media_ep *ep, struct media_latch *l,
		       const union pbx_media_addr *src, uint64_t now,
		       bool rtcp);

/* ---- report.c (media thread) ---- */

/* Read the RTCP socket of <ep>. */
void media_report_input(struct media_thread *t, struct pbx_media_ep *ep);

/* Periodic work on <ep>: RTP timeout, lost DTMF end, our RTCP report. */
void media_report_tick(struct media_thread *t, struct pbx_media_ep *ep,
		       uint64_t now);

/* ---- inject.c (media thread) ---- */

/* <ep> was given digits (its thread's inbox, t->lock held): list it
 * among those sending, with its next packet due at once.
 */
void media_inject_kicked(struct media_thread *t, struct pbx_media_ep *ep);

/* Unlist <ep> (being freed, or nothing left to send). */
void media_inject_forget(struct media_thread *t, struct pbx_media_ep *ep);

/* When the next packet of <t>'s endpoints is due; UINT64_MAX if none. */
uint64_t media_inject_due(const struct media_thread *t);

/* Send the packets due at <now>. */
void media_inject_run(struct media_thread *t, uint64_t now);

/* ---- event.c ---- */

/* Set up and tear down thread <t>'s queue (engine.c, at thread start
 * and after the thread stopped).
 */
void media_evq_init(struct media_evq *q);
void media_evq_destroy(struct media_evq *q);

/* Queue <ev> for the loop (media thread, ep's rx_lock held). Returns 0,
 * or ENOSPC when the queue is full (the event is lost and counted).
 */
int media_ev_push(struct pbx_media *m, struct media_thread *t,
		  const struct pbx_media_ev *ev);

/* Forget queued events of <ep> (loop thread, <ep> closing). */
void media_ev_purge(struct media_thread *t, const struct pbx_media_ep *ep);

/* Deliver queued events: the loop's handler of m->evfd. */
void media_ev_dispatch(int fd, void *arg);

#endif
