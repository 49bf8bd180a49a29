/* sip/sip_int.h - shared inside core/sip/ only (Sofia-SIP types). */
#ifndef PBX_SIP_SIP_INT_H
#define PBX_SIP_SIP_INT_H

#include <sofia-sip/su_wait.h>

su_root_t *pbx_sip_root(void);

#endif
