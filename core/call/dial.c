/* call/dial.c - call:dial(): resolve the target into branches, ring them
 * by q value as RFC 3261 16.6 forks (equal q in parallel, higher q
 * first, the next group when a group failed or its share of the ring
 * time ran out), relay ringing and early media to the caller, bridge the
 * first branch that answers and cancel the rest, and report what the
 * dial came to. The bridged callee's later events are handled here too.
 */
#define PBX_LOG_TAG "dial"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pbx/dial.h>
#include <pbx/log.h>
#include <pbx/loop.h>

#include "call/call_int.h"
#include "mod/registry.h"

/* A forward may point at another forward; this many, then it is a loop. */
#define REDIRECTS_MAX 5
#define HEADERS_MAX 2048

struct pbx_dial_branches {
	struct {
		char *uri;
		char *next_hop;
		unsigned q;           /* times 1000 */
	} v[PBX_DIAL_BRANCHES_MAX];
	unsigned n;
	bool decided;             /* pbx_dial_set_result() */
	struct pbx_dial_outcome outcome;
	char *redirect;           /* pbx_dial_redirect() target */
	unsigned redirects;
};

struct dial {
	struct pbx_call *call;        /* (borrowed) */
	char *target;                 /* (ref) */
	char *caller_number;          /* (ref) */
	char *caller_name;            /* (ref) */
	char *headers;                /* (ref) extra lines + loop header */
	unsigned timeout_s;
	pbx_call_dial_h *done;
	void *arg;
	struct cleg *branches;        /* (borrowed) ringing ones, by q */
	unsigned ngroups, group;      /* q groups, the one ringing */
	struct timespec deadline;     /* end of the whole ring time */
	struct pbx_timer *group_timer;
	struct pbx_timer *total_timer;
	struct pbx_timer *defer;      /* reports a result decided at once */
	struct pbx_dial_outcome outcome;
	int busy, noanswer, unavail, other; /* final codes seen, by kind */
	bool ringing;                 /* 180 sent to the caller */
	struct cleg *early;           /* (borrowed) branch with early media */
	bool answered;                /* bridged: waits for the bridge end */
};

/* ---- Branches (pbx/dial.h) ---- */

int pbx_dial_add_branch(struct pbx_dial_branches *out, const char *uri,
			float q, const char *next_hop)
{
	if (!out || !uri || strncasecmp(uri, "sip", 3))
		return EINVAL;
	if (out->n >= PBX_DIAL_BRANCHES_MAX)
		return E2BIG;
	if (q < 0 || q > 1)
		q = 1;
	out->v[out->n].uri = strdup(uri);
	out->v[out->n].next_hop = next_hop ? strdup(next_hop) : NULL;
	out->v[out->n].q = (unsigned)(q * 1000 + 0.5f);
	if (!out->v[out->n].uri || (next_hop && !out->v[out->n].next_hop)) {
		free(out->v[out->n].uri);
		free(out->v[out->n].next_hop);
		return ENOMEM;
	}
	out->n++;
	return 0;
}

static void branches_clear(struct pbx_dial_branches *out)
{
	for (unsigned i = 0; i < out->n; i++) {
		free(out->v[i].uri);
		free(out->v[i].next_hop);
	}
	out->n = 0;
}

void pbx_dial_set_result(struct pbx_dial_branches *out,
			 enum pbx_dial_result result, int sip_code)
{
	branches_clear(out);
	out->decided = true;
	out->outcome.result = result;
	out->outcome.sip_code = sip_code;
}

int pbx_dial_redirect(struct pbx_dial_branches *out, const char *target)
{
	char *t;

	if (++out->redirects > REDIRECTS_MAX)
		return ELOOP;
	t = strdup(target);
	if (!t)
		return ENOMEM;
	free(out->redirect);
	out->redirect = t;
	return 0;
}

unsigned pbx_dial_branch_count(const struct pbx_dial_branches *out)
{
	return out->n;
}

/* ---- Outcome ---- */

static void count_final(struct dial *d, int code)
{
	if (code == 486 || code == 600 || code == 603)
		d->busy = code;
	else if (code == 480 || code == 408 || code == 487)
		d->noanswer = code;
	else if (code == 404 || code == 410 || code == 484 || code == 604)
		d->unavail = code;
	else if (!d->other)
		d->other = code;
}

/* RFC 3261 16.7: a busy anywhere decides over a timeout, which decides
 * over "not here"; any other failure is reported with its code.
 */
static struct pbx_dial_outcome outcome_of(const struct dial *d)
{
	struct pbx_dial_outcome o = { PBX_DIAL_FAILED, d->other };

	if (d->busy)
		o = (struct pbx_dial_outcome){ PBX_DIAL_BUSY, d->busy };
	else if (d->other >= 600)
		o.sip_code = d->other;
	else if (d->noanswer)
		o = (struct pbx_dial_outcome){ PBX_DIAL_NOANSWER,
					       d->noanswer };
	else if (d->unavail && !d->other)
		o = (struct pbx_dial_outcome){ PBX_DIAL_UNAVAILABLE,
					       d->unavail };
	return o;
}

static enum pbx_call_event event_of(enum pbx_dial_result r)
{
	return r == PBX_DIAL_BUSY ? PBX_CALL_EV_BUSY :
	       r == PBX_DIAL_ANSWERED ? PBX_CALL_EV_ANSWERED :
	       PBX_CALL_EV_NOANSWER;
}

static void dial_free(struct dial *d)
{
	pbx_timer_free(d->group_timer);
	pbx_timer_free(d->total_timer);
	pbx_timer_free(d->defer);
	free(d->target);
	free(d->caller_number);
	free(d->caller_name);
	free(d->headers);
	free(d);
}

/* Stop ringing every branch still ringing (CANCEL). */
static void cancel_branches(struct dial *d, struct cleg *except)
{
	struct cleg *cl;

	while ((cl = d->branches) != NULL) {
		d->branches = cl->next;
		cl->next = NULL;
		cl->dial = NULL;
		if (cl == except)
			continue;
		if (!cl->done) {
			pbx_call_cdr_leg(d->call, d->target, cl->uri, 487,
					 false);
			cl->done = true;
		}
		pbx_cleg_media_close(cl);
		if (cl->sig && !cl->ended) {
			cl->ended = true;
			pbx_leg_end(cl->sig, 0);
		}
	}
	if (d->early && d->early != except && d->early->ep)
		pbx_media_unbridge(d->early->ep);
	d->early = NULL;
}

/* The dial is over: free it, then tell the dialplan (which may dial
 * again or end the call at once, so nothing is touched after).
 */
static void finish(struct dial *d, struct pbx_dial_outcome o)
{
	struct pbx_call *call = d->call;
	struct pbx_call_event_info ev = { .type = event_of(o.result),
					  .sip_code = o.sip_code };
	pbx_call_dial_h *done = d->done;
	void *arg = d->arg;

	cancel_branches(d, NULL);
	call->dial = NULL;
	call->last = o;
	PBX_CINFO(call->sip_callid, "dial %s: %s (%d)", d->target,
		  o.result == PBX_DIAL_ANSWERED ? "answered" :
		  o.result == PBX_DIAL_BUSY ? "busy" :
		  o.result == PBX_DIAL_NOANSWER ? "no answer" :
		  o.result == PBX_DIAL_UNAVAILABLE ? "unavailable" : "failed",
		  o.sip_code);
	if (o.result != PBX_DIAL_ANSWERED) {
		ev.target = d->target;
		pbx_call_fire(call, &ev);
	}
	dial_free(d);
	if (call->state != CALL_ENDING && done)
		done(call, &o, arg);
}

void pbx_dial_abort(struct pbx_call *call)
{
	struct dial *d = call->dial;
	struct cleg *b = call->b;

	if (d) {
		cancel_branches(d, NULL);
		call->dial = NULL;
		dial_free(d);
	}
	if (b) {
		call->b = NULL;
		pbx_cleg_media_close(b);
		if (b->sig && !b->ended) {
			b->ended = true;
			pbx_leg_end(b->sig, 0);
		}
	}
}

void pbx_dial_bridge_ended(struct pbx_call *call)
{
	struct cleg *b = call->b;
	struct dial *d = call->dial;

	if (!b)
		return;
	call->b = NULL;
	b->ended = true;
	pbx_cleg_media_close(b);
	call->callee_left = true;
	if (d && d->answered)
		finish(d, (struct pbx_dial_outcome){ PBX_DIAL_ANSWERED, 200 });
}

/* ---- Groups ---- */

static int64_t ms_left(const struct dial *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (d->deadline.tv_sec - now.tv_sec) * 1000 +
	       (d->deadline.tv_nsec - now.tv_nsec) / 1000000;
}

static void start_group(struct dial *d);

static void on_defer(void *arg)
{
	struct dial *d = arg;

	if (d->ngroups && d->group < d->ngroups)
		start_group(d);
	else
		finish(d, d->outcome);
}

/* Every branch of the ringing group failed: ring the next group, or
 * report the best failure.
 */
static void group_over(struct dial *d)
{
	for (struct cleg *cl = d->branches; cl; cl = cl->next) {
		if (cl->group == d->group && !cl->done)
			return;
	}
	pbx_timer_cancel(d->group_timer);
	d->group++;
	if (d->group < d->ngroups) {
		start_group(d);
		return;
	}
	finish(d, outcome_of(d));
}

static void on_group_timeout(void *arg)
{
	struct dial *d = arg;

	for (struct cleg *cl = d->branches; cl; cl = cl->next) {
		if (cl->group != d->group || cl->done)
			continue;
		cl->done = true;
		pbx_call_cdr_leg(d->call, d->target, cl->uri, 408, false);
		count_final(d, 408);
		if (d->early == cl) {
			pbx_media_unbridge(cl->ep);
			d->early = NULL;
		}
		pbx_cleg_media_close(cl);
		cl->ended = true;
		pbx_leg_end(cl->sig, 0);
	}
	group_over(d);
}

static void on_total_timeout(void *arg)
{
	struct dial *d = arg;

	d->noanswer = 480;
	finish(d, (struct pbx_dial_outcome){ PBX_DIAL_NOANSWER, 480 });
}

static void branch_event(struct pbx_leg *leg, const struct pbx_leg_ev *ev,
			 void *owner);

static void start_branch(struct dial *d, struct cleg *cl)
{
	struct pbx_call *call = d->call;
	struct pbx_leg_invite inv = {
		.uri = cl->uri, .next_hop = cl->next_hop,
		.from_user = d->caller_number, .from_name = d->caller_name,
		.headers = d->headers, .max_forwards = call->max_forwards,
	};
	char *sdp = NULL;
	int err;

	err = pbx_cleg_make_offer(cl, call->a && call->a->has_peer ?
				  call->a->peer.codec : PBX_CODEC_NONE,
				  PBX_SDP_SENDRECV, &sdp);
	inv.sdp = sdp;
	if (!err)
		err = pbx_leg_invite(&cl->sig, &inv, branch_event, cl);
	free(sdp);
	if (err) {
		PBX_CWARN(call->sip_callid, "cannot ring %s: %s", cl->uri,
			  strerror(err));
		cl->done = true;
		cl->status = err == EINVAL ? 416 : 500;
		count_final(d, cl->status);
		pbx_call_cdr_leg(call, d->target, cl->uri, cl->status, false);
		pbx_cleg_media_close(cl);
		return;
	}
	call->legs_alive++;
	PBX_CINFO(call->sip_callid, "ringing %s (q=%u.%03u)", cl->uri,
		  cl->q / 1000, cl->q % 1000);
}

static void start_group(struct dial *d)
{
	unsigned left = d->ngroups - d->group;
	int64_t ms = ms_left(d);

	for (struct cleg *cl = d->branches; cl; cl = cl->next) {
		if (cl->group == d->group)
			start_branch(d, cl);
	}
	/* RFC 3261 16.6: each group gets its share of what is left. */
	if (left > 1 && ms > 0)
		pbx_timer_start(d->group_timer, (unsigned)(ms / left),
				on_group_timeout, d);
	group_over(d);
}

/* ---- Branch events ---- */

/* The caller hears what the first ringing branch sends: 180, or its
 * early media through our answer in a 183 (only when the caller made
 * an offer: without 100rel a 183 cannot carry an offer).
 */
static void progress(struct dial *d, struct cleg *cl,
		     const struct pbx_leg_ev *ev)
{
	struct pbx_call *call = d->call;
	struct cleg *a = call->a;
	char why[160];

	if (!a || a->answered || a->outbound)
		return;
	if (ev->body && call->a_offer && !d->early &&
	    !pbx_cleg_take_answer(cl, ev->body, ev->len, why, sizeof(why))) {
		if (!a->answer &&
		    pbx_cleg_make_answer(a, call->a_offer, call->a_offer_len,
					 cl->peer.codec, &a->answer))
			return;
		d->early = cl;
		pbx_media_bridge(a->ep, cl->ep);
		pbx_leg_respond(a->sig, 183, a->answer, NULL);
		return;
	}
	if (!d->ringing && !d->early) {
		d->ringing = true;
		pbx_leg_respond(a->sig, 180, NULL, NULL);
	}
}

static void unlink_branch(struct dial *d, struct cleg *cl)
{
	for (struct cleg **p = &d->branches; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	cl->next = NULL;
	cl->dial = NULL;
}

static void answered(struct dial *d, struct cleg *cl,
		     const struct pbx_leg_ev *ev)
{
	struct pbx_call *call = d->call;
	char why[160] = "";
	int err;

	if ((!ev->body || pbx_cleg_take_answer(cl, ev->body, ev->len, why,
					       sizeof(why))) &&
	    !(d->early == cl && cl->has_peer)) {
		PBX_CWARN(call->sip_callid, "%s answered without usable SDP "
			  "(%s): hanging it up", cl->uri,
			  *why ? why : "no body");
		cl->done = true;
		cl->ended = true;
		pbx_leg_end(cl->sig, 0);
		count_final(d, 488);
		pbx_call_cdr_leg(call, d->target, cl->uri, 488, false);
		pbx_cleg_media_close(cl);
		group_over(d);
		return;
	}
	cl->done = true;
	cl->answered = true;
	unlink_branch(d, cl);
	cancel_branches(d, cl);
	pbx_timer_cancel(d->group_timer);
	pbx_timer_cancel(d->total_timer);
	pbx_call_cdr_leg(call, d->target, cl->uri, ev->code, true);
	if (call->originating) {
		/* Click-to-call: whoever answers becomes the caller. */
		call->originating = false;
		call->a = cl;
		call->state = CALL_ANSWERED;
		call->answer_us = 0;
		pbx_leg_set_owner(cl->sig, pbx_call_caller_event, cl);
		pbx_media_ep_timeout(cl->ep, -1);
		finish(d, (struct pbx_dial_outcome){ PBX_DIAL_ANSWERED, 200 });
		return;
	}
	d->answered = true;
	call->b = cl;
	if (!call->a->answered) {
		err = pbx_call_answer_caller(call);
		if (err) {
			pbx_call_end(call, 500, "pbx");
			return;
		}
	}
	/* A click-to-call caller answered before: the call counts as
	 * answered from the bridge.
	 */
	if (!call->answer_us)
		call->answer_us = pbx_call_now_us();
	call->state = CALL_ANSWERED;
	pbx_media_bridge(call->a->ep, cl->ep);
	pbx_media_ep_timeout(cl->ep, -1);
	PBX_CINFO(call->sip_callid, "%s answered: bridged (%s to %s)",
		  cl->uri, pbx_sdp_codec_name(call->a->peer.codec),
		  pbx_sdp_codec_name(cl->peer.codec));
	{
		struct pbx_call_event_info e = {
			.type = PBX_CALL_EV_ANSWERED, .sip_code = ev->code,
			.target = d->target,
		};

		pbx_call_fire(call, &e);
	}
}

static void failed(struct dial *d, struct cleg *cl,
		   const struct pbx_leg_ev *ev)
{
	cl->done = true;
	cl->ended = true;
	count_final(d, ev->code);
	pbx_call_cdr_leg(d->call, d->target, cl->uri, ev->code, false);
	if (d->early == cl) {
		pbx_media_unbridge(cl->ep);
		d->early = NULL;
	}
	pbx_cleg_media_close(cl);
	group_over(d);
}

static void branch_event(struct pbx_leg *leg, const struct pbx_leg_ev *ev,
			 void *owner)
{
	struct cleg *cl = owner;
	struct pbx_call *call = cl->call;
	struct dial *d = cl->dial;

	if (ev->type == PBX_LEG_EV_GONE) {
		if (d)
			unlink_branch(d, cl);
		if (call->b == cl)
			pbx_dial_bridge_ended(call);
		pbx_cleg_clear(cl);
		free(cl);
		pbx_call_leg_gone(call);
		return;
	}
	if (call->state == CALL_ENDING)
		return;
	if (ev->type == PBX_LEG_EV_PROGRESS)
		cl->status = ev->code;
	if (d && !cl->done) {
		if (ev->type == PBX_LEG_EV_PROGRESS)
			progress(d, cl, ev);
		else if (ev->type == PBX_LEG_EV_ANSWER)
			answered(d, cl, ev);
		else if (ev->type == PBX_LEG_EV_FAILED)
			failed(d, cl, ev);
		return;
	}
	if (call->b != cl)
		return;
	if (ev->type == PBX_LEG_EV_REINVITE)
		pbx_cleg_reinvite(cl, ev);
	else if (ev->type == PBX_LEG_EV_DTMF)
		pbx_call_digit(cl, ev->digit, ev->duration_ms,
			       "SIP INFO");
	else if (ev->type == PBX_LEG_EV_BYE)
		pbx_dial_bridge_ended(call);
}

/* ---- Starting ---- */

static int resolve(struct pbx_call *call, const char *target,
		   struct pbx_dial_branches *br)
{
	char *t = strdup(target);
	int err;

	if (!t)
		return ENOMEM;
	for (;;) {
		free(br->redirect);
		br->redirect = NULL;
		err = pbx_mod_resolve(call, t, br);
		if (err || !br->redirect)
			break;
		PBX_CINFO(call->sip_callid, "dial %s redirected to %s", t,
			  br->redirect);
		free(t);
		t = strdup(br->redirect);
		branches_clear(br);
		br->decided = false;
		if (!t)
			return ENOMEM;
	}
	free(t);
	return err;
}

static int build_headers(struct dial *d, const struct pbx_dial_opts *o)
{
	const char *extra = o && o->headers ? o->headers : "";
	size_t len = strlen(extra);

	if (len >= HEADERS_MAX)
		return EINVAL;
	d->headers = malloc(len + 128);
	if (!d->headers)
		return ENOMEM;
	snprintf(d->headers, len + 128, "%s%s%s: %s", extra,
		 len && extra[len - 1] != '\n' ? "\r\n" : "",
		 PBX_CALL_LOOP_HDR, d->call->id);
	return 0;
}

/* Branches in q order, numbered into groups of equal q. */
static int make_branches(struct dial *d, struct pbx_dial_branches *br)
{
	struct cleg **tail = &d->branches;
	bool used[PBX_DIAL_BRANCHES_MAX] = { false };
	unsigned prev_q = 0;

	for (unsigned k = 0; k < br->n; k++) {
		unsigned best = br->n;
		struct cleg *cl;

		for (unsigned i = 0; i < br->n; i++) {
			if (!used[i] && (best == br->n ||
					 br->v[i].q > br->v[best].q))
				best = i;
		}
		used[best] = true;
		cl = calloc(1, sizeof(*cl));
		if (!cl)
			return ENOMEM;
		cl->call = d->call;
		cl->dial = d;
		cl->outbound = true;
		cl->uri = br->v[best].uri;
		cl->next_hop = br->v[best].next_hop;
		br->v[best].uri = br->v[best].next_hop = NULL;
		cl->q = br->v[best].q;
		if (k && cl->q != prev_q)
			d->ngroups++;
		cl->group = d->ngroups;
		prev_q = cl->q;
		*tail = cl;
		tail = &cl->next;
	}
	d->ngroups++;
	return 0;
}

int pbx_call_dial(struct pbx_call *call, const char *target,
		  const struct pbx_dial_opts *opts, pbx_call_dial_h *done,
		  void *arg)
{
	struct pbx_dial_branches br = { .n = 0 };
	struct dial *d;
	unsigned nb;
	int err;

	if (!call || !target)
		return EINVAL;
	if (call->state == CALL_ENDING)
		return ECONNRESET;
	if (call->dial || call->b)
		return EBUSY;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->call = call;
	d->done = done;
	d->arg = arg;
	d->timeout_s = opts && opts->timeout_s ? opts->timeout_s :
		       pbx_calls.ring_timeout_s;
	d->target = strdup(target);
	d->caller_number = strdup(opts && opts->caller_number ?
				  opts->caller_number : call->caller_number);
	d->caller_name = strdup(opts && opts->caller_name ?
				opts->caller_name : call->caller_name);
	err = !d->target || !d->caller_number || !d->caller_name ? ENOMEM :
	      build_headers(d, opts);
	if (!err)
		err = pbx_timer_alloc(&d->group_timer);
	if (!err)
		err = pbx_timer_alloc(&d->total_timer);
	if (!err)
		err = pbx_timer_alloc(&d->defer);
	if (!err)
		err = resolve(call, target, &br);
	if (err == ENOENT || err == ELOOP) {
		/* Nothing by that name (or forwards in a circle): report
		 * it like a dial that found nobody, on the next turn.
		 */
		pbx_dial_set_result(&br, err == ENOENT ? PBX_DIAL_UNAVAILABLE :
				    PBX_DIAL_FAILED, err == ENOENT ? 404 : 482);
		err = 0;
	}
	if (!err && !br.decided && !br.n)
		pbx_dial_set_result(&br, PBX_DIAL_UNAVAILABLE, 480);
	nb = br.n;
	if (!err && !br.decided)
		err = make_branches(d, &br);
	branches_clear(&br);
	free(br.redirect);
	if (err) {
		for (struct cleg *cl = d->branches, *n; cl; cl = n) {
			n = cl->next;
			pbx_cleg_clear(cl);
			free(cl);
		}
		dial_free(d);
		return err;
	}
	call->dial = d;
	call->dialled = true;
	PBX_CINFO(call->sip_callid, "dial %s: %u branch(es) in %u group(s), "
		  "%u s", target, nb, br.decided ? 0 : d->ngroups,
		  d->timeout_s);
	if (br.decided) {
		d->outcome = br.outcome;
		d->ngroups = 0;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &d->deadline);
		d->deadline.tv_sec += d->timeout_s;
		pbx_timer_start(d->total_timer, d->timeout_s * 1000,
				on_total_timeout, d);
	}
	/* Ringing starts on the next loop turn, so <done> never runs
	 * before the dialplan has yielded.
	 */
	pbx_timer_start(d->defer, 0, on_defer, d);
	return 0;
}
