/* sip/leg_int.h - the leg's entry points for the rest of core/sip/
 * (Sofia-SIP types): sipua.c routes events, invite.c hands over the
 * caller's INVITE.
 */
#ifndef PBX_SIP_LEG_INT_H
#define PBX_SIP_LEG_INT_H

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

#include "sip/leg.h"

/* The stack legs use, and the host part of the From of our INVITEs. */
void pbx_leg_setup(nua_t *nua, const char *domain);

/* Make the caller's INVITE on handle <nh> (not yet answered) a leg
 * owned by <owner>. Returns 0 or ENOMEM (the caller then answers 500).
 */
int pbx_leg_accept(struct pbx_leg **legp, nua_handle_t *nh,
		   const sip_t *sip, pbx_leg_event_h *h, void *owner);

/* A nua event on a handle bound to <leg>. */
void pbx_leg_on_event(nua_event_t ev, int status, nua_handle_t *nh,
		      struct pbx_leg *leg, const sip_t *sip, tagi_t tags[]);

#endif
