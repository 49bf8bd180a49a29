/* pbx/loop.h - the call-control loop: fd watches and timers that run on
 * the loop thread. Everything here is loop-thread only; other threads
 * reach the loop through a watched fd (an eventfd or a socket).
 */
#ifndef PBX_LOOP_H
#define PBX_LOOP_H

struct pbx_loop_watch;
struct pbx_timer;

typedef void (pbx_loop_fd_h)(int fd, void *arg);
typedef void (pbx_timer_h)(void *arg);

/* Call <h>(fd, arg) on the loop whenever <fd> is readable. */
int pbx_loop_watch_fd(struct pbx_loop_watch **wp, int fd,
		      pbx_loop_fd_h *h, void *arg);

/* Stop watching and free <w>; NULL is fine. */
void pbx_loop_unwatch(struct pbx_loop_watch *w);

int pbx_timer_alloc(struct pbx_timer **tp);

/* (Re)arm <t> to call <h>(arg) once after <ms> milliseconds. */
int pbx_timer_start(struct pbx_timer *t, unsigned ms, pbx_timer_h *h,
		    void *arg);

void pbx_timer_cancel(struct pbx_timer *t);
void pbx_timer_free(struct pbx_timer *t);

/* Run <fn>(<arg>) on the loop thread and wait until it returned. For
 * threads other than the loop (REST handlers): it is how they read or
 * change loop-owned state (calls, caches). Returns 0 once <fn> ran, or
 * ESHUTDOWN when the loop no longer takes requests (<fn> not run).
 */
typedef void (pbx_loop_call_h)(void *arg);
int pbx_loop_call(pbx_loop_call_h *fn, void *arg);

#endif
