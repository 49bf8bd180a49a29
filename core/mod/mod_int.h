/* mod/mod_int.h - glue between the loader (loader.c) and the registries
 * (registry.c); not for other callers.
 */
#ifndef PBX_MOD_MOD_INT_H
#define PBX_MOD_MOD_INT_H

#include <stdbool.h>

#include <jansson.h>

#include <pbx/cfg.h>
#include <pbx/mod.h>

enum mod_state {
	MOD_LOADING = 0,          /* tables registered, init running */
	MOD_LOADED,
	MOD_DECLINED,             /* init returned PBX_EDECLINED */
	MOD_FAILED,               /* see <reason> */
};

struct pbx_mod {
	char *name;                           /* (ref) from modules.load */
	char *description;                    /* (ref) copied, or NULL */
	char *reason;                         /* (ref) why not loaded */
	enum mod_state state;
	void *dl;                             /* (ref) dlopen handle */
	const struct pbx_mod_export *exp;     /* (borrowed) in <dl> */
	const struct pbx_cfg *cfg;            /* (borrowed) */
	void *data;                           /* (borrowed) the module's */
	bool dp_registered;                   /* pbx_dp_register() done */
	bool routes_registered;               /* REST routes added */
};

/* Remove every resolver, wrapper and hook <mod> registered. */
void pbx_mod_registry_drop(const struct pbx_mod *mod);

/* Remove everything, the core's own resolvers included. */
void pbx_mod_registry_clear(void);

/* Add <mod>'s "resolvers", "wrappers" (prefixes) and "hooks" (a count)
 * to <obj>. 0 or ENOMEM.
 */
int pbx_mod_registry_json(const struct pbx_mod *mod, json_t *obj);

/* mod/watch.c: forget <mod>'s channels (its handlers are not called
 * again; the LISTEN itself stays, harmless); forget every channel; add
 * <mod>'s "watches" (channel names) to <obj> (0 or ENOMEM).
 */
void pbx_mod_watch_drop(const struct pbx_mod *mod);
void pbx_mod_watch_clear(void);
int pbx_mod_watch_json(const struct pbx_mod *mod, json_t *obj);

#endif
