/* sip/registrar.h - REGISTER handling (RFC 3261 section 10.3): digest
 * authentication against the user cache, then bindings in the location
 * table. Loop thread only.
 */
#ifndef PBX_SIP_REGISTRAR_H
#define PBX_SIP_REGISTRAR_H

#include <pbx/cfg.h>

struct pbx_registrar;
struct pbx_users;
struct pbx_location;

/* <users> and <loc> are borrowed and must outlive the registrar. */
int pbx_registrar_alloc(struct pbx_registrar **regp,
			const struct pbx_cfg *cfg, struct pbx_users *users,
			struct pbx_location *loc);

/* Take the reloadable settings of <cfg> (SIGHUP). 0 or EIO. */
int pbx_registrar_config(struct pbx_registrar *reg,
			 const struct pbx_cfg *cfg);

void pbx_registrar_free(struct pbx_registrar *reg);

#endif
