/* bench/rtp/rtpload.c - RTP load for calls relayed by a running pbxd:
 * it plays both phones of every call. For each stream in a list of
 * (local port, pbxd port) pairs it binds the local port, sends 160-octet
 * G.711 RTP packets (20 ms) at 50 packets/s to pbxd's port, and receives
 * what pbxd relays to that port from the other side of the call. The
 * streams' send times are spread evenly over each 20 ms. Every packet
 * carries its sender's index and its send time in the payload, so the
 * receiver counts loss per stream and the delay the relay adds. Reports
 * one JSON line on stdout.
 *
 * The delay (delay_us_*) runs from just before our send to the kernel's
 * receive time stamp of the relayed packet (SO_TIMESTAMPNS): on loopback
 * that stamp is taken inside pbxd's own sendto(), so the figure is the
 * time the packet spent in pbxd's socket and relay, free of how late our
 * receiving thread got the CPU. app_delay_us_* is to the moment our
 * receiver read it (what a phone's jitter buffer would see here).
 *
 *   rtpload -f PAIRS [-d seconds] [-w warmup_s] [-i local_ip]
 *           [-a pbxd_ip] [-r pps] [-s sender_threads] [-R receiver_threads]
 *           [-S [-P poll_us]] [-v]
 *
 * PAIRS: one stream per line, "local_port pbxd_port [call]"; '#' starts
 * a comment. With the optional call number (the same for the two streams
 * of one call), a packet that arrives on a stream of another call counts
 * as "crossed" (media relayed to the wrong call). pbxd latches onto the
 * source of the first packet it gets on a port, so sending from the port
 * the SDP advertised makes the relay work both ways.
 *
 * -S (shared sockets): all streams send from and receive on one socket
 * per receiver thread (sendmmsg/recvmmsg), instead of one socket bound to
 * each local port. pbxd then latches every leg onto that socket, and a
 * packet's receiving stream is known from its source (pbxd's port). It
 * costs the generator several times less CPU per packet, which matters
 * on a small machine where the generator shares the cores with pbxd; the
 * local ports of PAIRS are then only what the SDP advertised. With -P,
 * the receivers do not sleep in the socket but wake every poll_us and
 * drain it: pbxd's sends then wake nobody (cheaper for both sides), and
 * app_delay_us_* is measured up to poll_us late (the kernel-stamped
 * delay is not).
 *
 * -v prints to stderr the largest delay of every 100 ms of the measured
 * period (stalls, and whether they recur).
 *
 * Packets sent in the measured period [warm-up end, end) count as sent;
 * they count as received when they arrive before the end plus 500 ms.
 * No dependency on pbxd's code: built by bench/rtp/GNUmakefile (target
 * rtpload) with the system compiler only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                       /* sendmmsg, recvmmsg */
#endif
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define PAYLOAD    160
#define RTP_HDR    12
#define PKT        (RTP_HDR + PAYLOAD)
#define SLOT_NS    1000000ull         /* sending spread over 1 ms slots */
#define HIST_US    200000             /* delay histogram: 1 us buckets */
#define NS         1000000000ull
#define MAGIC      0x52544c44u        /* "RTLD" */
#define MAX_THR    16
#define BATCH      64
#define CTRL       64                 /* room for one SCM_TIMESTAMPNS */

struct stream {
	int fd;
	unsigned lport, rport;
	int call;                         /* -1: not given */
	uint16_t seq;
	uint32_t ts, ssrc;
	uint64_t next_ns;                 /* next send time */
	uint32_t sent;                    /* in the measured period */
	uint32_t rcvd;                    /* its packets received by the peer */
};

static struct {
	const char *pairs, *lip, *rip;
	unsigned duration_s, warmup_s, pps, senders, receivers, poll_us;
	bool shared;
} opt = { NULL, "127.0.0.1", NULL, 10, 2, 50, 1, 1, 0, false };

static struct stream *st;
static unsigned nst;
static int shared_fd[MAX_THR];            /* -S: one per receiver */
static int by_rport[65536];               /* -S: pbxd port -> stream + 1 */
static uint64_t t_start, t_measure, t_end, t_drain;
static struct sockaddr_in to_addr;
static volatile int senders_done;

struct rx {                               /* one receiver thread's figures */
	pthread_t th;
	unsigned idx;
	uint64_t received, early, late, crossed, foreign, dup_or_bad;
	uint32_t *hist;               /* through pbxd (kernel time stamps) */
	uint32_t *hist_app;           /* to our receiving thread */
	uint64_t no_stamp;            /* packets without a kernel stamp */
	uint32_t *tmax;               /* -v: largest delay (us) per 100 ms */
};
static struct rx rxs[MAX_THR];
static unsigned nwin;                     /* 100 ms windows measured */
static bool verbose;

struct tx {
	pthread_t th;
	unsigned idx;
	uint64_t errors, behind_max_ns;
};
static struct tx txs[MAX_THR];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* The clock of the kernel's SO_TIMESTAMPNS stamps. */
static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* The kernel's receive stamp in <mh>'s control data, or 0. */
static uint64_t kernel_stamp(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c;
	     c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
		}
	}
	return 0;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "rtpload: %s: %s\n", what, strerror(err));
	exit(1);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void read_pairs(void)
{
	FILE *f = fopen(opt.pairs, "r");
	char line[256];
	unsigned cap = 0;

	if (!f)
		die(opt.pairs, errno);
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		unsigned lp, rp;
		int call = -1, n;

		if (hash)
			*hash = '\0';
		n = sscanf(line, "%u %u %d", &lp, &rp, &call);
		if (n < 2)
			continue;
		if (!lp || lp > 65535 || !rp || rp > 65535)
			die("pairs: port out of range", EINVAL);
		if (nst == cap) {
			cap = cap ? 2 * cap : 1024;
			st = realloc(st, cap * sizeof(*st));
			if (!st)
				die("realloc", ENOMEM);
		}
		memset(&st[nst], 0, sizeof(st[nst]));
		st[nst].lport = lp;
		st[nst].rport = rp;
		st[nst].call = n == 3 ? call : -1;
		nst++;
	}
	fclose(f);
	if (!nst)
		die("pairs: no streams", EINVAL);
}

static void open_streams(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int rcvbuf = 256 * 1024, one = 1;

	if (inet_pton(AF_INET, opt.lip, &a.sin_addr) != 1)
		die("local ip", EINVAL);
	to_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, opt.rip ? opt.rip : opt.lip,
		      &to_addr.sin_addr) != 1)
		die("pbxd ip", EINVAL);
	if (opt.shared) {
		int big = 4 * 1024 * 1024;

		for (unsigned r = 0; r < opt.receivers; r++) {
			struct timeval tv = { 0, 20000 };
			int fd = socket(AF_INET, SOCK_DGRAM, 0);

			if (fd < 0)
				die("socket", errno);
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big,
				   sizeof(big));
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big,
				   sizeof(big));
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv));
			setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one,
				   sizeof(one));
			a.sin_port = 0;
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
				die("bind", errno);
			shared_fd[r] = fd;
		}
	}
	for (unsigned i = 0; i < nst; i++) {
		struct stream *s = &st[i];

		s->ssrc = 0x5254000u + i;
		s->seq = (uint16_t)(i * 7919u);
		s->ts = i * 104729u;
		if (opt.shared) {
			if (by_rport[s->rport])
				die("pairs: a pbxd port twice (-S)", EINVAL);
			by_rport[s->rport] = (int)i + 1;
			s->fd = shared_fd[i % opt.receivers];
			continue;
		}
		s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (s->fd < 0)
			die("socket", errno);
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
		setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one,
			   sizeof(one));
		a.sin_port = htons((uint16_t)s->lport);
		if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			fprintf(stderr, "rtpload: bind %s:%u: %s\n", opt.lip,
				s->lport, strerror(errno));
			exit(1);
		}
	}
}

static void build(unsigned i, uint64_t now, uint8_t *buf)
{
	struct stream *s = &st[i];

	buf[0] = 0x80;                     /* V=2 */
	buf[1] = 0;                        /* PT 0, PCMU */
	buf[2] = (uint8_t)(s->seq >> 8);
	buf[3] = (uint8_t)s->seq;
	put32(buf + 4, s->ts);
	put32(buf + 8, s->ssrc);
	s->seq++;
	s->ts += PAYLOAD;
	memset(buf + RTP_HDR, 0xff, PAYLOAD);  /* PCMU silence */
	put32(buf + RTP_HDR, MAGIC);
	put32(buf + RTP_HDR + 4, i);
	put32(buf + RTP_HDR + 8, (uint32_t)(now >> 32));
	put32(buf + RTP_HDR + 12, (uint32_t)now);
	now = real_ns();
	put32(buf + RTP_HDR + 16, (uint32_t)(now >> 32));
	put32(buf + RTP_HDR + 20, (uint32_t)now);
}

static void send_one(struct tx *tx, unsigned i, uint64_t now)
{
	struct stream *s = &st[i];
	struct sockaddr_in to = to_addr;
	uint8_t buf[PKT];

	build(i, now, buf);
	to.sin_port = htons((uint16_t)s->rport);
	if (sendto(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&to,
		   sizeof(to)) != (ssize_t)sizeof(buf)) {
		tx->errors++;
		return;
	}
	if (now >= t_measure && now < t_end)
		s->sent++;
}

/* -S: the packets due now, per shared socket, in sendmmsg batches. */
struct batch {
	unsigned n;
	unsigned idx[BATCH];
	uint64_t t[BATCH];
	uint8_t buf[BATCH][PKT];
	struct sockaddr_in to[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
};

static void batch_flush(struct tx *tx, struct batch *b, int fd)
{
	unsigned done = 0;

	while (done < b->n) {
		int n = sendmmsg(fd, b->mm + done, b->n - done, 0);

		if (n <= 0) {
			tx->errors += b->n - done;
			break;
		}
		for (int k = 0; k < n; k++) {
			unsigned j = done + (unsigned)k;

			if (b->t[j] >= t_measure && b->t[j] < t_end)
				st[b->idx[j]].sent++;
		}
		done += (unsigned)n;
	}
	b->n = 0;
}

static void batch_add(struct tx *tx, struct batch *b, unsigned i)
{
	unsigned j = b->n++;
	uint64_t now = now_ns();

	build(i, now, b->buf[j]);
	b->idx[j] = i;
	b->t[j] = now;
	b->to[j] = to_addr;
	b->to[j].sin_port = htons((uint16_t)st[i].rport);
	b->iov[j].iov_base = b->buf[j];
	b->iov[j].iov_len = PKT;
	memset(&b->mm[j], 0, sizeof(b->mm[j]));
	b->mm[j].msg_hdr.msg_name = &b->to[j];
	b->mm[j].msg_hdr.msg_namelen = sizeof(b->to[j]);
	b->mm[j].msg_hdr.msg_iov = &b->iov[j];
	b->mm[j].msg_hdr.msg_iovlen = 1;
	if (b->n == BATCH)
		batch_flush(tx, b, st[i].fd);
}

/* Stream i sends at t_start + (i * period / nst) + k * period: the
 * streams are spread evenly over the 20 ms. A sender wakes every 1 ms
 * and sends what is due.
 */
static void *sender(void *arg)
{
	struct tx *tx = arg;
	uint64_t period = NS / opt.pps, t = t_start;
	struct timespec next;
	struct batch *b = NULL;

	/* -S: batches per shared socket; streams i, i+R, ... share one. */
	if (opt.shared) {
		b = calloc(opt.receivers, sizeof(*b));
		if (!b)
			die("calloc", ENOMEM);
	}

	for (unsigned i = tx->idx; i < nst; i += opt.senders)
		st[i].next_ns = t_start + (uint64_t)i * period / nst;
	while (t < t_end) {
		uint64_t now = now_ns();

		if (now > t + SLOT_NS && now - t > tx->behind_max_ns &&
		    t > t_start)
			tx->behind_max_ns = now - t;
		for (unsigned i = tx->idx; i < nst; i += opt.senders) {
			while (st[i].next_ns <= t + SLOT_NS &&
			       st[i].next_ns < t_end) {
				if (b)
					batch_add(tx, &b[i % opt.receivers],
						  i);
				else
					send_one(tx, i, now_ns());
				st[i].next_ns += period;
			}
		}
		for (unsigned r = 0; b && r < opt.receivers; r++)
			if (b[r].n)
				batch_flush(tx, &b[r], shared_fd[r]);
		t += SLOT_NS;
		next.tv_sec = (time_t)(t / NS);
		next.tv_nsec = (long)(t % NS);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	free(b);
	return NULL;
}

static void add(uint32_t *hist, uint64_t d)
{
	hist[d > HIST_US ? HIST_US : d]++;
}

/* One packet <buf> of <n> octets arrived for stream <s> (NULL: not
 * known, -S with a source that is no pbxd port of PAIRS), read at <now>
 * (monotonic), stamped <kts> by the kernel (realtime; 0: no stamp).
 */
static void packet(struct rx *rx, const struct stream *s,
		   const uint8_t *buf, size_t n, uint64_t now, uint64_t kts)
{
	uint64_t t, tr, d, da;
	unsigned from, hl;

	if (n < RTP_HDR || (buf[0] & 0xc0) != 0x80) {
		rx->dup_or_bad++;
		return;
	}
	hl = RTP_HDR + 4u * (buf[0] & 0x0f);
	if (buf[0] & 0x10) {               /* header extension */
		if (n < hl + 4) {
			rx->dup_or_bad++;
			return;
		}
		hl += 4 + 4u * ((unsigned)buf[hl + 2] << 8 | buf[hl + 3]);
	}
	if (n < hl + 24 || get32(buf + hl) != MAGIC) {
		rx->foreign++;             /* not ours (e.g. a prompt) */
		return;
	}
	from = get32(buf + hl + 4);
	t = (uint64_t)get32(buf + hl + 8) << 32 | get32(buf + hl + 12);
	tr = (uint64_t)get32(buf + hl + 16) << 32 | get32(buf + hl + 20);
	if (from >= nst) {
		rx->dup_or_bad++;
		return;
	}
	if (!s || (st[from].call >= 0 && st[from].call != s->call) ||
	    s == &st[from])
		rx->crossed++;
	if (t < t_measure || t >= t_end) {
		rx->early++;
		return;
	}
	if (now > t_drain) {
		rx->late++;
		return;
	}
	__atomic_add_fetch(&st[from].rcvd, 1, __ATOMIC_RELAXED);
	rx->received++;
	da = now > t ? (now - t) / 1000 : 0;
	add(rx->hist_app, da);
	if (kts) {
		d = kts > tr ? (kts - tr) / 1000 : 0;
	} else {
		rx->no_stamp++;
		d = da;
	}
	add(rx->hist, d);
	if (rx->tmax) {
		uint64_t w = (t - t_measure) / 100000000ull;

		if (w < nwin && d > rx->tmax[w])
			rx->tmax[w] = (uint32_t)d;
	}
}

static void receive(struct rx *rx, struct stream *s)
{
	uint8_t buf[2048];
	union {
		struct cmsghdr align;
		char b[CTRL];
	} ctrl;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		mh.msg_control = ctrl.b;
		mh.msg_controllen = sizeof(ctrl.b);
		n = recvmsg(s->fd, &mh, 0);
		if (n <= 0)
			break;
		packet(rx, s, buf, (size_t)n, now_ns(), kernel_stamp(&mh));
	}
}

/* -S: everything for this receiver's shared socket, in batches. */
static void *receiver_shared(void *arg)
{
	static __thread uint8_t bufs[BATCH][2048];
	static __thread union {
		struct cmsghdr align;
		char b[CTRL];
	} ctrl[BATCH];
	struct rx *rx = arg;
	struct sockaddr_in src[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	int fd = shared_fd[rx->idx];

	while (now_ns() < t_drain) {
		int n;
		uint64_t now;

		if (opt.poll_us) {
			struct timespec ts = { 0, (long)opt.poll_us * 1000 };

			nanosleep(&ts, NULL);
		}
		for (unsigned k = 0; k < BATCH; k++) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = sizeof(bufs[k]);
			memset(&mm[k], 0, sizeof(mm[k]));
			mm[k].msg_hdr.msg_name = &src[k];
			mm[k].msg_hdr.msg_namelen = sizeof(src[k]);
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
			mm[k].msg_hdr.msg_control = ctrl[k].b;
			mm[k].msg_hdr.msg_controllen = sizeof(ctrl[k].b);
		}
		do {
			n = recvmmsg(fd, mm, BATCH, opt.poll_us ?
				     MSG_DONTWAIT : MSG_WAITFORONE, NULL);
			if (n <= 0)
				break;
			now = now_ns();
			for (int k = 0; k < n; k++) {
				int i = by_rport[ntohs(src[k].sin_port)];

				packet(rx, i ? &st[i - 1] : NULL, bufs[k],
				       mm[k].msg_len, now,
				       kernel_stamp(&mm[k].msg_hdr));
				mm[k].msg_hdr.msg_namelen = sizeof(src[k]);
				mm[k].msg_hdr.msg_controllen =
					sizeof(ctrl[k].b);
			}
		} while (opt.poll_us && n == BATCH);
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct rx *rx = arg;
	struct epoll_event evs[256];
	int ep = epoll_create1(0);

	if (ep < 0)
		die("epoll_create1", errno);
	for (unsigned i = rx->idx; i < nst; i += opt.receivers) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &st[i] };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, st[i].fd, &ev) < 0)
			die("epoll_ctl", errno);
	}
	while (now_ns() < t_drain) {
		int n = epoll_wait(ep, evs, 256, 20);

		for (int i = 0; i < n; i++)
			receive(rx, evs[i].data.ptr);
	}
	close(ep);
	return NULL;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static unsigned pct(const uint32_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), acc = 0;

	for (unsigned i = 0; i <= HIST_US; i++) {
		acc += h[i];
		if (acc > want)
			return i;
	}
	return HIST_US;
}

static void usage(void)
{
	fprintf(stderr, "usage: rtpload -f PAIRS [-d seconds] [-w warmup_s] "
		"[-i local_ip] [-a pbxd_ip] [-r pps] [-s senders] "
		"[-R receivers] [-S [-P poll_us]] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static uint32_t hist[HIST_US + 1], hist_app[HIST_US + 1];
	uint64_t no_stamp = 0;
	double sum_app = 0;
	unsigned dmax_app = 0;
	uint64_t sent = 0, received = 0, lost = 0, early = 0, late = 0;
	uint64_t crossed = 0, foreign = 0, bad = 0, errors = 0, behind = 0;
	unsigned dead = 0, lossy = 0, worst = 0;
	double sum = 0, c0, c1, secs;
	unsigned dmax = 0;
	struct rlimit rl;
	int c;

	while ((c = getopt(argc, argv, "f:d:w:i:a:r:s:R:SP:v")) != -1) {
		switch (c) {
		case 'f': opt.pairs = optarg; break;
		case 'd': opt.duration_s = (unsigned)atoi(optarg); break;
		case 'w': opt.warmup_s = (unsigned)atoi(optarg); break;
		case 'i': opt.lip = optarg; break;
		case 'a': opt.rip = optarg; break;
		case 'r': opt.pps = (unsigned)atoi(optarg); break;
		case 's': opt.senders = (unsigned)atoi(optarg); break;
		case 'R': opt.receivers = (unsigned)atoi(optarg); break;
		case 'S': opt.shared = true; break;
		case 'P': opt.poll_us = (unsigned)atoi(optarg); break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	if (!opt.pairs || !opt.duration_s || !opt.pps || opt.pps > 1000 ||
	    !opt.senders || opt.senders > MAX_THR || !opt.receivers ||
	    opt.receivers > MAX_THR || opt.duration_s > 3600 ||
	    opt.warmup_s > 600 || opt.poll_us > 100000)
		usage();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	read_pairs();
	open_streams();

	t_start = now_ns() + 50 * 1000000ull;
	t_measure = t_start + opt.warmup_s * NS;
	t_end = t_measure + opt.duration_s * NS;
	t_drain = t_end + 500 * 1000000ull;
	nwin = opt.duration_s * 10;
	for (unsigned i = 0; i < opt.receivers; i++) {
		rxs[i].idx = i;
		if (verbose && !(rxs[i].tmax = calloc(nwin, sizeof(uint32_t))))
			die("calloc", ENOMEM);
		rxs[i].hist = calloc(HIST_US + 1, sizeof(uint32_t));
		rxs[i].hist_app = calloc(HIST_US + 1, sizeof(uint32_t));
		if (!rxs[i].hist || !rxs[i].hist_app)
			die("calloc", ENOMEM);
		pthread_create(&rxs[i].th, NULL,
			       opt.shared ? receiver_shared : receiver,
			       &rxs[i]);
	}
	for (unsigned i = 0; i < opt.senders; i++) {
		txs[i].idx = i;
		pthread_create(&txs[i].th, NULL, sender, &txs[i]);
	}
	while (now_ns() < t_measure)
		usleep(1000);
	c0 = cpu_s();
	for (unsigned i = 0; i < opt.senders; i++) {
		pthread_join(txs[i].th, NULL);
		errors += txs[i].errors;
		if (txs[i].behind_max_ns > behind)
			behind = txs[i].behind_max_ns;
	}
	c1 = cpu_s();
	senders_done = 1;
	for (unsigned i = 0; i < opt.receivers; i++) {
		pthread_join(rxs[i].th, NULL);
		received += rxs[i].received;
		early += rxs[i].early;
		late += rxs[i].late;
		crossed += rxs[i].crossed;
		foreign += rxs[i].foreign;
		bad += rxs[i].dup_or_bad;
		no_stamp += rxs[i].no_stamp;
		for (unsigned k = 0; k <= HIST_US; k++) {
			hist[k] += rxs[i].hist[k];
			hist_app[k] += rxs[i].hist_app[k];
		}
		free(rxs[i].hist);
		free(rxs[i].hist_app);
	}
	if (verbose) {
		/* the largest delay of each 100 ms of send time, in ms: a
		 * stall shows as a run of large values, a periodic one as a
		 * pattern */
		fprintf(stderr, "rtpload: max delay (ms) per 100 ms:");
		for (unsigned w = 0; w < nwin; w++) {
			uint32_t m = 0;

			for (unsigned i = 0; i < opt.receivers; i++)
				if (rxs[i].tmax[w] > m)
					m = rxs[i].tmax[w];
			fprintf(stderr, "%s%u", w % 10 ? " " : "\n  ",
				m / 1000);
		}
		fprintf(stderr, "\n");
		for (unsigned i = 0; i < opt.receivers; i++)
			free(rxs[i].tmax);
	}
	for (unsigned i = 0; i < nst; i++) {
		unsigned l = st[i].sent > st[i].rcvd ?
			     st[i].sent - st[i].rcvd : 0;

		sent += st[i].sent;
		lost += l;
		if (l)
			lossy++;
		if (l > worst)
			worst = l;
		if (st[i].sent && !st[i].rcvd)
			dead++;
		if (!opt.shared)
			close(st[i].fd);
	}
	for (unsigned k = 0; k <= HIST_US; k++) {
		sum += (double)hist[k] * k;
		if (hist[k])
			dmax = k;
		sum_app += (double)hist_app[k] * k;
		if (hist_app[k])
			dmax_app = k;
	}
	secs = (double)opt.duration_s;
	printf("{\"bench\": \"rtpload\", \"streams\": %u, \"pps\": %u, "
	       "\"shared_sockets\": %s, "
	       "\"duration_s\": %u, \"warmup_s\": %u, "
	       "\"pps_offered\": %.0f, \"sent\": %llu, \"received\": %llu, "
	       "\"lost\": %llu, \"loss_pct\": %.4f, "
	       "\"lossy_streams\": %u, \"dead_streams\": %u, "
	       "\"worst_stream_lost\": %u, "
	       "\"delay_us_mean\": %.0f, \"delay_us_p50\": %u, "
	       "\"delay_us_p90\": %u, \"delay_us_p99\": %u, "
	       "\"delay_us_p999\": %u, \"delay_us_max\": %u, "
	       "\"app_delay_us_mean\": %.0f, \"app_delay_us_p50\": %u, "
	       "\"app_delay_us_p99\": %u, \"app_delay_us_max\": %u, "
	       "\"no_kernel_stamp\": %llu, "
	       "\"late\": %llu, \"crossed\": %llu, \"foreign\": %llu, "
	       "\"bad\": %llu, \"send_errors\": %llu, "
	       "\"sender_behind_max_us\": %llu, \"rtpload_cpu_pct\": %.1f}\n",
	       nst, opt.pps, opt.shared ? "true" : "false",
	       opt.duration_s, opt.warmup_s,
	       (double)sent / secs, (unsigned long long)sent,
	       (unsigned long long)received, (unsigned long long)lost,
	       sent ? 100.0 * (double)lost / (double)sent : 0.0,
	       lossy, dead, worst,
	       received ? sum / (double)received : 0.0,
	       pct(hist, received, 0.50), pct(hist, received, 0.90),
	       pct(hist, received, 0.99), pct(hist, received, 0.999), dmax,
	       received ? sum_app / (double)received : 0.0,
	       pct(hist_app, received, 0.50), pct(hist_app, received, 0.99),
	       dmax_app, (unsigned long long)no_stamp,
	       (unsigned long long)late, (unsigned long long)crossed,
	       (unsigned long long)foreign, (unsigned long long)bad,
	       (unsigned long long)errors,
	       (unsigned long long)(behind / 1000),
	       100.0 * (c1 - c0) / secs);
	free(st);
	return sent && !dead ? 0 : 1;
}
