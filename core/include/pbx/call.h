/* pbx/call.h - a call as the dialplan and modules see it: identity,
 * variables, headers of the INVITE, and the few actions that drive it
 * (ring, answer, dial, hangup). Loop thread only; a struct pbx_call is
 * owned by the call core and valid until its PBX_CALL_EV_HANGUP hooks
 * have run.
 */
#ifndef PBX_CALL_H
#define PBX_CALL_H

#include <stdbool.h>

struct pbx_call;

/* What a dial came to (DESIGN.md section 5: the dialplan acts on it). */
enum pbx_dial_result {
	PBX_DIAL_ANSWERED = 0,    /* a branch answered and was bridged; the
				   * result comes once the bridge ended with
				   * the callee's hang-up (the caller is
				   * still there) */
	PBX_DIAL_BUSY,            /* 486 or 600 (or a resolver said busy) */
	PBX_DIAL_NOANSWER,        /* ring timeout, or 480/408/487 */
	PBX_DIAL_UNAVAILABLE,     /* nobody to ring: unknown extension, no
				   * registered contact, 404/410/604 */
	PBX_DIAL_FAILED,          /* any other final code: see sip_code */
};

struct pbx_dial_opts {
	unsigned timeout_s;       /* ring time; 0: call.ring_timeout */
	const char *caller_number; /* caller-id shown to the callee; NULL:
				    * the caller's own */
	const char *caller_name;  /* display name; NULL: the caller's own */
	const char *headers;      /* extra "Name: value" lines separated by
				   * CRLF, added to each INVITE; NULL none */
};

struct pbx_dial_outcome {
	enum pbx_dial_result result;
	int sip_code;             /* final code that decided it (200 when
				   * answered, 0 when nothing was sent) */
};

/* A dial finished: <out> is borrowed for the call. */
typedef void (pbx_call_dial_h)(struct pbx_call *call,
			       const struct pbx_dial_outcome *out,
			       void *arg);

/* An answer finished: <err> is 0 once the caller's ACK arrived, else an
 * errno (ECONNRESET: the caller went away; EPROTO: its SDP was refused).
 */
typedef void (pbx_call_done_h)(struct pbx_call *call, int err, void *arg);

/* Unique id of the call (a UUID; REST /api/v1/calls/{id}, CDRs). */
const char *pbx_call_id(const struct pbx_call *call);

/* Call-ID header of the caller's INVITE, for logs. */
const char *pbx_call_sip_callid(const struct pbx_call *call);

/* The caller: number (the authenticated extension for local users, else
 * the From user part) and display name ("" when none). Borrowed.
 */
const char *pbx_call_caller_number(const struct pbx_call *call);
const char *pbx_call_caller_name(const struct pbx_call *call);

/* True when the caller authenticated as a local user. */
bool pbx_call_caller_is_local(const struct pbx_call *call);

/* What was dialled: the user part of the Request-URI. Borrowed. */
const char *pbx_call_destination(const struct pbx_call *call);

/* The first header <name> (case-insensitive) of the caller's INVITE as
 * text, or NULL. Borrowed; valid for the life of the call.
 */
const char *pbx_call_header(const struct pbx_call *call, const char *name);

/* Call variables: free-form strings the dialplan and modules share, also
 * shown in the REST calls list. <value> NULL removes <name>. Returns 0,
 * EINVAL (empty name) or ENOMEM.
 */
int pbx_call_var_set(struct pbx_call *call, const char *name,
		     const char *value);

/* Value of <name> (borrowed until it is set again), or NULL. */
const char *pbx_call_var_get(const struct pbx_call *call, const char *name);

/* Send 180 Ringing to the caller. Returns 0, or EALREADY when the call
 * is answered or ending.
 */
int pbx_call_ring(struct pbx_call *call);

/* Answer the caller (200 with our SDP, media anchored on the PBX).
 * Returns 0 once the 200 is sent; <done> runs when the ACK arrives or
 * the answer failed. EALREADY when already answered (<done> is not
 * called), ECONNRESET when the call is ending.
 */
int pbx_call_answer(struct pbx_call *call, pbx_call_done_h *done,
		    void *arg);

/* Dial <target> ("user/<ext>", "sip:<uri>", or a module's
 * "<prefix>/<rest>") and bridge the first branch that answers to the
 * caller. Returns 0 once dialling started (<done> then always runs,
 * unless the caller hangs up first, in which case the call ends and
 * <done> is not called); EBUSY when a dial is already running, EINVAL
 * for a target no resolver serves, ECONNRESET when the call is ending.
 */
int pbx_call_dial(struct pbx_call *call, const char *target,
		  const struct pbx_dial_opts *opts, pbx_call_dial_h *done,
		  void *arg);

/* End the call: <code> (400-699) to an unanswered caller, BYE to an
 * answered one (<code> is then only recorded; 0 means normal clearing).
 * Every dialled branch is cancelled or hung up. Safe to call twice.
 */
void pbx_call_hangup(struct pbx_call *call, int code);

/* True once the call is ending: no action is accepted any more. */
bool pbx_call_is_ending(const struct pbx_call *call);

/* ---- Events modules can hook (pbx/mod.h registers the hooks) ---- */

enum pbx_call_event {
	PBX_CALL_EV_ANSWERED = 0, /* a dial was answered and bridged */
	PBX_CALL_EV_BUSY,         /* a dial ended busy */
	PBX_CALL_EV_NOANSWER,     /* a dial ended without answer */
	PBX_CALL_EV_HOLD,         /* a party put the other on hold */
	PBX_CALL_EV_UNHOLD,       /* ... and took it back */
	PBX_CALL_EV_DTMF,         /* a digit from a party (RFC 4733 or
				   * SIP INFO) */
	PBX_CALL_EV_HANGUP,       /* the call ended (last event) */
};

struct pbx_call_event_info {
	enum pbx_call_event type;
	int sip_code;             /* BUSY/NOANSWER/HANGUP: the code */
	char digit;               /* DTMF: '0'-'9', '*', '#', 'A'-'D' */
	bool from_caller;         /* HOLD/UNHOLD/DTMF: which party */
	const char *target;       /* ANSWERED/BUSY/NOANSWER: dial target */
};

#endif
