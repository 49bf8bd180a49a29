/* sip/deferred.h - a request (REGISTER, INVITE) authenticated against
 * the user cache: answered at once when its user is cached, otherwise
 * kept, with its saved event, until PostgreSQL returns the user. For
 * registrar.c and invite.c; loop thread only.
 */
#ifndef PBX_SIP_DEFERRED_H
#define PBX_SIP_DEFERRED_H

#include <arpa/inet.h>
#include <stdbool.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/su_tag.h>

#define PBX_DEFERRED_EXT_MAX 32

struct pbx_registrar;
struct pbx_user;
struct pbx_users;
struct pbx_deferred_req;

/* The user of <req> is known (it may be one with known == false). */
typedef void (pbx_deferred_user_h)(struct pbx_deferred_req *req,
				   const struct pbx_user *user);

/* One request being authenticated: on the stack when the user is
 * cached, on the heap with a saved event while PostgreSQL is asked.
 */
struct pbx_deferred_req {
	struct pbx_registrar *reg;    /* (borrowed) */
	nua_t *nua;
	nua_handle_t *nh;             /* NULL once answered */
	msg_t *msg;                   /* (borrowed) the request */
	const sip_t *sip;             /* (borrowed) parsed request */
	nua_saved_event_t saved[1];
	bool is_saved;                /* on the heap, owning <saved> */
	char ext[PBX_DEFERRED_EXT_MAX]; /* the user: From or To */
	const char *callid;
	char ip[INET6_ADDRSTRLEN];    /* real source address */
	unsigned port;                /* REGISTER only */
	const char *transport;        /* REGISTER only */
	const char *log_tag;          /* the owner's PBX_LOG_TAG */
	pbx_deferred_user_h *on_user; /* (set by pbx_deferred_fetch()) */
};

/* Answer <req> and let its handle go: the handle was fresh, so there
 * is no dialog to keep. <phrase> must be static (nua_respond keeps the
 * pointer, sofia notes 10.1).
 */
void pbx_deferred_respond(struct pbx_deferred_req *req, int status,
			  const char *phrase, tag_type_t tag,
			  tag_value_t value, ...);

/* The user of <req> (on the caller's stack, inside the request's nua
 * callback) is not cached: save the event, keep a copy of <req> on the
 * heap and look the user up in <users>; <h> gets the copy once the user
 * is read. If PostgreSQL cannot answer, the request gets 503 with
 * Retry-After and <h> is not called; out of memory, 500. The copy is
 * freed when <h> returns: <h> answers it or hands its handle on.
 */
void pbx_deferred_fetch(struct pbx_deferred_req *req,
			struct pbx_users *users, pbx_deferred_user_h *h);

#endif
