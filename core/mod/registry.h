/* mod/registry.h - the module loader and the registries modules fill
 * (pbx/mod.h), as the rest of the core sees them: main.c loads and
 * unloads, the call core resolves dial targets and fires call events,
 * REST lists the modules. Loop thread only.
 */
#ifndef PBX_MOD_REGISTRY_H
#define PBX_MOD_REGISTRY_H

#include <stdbool.h>

#include <jansson.h>

#include <pbx/call.h>
#include <pbx/cfg.h>
#include <pbx/dial.h>

/* Load every module named in cfg->modules_load (comma separated) from
 * cfg->modules_dir, in that order. A module that cannot be loaded (no
 * file, no symbol, another ABI, init failed) is logged with the reason,
 * recorded as failed and left out; one whose init declines is recorded
 * as declined. <cfg> is borrowed until pbx_mod_unload_all(). Returns 0,
 * EALREADY if called twice, or ENOMEM (then nothing stays loaded).
 */
int pbx_mod_load_all(const struct pbx_cfg *cfg);

/* Close and remove every module in reverse load order, then empty the
 * registries, the core's own resolvers included. After the REST server
 * stopped and the database queue drained (modules' completions must run
 * while their code is still mapped). Safe to call twice.
 */
void pbx_mod_unload_all(void);

/* The core's own resolvers ("user", "sip"), registered at start-up
 * before the modules load (so modules can wrap them). EEXIST if
 * <prefix> is taken, EINVAL, ENOMEM.
 */
int pbx_mod_builtin_resolver(const char *prefix, pbx_dial_resolver_h *h,
			     void *arg);

/* Resolve <target>: "<prefix>/<rest>", or a "sip:"/"sips:" URI (prefix
 * "sip", rest the whole URI). Runs the prefix's wrappers, last
 * registered first, then its resolver, and returns what that chain
 * returned (0, ENOENT, EINVAL... see pbx/dial.h). EINVAL without
 * calling anything when <target> has no prefix or no resolver serves it.
 */
int pbx_mod_resolve(struct pbx_call *call, const char *target,
		    struct pbx_dial_branches *out);

/* Call every hook with <ev>, in registration order. */
void pbx_mod_fire(struct pbx_call *call,
		  const struct pbx_call_event_info *ev);

/* A notification on <channel> (main.c's LISTEN handler): to the modules
 * watching it. False if none does.
 */
bool pbx_mod_watch_notify(const char *channel, const char *payload);

/* Notifications may have been lost: every watching module reloads. */
void pbx_mod_watch_reload(void);

/* The modules for GET /api/v1/modules, in load order: [{"name",
 * "description", "state": "loaded"|"declined"|"failed", "reason" (when
 * not loaded), "resolvers", "wrappers", "hooks", "dp_functions",
 * "routes", "watches"}]. NULL if out of memory.
 */
json_t *pbx_mod_list_json(void);

#endif
