/* sip/authguard.h - counts failed authentications per source address
 * and refuses a source that keeps failing, for a while. Loop thread.
 */
#ifndef PBX_SIP_AUTHGUARD_H
#define PBX_SIP_AUTHGUARD_H

#include <stdbool.h>
#include <time.h>

struct pbx_authguard;

/* <limit> failures within <window> seconds block the source for
 * <block> seconds; <limit> 0 never blocks.
 */
int pbx_authguard_alloc(struct pbx_authguard **gp, unsigned limit,
			unsigned window, unsigned block);
void pbx_authguard_config(struct pbx_authguard *g, unsigned limit,
			  unsigned window, unsigned block);
void pbx_authguard_free(struct pbx_authguard *g);

/* True while <ip> is refused. */
bool pbx_authguard_blocked(struct pbx_authguard *g, const char *ip,
			   time_t now);

/* Count one failure; true if it just got <ip> blocked. */
bool pbx_authguard_failed(struct pbx_authguard *g, const char *ip,
			  time_t now);

/* Forget sources whose window and block have passed. */
void pbx_authguard_expire(struct pbx_authguard *g, time_t now);

#endif
