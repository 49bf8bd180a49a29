/* sip/deferred.c - answering a REGISTER or INVITE whose user is not
 * cached: the event is saved and answered when PostgreSQL returns the
 * row. Shared by registrar.c and invite.c, which own what the answer is.
 */
#include <stdlib.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tagarg.h>

#include <pbx/log.h>

#include "db/users.h"
#include "sip/deferred.h"

void pbx_deferred_respond(struct pbx_deferred_req *req, int status,
			  const char *phrase, tag_type_t tag,
			  tag_value_t value, ...)
{
	ta_list ta;

	ta_start(ta, tag, value);
	nua_respond(req->nh, status, phrase, NUTAG_WITH(req->msg),
		    ta_tags(ta));
	(void)ta_end(ta);
	nua_handle_destroy(req->nh);
	req->nh = NULL;
}

static void req_free(struct pbx_deferred_req *req)
{
	if (req->is_saved) {
		nua_destroy_event(req->saved);
		free(req);
	}
}

static void on_user(const struct pbx_user *user, int err, void *arg)
{
	struct pbx_deferred_req *req = arg;

	if (!user) {
		/* Under the owner's tag: the line reads as the registrar's
		 * or the INVITE intake's.
		 */
		if (PBX_LOG_WARN <= pbx_log_level_cur)
			pbx_log_write(PBX_LOG_WARN, req->log_tag, req->callid,
				      "user %s: database unavailable",
				      req->ext);
		pbx_deferred_respond(req, SIP_503_SERVICE_UNAVAILABLE,
				     SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
	} else {
		req->on_user(req, user);
	}
	req_free(req);
}

void pbx_deferred_fetch(struct pbx_deferred_req *req,
			struct pbx_users *users, pbx_deferred_user_h *h)
{
	struct pbx_deferred_req *heap = malloc(sizeof(*heap));

	if (!heap) {
		pbx_deferred_respond(req, SIP_500_INTERNAL_SERVER_ERROR,
				     TAG_END());
		return;
	}
	*heap = *req;
	heap->on_user = h;
	heap->is_saved = true;
	/* The request lives only as long as this nua callback: keep the
	 * event, and point at its copy of the message.
	 */
	nua_save_event(req->nua, heap->saved);
	heap->msg = nua_saved_event_request(heap->saved);
	heap->sip = sip_object(heap->msg);
	heap->callid = heap->sip->sip_call_id->i_id;
	if (pbx_users_fetch(users, heap->ext, on_user, heap)) {
		pbx_deferred_respond(heap, SIP_503_SERVICE_UNAVAILABLE,
				     SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
		req_free(heap);
	}
}
