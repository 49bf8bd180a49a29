/* pbx/mod.h - the module ABI (DESIGN.md section 6, STYLE.md section 2).
 * A module is mod_<name>.so in modules.dir exporting one constant
 * struct pbx_mod_export named pbx_mod_<name>. The loader checks its ABI,
 * registers its tables (dialplan functions, REST routes), then runs its
 * init, which may register dial resolvers, wrappers and call-event hooks
 * through the functions below. At unload the loader runs close, then
 * removes everything the module registered, tables and init's
 * registrations alike, so close only frees what init allocated.
 * Loop thread only (init and close run there).
 */
#ifndef PBX_MOD_H
#define PBX_MOD_H

#include <stddef.h>

#include <pbx/call.h>
#include <pbx/dial.h>
#include <pbx/dp.h>
#include <pbx/rest.h>

/* Bumped whenever a public struct or signature changes: a module built
 * against another value is refused ("ABI 2, pbxd has 1").
 */
#define PBX_MOD_ABI 1

/* init's "off by configuration": logged at notice, start-up goes on and
 * GET /api/v1/modules lists the module as "declined".
 */
#define PBX_EDECLINED 1001

struct pbx_mod;           /* a loaded module, as the loader keeps it */

struct pbx_mod_export {
	unsigned abi;                     /* PBX_MOD_ABI; first, always */
	const char *name;                 /* "dnd": matches pbx_mod_<name> */
	const char *description;          /* one line, GET /api/v1/modules */
	/* 0, PBX_EDECLINED or an errno; on anything but 0 the loader
	 * removes what was registered and close is not called, so init
	 * frees what it allocated before failing. NULL: nothing to do.
	 */
	int (*init)(struct pbx_mod *mod);
	void (*close)(struct pbx_mod *mod);      /* NULL: nothing to do */
	const struct pbx_dp_func *dp_funcs;      /* NULL-name ended, or NULL:
						  * Lua table <name> */
	const struct pbx_rest_route_def *routes; /* NULL-method ended, or NULL:
						  * /api/v1/<name>... */
};

/* The module's name ("dnd"), borrowed for the module's life. */
const char *pbx_mod_name(const struct pbx_mod *mod);

/* The module's own settings, "mod.<name>.<key> = value" in pbxd.conf;
 * NULL when not set. Borrowed; read them in init (a SIGHUP does not
 * change what a running module sees).
 */
const char *pbx_mod_cfg(const struct pbx_mod *mod, const char *key);

/* The module's private state (NULL until set). */
void *pbx_mod_data(const struct pbx_mod *mod);
void pbx_mod_set_data(struct pbx_mod *mod, void *data);

/* Serve dial targets "<prefix>/<rest>" with <h>. <prefix> is 1 to 31
 * of [a-z0-9_-]. EEXIST if taken, EINVAL, ENOMEM.
 */
int pbx_mod_resolver(struct pbx_mod *mod, const char *prefix,
		     pbx_dial_resolver_h *h, void *arg);

/* Wrap the resolver of <prefix> (the last wrapper registered runs
 * first; pbx_dial_next() calls the one below, down to the resolver).
 * ENOENT if no resolver serves <prefix>, EINVAL, ENOMEM.
 */
int pbx_mod_wrapper(struct pbx_mod *mod, const char *prefix,
		    pbx_dial_wrapper_h *h, void *arg);

/* Call <h> for every call event (pbx/call.h enum pbx_call_event), after
 * the hooks registered before it. Must not block. EINVAL, ENOMEM.
 */
typedef void (pbx_call_hook_h)(struct pbx_call *call,
			       const struct pbx_call_event_info *ev,
			       void *arg);
int pbx_mod_hook(struct pbx_mod *mod, pbx_call_hook_h *h, void *arg);

#endif
