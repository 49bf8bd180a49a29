/* mod/loader.c - loading modules: dlopen, the ABI check, registering a
 * module's tables (dialplan functions, REST routes), init; and undoing
 * all of it, after a failed init and at unload. Every module that
 * modules.load names keeps a record, loaded or not, so GET
 * /api/v1/modules can say why one is missing. Loop thread only.
 */
#define PBX_LOG_TAG "mod"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/cfg.h>
#include <pbx/dp.h>
#include <pbx/log.h>
#include <pbx/mod.h>

#include "mod/mod_int.h"
#include "mod/registry.h"
#include "rest/modroutes.h"

/* Module names become a file name, a C symbol, a Lua table and a URL
 * segment: keep them to what is safe in all four.
 */
#define NAME_MAX_LEN 31

static struct {
	struct pbx_mod **v;       /* (ref) records, in load order */
	size_t c;
	bool active;              /* pbx_mod_load_all() ran */
} mods;

static const char *const state_names[] = {
	[MOD_LOADING] = "loading",
	[MOD_LOADED] = "loaded",
	[MOD_DECLINED] = "declined",
	[MOD_FAILED] = "failed",
};

/* ---- For modules (pbx/mod.h) ---- */

const char *pbx_mod_name(const struct pbx_mod *mod)
{
	return mod ? mod->name : NULL;
}

const char *pbx_mod_cfg(const struct pbx_mod *mod, const char *key)
{
	if (!mod || !mod->cfg || !key)
		return NULL;
	return pbx_cfg_module_get(mod->cfg, mod->name, key);
}

void *pbx_mod_data(const struct pbx_mod *mod)
{
	return mod ? mod->data : NULL;
}

void pbx_mod_set_data(struct pbx_mod *mod, void *data)
{
	if (mod)
		mod->data = data;
}

/* ---- Records ---- */

static bool name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

static struct pbx_mod *record_find(const char *name)
{
	for (size_t i = 0; i < mods.c; i++) {
		if (!strcmp(mods.v[i]->name, name))
			return mods.v[i];
	}
	return NULL;
}

static void record_free(struct pbx_mod *mod)
{
	free(mod->name);
	free(mod->description);
	free(mod->reason);
	free(mod);
}

/* A new record for <name>, appended to the list; NULL if out of memory. */
static struct pbx_mod *record_new(const char *name,
				  const struct pbx_cfg *cfg)
{
	struct pbx_mod **v, *mod;

	v = realloc(mods.v, (mods.c + 1) * sizeof(*v));
	if (!v)
		return NULL;
	mods.v = v;
	mod = calloc(1, sizeof(*mod));
	if (!mod)
		return NULL;
	mod->name = strdup(name);
	if (!mod->name) {
		free(mod);
		return NULL;
	}
	mod->cfg = cfg;
	mods.v[mods.c++] = mod;
	return mod;
}

static const char *err_text(int err)
{
	static char buf[32];

	if (err > 0 && err < 1000)
		return strerror(err);
	snprintf(buf, sizeof(buf), "error %d", err);
	return buf;
}

/* Record why <mod> is not loaded and log it once, here. */
static void mod_refuse(struct pbx_mod *mod, enum mod_state state,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mod_refuse(struct pbx_mod *mod, enum mod_state state,
		       const char *fmt, ...)
{
	va_list ap;

	free(mod->reason);
	va_start(ap, fmt);
	if (vasprintf(&mod->reason, fmt, ap) < 0)
		mod->reason = NULL;
	va_end(ap);
	mod->state = state;
	if (state == MOD_DECLINED)
		PBX_NOTICE("module %s not loaded: %s", mod->name,
			   mod->reason ? mod->reason : "declined");
	else
		PBX_ERR("module %s not loaded: %s", mod->name,
			mod->reason ? mod->reason : "out of memory");
}

/* Remove everything <mod> registered and unmap it. */
static void mod_undo(struct pbx_mod *mod)
{
	pbx_mod_registry_drop(mod);
	pbx_mod_watch_drop(mod);
	if (mod->dp_registered)
		pbx_dp_unregister(mod->name);
	if (mod->routes_registered)
		pbx_rest_modroutes_remove(mod->name);
	mod->dp_registered = false;
	mod->routes_registered = false;
	if (mod->dl)
		dlclose(mod->dl);
	mod->dl = NULL;
	mod->exp = NULL;
	mod->data = NULL;
}

/* ---- Loading one ---- */

/* dlopen mod_<name>.so and check its export. 0 with mod->dl and
 * mod->exp set, or EINVAL after refusing <mod>.
 */
static int mod_open(struct pbx_mod *mod, const char *dir)
{
	const struct pbx_mod_export *exp;
	char path[PATH_MAX], sym[64];
	const char *dlerr;

	if (snprintf(path, sizeof(path), "%s/mod_%s.so", dir,
		     mod->name) >= (int)sizeof(path)) {
		mod_refuse(mod, MOD_FAILED, "path of modules.dir too long");
		return EINVAL;
	}
	/* RTLD_NOW: an unresolved core symbol fails here, with its name,
	 * rather than in the middle of a call. RTLD_LOCAL: modules never
	 * see each other's symbols (STYLE.md section 1).
	 */
	dlerror();
	mod->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!mod->dl) {
		dlerr = dlerror();
		mod_refuse(mod, MOD_FAILED, "%s", dlerr ? dlerr : path);
		return EINVAL;
	}

	snprintf(sym, sizeof(sym), "pbx_mod_%s", mod->name);
	dlerror();
	exp = dlsym(mod->dl, sym);
	dlerr = dlerror();
	if (dlerr || !exp) {
		mod_refuse(mod, MOD_FAILED, "%s",
			   dlerr ? dlerr : "its export symbol is NULL");
		goto fail;
	}
	/* Only <abi> may be read before it matched: the rest of the
	 * struct may have another layout.
	 */
	if (exp->abi != PBX_MOD_ABI) {
		mod_refuse(mod, MOD_FAILED, "built for module ABI %u, pbxd "
			   "has %u: rebuild it against these headers",
			   exp->abi, PBX_MOD_ABI);
		goto fail;
	}
	if (!exp->name || strcmp(exp->name, mod->name)) {
		mod_refuse(mod, MOD_FAILED, "%s names itself '%.64s'", sym,
			   exp->name ? exp->name : "(null)");
		goto fail;
	}
	mod->exp = exp;
	if (exp->description) {
		mod->description = strdup(exp->description);
		if (!mod->description) {
			mod_refuse(mod, MOD_FAILED, "out of memory");
			goto fail;
		}
	}
	return 0;
 fail:
	dlclose(mod->dl);
	mod->dl = NULL;
	return EINVAL;
}

/* Register the tables of <mod>, then run its init. Refuses <mod> (and
 * undoes everything) on failure.
 */
static void mod_start(struct pbx_mod *mod)
{
	const struct pbx_mod_export *exp = mod->exp;
	int err;

	mod->state = MOD_LOADING;
	if (exp->dp_funcs) {
		err = pbx_dp_register(mod->name, exp->dp_funcs);
		if (err) {
			mod_undo(mod);
			mod_refuse(mod, MOD_FAILED, "dialplan functions: %s",
				   err == EEXIST ? "Lua table taken"
						 : err_text(err));
			return;
		}
		mod->dp_registered = true;
	}
	if (exp->routes) {
		err = pbx_rest_modroutes_add(mod->name, exp->routes);
		if (err) {
			mod_undo(mod);
			mod_refuse(mod, MOD_FAILED, "REST routes: %s",
				   err == EINVAL ? "a route is malformed"
						 : err_text(err));
			return;
		}
		mod->routes_registered = true;
	}

	err = exp->init ? exp->init(mod) : 0;
	if (err) {
		mod_undo(mod);
		if (err == PBX_EDECLINED)
			mod_refuse(mod, MOD_DECLINED,
				   "declined by its configuration");
		else
			mod_refuse(mod, MOD_FAILED, "init failed: %s",
				   err_text(err));
		return;
	}
	mod->state = MOD_LOADED;
	PBX_NOTICE("module %s loaded%s%s", mod->name,
		   mod->description ? ": " : "",
		   mod->description ? mod->description : "");
}

/* Load <name>. Returns 0 whatever became of the module, or ENOMEM when
 * not even its record could be made.
 */
static int load_one(const struct pbx_cfg *cfg, const char *name)
{
	struct pbx_mod *mod;

	if (record_find(name)) {
		PBX_WARN("module %s is named twice in modules.load; "
			 "loaded once", name);
		return 0;
	}
	mod = record_new(name, cfg);
	if (!mod)
		return ENOMEM;
	if (!name_valid(name)) {
		mod_refuse(mod, MOD_FAILED, "not a module name (1 to %d of "
			   "a-z, 0-9 and _)", NAME_MAX_LEN);
		return 0;
	}
	if (!mod_open(mod, cfg->modules_dir ? cfg->modules_dir : "."))
		mod_start(mod);
	return 0;
}

int pbx_mod_load_all(const struct pbx_cfg *cfg)
{
	char *list, *save = NULL, *tok;
	size_t loaded = 0;
	int err = 0;

	if (!cfg)
		return EINVAL;
	if (mods.active)
		return EALREADY;
	mods.active = true;
	if (!cfg->modules_load || !cfg->modules_load[0])
		return 0;

	list = strdup(cfg->modules_load);
	if (!list)
		return ENOMEM;
	for (tok = strtok_r(list, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;

		tok += strspn(tok, " \t");
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok)
			err = load_one(cfg, tok);
	}
	free(list);
	if (err) {
		pbx_mod_unload_all();
		return err;
	}

	for (size_t i = 0; i < mods.c; i++)
		loaded += mods.v[i]->state == MOD_LOADED;
	PBX_INFO("modules: %zu of %zu loaded", loaded, mods.c);
	return 0;
}

void pbx_mod_unload_all(void)
{
	/* Reverse order: a module may wrap what an earlier one serves. */
	for (size_t i = mods.c; i-- > 0;) {
		struct pbx_mod *mod = mods.v[i];

		if (mod->state == MOD_LOADED) {
			if (mod->exp->close)
				mod->exp->close(mod);
			mod_undo(mod);
			PBX_INFO("module %s unloaded", mod->name);
		}
		record_free(mod);
	}
	free(mods.v);
	mods.v = NULL;
	mods.c = 0;
	mods.active = false;
	pbx_mod_registry_clear();
	pbx_mod_watch_clear();
}

/* ---- Listing ---- */

static json_t *dp_names(const struct pbx_mod *mod)
{
	json_t *a = json_array();
	char name[128];

	if (!a || mod->state != MOD_LOADED || !mod->exp->dp_funcs)
		return a;
	for (const struct pbx_dp_func *f = mod->exp->dp_funcs; f->name; f++) {
		snprintf(name, sizeof(name), "%s.%s", mod->name, f->name);
		if (json_array_append_new(a, json_string(name))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* <s> as a JSON string, or null; bytes past ASCII become '?' when <s>
 * is not UTF-8 (a dlerror() naming an odd path must not lose the list).
 */
static json_t *text_json(const char *s)
{
	json_t *j;
	char *copy;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j || !(copy = strdup(s)))
		return j;
	for (char *c = copy; *c; c++) {
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *mod_json(const struct pbx_mod *mod)
{
	json_t *o;

	o = json_pack("{s:s, s:o, s:s, s:o, s:o}",
		      "name", mod->name,
		      "description", text_json(mod->description),
		      "state", state_names[mod->state],
		      "dp_functions", dp_names(mod),
		      "routes", pbx_rest_modroutes_json(mod->name));
	if (!o)
		return NULL;
	if ((mod->state != MOD_LOADED &&
	     json_object_set_new(o, "reason", text_json(mod->reason))) ||
	    pbx_mod_registry_json(mod, o) || pbx_mod_watch_json(mod, o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *pbx_mod_list_json(void)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < mods.c; i++) {
		if (json_array_append_new(a, mod_json(mods.v[i]))) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}
