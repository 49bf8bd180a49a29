/* media/event.c - events from the media threads to the loop thread: one
 * bounded ring per thread (no allocation on the media side), and one
 * eventfd the loop watches. Delivery order is kept per thread, which is
 * per endpoint since an endpoint stays on one thread.
 */
#define PBX_LOG_TAG "media"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <pbx/log.h>

#include "media/media_int.h"

/* Events delivered per thread and wake-up, so a flood from one thread
 * cannot hold the loop; the rest comes at the next wake-up.
 */
#define DISPATCH_MAX 256

void media_evq_init(struct media_evq *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->head = q->count = 0;
	q->dropped = 0;
}

void media_evq_destroy(struct media_evq *q)
{
	pthread_mutex_destroy(&q->lock);
}

static void signal_loop(struct pbx_media *m)
{
	uint64_t one = 1;

	(void)!write(m->evfd, &one, sizeof(one));
}

int media_ev_push(struct pbx_media *m, struct media_thread *t,
		  const struct pbx_media_ev *ev)
{
	struct media_evq *q = &t->evq;

	if (!m->h)
		return 0;
	pthread_mutex_lock(&q->lock);
	if (q->count == MEDIA_EVQ_SIZE) {
		q->dropped++;
		pthread_mutex_unlock(&q->lock);
		return ENOSPC;
	}
	q->ring[(q->head + q->count) % MEDIA_EVQ_SIZE] = *ev;
	q->count++;
	pthread_mutex_unlock(&q->lock);
	signal_loop(m);
	return 0;
}

void media_ev_purge(struct media_thread *t, const struct pbx_media_ep *ep)
{
	struct media_evq *q = &t->evq;

	pthread_mutex_lock(&q->lock);
	for (unsigned i = 0; i < q->count; i++) {
		struct pbx_media_ev *e = &q->ring[(q->head + i) %
						  MEDIA_EVQ_SIZE];

		/* Type 0 marks a cancelled slot; dispatch skips it. */
		if (e->ep == ep)
			e->type = 0;
	}
	pthread_mutex_unlock(&q->lock);
}

/* Pop the oldest event of <q> into <ev>; false if empty. */
static bool pop(struct media_evq *q, struct pbx_media_ev *ev)
{
	bool got = false;

	pthread_mutex_lock(&q->lock);
	if (q->count) {
		*ev = q->ring[q->head];
		q->head = (q->head + 1) % MEDIA_EVQ_SIZE;
		q->count--;
		got = true;
	}
	pthread_mutex_unlock(&q->lock);
	return got;
}

/* Log (once per wake-up) the events a full queue refused. */
static void report_dropped(struct media_evq *q, unsigned index)
{
	uint64_t dropped;

	pthread_mutex_lock(&q->lock);
	dropped = q->dropped;
	q->dropped = 0;
	pthread_mutex_unlock(&q->lock);
	if (dropped)
		PBX_WARN("thread %u: %llu event(s) lost, queue full", index,
			 (unsigned long long)dropped);
}

void media_ev_dispatch(int fd, void *arg)
{
	struct pbx_media *m = arg;
	bool more = false;
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
	for (unsigned i = 0; i < m->nthr; i++) {
		struct media_evq *q = &m->thr[i].evq;
		struct pbx_media_ev ev;
		unsigned n = 0;

		report_dropped(q, i);
		/* One at a time, unlocked while the handler runs: it may
		 * free endpoints, which purges this very queue.
		 */
		while (pop(q, &ev)) {
			if (ev.type)
				m->h(&ev, m->arg);
			if (++n == DISPATCH_MAX) {
				more = true;
				break;
			}
		}
	}
	if (more)
		signal_loop(m);
}
