/* media/engine.c - the media engine's lifetime and its threads: each
 * thread waits on its own epoll set, reads the sockets of the endpoints
 * it serves, takes new and dying endpoints from its inbox, sends the
 * digits given to its endpoints (inject.c) and does the housekeeping of
 * its endpoints every MEDIA_TICK_MS. The packet path is relay.c; the
 * endpoint API endpoint.c; events to the loop event.c.
 */
#define PBX_LOG_TAG "media"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "media/media_int.h"
#include "media/ports.h"

#define EPOLL_EVENTS 64

static int parse_ip(union pbx_media_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	if (!ip)
		return EINVAL;
	if (inet_pton(AF_INET, ip, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		return 0;
	}
	return EINVAL;
}

static uint64_t seed(void)
{
	uint64_t s;

	/* Never blocks once the pool is initialised, which it is long
	 * before a PBX starts; the clock is only a fallback.
	 */
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != sizeof(s))
		s = media_now_ns() ^ (uint64_t)getpid() << 32;
	return s;
}

void media_thr_wake(struct media_thread *t)
{
	uint64_t one = 1;

	/* Only fails if the counter would overflow: it is awake anyway. */
	(void)!write(t->wake.fd, &one, sizeof(one));
}

unsigned media_thr_recv(struct media_thread *t, int fd)
{
	struct media_rxbuf *rx = t->rx;
	int n;

	for (unsigned i = 0; i < MEDIA_BATCH; i++)
		rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->src[i]);
	n = recvmmsg(fd, rx->msgs, MEDIA_BATCH, MSG_DONTWAIT, NULL);
	return n > 0 ? (unsigned)n : 0;
}

/* Take the inbox: list adopted endpoints, free dying ones. Runs after a
 * whole epoll batch, so no event of that batch can still point to a
 * dying endpoint, and later batches cannot: it left epoll before it
 * entered the inbox. Returns true when the thread must stop.
 */
static bool inbox_run(struct media_thread *t)
{
	struct pbx_media_ep *adopt, *dying, *ep;
	bool stop;

	pthread_mutex_lock(&t->lock);
	adopt = t->adopt;
	dying = t->dying;
	t->adopt = t->dying = NULL;
	stop = t->stop;
	/* Under the lock: once its flag is clear, the loop may kick an
	 * endpoint again, rewriting its link.
	 */
	while ((ep = t->kick)) {
		t->kick = ep->kick_next;
		ep->kicked = false;
		media_inject_kicked(t, ep);
	}
	pthread_mutex_unlock(&t->lock);

	while ((ep = adopt)) {
		adopt = ep->adopt_next;
		ep->prev = NULL;
		ep->next = t->eps;
		if (t->eps)
			t->eps->prev = ep;
		t->eps = ep;
	}
	while ((ep = dying)) {
		dying = ep->dying_next;
		if (ep->prev)
			ep->prev->next = ep->next;
		else
			t->eps = ep->next;
		if (ep->next)
			ep->next->prev = ep->prev;
		media_inject_forget(t, ep);
		media_ep_destroy(ep);
	}
	return stop;
}

static void drain_wake(struct media_thread *t)
{
	uint64_t v;

	(void)!read(t->wake.fd, &v, sizeof(v));
}

static void *thread_main(void *arg)
{
	struct media_thread *t = arg;
	struct epoll_event evs[EPOLL_EVENTS];
	uint64_t tick = MEDIA_TICK_MS * 1000000ull;
	uint64_t next_tick = media_now_ns() + tick;
	sigset_t all;

	/* Signals are the loop thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	for (;;) {
		uint64_t now = media_now_ns(), wake_at = next_tick;
		uint64_t due = media_inject_due(t);
		int n, timeout = 0;
		bool woke = false;

		/* Digits being sent need a finer clock than the tick. */
		if (due < wake_at)
			wake_at = due;
		if (wake_at > now)
			timeout = (int)((wake_at - now + 999999) / 1000000);
		n = epoll_wait(t->epfd, evs, EPOLL_EVENTS, timeout);
		for (int i = 0; i < n; i++) {
			struct media_sock *s = evs[i].data.ptr;

			if (!s->ep) {
				drain_wake(t);
				woke = true;
			} else if (s->rtcp) {
				media_report_input(t, s->ep);
			} else {
				media_relay_input(t, s->ep);
			}
		}
		if (woke && inbox_run(t))
			break;
		now = media_now_ns();
		media_inject_run(t, now);
		if (now >= next_tick) {
			for (struct pbx_media_ep *ep = t->eps; ep;
			     ep = ep->next)
				media_report_tick(t, ep, now);
			next_tick = now + tick;
		}
	}
	return NULL;
}

static int thread_init(struct pbx_media *m, struct media_thread *t,
		       unsigned index)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct media_rxbuf *rx;

	t->m = m;
	t->index = index;
	t->epfd = -1;
	t->wake.fd = -1;
	pthread_mutex_init(&t->lock, NULL);
	media_evq_init(&t->evq);
	t->rng = seed();
	t->rx = rx = calloc(1, sizeof(*rx));
	if (!rx)
		return ENOMEM;
	for (unsigned i = 0; i < MEDIA_BATCH; i++) {
		rx->iov[i].iov_base = rx->data[i];
		rx->iov[i].iov_len = sizeof(rx->data[i]);
		rx->msgs[i].msg_hdr.msg_name = &rx->src[i];
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return errno;
	t->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->wake.fd < 0)
		return errno;
	ev.data.ptr = &t->wake;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->wake.fd, &ev) < 0)
		return errno;
	return 0;
}

static int thread_start(struct media_thread *t)
{
	char name[16];
	int err;

	err = pthread_create(&t->tid, NULL, thread_main, t);
	if (err)
		return err;
	t->running = true;
	/* Named for top -H and the benchmark's CPU accounting. */
	snprintf(name, sizeof(name), "pbx-media-%u", t->index);
	pthread_setname_np(t->tid, name);
	return 0;
}

static void thread_stop(struct media_thread *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_mutex_unlock(&t->lock);
	media_thr_wake(t);
	pthread_join(t->tid, NULL);
	t->running = false;
}

/* After the thread stopped: free every endpoint it still had. */
static void thread_destroy(struct media_thread *t)
{
	struct pbx_media_ep *ep;

	inbox_run(t);
	while ((ep = t->eps)) {
		t->eps = ep->next;
		media_ep_destroy(ep);
	}
	if (t->wake.fd >= 0)
		close(t->wake.fd);
	if (t->epfd >= 0)
		close(t->epfd);
	media_evq_destroy(&t->evq);
	pthread_mutex_destroy(&t->lock);
	free(t->rx);
}

static unsigned thread_count(const struct pbx_media_cfg *cfg)
{
	long n = cfg->threads;

	if (n == 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > MEDIA_MAX_THREADS)
		n = MEDIA_MAX_THREADS;
	return (unsigned)n;
}

static int media_setup(struct pbx_media *m, const struct pbx_media_cfg *cfg)
{
	unsigned nthr = thread_count(cfg);
	int err;

	err = parse_ip(&m->ip, cfg->ip);
	if (err)
		return err;
	m->iplen = media_addr_len(&m->ip);
	err = pbx_media_ports_alloc(&m->ports, &m->ip, cfg->port_min,
				    cfg->port_max);
	if (err)
		return err;
	m->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->evfd < 0)
		return errno;
	m->thr = calloc(nthr, sizeof(*m->thr));
	if (!m->thr)
		return ENOMEM;
	for (unsigned i = 0; i < nthr; i++) {
		/* Counted first, so a failure tears down what was set. */
		m->nthr = i + 1;
		err = thread_init(m, &m->thr[i], i);
		if (!err)
			err = thread_start(&m->thr[i]);
		if (err)
			return err;
	}
	if (m->h)
		err = pbx_loop_watch_fd(&m->watch, m->evfd, media_ev_dispatch,
					m);
	return err;
}

int pbx_media_alloc(struct pbx_media **mp, const struct pbx_media_cfg *cfg,
		    pbx_media_event_h *h, void *arg)
{
	struct pbx_media *m;
	uint64_t r;
	int err;

	if (!mp || !cfg)
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->cfg = *cfg;
	m->cfg.ip = NULL;
	m->evfd = -1;
	m->h = h;
	m->arg = arg;
	m->relatch_ns = (cfg->relatch_ms ? cfg->relatch_ms : 2000) *
			1000000ull;
	m->rtcp_ns = (cfg->rtcp_interval_ms ? cfg->rtcp_interval_ms : 5000) *
		     1000000ull;
	m->timeout_ns = cfg->rtp_timeout_s * 1000000000ull;
	m->rng = seed();
	r = media_rand(&m->rng);
	/* RFC 7022: a random CNAME, one per engine (we are one host). */
	snprintf(m->cname, sizeof(m->cname), "pbxd-%016llx",
		 (unsigned long long)r);

	err = media_setup(m, cfg);
	if (err) {
		pbx_media_free(m);
		return err;
	}
	PBX_INFO("%u media thread(s), ports %u-%u", m->nthr, cfg->port_min,
		 cfg->port_max);
	*mp = m;
	return 0;
}

void pbx_media_free(struct pbx_media *m)
{
	if (!m)
		return;
	pbx_loop_unwatch(m->watch);
	for (unsigned i = 0; i < m->nthr; i++)
		thread_stop(&m->thr[i]);
	for (unsigned i = 0; i < m->nthr; i++)
		thread_destroy(&m->thr[i]);
	free(m->thr);
	if (m->evfd >= 0)
		close(m->evfd);
	pbx_media_ports_free(m->ports);
	free(m);
}
