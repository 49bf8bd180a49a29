/* tests/unit/check_media.c - the media engine end to end over loopback
 * UDP: test sockets play the phones, the real loop delivers the events.
 * Relay, transcoding, SSRC/sequence/timestamp continuity across source
 * changes, telephone-events (relayed, and generated: dtmf_tx.c on a
 * simulated clock, inject.c over the sockets), latching, timeout, RTCP,
 * port exhaustion and freeing endpoints with packets in flight.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "media/dtmf.h"
#include "media/dtmf_tx.h"
#include "media/g711.h"
#include "media/media.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "sip/sip.h"

#define PORT_MIN 41000
#define PORT_MAX 41999
#define MAX_EV   64

struct phone {
	int fd;
	union pbx_media_addr addr;
};

struct pkt {
	struct pbx_rtp_hdr h;
	uint8_t data[2048];
	size_t len;
};

static struct pbx_media *m;
static struct pbx_timer *stop_timer;
static struct pbx_media_ev evs[MAX_EV];
static unsigned nev;
static bool free_on_timeout;

static void on_event(const struct pbx_media_ev *ev, void *arg)
{
	if (nev < MAX_EV)
		evs[nev++] = *ev;
	if (free_on_timeout && ev->type == PBX_MEDIA_EV_TIMEOUT)
		pbx_media_ep_free(ev->ep);
}

static void on_break(void *arg)
{
	pbx_sip_loop_break();
}

/* Run the real loop for <ms>. */
static void run_loop(unsigned ms)
{
	ck_assert_int_eq(pbx_timer_start(stop_timer, ms, on_break, NULL), 0);
	pbx_sip_loop_run();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned count_ev(enum pbx_media_ev_type type,
			 const struct pbx_media_ep *ep)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nev; i++)
		if (evs[i].type == type && evs[i].ep == ep)
			n++;
	return n;
}

/* Run the loop until <ep> has had <n> events of <type>, or <ms>. */
static bool wait_ev(enum pbx_media_ev_type type,
		    const struct pbx_media_ep *ep, unsigned n, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (count_ev(type, ep) < n && now_ms() < end)
		run_loop(10);
	return count_ev(type, ep) >= n;
}

static const struct pbx_media_ev *last_ev(enum pbx_media_ev_type type,
					  const struct pbx_media_ep *ep)
{
	for (unsigned i = nev; i-- > 0;)
		if (evs[i].type == type && evs[i].ep == ep)
			return &evs[i];
	return NULL;
}

static void setup(void)
{
	struct pbx_media_cfg cfg = {
		.ip = "127.0.0.1", .port_min = PORT_MIN,
		.port_max = PORT_MAX, .threads = 2, .rtp_timeout_s = 60,
		.relatch_ms = 300, .rtcp_interval_ms = 300,
	};

	pbx_log_level_cur = PBX_LOG_WARN;
	nev = 0;
	free_on_timeout = false;
	ck_assert_int_eq(pbx_sip_loop_init(), 0);
	ck_assert_int_eq(pbx_timer_alloc(&stop_timer), 0);
	ck_assert_int_eq(pbx_media_alloc(&m, &cfg, on_event, NULL), 0);
}

static void teardown(void)
{
	pbx_media_free(m);
	m = NULL;
	pbx_timer_free(stop_timer);
	pbx_sip_loop_deinit();
}

static void phone_open(struct phone *p)
{
	socklen_t len = sizeof(p->addr.in);

	memset(p, 0, sizeof(*p));
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(p->fd, 0);
	p->addr.in.sin_family = AF_INET;
	p->addr.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(p->fd, &p->addr.sa, len), 0);
	ck_assert_int_eq(getsockname(p->fd, &p->addr.sa, &len), 0);
}

static void phone_close(struct phone *p)
{
	close(p->fd);
}

static void send_to(const struct phone *p, unsigned port, const void *buf,
		    size_t len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	ck_assert_int_eq(sendto(p->fd, buf, len, 0, (struct sockaddr *)&to,
				sizeof(to)), (ssize_t)len);
}

/* Send RTP with payload <pl> (<plen> octets) to <port>. */
static void send_rtp(const struct phone *p, unsigned port, uint8_t pt,
		     bool marker, uint16_t seq, uint32_t ts, uint32_t ssrc,
		     const uint8_t *pl, size_t plen)
{
	uint8_t buf[12 + 512];

	pbx_rtp_write(buf, pt, marker, seq, ts, ssrc);
	memcpy(buf + 12, pl, plen);
	send_to(p, port, buf, 12 + plen);
}

/* An audio packet whose payload is <fill> + i. */
static void send_audio(const struct phone *p, unsigned port, uint8_t pt,
		       uint16_t seq, uint32_t ts, uint32_t ssrc, uint8_t fill)
{
	uint8_t pl[160];

	for (unsigned i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(fill + i);
	send_rtp(p, port, pt, false, seq, ts, ssrc, pl, sizeof(pl));
}

/* Receive one datagram within <ms>; false if none. */
static bool recv_raw(const struct phone *p, struct pkt *k, unsigned ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, (int)ms) != 1)
		return false;
	n = recv(p->fd, k->data, sizeof(k->data), 0);
	if (n <= 0)
		return false;
	k->len = (size_t)n;
	return true;
}

static bool recv_rtp(const struct phone *p, struct pkt *k, unsigned ms)
{
	if (!recv_raw(p, k, ms))
		return false;
	ck_assert_int_eq(pbx_rtp_parse(&k->h, k->data, k->len), 0);
	return true;
}

static struct pbx_media_ep *ep_open(const struct phone *remote,
				    enum pbx_codec codec, uint8_t pt,
				    int dtmf_pt, void *owner)
{
	struct pbx_media_ep *ep;

	ck_assert_int_eq(pbx_media_ep_alloc(m, &ep, owner), 0);
	ck_assert_int_eq(pbx_media_ep_codec(ep, codec, pt, dtmf_pt), 0);
	if (remote)
		ck_assert_int_eq(pbx_media_ep_remote(ep, &remote->addr.sa,
						     sizeof(remote->addr.in)),
				 0);
	return ep;
}

/* ---- relay ---- */

START_TEST(media_relay_both_ways)
{
	struct phone pa, pb;
	struct pbx_media_ep *a, *b;
	struct pbx_media_stats st;
	struct pkt k;
	uint32_t ssrc = 0;
	int owner_a, owner_b;

	phone_open(&pa);
	phone_open(&pb);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, 101, &owner_a);
	b = ep_open(&pb, PBX_CODEC_PCMU, 0, 101, &owner_b);
	ck_assert_uint_eq(pbx_media_ep_port(a) % 2, 0);
	ck_assert_uint_ge(pbx_media_ep_port(a), PORT_MIN);
	ck_assert_uint_le(pbx_media_ep_port(a), PORT_MAX);
	ck_assert_ptr_eq(pbx_media_ep_owner(a), &owner_a);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	ck_assert_ptr_eq(pbx_media_ep_peer(b), a);

	for (unsigned i = 0; i < 5; i++)
		send_audio(&pa, pbx_media_ep_port(a), 0, (uint16_t)(1000 + i),
			   8000 + 160 * i, 0x1111, (uint8_t)i);
	for (unsigned i = 0; i < 5; i++) {
		ck_assert(recv_rtp(&pb, &k, 1000));
		ck_assert_uint_eq(k.h.pt, 0);
		ck_assert_uint_eq(k.h.plen, 160);
		ck_assert_uint_eq(k.data[12], i);
		ck_assert_uint_eq(k.data[12 + 159], (uint8_t)(i + 159));
		ck_assert(k.h.marker == (i == 0));
		if (i == 0) {
			ssrc = k.h.ssrc;
			ck_assert_uint_ne(ssrc, 0x1111);
		}
		ck_assert_uint_eq(k.h.ssrc, ssrc);
	}
	/* And back: b's sequence runs on its own. */
	send_audio(&pb, pbx_media_ep_port(b), 0, 7, 99, 0x2222, 50);
	ck_assert(recv_rtp(&pa, &k, 1000));
	ck_assert_uint_eq(k.data[12], 50);
	ck_assert_uint_ne(k.h.ssrc, ssrc);
	ck_assert_uint_ne(k.h.ssrc, 0x2222);

	ck_assert(wait_ev(PBX_MEDIA_EV_LATCHED, a, 1, 1000));
	ck_assert(wait_ev(PBX_MEDIA_EV_LATCHED, b, 1, 1000));
	ck_assert_ptr_eq(last_ev(PBX_MEDIA_EV_LATCHED, a)->owner, &owner_a);
	ck_assert_uint_eq(last_ev(PBX_MEDIA_EV_LATCHED, a)->addr.in.sin_port,
			  pa.addr.in.sin_port);
	ck_assert_int_eq(pbx_media_ep_stats(a, &st), 0);
	ck_assert_uint_eq(st.rtp_in, 5);
	ck_assert_uint_eq(st.bytes_in, 5 * 172);
	ck_assert_uint_eq(st.rtp_out, 1);
	ck_assert_int_eq(st.lost, 0);
	ck_assert(st.latched);
	ck_assert_int_eq(st.codec, PBX_CODEC_PCMU);
	ck_assert_int_eq(pbx_media_ep_stats(b, &st), 0);
	ck_assert_uint_eq(st.rtp_out, 5);
	ck_assert_uint_eq(st.rtp_in, 1);

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
	phone_close(&pb);
}
END_TEST

START_TEST(media_transcode)
{
	struct phone pa, pb;
	struct pbx_media_ep *a, *b;
	struct pkt k;

	phone_open(&pa);
	phone_open(&pb);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, -1, NULL);
	b = ep_open(&pb, PBX_CODEC_PCMA, 8, -1, NULL);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);

	send_audio(&pa, pbx_media_ep_port(a), 0, 1, 0, 0x1111, 0);
	ck_assert(recv_rtp(&pb, &k, 1000));
	ck_assert_uint_eq(k.h.pt, 8);
	for (unsigned i = 0; i < 160; i++)
		ck_assert_uint_eq(k.data[12 + i],
				  pbx_g711_ulaw2alaw((uint8_t)i));

	send_audio(&pb, pbx_media_ep_port(b), 8, 1, 0, 0x2222, 100);
	ck_assert(recv_rtp(&pa, &k, 1000));
	ck_assert_uint_eq(k.h.pt, 0);
	for (unsigned i = 0; i < 160; i++)
		ck_assert_uint_eq(k.data[12 + i],
				  pbx_g711_alaw2ulaw((uint8_t)(100 + i)));

	/* The answer said PCMA, the phone sends PCMU anyway: still audio,
	 * and transcoded to what b's leg negotiated.
	 */
	send_audio(&pb, pbx_media_ep_port(b), 0, 2, 160, 0x2222, 7);
	ck_assert(recv_rtp(&pa, &k, 1000));
	ck_assert_uint_eq(k.h.pt, 0);
	ck_assert_uint_eq(k.data[12], 7);

	/* An unnegotiated payload type (CN, 13) is dropped. */
	send_audio(&pb, pbx_media_ep_port(b), 13, 3, 320, 0x2222, 7);
	ck_assert(!recv_rtp(&pa, &k, 100));

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
	phone_close(&pb);
}
END_TEST

/* b's outgoing stream: a feeds it, then c, then c with a new SSRC. */
START_TEST(media_source_change)
{
	struct phone pa, pb, pc;
	struct pbx_media_ep *a, *b, *c;
	struct pbx_media_stats st;
	struct pkt k;
	uint32_t ssrc, ts;
	uint16_t seq;

	phone_open(&pa);
	phone_open(&pb);
	phone_open(&pc);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, -1, NULL);
	b = ep_open(&pb, PBX_CODEC_PCMU, 0, -1, NULL);
	c = ep_open(&pc, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	for (unsigned i = 0; i < 3; i++) {
		send_audio(&pa, pbx_media_ep_port(a), 0, (uint16_t)(65534 + i),
			   160 * i, 0xa, 0);
		ck_assert(recv_rtp(&pb, &k, 1000));
	}
	ssrc = k.h.ssrc;
	seq = k.h.seq;
	ts = k.h.ts;

	/* Re-point b to c: a loses its bridge. */
	ck_assert_int_eq(pbx_media_bridge(c, b), 0);
	ck_assert_ptr_null(pbx_media_ep_peer(a));
	for (unsigned i = 0; i < 3; i++) {
		send_audio(&pc, pbx_media_ep_port(c), 0, (uint16_t)(30000 + i),
			   777777 + 160 * i, 0xc, 0);
		ck_assert(recv_rtp(&pb, &k, 1000));
		ck_assert_uint_eq(k.h.ssrc, ssrc);
		ck_assert_uint_eq(k.h.seq, (uint16_t)(seq + 1 + i));
		ck_assert(k.h.marker == (i == 0));
		if (i == 0) {
			/* At least a packet's time, at most the time
			 * that can have passed.
			 */
			ck_assert_uint_ge(k.h.ts - ts, 160);
			ck_assert_uint_lt(k.h.ts - ts, 8000 * 5);
			ts = k.h.ts;
		} else {
			ck_assert_uint_eq(k.h.ts, ts + 160 * i);
		}
	}
	seq = k.h.seq;
	ts = k.h.ts;

	/* a is unbridged: its packets are counted, dropped. */
	send_audio(&pa, pbx_media_ep_port(a), 0, 1, 480, 0xa, 0);
	ck_assert(!recv_rtp(&pb, &k, 100));
	ck_assert_int_eq(pbx_media_ep_stats(a, &st), 0);
	ck_assert_uint_eq(st.dropped, 1);

	/* c's phone restarts its stream with a new SSRC. */
	send_audio(&pc, pbx_media_ep_port(c), 0, 5, 42, 0xcc, 0);
	ck_assert(recv_rtp(&pb, &k, 1000));
	ck_assert_uint_eq(k.h.ssrc, ssrc);
	ck_assert_uint_eq(k.h.seq, (uint16_t)(seq + 1));
	ck_assert(k.h.marker);
	ck_assert_uint_ge(k.h.ts - ts, 160);

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	pbx_media_ep_free(c);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pc);
}
END_TEST

/* ---- telephone-events ---- */

static void send_event(const struct phone *p, unsigned port, uint8_t pt,
		       bool marker, uint16_t seq, uint32_t ts, uint8_t event,
		       bool end, uint16_t duration)
{
	uint8_t pl[4] = { event, (uint8_t)((end ? 0x80 : 0) | 10),
			  (uint8_t)(duration >> 8), (uint8_t)duration };

	send_rtp(p, port, pt, marker, seq, ts, 0x1111, pl, sizeof(pl));
}

START_TEST(media_dtmf_relay_and_report)
{
	struct phone pa, pb;
	struct pbx_media_ep *a, *b;
	const struct pbx_media_ev *ev;
	unsigned pa_port;
	struct pkt k;
	int owner;

	phone_open(&pa);
	phone_open(&pb);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, 101, &owner);
	b = ep_open(&pb, PBX_CODEC_PCMU, 0, 96, NULL);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	pa_port = pbx_media_ep_port(a);

	send_event(&pa, pa_port, 101, true, 10, 16000, 5, false, 160);
	send_event(&pa, pa_port, 101, false, 11, 16000, 5, false, 320);
	for (unsigned i = 0; i < 3; i++)
		send_event(&pa, pa_port, 101, false, (uint16_t)(12 + i), 16000,
			   5, true, 800);
	for (unsigned i = 0; i < 5; i++) {
		ck_assert(recv_rtp(&pb, &k, 1000));
		ck_assert_uint_eq(k.h.pt, 96);
		ck_assert_uint_eq(k.h.plen, 4);
		ck_assert_uint_eq(k.data[12], 5);
		ck_assert(k.h.marker == (i == 0));
	}
	ck_assert(wait_ev(PBX_MEDIA_EV_DTMF, a, 1, 1000));
	run_loop(50);
	ck_assert_uint_eq(count_ev(PBX_MEDIA_EV_DTMF, a), 1);
	ev = last_ev(PBX_MEDIA_EV_DTMF, a);
	ck_assert_int_eq(ev->digit, '5');
	ck_assert_uint_eq(ev->duration_ms, 100);
	ck_assert_ptr_eq(ev->owner, &owner);

	/* b's leg has no telephone-event: not relayed, still reported. */
	ck_assert_int_eq(pbx_media_ep_codec(b, PBX_CODEC_PCMU, 0, -1), 0);
	send_event(&pa, pa_port, 101, true, 15, 32000, 11, true, 400);
	ck_assert(!recv_rtp(&pb, &k, 100));
	ck_assert(wait_ev(PBX_MEDIA_EV_DTMF, a, 2, 1000));
	ck_assert_int_eq(last_ev(PBX_MEDIA_EV_DTMF, a)->digit, '#');

	/* Unbridged: reported all the same. */
	pbx_media_unbridge(a);
	send_event(&pa, pa_port, 101, true, 16, 48000, 12, true, 400);
	ck_assert(wait_ev(PBX_MEDIA_EV_DTMF, a, 3, 1000));
	ck_assert_int_eq(last_ev(PBX_MEDIA_EV_DTMF, a)->digit, 'A');

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
	phone_close(&pb);
}
END_TEST

/* ---- generated telephone-events ---- */

#define MS 1000000ull

/* One generated event, as the packets of pbx_dtmf_tx_build() showed it. */
struct txev {
	uint8_t event;
	uint32_t ts;
	uint64_t start_ns;
	unsigned packets, ends;
	uint16_t duration;        /* of its end packets */
};

/* An outgoing stream on a simulated clock, with audio relayed into it. */
struct txsim {
	struct pbx_rtp_out o;
	uint64_t now;
	uint16_t aseq;            /* next audio sequence number in */
	uint32_t audio_ts;        /* the last audio packet out */
};

/* Relay audio packet <s->aseq> into the stream at <s->now>; returns the
 * sequence number it got. Only the first has the marker.
 */
static uint16_t tx_audio(struct txsim *s)
{
	bool first = !s->o.started;
	uint16_t seq;

	ck_assert(pbx_rtp_out_map(&s->o, 7, 0x7777, s->aseq,
				  (uint32_t)(s->aseq * 160), 160, s->now,
				  &seq, &s->audio_ts) == first);
	s->aseq++;
	return seq;
}

/* Run generator <g> on <s> in 1 ms steps until it is idle, with audio
 * relayed every 20 ms meanwhile. Checks each packet against RFC 4733
 * 2.5 and the stream's continuity; records the events into <ev> and
 * returns their number.
 */
static unsigned tx_drain(struct pbx_dtmf_tx *g, struct txsim *s,
			 struct txev *ev, unsigned max)
{
	uint8_t buf[PBX_DTMF_TX_PKT];
	uint16_t last = s->o.seq;
	uint64_t end = s->now + 10000 * MS;
	struct pbx_rtp_hdr h;
	struct pbx_dtmf_ev e;
	struct txev *cur = NULL;
	unsigned n = 0;

	for (; pbx_dtmf_tx_busy(g); s->now += MS) {
		size_t len;

		ck_assert_uint_lt(s->now, end);
		if (s->now % (20 * MS) == 0) {
			/* Audio goes on, numbered after the events. */
			ck_assert_uint_eq(tx_audio(s), (uint16_t)(last + 1));
			last++;
		}
		len = pbx_dtmf_tx_build(g, &s->o, 101, s->now, buf);
		if (!len)
			continue;
		ck_assert_uint_eq(len, PBX_DTMF_TX_PKT);
		ck_assert_int_eq(pbx_rtp_parse(&h, buf, len), 0);
		ck_assert_int_eq(pbx_dtmf_parse(&e, buf + h.hlen, h.plen), 0);
		ck_assert_uint_eq(h.pt, 101);
		ck_assert_uint_eq(h.ssrc, s->o.ssrc);
		ck_assert_uint_eq(h.seq, (uint16_t)(last + 1));
		last = h.seq;
		ck_assert_uint_eq(e.volume, PBX_DTMF_TX_VOLUME);
		if (!cur || cur->ends == PBX_DTMF_TX_ENDS) {
			/* A new event: the marker, and where the next
			 * audio packet would begin.
			 */
			ck_assert(h.marker);
			ck_assert_uint_lt(n, max);
			cur = &ev[n++];
			memset(cur, 0, sizeof(*cur));
			cur->event = e.event;
			cur->ts = h.ts;
			cur->start_ns = s->now;
			ck_assert_uint_eq(h.ts, s->audio_ts + 160);
		} else {
			ck_assert(!h.marker);
			ck_assert_uint_eq(h.ts, cur->ts);
			ck_assert_uint_eq(e.event, cur->event);
		}
		/* Every 20 ms from its start, the duration growing by the
		 * step until the end, which is sent three times.
		 */
		ck_assert_uint_eq(s->now,
				  cur->start_ns + cur->packets * 20 * MS);
		if (e.end) {
			if (cur->ends)
				ck_assert_uint_eq(e.duration, cur->duration);
			cur->duration = e.duration;
			cur->ends++;
		} else {
			ck_assert_uint_eq(cur->ends, 0);
			ck_assert_uint_eq(e.duration,
					  (cur->packets + 1) * 160);
		}
		cur->packets++;
	}
	ck_assert(!cur || cur->ends == PBX_DTMF_TX_ENDS);
	return n;
}

START_TEST(media_dtmf_tx_packets)
{
	struct pbx_dtmf_tx g;
	struct txsim s = { .now = 1000 * MS, .aseq = 100 };
	struct txev ev[4];

	memset(&g, 0, sizeof(g));
	ck_assert(!pbx_dtmf_tx_busy(&g));
	/* Sequence numbers about to wrap, audio already flowing. */
	pbx_rtp_out_init(&s.o, 0xabcdef01, 65533, 4294967000u);
	tx_audio(&s);
	s.now += 5 * MS;

	/* One digit of the default length: 4 updates (160 to 640), then
	 * the end (800) three times.
	 */
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '7', 0), 0);
	ck_assert(pbx_dtmf_tx_busy(&g));
	ck_assert_uint_eq(tx_drain(&g, &s, ev, 4), 1);
	ck_assert_uint_eq(ev[0].event, 7);
	ck_assert_uint_eq(ev[0].packets, 7);
	ck_assert_uint_eq(ev[0].ends, 3);
	ck_assert_uint_eq(ev[0].duration, 800);
	ck_assert_uint_eq(ev[0].start_ns, 1005 * MS);

	/* Three queued at once play one after the other, each with its own
	 * timestamp, at least 40 ms of no tone between them.
	 */
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '*', 0), 0);
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '#', 60), 0);
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, 'a', 0), 0);
	ck_assert_uint_eq(tx_drain(&g, &s, ev, 4), 3);
	ck_assert_uint_eq(ev[0].event, 10);
	ck_assert_uint_eq(ev[1].event, 11);
	ck_assert_uint_eq(ev[2].event, 12);
	ck_assert_uint_eq(ev[1].duration, 480);
	ck_assert_uint_eq(ev[1].packets, 2 + 3);
	for (unsigned i = 1; i < 3; i++) {
		ck_assert_uint_ge(ev[i].ts - ev[i - 1].ts,
				  ev[i - 1].duration + 320u);
		ck_assert_uint_ge(ev[i].start_ns - ev[i - 1].start_ns,
				  ev[i - 1].duration * 125000ull + 40 * MS);
	}

	/* Lengths: clamped to 40 ms and 2 s. */
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '1', 10), 0);
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, 'D', 60000), 0);
	ck_assert_uint_eq(tx_drain(&g, &s, ev, 4), 2);
	ck_assert_uint_eq(ev[0].duration, 320);
	ck_assert_uint_eq(ev[1].event, 15);
	ck_assert_uint_eq(ev[1].duration, 16000);

	/* The queue holds 16; bad digits are refused. */
	for (unsigned i = 0; i < PBX_DTMF_TX_QUEUE; i++)
		ck_assert_int_eq(pbx_dtmf_tx_push(&g, '0', 0), 0);
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '0', 0), ENOBUFS);
	pbx_dtmf_tx_clear(&g);
	ck_assert(!pbx_dtmf_tx_busy(&g));
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, 'x', 0), EINVAL);
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '\0', 0), EINVAL);
	ck_assert_int_eq(pbx_dtmf_tx_code('9'), 9);
	ck_assert_int_eq(pbx_dtmf_tx_code('*'), 10);
	ck_assert_int_eq(pbx_dtmf_tx_code('#'), 11);
	ck_assert_int_eq(pbx_dtmf_tx_code('A'), 12);
	ck_assert_int_eq(pbx_dtmf_tx_code('d'), 15);
	ck_assert_int_eq(pbx_dtmf_tx_code('E'), -1);
}
END_TEST

/* A stream that never carried audio: the events start it, and their
 * timestamps follow the clock.
 */
START_TEST(media_dtmf_tx_unstarted)
{
	struct pbx_dtmf_tx g;
	struct pbx_rtp_out o;
	uint8_t buf[PBX_DTMF_TX_PKT];
	struct pbx_rtp_hdr h[2];
	uint64_t now = 5 * MS;
	unsigned got = 0;

	memset(&g, 0, sizeof(g));
	pbx_rtp_out_init(&o, 1, 500, 1000);
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '1', 0), 0);
	ck_assert_int_eq(pbx_dtmf_tx_push(&g, '2', 0), 0);
	for (; pbx_dtmf_tx_busy(&g); now += MS) {
		struct pbx_rtp_hdr k;

		if (!pbx_dtmf_tx_build(&g, &o, 96, now, buf))
			continue;
		ck_assert_int_eq(pbx_rtp_parse(&k, buf, sizeof(buf)), 0);
		if (k.marker) {
			ck_assert_uint_lt(got, 2);
			h[got++] = k;
		}
	}
	ck_assert_uint_eq(got, 2);
	ck_assert_uint_eq(h[0].seq, 500);
	ck_assert_uint_eq(h[0].ts, 1000);
	ck_assert_uint_eq(h[1].seq, 507);
	ck_assert_uint_eq(h[1].ts, 1000 + 140 * 8);
}
END_TEST

/* The engine plays digits into a stream that relays audio meanwhile. */
START_TEST(media_dtmf_send)
{
	struct phone pa, pb;
	struct pbx_media_ep *a, *b, *c;
	struct pbx_media_stats st;
	struct pbx_dtmf_ev e;
	struct pkt k;
	uint32_t ssrc = 0, ev_ts[2] = { 0 };
	uint16_t seq = 0;
	unsigned n = 0, audio = 0, events = 0, ends[2] = { 0 };
	uint8_t codes[2] = { 0 };

	phone_open(&pa);
	phone_open(&pb);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, 101, NULL);
	b = ep_open(&pb, PBX_CODEC_PCMU, 0, 96, NULL);
	c = ep_open(NULL, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	ck_assert_int_eq(pbx_media_ep_send_dtmf(c, '5', 0), ENOTSUP);
	ck_assert_int_eq(pbx_media_ep_send_dtmf(b, 'x', 0), EINVAL);
	ck_assert_int_eq(pbx_media_ep_send_dtmf(NULL, '5', 0), EINVAL);

	for (unsigned i = 0; i < 30; i++) {
		send_audio(&pa, pbx_media_ep_port(a), 0, (uint16_t)(9 + i),
			   160 * i, 0x1111, (uint8_t)i);
		if (i == 5) {
			ck_assert_int_eq(pbx_media_ep_send_dtmf(b, '#', 0), 0);
			ck_assert_int_eq(pbx_media_ep_send_dtmf(b, '7', 60),
					 0);
		}
		usleep(20 * 1000);
	}
	while (recv_rtp(&pb, &k, 300)) {
		if (!n++) {
			ssrc = k.h.ssrc;
			ck_assert(k.h.marker);
		} else {
			ck_assert_uint_eq(k.h.ssrc, ssrc);
			ck_assert_uint_eq(k.h.seq, (uint16_t)(seq + 1));
		}
		seq = k.h.seq;
		if (k.h.pt == 0) {
			ck_assert_uint_eq(k.data[12], audio++);
			if (n > 1)
				ck_assert(!k.h.marker);
			continue;
		}
		ck_assert_uint_eq(k.h.pt, 96);
		ck_assert_int_eq(pbx_dtmf_parse(&e, k.data + k.h.hlen,
						k.h.plen), 0);
		if (k.h.marker) {
			ck_assert_uint_lt(events, 2);
			codes[events] = e.event;
			ev_ts[events++] = k.h.ts;
		}
		ck_assert_uint_gt(events, 0);
		ck_assert_uint_eq(k.h.ts, ev_ts[events - 1]);
		if (e.end)
			ends[events - 1]++;
	}
	ck_assert_uint_eq(audio, 30);
	ck_assert_uint_eq(events, 2);
	ck_assert_uint_eq(codes[0], 11);
	ck_assert_uint_eq(codes[1], 7);
	ck_assert_uint_eq(ends[0], 3);
	ck_assert_uint_eq(ends[1], 3);
	ck_assert_int_eq(pbx_media_ep_stats(b, &st), 0);
	ck_assert_uint_eq(st.rtp_out, n);

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	pbx_media_ep_free(c);
	phone_close(&pa);
	phone_close(&pb);
}
END_TEST

/* ---- latching ---- */

START_TEST(media_latch)
{
	struct phone pa, pb, decoy, other;
	struct pbx_media_ep *a, *b;
	struct pbx_media_stats st;
	unsigned ap, bp;
	struct pkt k;

	phone_open(&pa);
	phone_open(&pb);
	phone_open(&decoy);
	phone_open(&other);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, -1, NULL);
	/* b's SDP names an address the phone (behind NAT) does not use. */
	b = ep_open(&decoy, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	ap = pbx_media_ep_port(a);
	bp = pbx_media_ep_port(b);

	send_audio(&pa, ap, 0, 1, 0, 0xa, 1);
	ck_assert(recv_rtp(&decoy, &k, 1000));

	/* The phone's first packet latches: we answer its source. */
	send_audio(&pb, bp, 0, 1, 0, 0xb, 2);
	ck_assert(recv_rtp(&pa, &k, 1000));
	ck_assert(wait_ev(PBX_MEDIA_EV_LATCHED, b, 1, 1000));
	ck_assert_uint_eq(last_ev(PBX_MEDIA_EV_LATCHED, b)->addr.in.sin_port,
			  pb.addr.in.sin_port);
	send_audio(&pa, ap, 0, 2, 160, 0xa, 3);
	ck_assert(recv_rtp(&pb, &k, 1000));
	ck_assert(!recv_rtp(&decoy, &k, 50));

	/* Another source while the phone talks: refused. */
	send_audio(&pb, bp, 0, 2, 160, 0xb, 4);
	ck_assert(recv_rtp(&pa, &k, 1000));
	send_audio(&other, bp, 0, 99, 0, 0xee, 5);
	ck_assert(!recv_rtp(&pa, &k, 100));
	ck_assert_int_eq(pbx_media_ep_stats(b, &st), 0);
	ck_assert_uint_eq(st.dropped, 1);
	ck_assert_uint_eq(st.remote.in.sin_port, pb.addr.in.sin_port);

	/* The phone silent for relatch_ms: the new source takes over. */
	usleep(400 * 1000);
	send_audio(&other, bp, 0, 100, 160, 0xee, 6);
	ck_assert(recv_rtp(&pa, &k, 1000));
	ck_assert_uint_eq(k.data[12], 6);
	ck_assert(wait_ev(PBX_MEDIA_EV_LATCHED, b, 2, 1000));
	ck_assert_uint_eq(last_ev(PBX_MEDIA_EV_LATCHED, b)->addr.in.sin_port,
			  other.addr.in.sin_port);
	send_audio(&pa, ap, 0, 3, 320, 0xa, 7);
	ck_assert(recv_rtp(&other, &k, 1000));

	/* A re-INVITE with a new address drops the latch at once. */
	ck_assert_int_eq(pbx_media_ep_remote(b, &pb.addr.sa,
					     sizeof(pb.addr.in)), 0);
	send_audio(&pa, ap, 0, 4, 480, 0xa, 8);
	ck_assert(recv_rtp(&pb, &k, 1000));
	send_audio(&pb, bp, 0, 3, 320, 0xb, 9);
	ck_assert(recv_rtp(&pa, &k, 1000));
	ck_assert_uint_eq(k.data[12], 9);

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&decoy);
	phone_close(&other);
}
END_TEST

/* No remote (hold with 0.0.0.0, or nothing yet): nothing is sent. */
START_TEST(media_no_remote)
{
	struct phone pa, pb;
	struct pbx_media_ep *a, *b;
	struct pbx_media_stats st;
	struct sockaddr_in hold = { .sin_family = AF_INET,
				    .sin_port = htons(4000) };
	struct pkt k;

	phone_open(&pa);
	phone_open(&pb);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, -1, NULL);
	b = ep_open(NULL, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_ep_remote(b, (struct sockaddr *)&hold,
					     sizeof(hold)), 0);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	send_audio(&pa, pbx_media_ep_port(a), 0, 1, 0, 0xa, 1);
	run_loop(50);
	ck_assert_int_eq(pbx_media_ep_stats(b, &st), 0);
	ck_assert(!st.has_remote);
	ck_assert_uint_eq(st.rtp_out, 0);
	ck_assert_int_eq(pbx_media_ep_stats(a, &st), 0);
	ck_assert_uint_eq(st.dropped, 1);
	ck_assert(!recv_rtp(&pb, &k, 10));

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
	phone_close(&pb);
}
END_TEST

/* ---- timeout ---- */

START_TEST(media_timeout)
{
	struct phone pa;
	struct pbx_media_ep *a, *b;
	uint64_t t0 = now_ms();

	phone_open(&pa);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, -1, NULL);
	b = ep_open(NULL, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_ep_timeout(a, 300), 0);
	ck_assert(wait_ev(PBX_MEDIA_EV_TIMEOUT, a, 1, 2000));
	ck_assert_uint_ge(now_ms() - t0, 290);
	ck_assert_uint_ge(last_ev(PBX_MEDIA_EV_TIMEOUT, a)->duration_ms, 300);
	/* Once per silence. */
	run_loop(400);
	ck_assert_uint_eq(count_ev(PBX_MEDIA_EV_TIMEOUT, a), 1);
	/* RTP resumes, then stops again: reported again. */
	send_audio(&pa, pbx_media_ep_port(a), 0, 1, 0, 0xa, 0);
	ck_assert(wait_ev(PBX_MEDIA_EV_TIMEOUT, a, 2, 2000));
	/* Never watched, or watching stopped: no event. */
	ck_assert_int_eq(pbx_media_ep_timeout(a, 0), 0);
	run_loop(400);
	ck_assert_uint_eq(count_ev(PBX_MEDIA_EV_TIMEOUT, a), 2);
	ck_assert_uint_eq(count_ev(PBX_MEDIA_EV_TIMEOUT, b), 0);

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
}
END_TEST

/* The handler may free the endpoint the event is about. */
START_TEST(media_free_in_handler)
{
	struct pbx_media_ep *a;

	free_on_timeout = true;
	a = ep_open(NULL, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_ep_timeout(a, 100), 0);
	ck_assert(wait_ev(PBX_MEDIA_EV_TIMEOUT, a, 1, 2000));
	run_loop(300);
	ck_assert_uint_eq(count_ev(PBX_MEDIA_EV_TIMEOUT, a), 1);
}
END_TEST

/* ---- RTCP ---- */

START_TEST(media_rtcp_reports)
{
	struct phone pa, pb, pbr;
	struct pbx_media_ep *a, *b;
	struct pbx_rtcp_rb rb = { .lost = 2, .jitter = 40 };
	struct pbx_rtcp_info info;
	struct pbx_media_stats st;
	uint8_t rr[PBX_RTCP_MAX];
	unsigned ap, bp, sent = 0;
	uint64_t end;
	struct pkt k;
	size_t len;
	bool got = false;

	phone_open(&pa);
	phone_open(&pb);
	phone_open(&pbr);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, -1, NULL);
	b = ep_open(&pb, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	ap = pbx_media_ep_port(a);
	bp = pbx_media_ep_port(b);
	send_audio(&pb, bp, 0, 500, 0, 0x2222, 0);
	ck_assert(recv_rtp(&pa, &k, 1000));
	send_audio(&pa, ap, 0, 1, 0, 0x1111, 0);
	ck_assert(recv_rtp(&pb, &k, 1000));
	sent = 1;

	/* Phone B's RTCP comes from its own socket: we latch to it. */
	rb.ssrc = k.h.ssrc;
	len = pbx_rtcp_build(rr, sizeof(rr), 0x2222, NULL, &rb, "phone-b");
	send_to(&pbr, bp + 1, rr, len);

	end = now_ms() + 3000;
	while (!got && now_ms() < end) {
		send_audio(&pa, ap, 0, (uint16_t)(1 + sent), 160 * sent,
			   0x1111, 0);
		sent++;
		ck_assert(recv_rtp(&pb, &k, 1000));
		if (recv_raw(&pbr, &k, 50))
			got = true;
	}
	ck_assert(got);
	ck_assert_int_eq(pbx_rtcp_parse(&info, k.data, k.len, 0x2222), 0);
	/* b sends RTP to phone B: a Sender Report, with a block on B. */
	ck_assert(info.sr);
	ck_assert_uint_eq(info.sr_ssrc, rb.ssrc);
	ck_assert_uint_ge(k.data[20] << 24 | k.data[21] << 16 |
			  k.data[22] << 8 | k.data[23], 1);
	ck_assert(info.rb);
	ck_assert_uint_eq(info.block.ext_max, 500);
	ck_assert_int_eq(info.block.lost, 0);

	ck_assert_int_eq(pbx_media_ep_stats(b, &st), 0);
	ck_assert_uint_eq(st.rtcp_in, 1);
	ck_assert_uint_ge(st.rtcp_out, 1);
	ck_assert(st.peer_report);
	ck_assert_int_eq(st.peer_lost, 2);
	ck_assert_uint_eq(st.peer_jitter_us, 40 * 125);

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pbr);
}
END_TEST

/* a=rtcp names the peer's RTCP port: reports go there until it sends. */
START_TEST(media_rtcp_sdp_port)
{
	struct phone pa, pb, pbr;
	struct pbx_media_ep *a, *b;
	struct pbx_rtcp_info info;
	unsigned ap, sent = 0;
	uint64_t end;
	struct pkt k;
	bool got = false;

	phone_open(&pa);
	phone_open(&pb);
	phone_open(&pbr);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, -1, NULL);
	b = ep_open(&pb, PBX_CODEC_PCMU, 0, -1, NULL);
	ck_assert_int_eq(pbx_media_ep_remote_rtcp(b,
			 ntohs(pbr.addr.in.sin_port)), 0);
	ck_assert_int_eq(pbx_media_ep_remote_rtcp(b, 65536), EINVAL);
	ck_assert_int_eq(pbx_media_bridge(a, b), 0);
	ap = pbx_media_ep_port(a);
	end = now_ms() + 3000;
	while (!got && now_ms() < end) {
		send_audio(&pa, ap, 0, (uint16_t)sent, 160 * sent, 1, 0);
		sent++;
		ck_assert(recv_rtp(&pb, &k, 1000));
		got = recv_raw(&pbr, &k, 50);
	}
	ck_assert(got);
	ck_assert_int_eq(pbx_rtcp_parse(&info, k.data, k.len, 0), 0);
	ck_assert(info.sr);
	/* Nothing received by b yet: no report block. */
	ck_assert(!info.rb);

	pbx_media_ep_free(a);
	pbx_media_ep_free(b);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pbr);
}
END_TEST

/* ---- lifetime ---- */

/* Free bridged endpoints while both phones flood them. */
START_TEST(media_free_in_flight)
{
	struct phone pa, pb;

	phone_open(&pa);
	phone_open(&pb);
	for (unsigned round = 0; round < 20; round++) {
		struct pbx_media_ep *a, *b;

		a = ep_open(&pa, PBX_CODEC_PCMU, 0, 101, NULL);
		b = ep_open(&pb, PBX_CODEC_PCMA, 8, 101, NULL);
		ck_assert_int_eq(pbx_media_bridge(a, b), 0);
		for (unsigned i = 0; i < 50; i++) {
			send_audio(&pa, pbx_media_ep_port(a), 0,
				   (uint16_t)i, 160 * i, 1, 0);
			send_audio(&pb, pbx_media_ep_port(b), 8,
				   (uint16_t)i, 160 * i, 2, 0);
		}
		if (round % 2)
			pbx_media_ep_free(a);
		pbx_media_ep_free(b);
		if (!(round % 2))
			pbx_media_ep_free(a);
	}
	run_loop(50);
	phone_close(&pa);
	phone_close(&pb);
}
END_TEST

/* Events already queued for an endpoint are not delivered once freed. */
START_TEST(media_free_purges_events)
{
	struct phone pa;
	struct pbx_media_ep *a;

	phone_open(&pa);
	a = ep_open(&pa, PBX_CODEC_PCMU, 0, 101, NULL);
	send_event(&pa, pbx_media_ep_port(a), 101, true, 1, 0, 3, true, 400);
	/* Let the media thread queue LATCHED and DTMF, then free before
	 * the loop runs.
	 */
	usleep(100 * 1000);
	pbx_media_ep_free(a);
	run_loop(100);
	ck_assert_uint_eq(count_ev(PBX_MEDIA_EV_DTMF, a), 0);
	ck_assert_uint_eq(count_ev(PBX_MEDIA_EV_LATCHED, a), 0);
	phone_close(&pa);
}
END_TEST

START_TEST(media_ports_exhausted)
{
	struct pbx_media_cfg cfg = {
		.ip = "127.0.0.1", .port_min = 42001, .port_max = 42009,
		.threads = 1,
	};
	struct pbx_media *m2;
	struct pbx_media_ep *ep[4], *x;
	uint64_t end;
	int err;

	/* Odd bounds: pairs 42002, 42004, 42006 and 42008. */
	ck_assert_int_eq(pbx_media_alloc(&m2, &cfg, NULL, NULL), 0);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(pbx_media_ep_alloc(m2, &ep[i], NULL), 0);
		ck_assert_uint_eq(pbx_media_ep_port(ep[i]), 42002 + 2 * i);
	}
	ck_assert_int_eq(pbx_media_ep_alloc(m2, &x, NULL), EADDRINUSE);
	/* Released by the media thread, shortly. */
	pbx_media_ep_free(ep[1]);
	end = now_ms() + 1000;
	while ((err = pbx_media_ep_alloc(m2, &x, NULL)) == EADDRINUSE &&
	       now_ms() < end)
		usleep(5000);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(pbx_media_ep_port(x), 42004);
	/* Endpoints left open are freed with the engine. */
	pbx_media_free(m2);
}
END_TEST

START_TEST(media_bad_arguments)
{
	struct pbx_media_cfg cfg = {
		.ip = "127.0.0.1", .port_min = 42100, .port_max = 42100,
	};
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(5004) };
	struct pbx_media *m2;
	struct pbx_media_ep *a;

	ck_assert_int_eq(pbx_media_alloc(&m2, &cfg, NULL, NULL), EINVAL);
	cfg.port_max = 42200;
	cfg.ip = "not-an-address";
	ck_assert_int_eq(pbx_media_alloc(&m2, &cfg, NULL, NULL), EINVAL);

	ck_assert_int_eq(pbx_media_ep_alloc(m, &a, NULL), 0);
	ck_assert_int_eq(pbx_media_ep_codec(a, PBX_CODEC_NONE, 0, -1),
			 EINVAL);
	ck_assert_int_eq(pbx_media_ep_codec(a, PBX_CODEC_PCMU, 0, 0),
			 EINVAL);
	ck_assert_int_eq(pbx_media_ep_codec(a, PBX_CODEC_PCMU, 0, 128),
			 EINVAL);
	ck_assert_int_eq(pbx_media_ep_remote(a, (struct sockaddr *)&v6,
					     sizeof(v6)), EAFNOSUPPORT);
	ck_assert_int_eq(pbx_media_ep_remote(a, (struct sockaddr *)&v6, 4),
			 EAFNOSUPPORT);
	ck_assert_int_eq(pbx_media_ep_remote(a, NULL, 0), 0);
	ck_assert_int_eq(pbx_media_bridge(a, a), EINVAL);
	ck_assert_int_eq(pbx_media_bridge(a, NULL), EINVAL);
	pbx_media_unbridge(a);
	pbx_media_unbridge(NULL);
	pbx_media_ep_free(NULL);
	pbx_media_ep_free(a);
	pbx_media_free(NULL);
}
END_TEST

static Suite *media_suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("relay");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, media_relay_both_ways);
	tcase_add_test(tc, media_transcode);
	tcase_add_test(tc, media_source_change);
	tcase_add_test(tc, media_dtmf_relay_and_report);
	tcase_add_test(tc, media_dtmf_tx_packets);
	tcase_add_test(tc, media_dtmf_tx_unstarted);
	tcase_add_test(tc, media_dtmf_send);
	tcase_add_test(tc, media_latch);
	tcase_add_test(tc, media_no_remote);
	tcase_add_test(tc, media_timeout);
	tcase_add_test(tc, media_free_in_handler);
	tcase_add_test(tc, media_rtcp_reports);
	tcase_add_test(tc, media_rtcp_sdp_port);
	tcase_add_test(tc, media_free_in_flight);
	tcase_add_test(tc, media_free_purges_events);
	tcase_add_test(tc, media_ports_exhausted);
	tcase_add_test(tc, media_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(media_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
