/* bench/rtp/relay_bench.c - the media engine's relay under load, driven
 * directly (no SIP): N bridged calls, each with two UDP sockets playing
 * the phones, G.711 packets of 20 ms both ways at 50 packets/s. Reports
 * loss, the delay the relay adds (send to receive, same clock), the CPU
 * of the media threads per relayed packet, and RSS per call, as one JSON
 * line on stdout. README.md beside it says how to build and run.
 *
 *   relay_bench [-n calls] [-d seconds] [-w warmup_s] [-t threads] [-x]
 *               [-i ip] [-p port_min] [-P port_max]
 *
 * -x bridges PCMU to PCMA legs (every packet transcoded).
 */
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <pbx/log.h>

#include "media/g711.h"
#include "media/media.h"
#include "media/rtp.h"

#define PTIME_NS   (20 * 1000000ull)
#define SLOTS      20                 /* sending spread over 1 ms slots */
#define PAYLOAD    160
#define HIST_US    200000             /* delay histogram: 1 us buckets */
#define NS         1000000000ull

/* One phone socket: sends one direction, receives the other. */
struct phone {
	int fd;
	unsigned to_port;                 /* the endpoint it sends to */
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *sym;               /* symbols it encodes with */
	const int8_t *rev;                /* decoding what it receives */
};

struct call {
	struct pbx_media_ep *a, *b;
	struct phone pa, pb;
};

static struct {
	unsigned calls, threads, duration_s, warmup_s;
	unsigned port_min, port_max;
	bool xcode;
	const char *ip;
} opt = { 10, 0, 10, 1, 16384, 32767, false, "127.0.0.1" };

static struct call *calls;
static uint64_t t_measure, t_end;     /* monotonic ns */
static uint64_t sent, received, late;
static uint32_t hist[HIST_US + 1];
static volatile int gen_done;

/* Payload symbols: the send time travels in the payload, 4 bits per
 * octet, as symbols whose images under the leg's transcoding are
 * distinct, so the receiver can read it back even after PCMU -> PCMA.
 */
static uint8_t sym_id[16], sym_u2a[16], sym_a2u[16];
static int8_t rev_id[256], rev_u2a[256], rev_a2u[256];

static uint8_t ident(uint8_t c)
{
	return c;
}

static void symbols(uint8_t (*f)(uint8_t), uint8_t *sym, int8_t *rev)
{
	bool used[256] = { false };
	unsigned k = 0;

	memset(rev, -1, 256);
	/* Loud codes first: the tables are one-to-one there. */
	for (unsigned c = 0x80; c < 0x180 && k < 16; c++) {
		uint8_t code = (uint8_t)c, img = f(code);

		if (used[img])
			continue;
		used[img] = true;
		sym[k] = code;
		rev[img] = (int8_t)k;
		k++;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "relay_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void phone_open(struct phone *p, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);

	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (p->fd < 0)
		die("socket", errno);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	inet_pton(AF_INET, opt.ip, &addr->sin_addr);
	if (bind(p->fd, (struct sockaddr *)addr, len) < 0 ||
	    getsockname(p->fd, (struct sockaddr *)addr, &len) < 0)
		die("bind", errno);
}

static void setup_call(struct pbx_media *m, struct call *c, unsigned i)
{
	struct sockaddr_in aa, ab;
	int err;

	phone_open(&c->pa, &aa);
	phone_open(&c->pb, &ab);
	err = pbx_media_ep_alloc(m, &c->a, c);
	if (!err)
		err = pbx_media_ep_alloc(m, &c->b, c);
	if (err)
		die("pbx_media_ep_alloc", err);
	pbx_media_ep_codec(c->a, PBX_CODEC_PCMU, 0, 101);
	pbx_media_ep_codec(c->b, opt.xcode ? PBX_CODEC_PCMA : PBX_CODEC_PCMU,
			   opt.xcode ? 8 : 0, 101);
	pbx_media_ep_remote(c->a, (struct sockaddr *)&aa, sizeof(aa));
	pbx_media_ep_remote(c->b, (struct sockaddr *)&ab, sizeof(ab));
	pbx_media_bridge(c->a, c->b);

	c->pa.to_port = pbx_media_ep_port(c->a);
	c->pb.to_port = pbx_media_ep_port(c->b);
	c->pa.pt = 0;
	c->pb.pt = opt.xcode ? 8 : 0;
	c->pa.ssrc = 0x10000000u + i;
	c->pb.ssrc = 0x20000000u + i;
	/* A sends PCMU that B receives as B's codec, and back. */
	c->pa.sym = opt.xcode ? sym_u2a : sym_id;
	c->pb.rev = opt.xcode ? rev_u2a : rev_id;
	c->pb.sym = opt.xcode ? sym_a2u : sym_id;
	c->pa.rev = opt.xcode ? rev_a2u : rev_id;
}

static void send_one(struct phone *p, struct sockaddr_in *to, uint64_t t)
{
	uint8_t buf[PBX_RTP_HDR + PAYLOAD];

	pbx_rtp_write(buf, p->pt, false, p->seq++, p->ts, p->ssrc);
	p->ts += PAYLOAD;
	memset(buf + PBX_RTP_HDR, p->sym[0], PAYLOAD);
	for (unsigned k = 0; k < 16; k++)
		buf[PBX_RTP_HDR + k] = p->sym[(t >> (4 * k)) & 0x0f];
	to->sin_port = htons((uint16_t)p->to_port);
	if (sendto(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)to,
		   sizeof(*to)) == (ssize_t)sizeof(buf) && t >= t_measure)
		__atomic_add_fetch(&sent, 1, __ATOMIC_RELAXED);
}

/* Every 1 ms, the calls of that slot send one packet each way: phones
 * are not in step, and a burst of every call at once would measure the
 * burst, not the relay.
 */
static void *generator(void *arg)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timespec next;
	uint64_t t = now_ns();
	unsigned slot = 0;

	inet_pton(AF_INET, opt.ip, &to.sin_addr);
	while (t < t_end) {
		for (unsigned i = slot; i < opt.calls; i += SLOTS) {
			send_one(&calls[i].pa, &to, now_ns());
			send_one(&calls[i].pb, &to, now_ns());
		}
		slot = (slot + 1) % SLOTS;
		t += PTIME_NS / SLOTS;
		next.tv_sec = (time_t)(t / NS);
		next.tv_nsec = (long)(t % NS);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	gen_done = 1;
	return NULL;
}

static bool decode(const struct phone *p, const uint8_t *pl, uint64_t *tp)
{
	uint64_t t = 0;

	for (unsigned k = 0; k < 16; k++) {
		int v = p->rev[pl[k]];

		if (v < 0)
			return false;
		t |= (uint64_t)v << (4 * k);
	}
	*tp = t;
	return true;
}

static void receive(struct phone *p)
{
	uint8_t buf[2048];
	struct pbx_rtp_hdr h;
	ssize_t n;
	uint64_t t, now;

	while ((n = recv(p->fd, buf, sizeof(buf), 0)) > 0) {
		now = now_ns();
		if (pbx_rtp_parse(&h, buf, (size_t)n) || h.plen < 16 ||
		    !decode(p, buf + h.hlen, &t) || t < t_measure)
			continue;
		received++;
		t = (now - t) / 1000;
		if (t > HIST_US) {
			late++;
			t = HIST_US;
		}
		hist[t]++;
	}
}

static void *receiver(void *arg)
{
	struct epoll_event evs[256];
	int ep = epoll_create1(0);
	uint64_t quiet_end = 0;

	for (unsigned i = 0; i < 2 * opt.calls; i++) {
		struct phone *p = i % 2 ? &calls[i / 2].pb : &calls[i / 2].pa;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };

		epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev);
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, 50);

		for (int i = 0; i < n; i++)
			receive(evs[i].data.ptr);
		/* After the last send, wait out what is still in flight. */
		if (gen_done && !quiet_end)
			quiet_end = now_ns() + 300 * 1000000ull;
		if (quiet_end && now_ns() > quiet_end)
			break;
	}
	close(ep);
	return NULL;
}

/* CPU seconds of this process's threads named pbx-media-*, from
 * schedstat (nanoseconds: stat's clock ticks are too coarse for a short
 * run).
 */
static double media_cpu_s(void)
{
	unsigned long long total = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");

	while (dir && (d = readdir(dir))) {
		char path[300], comm[64] = "";
		unsigned long long ns;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 d->d_name);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (strncmp(comm, "pbx-media", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat",
			 d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			total += ns;
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return (double)total / 1e9;
}

/* CPU seconds of the whole process, exited threads included. */
static double process_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static unsigned percentile(uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), acc = 0;

	for (unsigned i = 0; i <= HIST_US; i++) {
		acc += hist[i];
		if (acc > want)
			return i;
	}
	return HIST_US;
}

static unsigned delay_max(void)
{
	for (unsigned i = HIST_US + 1; i-- > 0;)
		if (hist[i])
			return i;
	return 0;
}

static double delay_mean(void)
{
	double sum = 0;
	uint64_t n = 0;

	for (unsigned i = 0; i <= HIST_US; i++) {
		sum += (double)hist[i] * i;
		n += hist[i];
	}
	return n ? sum / (double)n : 0;
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "n:d:w:t:xi:p:P:")) != -1) {
		switch (c) {
		case 'n': opt.calls = (unsigned)atoi(optarg); break;
		case 'd': opt.duration_s = (unsigned)atoi(optarg); break;
		case 'w': opt.warmup_s = (unsigned)atoi(optarg); break;
		case 't': opt.threads = (unsigned)atoi(optarg); break;
		case 'x': opt.xcode = true; break;
		case 'i': opt.ip = optarg; break;
		case 'p': opt.port_min = (unsigned)atoi(optarg); break;
		case 'P': opt.port_max = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: relay_bench [-n calls] "
				"[-d s] [-w s] [-t threads] [-x] [-i ip] "
				"[-p port_min] [-P port_max]\n");
			exit(2);
		}
	}
	if (!opt.calls || !opt.duration_s)
		die("arguments", EINVAL);
}

/* Each call needs 6 descriptors: 4 for its endpoints, 2 phones. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct pbx_media_cfg cfg = { 0 };
	struct pbx_media *m;
	pthread_t gen, rcv;
	long rss0, rss_engine, rss1;
	double cpu0, all0, cpu1, all1, secs;
	uint64_t lost;
	int err;

	parse_args(argc, argv);
	raise_nofile();
	pbx_log_level_cur = PBX_LOG_WARN;
	symbols(ident, sym_id, rev_id);
	symbols(pbx_g711_ulaw2alaw, sym_u2a, rev_u2a);
	symbols(pbx_g711_alaw2ulaw, sym_a2u, rev_a2u);

	rss0 = rss_kb();
	cfg.ip = opt.ip;
	cfg.port_min = opt.port_min;
	cfg.port_max = opt.port_max;
	cfg.threads = opt.threads;
	err = pbx_media_alloc(&m, &cfg, NULL, NULL);
	if (err)
		die("pbx_media_alloc", err);
	rss_engine = rss_kb();
	calls = calloc(opt.calls, sizeof(*calls));
	if (!calls)
		die("calloc", ENOMEM);
	for (unsigned i = 0; i < opt.calls; i++)
		setup_call(m, &calls[i], i);

	t_measure = now_ns() + opt.warmup_s * NS;
	t_end = t_measure + opt.duration_s * NS;
	pthread_create(&rcv, NULL, receiver, NULL);
	pthread_create(&gen, NULL, generator, NULL);
	while (now_ns() < t_measure)
		usleep(1000);
	cpu0 = media_cpu_s();
	all0 = process_cpu_s();
	pthread_join(gen, NULL);
	cpu1 = media_cpu_s();
	all1 = process_cpu_s();
	rss1 = rss_kb();
	pthread_join(rcv, NULL);

	secs = (double)opt.duration_s;
	lost = sent > received ? sent - received : 0;
	printf("{\"bench\": \"rtp-relay\", \"calls\": %u, "
	       "\"threads\": %u, \"transcode\": %s, \"duration_s\": %u, "
	       "\"pps_offered\": %.0f, \"sent\": %llu, \"received\": %llu, "
	       "\"lost\": %llu, \"loss_pct\": %.4f, "
	       "\"delay_us_mean\": %.0f, \"delay_us_p50\": %u, "
	       "\"delay_us_p99\": %u, \"delay_us_max\": %u, "
	       "\"late_200ms\": %llu, "
	       "\"media_cpu_pct\": %.1f, \"process_cpu_pct\": %.1f, "
	       "\"us_per_packet\": %.2f, \"rss_kb_engine\": %ld, "
	       "\"rss_kb_per_call\": %.1f}\n",
	       opt.calls, opt.threads, opt.xcode ? "true" : "false",
	       opt.duration_s, (double)sent / secs,
	       (unsigned long long)sent, (unsigned long long)received,
	       (unsigned long long)lost,
	       sent ? 100.0 * (double)lost / (double)sent : 0.0,
	       delay_mean(), percentile(received, 0.50),
	       percentile(received, 0.99), delay_max(),
	       (unsigned long long)late,
	       100.0 * (cpu1 - cpu0) / secs, 100.0 * (all1 - all0) / secs,
	       sent ? 1e6 * (cpu1 - cpu0) / (double)sent : 0.0,
	       rss_engine - rss0,
	       (double)(rss1 - rss_engine) / opt.calls);

	for (unsigned i = 0; i < opt.calls; i++) {
		pbx_media_ep_free(calls[i].a);
		pbx_media_ep_free(calls[i].b);
		close(calls[i].pa.fd);
		close(calls[i].pb.fd);
	}
	pbx_media_free(m);
	free(calls);
	return 0;
}
