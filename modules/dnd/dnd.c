/* dnd/dnd.c - mod_dnd: do-not-disturb per extension. A dial to
 * "user/<ext>" with DND on ends busy (486) without ringing. This file
 * is the module's declaration and lifecycle only: the tables below are
 * registered by the loader, init adds the wrapper and the hook.
 */
#define PBX_LOG_TAG "dnd"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <pbx/db.h>
#include <pbx/log.h>
#include <pbx/mod.h>

#include "dnd.h"

static const struct pbx_dp_func dnd_funcs[] = {
	{"get", dnd_dp_get, {PBX_ARG_STR}, "dnd.get(ext) -> bool"},
	{"set", dnd_dp_set, {PBX_ARG_STR, PBX_ARG_BOOL},
	 "dnd.set(ext, on) -> true | nil, errmsg"},
	{NULL}
};

static const struct pbx_rest_route_def dnd_routes[] = {
	{"GET", "", dnd_rest_summary, 0},
	{"GET", "/{}", dnd_rest_get, 0},
	{"PUT", "/{}", dnd_rest_put, PBX_REST_BODY},
	{NULL}
};

/* "mod.dnd.enabled = no" turns the module off without editing
 * modules.load (one config shared by several nodes).
 */
static bool dnd_wanted(struct pbx_mod *mod)
{
	const char *v = pbx_mod_cfg(mod, "enabled");

	return !v || (strcasecmp(v, "no") && strcasecmp(v, "false") &&
		      strcasecmp(v, "off") && strcmp(v, "0"));
}

static int dnd_init(struct pbx_mod *mod)
{
	int err;

	if (!dnd_wanted(mod)) {
		PBX_NOTICE("mod.dnd.enabled is off");
		return PBX_EDECLINED;
	}
	err = pbx_db_watch(mod, "pbx_dnd", dnd_store_note, dnd_store_reload,
			   NULL);
	if (!err)
		err = dnd_store_open();
	if (!err)
		err = pbx_mod_wrapper(mod, "user", dnd_wrap_user, NULL);
	if (!err)
		err = pbx_mod_hook(mod, dnd_hook, NULL);
	/* The loader removes the wrapper and the hook; the set is ours. */
	if (err)
		dnd_store_close();
	return err;
}

static void dnd_close(struct pbx_mod *mod)
{
	dnd_store_close();
}

const struct pbx_mod_export pbx_mod_dnd = {
	.abi = PBX_MOD_ABI,
	.name = "dnd",
	.description = "Do not disturb: dials to user/<ext> end busy",
	.init = dnd_init,
	.close = dnd_close,
	.dp_funcs = dnd_funcs,
	.routes = dnd_routes,
};
