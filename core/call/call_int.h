/* call/call_int.h - layouts shared by the files of the call core only
 * (call.c: the call and its caller leg; dial.c: dialling and bridging;
 * legmedia.c: SDP and RTP of one leg). Loop thread only.
 */
#ifndef PBX_CALL_CALL_INT_H
#define PBX_CALL_CALL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <pbx/call.h>
#include <pbx/cfg.h>

#include "call/call.h"
#include "media/media.h"
#include "sip/leg.h"
#include "sip/sdp.h"
#include "util/uuid.h"

struct dial;
struct pbx_location;

/* One leg as the call core sees it: signalling plus media. */
struct cleg {
	struct pbx_call *call;        /* (borrowed) */
	struct pbx_leg *sig;          /* (borrowed) until its GONE event */
	struct pbx_media_ep *ep;      /* (ref) */
	struct pbx_sdp_session ours;  /* our o= line for this leg */
	struct pbx_sdp_media peer;    /* the peer's stream, once known */
	bool has_peer;
	bool outbound;                /* we sent the INVITE */
	bool answered;                /* 2xx sent or received */
	bool ended;                   /* pbx_leg_end() called or peer left */
	bool hold;                    /* the peer put us on hold */
	bool offer_in_ack;            /* our 2xx offered: answer in ACK */
	char *answer;                 /* (ref) inbound: SDP sent in 18x/2xx */
	/* A dialled branch: */
	struct dial *dial;            /* (borrowed) while it rings */
	struct cleg *next;            /* in the dial's branch list */
	char *uri;                    /* (ref) Request-URI */
	char *next_hop;               /* (ref) or NULL */
	unsigned q;                   /* q times 1000 */
	unsigned group;               /* index of its q group */
	int status;                   /* last response code */
	bool done;                    /* final response or cancelled */
};

enum call_state {
	CALL_ROUTING = 0,             /* dialplan runs, caller unanswered */
	CALL_ANSWERED,                /* caller answered (by us or a callee) */
	CALL_ENDING,                  /* torn down; freed when legs are gone */
};

struct pbx_call {
	char id[PBX_UUID_LEN + 1];
	char *sip_callid;             /* (ref) */
	char *caller_number;          /* (ref) */
	char *caller_name;            /* (ref) */
	char *destination;            /* (ref) */
	bool caller_local;
	struct pbx_call_hdr *hdrv;    /* (ref) names and values (ref) */
	size_t hdrc;
	struct pbx_strmap *vars;      /* (ref) name -> char * (ref) */
	unsigned max_forwards;

	enum call_state state;
	struct cleg *a;               /* (ref) the caller; NULL while an
				       * originated call rings its caller */
	char *a_offer;                /* (ref) the caller's SDP offer */
	size_t a_offer_len;
	bool callee_left;             /* the bridged callee hung up */
	bool originating;             /* rings its caller (click-to-call) */
	struct cleg *b;               /* (ref) the bridged callee, or NULL */
	struct dial *dial;            /* (ref) the dial running, or NULL */
	unsigned legs_alive;          /* signalling legs not yet GONE */

	pbx_call_done_h *answer_done; /* call:answer() waits for the ACK */
	void *answer_arg;
	void *script;                 /* (borrowed) the Lua layer's */
	bool route_ended;
	struct pbx_dial_outcome last; /* of the last dial, for route end */
	bool dialled;                 /* a dial was made */

	int64_t start_us, answer_us, end_us;  /* Unix epoch microseconds */
	int hangup_cause;
	const char *hangup_side;      /* "caller", "callee", "pbx" */
	const char *disposition;      /* for the CDR */
	struct cdr_leg {
		char *target;         /* (ref) */
		char *uri;            /* (ref) */
		int status;
		bool answered;
	} *cdrlegv;                   /* (ref) every branch dialled */
	size_t cdrlegc;
	struct pbx_timer *reaper;     /* frees the call on the next turn */
};

/* ---- call.c ---- */

/* The engine pieces every file of the call core uses. */
struct calls {
	struct pbx_media *media;      /* (ref) */
	struct pbx_sdp_prefs prefs;
	char media_ip[64];
	struct pbx_location *loc;     /* (borrowed) */
	struct pbx_cdr_writer *cdr;   /* (borrowed) or NULL */
	struct pbx_strmap *live;      /* id -> struct pbx_call (borrowed) */
	unsigned ring_timeout_s;
	unsigned max_forwards;
};
extern struct calls pbx_calls;

/* The call is over for <side> with <code>: stop the dialplan, end every
 * leg, write the CDR, run the HANGUP hooks. Safe to call twice.
 */
void pbx_call_end(struct pbx_call *call, int code, const char *side);

/* A signalling leg of <call> reported GONE. */
void pbx_call_leg_gone(struct pbx_call *call);

/* Run every hook for event <type> (other fields in <ev>). */
void pbx_call_fire(struct pbx_call *call, struct pbx_call_event_info *ev);

/* Answer the caller now that media is ready: 200 with our answer (or our
 * offer when its INVITE had none). 0 or an errno (the call then ends).
 */
int pbx_call_answer_caller(struct pbx_call *call);

/* Wall clock in Unix epoch microseconds (CDR times). */
int64_t pbx_call_now_us(void);

/* Record a dialled branch for the CDR. */
void pbx_call_cdr_leg(struct pbx_call *call, const char *target,
		      const char *uri, int status, bool answered);

/* ---- dial.c ---- */

/* Stop the running dial: cancel its branches, no completion. */
void pbx_dial_abort(struct pbx_call *call);

/* The bridged callee left (BYE) or failed: finish the dial. */
void pbx_dial_bridge_ended(struct pbx_call *call);

/* Events of a leg owned by the call core (caller or bridged callee). */
void pbx_call_leg_event(struct pbx_leg *leg, const struct pbx_leg_ev *ev,
			void *owner);

/* ---- resolve.c ---- */

/* Register the core's dial targets: "user/<ext>" and "sip:<uri>". */
int pbx_call_resolvers_register(void);

/* A new call (state CALL_ROUTING, no legs), not yet live. */
struct pbx_call *pbx_call_new(void);

/* Make <call> findable by id (REST, loop detection). 0 or ENOMEM. */
int pbx_call_go_live(struct pbx_call *call);

/* Free a call that never went live. */
void pbx_call_discard(struct pbx_call *call);

/* The caller leg's event handler: an originated call's first branch
 * becomes its caller once it answers.
 */
void pbx_call_caller_event(struct pbx_leg *leg, const struct pbx_leg_ev *ev,
			   void *owner);

/* ---- legmedia.c ---- */

/* Open the leg's RTP endpoint if it has none. 0 or an errno. */
int pbx_cleg_media_open(struct cleg *cl);

/* Close it (unbridging). */
void pbx_cleg_media_close(struct cleg *cl);

/* Read the peer's offer (<body>) into the leg and point its endpoint at
 * it. On failure <why> holds the reason for the 488.
 */
int pbx_cleg_take_offer(struct cleg *cl, const char *body, size_t len,
			char *why, size_t whysz);

/* Read the peer's answer to our offer. */
int pbx_cleg_take_answer(struct cleg *cl, const char *body, size_t len,
			 char *why, size_t whysz);

/* Our offer for the leg (malloc'd), codecs ordered with <first> first
 * when it is not PBX_CODEC_NONE; direction <dir>.
 */
int pbx_cleg_make_offer(struct cleg *cl, enum pbx_codec first,
			enum pbx_sdp_dir dir, char **sdpp);

/* Our answer to the offer the leg holds (<offer> its text), preferring
 * codec <prefer> when the offer allows it. malloc'd in <*sdpp>.
 */
int pbx_cleg_make_answer(struct cleg *cl, const char *offer, size_t len,
			 enum pbx_codec prefer, char **sdpp);

/* Free the leg's strings and media (not the struct). */
void pbx_cleg_clear(struct cleg *cl);

/* Handle a re-INVITE on an established leg: answer it from the PBX
 * (media is anchored, so the other leg never sees it), noting holds.
 */
void pbx_cleg_reinvite(struct cleg *cl, const struct pbx_leg_ev *ev);

/* A keypress from <cl>'s party sent by signalling (<how>: for the log,
 * "SIP INFO"; <duration_ms>: its length, 0 unknown): played to the
 * party bridged to <cl> as RFC 4733 when its
 * leg negotiated telephone-event (else logged why not), then handed to
 * the call's DTMF hooks. RFC 4733 digits do not come here: the relay
 * forwards their packets itself.
 */
void pbx_call_digit(struct cleg *cl, char digit, unsigned duration_ms,
		    const char *how);

/* The ACK of a 2xx that carried our offer holds the answer. */
void pbx_cleg_ack(struct cleg *cl, const struct pbx_leg_ev *ev);

/* JSON of the leg for the REST calls list. */
json_t *pbx_cleg_json(struct cleg *cl, const char *role);

#endif
