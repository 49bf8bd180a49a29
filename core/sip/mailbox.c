/* sip/mailbox.c - pbx_loop_call(): how a REST or worker thread has the
 * loop thread run a function (list calls, hang one up, reload the
 * dialplan) and waits for it. A queue under a mutex, an eventfd the loop
 * watches, and a condition variable per waiting caller.
 */
#define PBX_LOG_TAG "loop"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "sip/sip.h"

struct request {
	pbx_loop_call_h *fn;
	void *arg;
	bool done;
	pthread_cond_t cond;
	struct request *next;
};

static struct {
	pthread_mutex_t lock;
	struct request *head, **tail;
	int fd;
	bool open;
	struct pbx_loop_watch *watch;
} mb = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static void on_mail(int fd, void *arg)
{
	uint64_t n;
	struct request *r;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		PBX_WARN("mailbox read: %m");
	pthread_mutex_lock(&mb.lock);
	while ((r = mb.head) != NULL) {
		mb.head = r->next;
		if (!mb.head)
			mb.tail = &mb.head;
		/* Run unlocked: the function may take its time on the loop
		 * and other threads may queue meanwhile.
		 */
		pthread_mutex_unlock(&mb.lock);
		r->fn(r->arg);
		pthread_mutex_lock(&mb.lock);
		r->done = true;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&mb.lock);
}

int pbx_loop_mailbox_open(void)
{
	int e;

	mb.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb.fd < 0)
		return errno;
	mb.head = NULL;
	mb.tail = &mb.head;
	e = pbx_loop_watch_fd(&mb.watch, mb.fd, on_mail, NULL);
	if (e) {
		close(mb.fd);
		mb.fd = -1;
		return e;
	}
	pthread_mutex_lock(&mb.lock);
	mb.open = true;
	pthread_mutex_unlock(&mb.lock);
	return 0;
}

void pbx_loop_mailbox_close(void)
{
	if (mb.fd < 0)
		return;
	/* Requests still queued run now, so no caller waits forever. */
	on_mail(mb.fd, NULL);
	pthread_mutex_lock(&mb.lock);
	mb.open = false;
	pthread_mutex_unlock(&mb.lock);
	pbx_loop_unwatch(mb.watch);
	mb.watch = NULL;
	close(mb.fd);
	mb.fd = -1;
}

int pbx_loop_call(pbx_loop_call_h *fn, void *arg)
{
	struct request r = { .fn = fn, .arg = arg };
	uint64_t one = 1;

	if (!fn)
		return EINVAL;
	pthread_cond_init(&r.cond, NULL);
	pthread_mutex_lock(&mb.lock);
	if (!mb.open) {
		pthread_mutex_unlock(&mb.lock);
		pthread_cond_destroy(&r.cond);
		return ESHUTDOWN;
	}
	*mb.tail = &r;
	mb.tail = &r.next;
	if (write(mb.fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		PBX_WARN("mailbox write: %m");
	while (!r.done)
		pthread_cond_wait(&r.cond, &mb.lock);
	pthread_mutex_unlock(&mb.lock);
	pthread_cond_destroy(&r.cond);
	return 0;
}
