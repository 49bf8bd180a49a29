/* call/call.c - the call (DESIGN.md section 4): made from an admitted
 * INVITE, driven by its dialplan coroutine, ended once from whichever
 * side, recorded as a CDR, and freed when its last SIP dialog is over.
 * Also the caller leg's events and the public accessors of pbx/call.h.
 * Dialling and bridging are dial.c; SDP and RTP of a leg legmedia.c.
 */
#define PBX_LOG_TAG "call"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <pbx/log.h>
#include <pbx/loop.h>

#include "call/call_int.h"
#include "call/calls.h"
#include "db/cdr.h"
#include "lua/dialplan.h"
#include "mod/registry.h"
#include "util/strmap.h"

struct calls pbx_calls;

int64_t pbx_call_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* ---- Public accessors (pbx/call.h) ---- */

const char *pbx_call_id(const struct pbx_call *call)
{
	return call->id;
}

const char *pbx_call_sip_callid(const struct pbx_call *call)
{
	return call->sip_callid;
}

const char *pbx_call_caller_number(const struct pbx_call *call)
{
	return call->caller_number;
}

const char *pbx_call_caller_name(const struct pbx_call *call)
{
	return call->caller_name;
}

bool pbx_call_caller_is_local(const struct pbx_call *call)
{
	return call->caller_local;
}

const char *pbx_call_destination(const struct pbx_call *call)
{
	return call->destination;
}

const char *pbx_call_header(const struct pbx_call *call, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < call->hdrc; i++) {
		if (!strcasecmp(call->hdrv[i].name, name))
			return call->hdrv[i].value;
	}
	return NULL;
}

int pbx_call_var_set(struct pbx_call *call, const char *name,
		     const char *value)
{
	void *old = NULL;
	char *v;

	if (!name || !*name)
		return EINVAL;
	if (!value) {
		free(pbx_strmap_del(call->vars, name));
		return 0;
	}
	v = strdup(value);
	if (!v || pbx_strmap_put(call->vars, name, v, &old)) {
		free(v);
		return ENOMEM;
	}
	free(old);
	return 0;
}

const char *pbx_call_var_get(const struct pbx_call *call, const char *name)
{
	return name ? pbx_strmap_get(call->vars, name) : NULL;
}

bool pbx_call_is_ending(const struct pbx_call *call)
{
	return call->state == CALL_ENDING;
}

void *pbx_call_script(const struct pbx_call *call)
{
	return call->script;
}

void pbx_call_set_script(struct pbx_call *call, void *script)
{
	call->script = script;
}

struct pbx_call *pbx_call_find(const char *id)
{
	return pbx_calls.live && id ? pbx_strmap_get(pbx_calls.live, id) :
	       NULL;
}

/* ---- Hooks and records ---- */

void pbx_call_fire(struct pbx_call *call, struct pbx_call_event_info *ev)
{
	pbx_mod_fire(call, ev);
}

void pbx_call_cdr_leg(struct pbx_call *call, const char *target,
		      const char *uri, int status, bool answered)
{
	struct cdr_leg *v;

	v = realloc(call->cdrlegv, (call->cdrlegc + 1) * sizeof(*v));
	if (!v)
		return;
	call->cdrlegv = v;
	v += call->cdrlegc;
	v->target = dup_or_empty(target);
	v->uri = dup_or_empty(uri);
	v->status = status;
	v->answered = answered;
	if (v->target && v->uri)
		call->cdrlegc++;
	else {
		free(v->target);
		free(v->uri);
	}
}

static const char *disposition_of(const struct pbx_call *call, int code,
				  const char *side)
{
	if (call->answer_us)
		return "answered";
	if (!strcmp(side, "caller"))
		return "cancelled";
	/* What the last dial came to says more than the code the
	 * dialplan chose to hang up with after it.
	 */
	if (call->dialled) {
		switch (call->last.result) {
		case PBX_DIAL_BUSY:
			return "busy";
		case PBX_DIAL_NOANSWER:
			return "noanswer";
		case PBX_DIAL_UNAVAILABLE:
			return "unavailable";
		default:
			return "failed";
		}
	}
	if (code == 486 || code == 600 || code == 603)
		return "busy";
	if (code == 480 || code == 408 || code == 487)
		return "noanswer";
	if (code == 404 || code == 410 || code == 604)
		return "unavailable";
	return "failed";
}

static void write_cdr(struct pbx_call *call)
{
	struct pbx_cdr cdr = { 0 };
	struct pbx_cdr_leg legs[PBX_DIAL_BRANCHES_MAX * 2];
	size_t n = 0;

	if (!pbx_calls.cdr)
		return;
	for (size_t i = 0; i < call->cdrlegc && n < sizeof(legs) /
	     sizeof(legs[0]); i++, n++) {
		legs[n].target = call->cdrlegv[i].target;
		legs[n].uri = call->cdrlegv[i].uri;
		legs[n].status = call->cdrlegv[i].status;
		legs[n].answered = call->cdrlegv[i].answered;
	}
	memcpy(cdr.call_id, call->id, sizeof(cdr.call_id));
	cdr.sip_call_id = call->sip_callid;
	cdr.caller_number = call->caller_number;
	cdr.caller_name = call->caller_name;
	cdr.destination = call->destination;
	cdr.legs = legs;
	cdr.nlegs = n;
	cdr.start_us = call->start_us;
	cdr.answer_us = call->answer_us;
	cdr.end_us = call->end_us;
	cdr.disposition = call->disposition;
	cdr.hangup_cause = call->hangup_cause;
	cdr.hangup_side = call->hangup_side;
	if (pbx_cdr_submit(pbx_calls.cdr, &cdr))
		PBX_CWARN(call->sip_callid, "CDR of call %s not queued",
			  call->id);
}

/* ---- Lifetime ---- */

static void call_free(struct pbx_call *call)
{
	if (call->a)
		pbx_cleg_clear(call->a);
	free(call->a);
	for (size_t i = 0; i < call->hdrc; i++) {
		free((char *)call->hdrv[i].name);
		free((char *)call->hdrv[i].value);
	}
	free(call->hdrv);
	for (size_t i = 0; i < call->cdrlegc; i++) {
		free(call->cdrlegv[i].target);
		free(call->cdrlegv[i].uri);
	}
	free(call->cdrlegv);
	pbx_strmap_free(call->vars);
	pbx_timer_free(call->reaper);
	free(call->sip_callid);
	free(call->caller_number);
	free(call->caller_name);
	free(call->destination);
	free(call->a_offer);
	free(call);
}

/* Freed from the loop, never from under a handler still using it. */
static void on_reap(void *arg)
{
	struct pbx_call *call = arg;

	if (call->state == CALL_ENDING && !call->legs_alive)
		call_free(call);
}

void pbx_call_leg_gone(struct pbx_call *call)
{
	if (call->legs_alive)
		call->legs_alive--;
	if (call->state == CALL_ENDING && !call->legs_alive)
		pbx_timer_start(call->reaper, 0, on_reap, call);
}

void pbx_call_end(struct pbx_call *call, int code, const char *side)
{
	struct pbx_call_event_info ev = { .type = PBX_CALL_EV_HANGUP };
	bool was_answered = call->a && call->a->answered;

	if (call->state == CALL_ENDING)
		return;
	call->state = CALL_ENDING;
	call->end_us = pbx_call_now_us();
	call->hangup_cause = code;
	call->hangup_side = side;
	call->disposition = disposition_of(call, code, side);
	pbx_strmap_del(pbx_calls.live, call->id);
	if (call->script && !call->route_ended) {
		call->route_ended = true;
		pbx_lua_call_gone(call);
	}
	call->answer_done = NULL;
	pbx_dial_abort(call);
	if (call->a && call->a->sig && !call->a->ended) {
		call->a->ended = true;
		pbx_leg_end(call->a->sig, was_answered ? 0 : code);
	}
	if (call->a)
		pbx_cleg_media_close(call->a);
	PBX_CINFO(call->sip_callid, "call %s ended by %s (%d, %s)", call->id,
		  side, code, call->disposition);
	ev.sip_code = code;
	pbx_call_fire(call, &ev);
	write_cdr(call);
	if (!call->legs_alive)
		pbx_timer_start(call->reaper, 0, on_reap, call);
}

/* ---- The caller's leg ---- */

int pbx_call_answer_caller(struct pbx_call *call)
{
	struct cleg *a = call->a;
	enum pbx_codec prefer = call->b && call->b->has_peer ?
				call->b->peer.codec : PBX_CODEC_NONE;
	int err = 0;

	if (a->answered)
		return EALREADY;
	if (!a->answer && call->a_offer)
		err = pbx_cleg_make_answer(a, call->a_offer,
					   call->a_offer_len, prefer,
					   &a->answer);
	else if (!a->answer) {
		/* Delayed offer (RFC 3261 13.2.1): the 2xx carries our
		 * offer and the caller answers in its ACK.
		 */
		err = pbx_cleg_make_offer(a, prefer, PBX_SDP_SENDRECV,
					  &a->answer);
		a->offer_in_ack = !err;
	}
	if (!err)
		err = pbx_leg_respond(a->sig, 200, a->answer, NULL);
	if (err)
		return err;
	a->answered = true;
	call->state = CALL_ANSWERED;
	if (!call->answer_us)
		call->answer_us = pbx_call_now_us();
	pbx_media_ep_timeout(a->ep, -1);
	return 0;
}

void pbx_call_caller_event(struct pbx_leg *leg, const struct pbx_leg_ev *ev,
			   void *owner)
{
	struct cleg *a = owner;
	struct pbx_call *call = a->call;

	switch (ev->type) {
	case PBX_LEG_EV_ACK:
		pbx_cleg_ack(a, ev);
		if (call->answer_done && call->state != CALL_ENDING) {
			pbx_call_done_h *done = call->answer_done;

			call->answer_done = NULL;
			done(call, 0, call->answer_arg);
		}
		return;
	case PBX_LEG_EV_CANCEL:
		a->ended = true;
		pbx_call_end(call, 487, "caller");
		return;
	case PBX_LEG_EV_BYE:
		a->ended = true;
		pbx_call_end(call, ev->code, "caller");
		return;
	case PBX_LEG_EV_REINVITE:
		pbx_cleg_reinvite(a, ev);
		return;
	case PBX_LEG_EV_DTMF:
		pbx_call_digit(a, ev->digit, ev->duration_ms, "SIP INFO");
		return;
	case PBX_LEG_EV_GONE:
		a->sig = NULL;
		a->ended = true;
		pbx_call_end(call, 0, "caller");
		pbx_call_leg_gone(call);
		return;
	default:
		return;
	}
}

/* ---- Actions (pbx/call.h) ---- */

int pbx_call_ring(struct pbx_call *call)
{
	if (call->state != CALL_ROUTING || !call->a || call->a->outbound)
		return EALREADY;
	return pbx_leg_respond(call->a->sig, 180, NULL, NULL);
}

int pbx_call_answer(struct pbx_call *call, pbx_call_done_h *done,
		    void *arg)
{
	int err;

	if (call->state == CALL_ENDING || !call->a)
		return ECONNRESET;
	if (call->a->answered)
		return EALREADY;
	err = pbx_call_answer_caller(call);
	if (err) {
		pbx_call_end(call, 500, "pbx");
		return ECONNRESET;
	}
	call->answer_done = done;
	call->answer_arg = arg;
	return 0;
}

void pbx_call_hangup(struct pbx_call *call, int code)
{
	if (code && (code < 400 || code > 699))
		code = 480;
	pbx_call_end(call, code ? code : (call->a && call->a->answered ? 0 :
					  480), "pbx");
}

/* The caller's final code after a dial that did not answer. */
static int code_after(const struct pbx_call *call)
{
	int c = call->last.sip_code;

	switch (call->last.result) {
	case PBX_DIAL_BUSY:
		return 486;
	case PBX_DIAL_NOANSWER:
		return 480;
	case PBX_DIAL_UNAVAILABLE:
		return 404;
	default:
		break;
	}
	/* Codes about the callee's hop or credentials mean nothing to the
	 * caller (RFC 3261 16.7 item 6); a callee's server error is ours.
	 */
	if (c == 401 || c == 407 || c == 415 || c == 420 || c == 421 ||
	    c == 482 || c == 483 || c == 491 || c == 493 || c < 400 ||
	    c > 699)
		return 480;
	if (c >= 500 && c < 600)
		return 502;
	return c;
}

void pbx_call_route_end(struct pbx_call *call, int err)
{
	if (call->route_ended)
		return;
	call->route_ended = true;
	if (call->state == CALL_ENDING)
		return;
	if (err) {
		pbx_call_end(call, 500, "pbx");
		return;
	}
	if (call->a && call->a->answered)
		pbx_call_end(call, 0, call->callee_left ? "callee" : "pbx");
	else
		pbx_call_end(call, call->dialled ? code_after(call) : 480,
			     "pbx");
}

/* ---- A new call ---- */

struct pbx_call *pbx_call_new(void)
{
	struct pbx_call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	if (pbx_strmap_alloc(&call->vars, free) ||
	    pbx_timer_alloc(&call->reaper)) {
		pbx_strmap_free(call->vars);
		free(call);
		return NULL;
	}
	pbx_uuid_new(call->id);
	call->start_us = pbx_call_now_us();
	return call;
}

int pbx_call_go_live(struct pbx_call *call)
{
	return pbx_strmap_put(pbx_calls.live, call->id, call, NULL);
}

void pbx_call_discard(struct pbx_call *call)
{
	call->state = CALL_ENDING;
	call_free(call);
}

static int copy_intake(struct pbx_call *call,
		       const struct pbx_call_intake *in)
{
	call->sip_callid = dup_or_empty(in->sip_callid);
	call->caller_number = dup_or_empty(in->caller_number);
	call->caller_name = dup_or_empty(in->caller_name);
	call->destination = dup_or_empty(in->destination);
	call->caller_local = in->caller_local;
	call->max_forwards = in->max_forwards;
	if (!call->sip_callid || !call->caller_number ||
	    !call->caller_name || !call->destination)
		return ENOMEM;
	call->hdrv = calloc(in->hdrc ? in->hdrc : 1, sizeof(*call->hdrv));
	if (!call->hdrv)
		return ENOMEM;
	for (size_t i = 0; i < in->hdrc; i++) {
		call->hdrv[i].name = strdup(in->hdrv[i].name);
		call->hdrv[i].value = strdup(in->hdrv[i].value);
		call->hdrc++;
		if (!call->hdrv[i].name || !call->hdrv[i].value)
			return ENOMEM;
	}
	if (in->sdp) {
		call->a_offer = malloc(in->sdp_len + 1);
		if (!call->a_offer)
			return ENOMEM;
		memcpy(call->a_offer, in->sdp, in->sdp_len);
		call->a_offer[in->sdp_len] = '\0';
		call->a_offer_len = in->sdp_len;
	}
	return 0;
}

/* Refuse the caller before any dialplan ran: the CDR still records it. */
static void refuse(struct pbx_call *call, int code, const char *why)
{
	char warning[200];

	snprintf(warning, sizeof(warning), "399 pbxd \"%s\"", why);
	pbx_leg_respond(call->a->sig, code, NULL, warning);
	call->a->ended = true;
	pbx_call_end(call, code, "pbx");
}

void pbx_call_incoming(struct pbx_leg *leg, const struct pbx_call_intake *in)
{
	struct pbx_call *call = pbx_call_new();
	char why[160] = "";
	int err;

	if (call)
		call->a = calloc(1, sizeof(*call->a));
	if (!call || !call->a || copy_intake(call, in)) {
		PBX_CWARN(in->sip_callid, "out of memory for a new call");
		pbx_leg_end(leg, 500);
		if (call)
			pbx_call_discard(call);
		return;
	}
	call->a->call = call;
	call->a->sig = leg;
	call->legs_alive = 1;
	pbx_leg_set_owner(leg, pbx_call_caller_event, call->a);
	if (pbx_call_go_live(call)) {
		refuse(call, 500, "out of memory");
		return;
	}
	PBX_CINFO(call->sip_callid, "call %s from %s to %s", call->id,
		  call->caller_number, call->destination);
	if (in->sdp && in->sdp_type &&
	    strcasecmp(in->sdp_type, "application/sdp")) {
		refuse(call, 415, "only application/sdp bodies are accepted");
		return;
	}
	if (in->sdp) {
		err = pbx_cleg_take_offer(call->a, call->a_offer,
					  call->a_offer_len, why,
					  sizeof(why));
		if (err) {
			refuse(call, err == EADDRINUSE ? 503 : 488,
			       *why ? why : strerror(err));
			return;
		}
	}
	err = pbx_lua_route(call);
	if (err && call->state != CALL_ENDING)
		refuse(call, 500, err == ENOENT ? "no dialplan loaded" :
		       "the dialplan could not start");
}

/* ---- Engine ---- */

/* Log a keypress of <cl>'s party (<how> it came, <fate> what became of
 * it) and hand it to the DTMF hooks.
 */
static void digit_report(struct cleg *cl, char digit, const char *how,
			 const char *fate)
{
	struct pbx_call *call = cl->call;
	struct pbx_call_event_info ce = { .type = PBX_CALL_EV_DTMF,
					  .digit = digit,
					  .from_caller = cl == call->a };

	if (call->state == CALL_ENDING)
		return;
	PBX_CINFO(call->sip_callid, "digit %c from the %s (%s)%s", digit,
		  ce.from_caller ? "caller" : "callee", how, fate);
	pbx_call_fire(call, &ce);
}

/* Play a digit that came by signalling to the party whose media is
 * bridged to <cl>'s, as RFC 4733: with media anchored, its phone cannot
 * hear the keypress otherwise. Writes the outcome into <fate>.
 */
static void digit_pass_on(struct cleg *cl, char digit,
			  unsigned duration_ms, char *fate, size_t size)
{
	struct pbx_media_ep *peer = pbx_media_ep_peer(cl->ep);
	struct cleg *other = pbx_media_ep_owner(peer);
	const char *who = other && other == cl->call->a ? "caller" :
			  "callee";
	int err;

	if (!peer) {
		snprintf(fate, size, ", not passed on: no party bridged");
		return;
	}
	err = pbx_media_ep_send_dtmf(peer, digit, duration_ms);
	if (!err)
		snprintf(fate, size, ", sent to the %s as RFC 4733", who);
	else if (err == ENOTSUP)
		snprintf(fate, size, ", not passed on: the %s did not "
			 "negotiate telephone-event", who);
	else if (err == ENOBUFS)
		snprintf(fate, size, ", not passed on: too many digits "
			 "queued for the %s", who);
	else
		snprintf(fate, size, ", not passed on: %s", strerror(err));
}

void pbx_call_digit(struct cleg *cl, char digit, unsigned duration_ms,
		    const char *how)
{
	char fate[96];

	if (cl->call->state == CALL_ENDING)
		return;
	digit_pass_on(cl, digit, duration_ms, fate, sizeof(fate));
	digit_report(cl, digit, how, fate);
}

static void on_media(const struct pbx_media_ev *ev, void *arg)
{
	struct cleg *cl = ev->owner;
	struct pbx_call *call = cl ? cl->call : NULL;
	char how[32];

	if (!call || call->state == CALL_ENDING)
		return;
	switch (ev->type) {
	case PBX_MEDIA_EV_DTMF:
		snprintf(how, sizeof(how), "RFC 4733, %u ms",
			 ev->duration_ms);
		/* The relay passed the packets on already (relay.c). */
		digit_report(cl, ev->digit, how, "");
		return;
	case PBX_MEDIA_EV_TIMEOUT:
		PBX_CWARN(call->sip_callid, "no RTP from the %s for %u ms: "
			  "ending call %s", cl == call->a ? "caller" :
			  "callee", ev->duration_ms, call->id);
		pbx_call_end(call, 408, "pbx");
		return;
	case PBX_MEDIA_EV_LATCHED:
		PBX_CDEBUG(call->sip_callid, "RTP of the %s latched",
			   cl == call->a ? "caller" : "callee");
		return;
	}
}

int pbx_calls_start(const struct pbx_cfg *cfg, struct pbx_location *loc,
		    struct pbx_cdr_writer *cdr)
{
	struct pbx_media_cfg mc = {
		.ip = *cfg->media_address ? cfg->media_address :
		      cfg->sip_address,
		.port_min = cfg->media_port_min,
		.port_max = cfg->media_port_max,
		.threads = cfg->media_threads,
		.rtp_timeout_s = cfg->media_rtp_timeout,
	};
	int err;

	pbx_sdp_prefs_default(&pbx_calls.prefs);
	if (pbx_sdp_prefs_parse(&pbx_calls.prefs, cfg->media_codecs)) {
		PBX_ERR("media.codecs: '%s' is not a list of PCMU, PCMA",
			cfg->media_codecs);
		return EINVAL;
	}
	snprintf(pbx_calls.media_ip, sizeof(pbx_calls.media_ip), "%s",
		 mc.ip);
	pbx_calls.loc = loc;
	pbx_calls.cdr = cdr;
	pbx_calls.ring_timeout_s = cfg->call_ring_timeout;
	pbx_calls.max_forwards = cfg->call_max_forwards;
	err = pbx_strmap_alloc(&pbx_calls.live, NULL);
	if (!err)
		err = pbx_media_alloc(&pbx_calls.media, &mc, on_media, NULL);
	if (!err)
		err = pbx_call_resolvers_register();
	if (err)
		PBX_ERR("call core: %s", strerror(err));
	return err;
}

void pbx_calls_config(const struct pbx_cfg *cfg)
{
	pbx_calls.ring_timeout_s = cfg->call_ring_timeout;
}

static int end_one(const char *key, void *value, void *arg)
{
	pbx_call_end(value, 0, "pbx");
	return 0;
}

void pbx_calls_stop(void)
{
	if (pbx_calls.live)
		pbx_strmap_walk(pbx_calls.live, end_one, NULL);
}

void pbx_calls_free(void)
{
	pbx_media_free(pbx_calls.media);
	pbx_calls.media = NULL;
	pbx_strmap_free(pbx_calls.live);
	pbx_calls.live = NULL;
}

size_t pbx_calls_count(void)
{
	return pbx_calls.live ? pbx_strmap_count(pbx_calls.live) : 0;
}
