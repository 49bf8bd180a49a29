/* sip/loop.c - the call-control loop is Sofia's su_root, run in this
 * thread only (su_root_threading off: one thread, no stack hand-offs).
 * The pbx_loop_* and pbx_timer_* API hides it from the rest of the core.
 */
#define PBX_LOG_TAG "loop"

#include <errno.h>
#include <stdlib.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "sip/sip.h"
#include "sip/sip_int.h"

static su_root_t *root;

struct pbx_loop_watch {
	su_wait_t wait;
	int index;
	int fd;
	pbx_loop_fd_h *h;
	void *arg;
};

struct pbx_timer {
	su_timer_t *t;
	pbx_timer_h *h;
	void *arg;
};

int pbx_sip_loop_init(void)
{
	if (su_init() != 0)
		return EIO;
	root = su_root_create(NULL);
	if (!root) {
		su_deinit();
		return ENOMEM;
	}
	/* Keep nta and the transports in this thread: fewer hand-offs,
	 * 25-35% less CPU per call (notes/sofia-sip.md section 12).
	 */
	su_root_threading(root, 0);
	return 0;
}

su_root_t *pbx_sip_root(void)
{
	return root;
}

void pbx_sip_loop_run(void)
{
	su_root_run(root);
}

void pbx_sip_loop_break(void)
{
	su_root_break(root);
}

void pbx_sip_loop_deinit(void)
{
	if (root)
		su_root_destroy(root);
	root = NULL;
	su_deinit();
}

static int on_wakeup(su_root_magic_t *magic, su_wait_t *w,
		     su_wakeup_arg_t *arg)
{
	struct pbx_loop_watch *lw = (struct pbx_loop_watch *)arg;

	su_wait_events(w, lw->fd);
	lw->h(lw->fd, lw->arg);
	return 0;
}

int pbx_loop_watch_fd(struct pbx_loop_watch **wp, int fd,
		      pbx_loop_fd_h *h, void *arg)
{
	struct pbx_loop_watch *w;

	if (!wp || fd < 0 || !h || !root)
		return EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->fd = fd;
	w->h = h;
	w->arg = arg;
	if (su_wait_create(&w->wait, fd, SU_WAIT_IN) < 0) {
		free(w);
		return EIO;
	}
	w->index = su_root_register(root, &w->wait, on_wakeup,
				    (su_wakeup_arg_t *)w, 0);
	if (w->index < 0) {
		su_wait_destroy(&w->wait);
		free(w);
		return EIO;
	}
	*wp = w;
	return 0;
}

void pbx_loop_unwatch(struct pbx_loop_watch *w)
{
	if (!w)
		return;
	/* su_root_deregister also destroys the wait object. */
	su_root_deregister(root, w->index);
	free(w);
}

int pbx_timer_alloc(struct pbx_timer **tp)
{
	struct pbx_timer *t;

	if (!tp || !root)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->t = su_timer_create(su_root_task(root), 0);
	if (!t->t) {
		free(t);
		return ENOMEM;
	}
	*tp = t;
	return 0;
}

static void on_timer(su_root_magic_t *magic, su_timer_t *st,
		     su_timer_arg_t *arg)
{
	struct pbx_timer *t = (struct pbx_timer *)arg;

	t->h(t->arg);
}

int pbx_timer_start(struct pbx_timer *t, unsigned ms, pbx_timer_h *h,
		    void *arg)
{
	if (!t || !h)
		return EINVAL;
	t->h = h;
	t->arg = arg;
	su_timer_reset(t->t);
	if (su_timer_set_interval(t->t, on_timer, (su_timer_arg_t *)t,
				  ms) < 0)
		return EIO;
	return 0;
}

void pbx_timer_cancel(struct pbx_timer *t)
{
	if (t)
		su_timer_reset(t->t);
}

void pbx_timer_free(struct pbx_timer *t)
{
	if (!t)
		return;
	su_timer_destroy(t->t);
	free(t);
}
