/* sip/invite.h - intake of new INVITEs, for sipua.c. */
#ifndef PBX_SIP_INVITE_H
#define PBX_SIP_INVITE_H

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

struct pbx_registrar;

/* Max-Forwards of the INVITEs pbxd sends for calls whose INVITE had
 * none (call.max_forwards).
 */
void pbx_invite_config(unsigned max_forwards);

/* A new INVITE on the fresh handle <nh>: refuse it, challenge it, or
 * hand it to the call core; now or once its user is read. Takes <nh>.
 */
void pbx_invite_handle(struct pbx_registrar *reg, nua_t *nua,
		       nua_handle_t *nh, const sip_t *sip);

#endif
