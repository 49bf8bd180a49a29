/* sip/sip_int.h - shared inside core/sip/ only (Sofia-SIP types). */
#ifndef PBX_SIP_SIP_INT_H
#define PBX_SIP_SIP_INT_H

#include <arpa/inet.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/su_wait.h>

su_root_t *pbx_sip_root(void);

/* Our Supported option tags besides "timer" (RFC 4028), which a dialog
 * without session timers leaves out.
 */
#define PBX_SIP_SUPPORTED_NO_TIMER "path"

/* The real source of request <msg>: address into <ip>, and (when not
 * NULL) port and "udp" or "tcp". <ip> is "" when unknown.
 */
void pbx_sip_source(msg_t *msg, char ip[INET6_ADDRSTRLEN], unsigned *portp,
		    const char **transportp);

#endif
