/* sip/registrar_int.h - the registrar's entry point for sipua.c. */
#ifndef PBX_SIP_REGISTRAR_INT_H
#define PBX_SIP_REGISTRAR_INT_H

#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

struct pbx_registrar;

/* A REGISTER arrived on the fresh handle <nh>; answer it now or, when
 * the user must be read from PostgreSQL, later. Takes <nh> over.
 */
void pbx_registrar_handle(struct pbx_registrar *reg, nua_t *nua,
			  nua_handle_t *nh, const sip_t *sip);

#endif
