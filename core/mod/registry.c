/* mod/registry.c - dial-target resolvers by prefix, the wrapper chains
 * around them, and call-event hooks: what pbx/mod.h registers and the
 * call core uses. Loop thread only, so no locks: REST reads it through
 * pbx_loop_call(). pbx_dial_next() lives here too, against the one
 * prefix per file rule, because it walks this file's chains.
 */
#define PBX_LOG_TAG "mod"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/dial.h>
#include <pbx/log.h>
#include <pbx/mod.h>

#include "mod/mod_int.h"
#include "mod/registry.h"

#define PREFIX_MAX 31

struct wrap {
	pbx_dial_wrapper_h *h;
	void *arg;
	const struct pbx_mod *owner;          /* (borrowed) */
};

/* Everything registered for one prefix. The prefix stays while it has a
 * resolver or a wrapper.
 */
struct prefix {
	struct prefix *next;
	char name[PREFIX_MAX + 1];
	pbx_dial_resolver_h *h;               /* NULL: none (yet) */
	void *arg;
	const struct pbx_mod *owner;          /* (borrowed) NULL: core */
	struct wrap *wrapv;                   /* (ref) registration order */
	size_t wrapc;
};

struct hook {
	pbx_call_hook_h *h;
	void *arg;
	const struct pbx_mod *owner;          /* (borrowed) */
};

/* Where a wrapper's pbx_dial_next() leads: the <below> wrappers
 * registered before it, then the resolver.
 */
struct pbx_dial_next {
	const struct prefix *p;
	size_t below;
};

static struct {
	struct prefix *prefixes;              /* (ref) */
	struct hook *hookv;                   /* (ref) registration order */
	size_t hookc;
} reg;

/* ---- Prefixes ---- */

static bool prefix_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > PREFIX_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static struct prefix *prefix_find(const char *name, size_t len)
{
	for (struct prefix *p = reg.prefixes; p; p = p->next) {
		if (strlen(p->name) == len && !memcmp(p->name, name, len))
			return p;
	}
	return NULL;
}

static struct prefix *prefix_get(const char *name)
{
	struct prefix *p = prefix_find(name, strlen(name));

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	/* Length checked by prefix_valid(). */
	memcpy(p->name, name, strlen(name) + 1);
	p->next = reg.prefixes;
	reg.prefixes = p;
	return p;
}

/* Unlink and free the prefixes left with neither resolver nor wrapper. */
static void prefixes_prune(void)
{
	struct prefix **pp = &reg.prefixes;

	while (*pp) {
		struct prefix *p = *pp;

		if (p->h || p->wrapc) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		free(p->wrapv);
		free(p);
	}
}

static int add_resolver(const struct pbx_mod *owner, const char *prefix,
			pbx_dial_resolver_h *h, void *arg)
{
	struct prefix *p;

	if (!prefix_valid(prefix) || !h)
		return EINVAL;
	p = prefix_get(prefix);
	if (!p)
		return ENOMEM;
	if (p->h)
		return EEXIST;
	p->h = h;
	p->arg = arg;
	p->owner = owner;
	return 0;
}

int pbx_mod_builtin_resolver(const char *prefix, pbx_dial_resolver_h *h,
			     void *arg)
{
	return add_resolver(NULL, prefix, h, arg);
}

int pbx_mod_resolver(struct pbx_mod *mod, const char *prefix,
		     pbx_dial_resolver_h *h, void *arg)
{
	if (!mod)
		return EINVAL;
	return add_resolver(mod, prefix, h, arg);
}

int pbx_mod_wrapper(struct pbx_mod *mod, const char *prefix,
		    pbx_dial_wrapper_h *h, void *arg)
{
	struct prefix *p;
	struct wrap *v;

	if (!mod || !prefix_valid(prefix) || !h)
		return EINVAL;
	p = prefix_find(prefix, strlen(prefix));
	if (!p || !p->h)
		return ENOENT;
	v = realloc(p->wrapv, (p->wrapc + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	p->wrapv = v;
	v[p->wrapc++] = (struct wrap){ h, arg, mod };
	return 0;
}

int pbx_mod_hook(struct pbx_mod *mod, pbx_call_hook_h *h, void *arg)
{
	struct hook *v;

	if (!mod || !h)
		return EINVAL;
	v = realloc(reg.hookv, (reg.hookc + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	reg.hookv = v;
	v[reg.hookc++] = (struct hook){ h, arg, mod };
	return 0;
}

/* ---- Unregistering ---- */

void pbx_mod_registry_drop(const struct pbx_mod *mod)
{
	size_t i, n;

	for (struct prefix *p = reg.prefixes; p; p = p->next) {
		if (p->h && p->owner == mod) {
			p->h = NULL;
			p->arg = NULL;
			p->owner = NULL;
		}
		for (i = n = 0; i < p->wrapc; i++) {
			if (p->wrapv[i].owner != mod)
				p->wrapv[n++] = p->wrapv[i];
		}
		p->wrapc = n;
	}
	prefixes_prune();

	for (i = n = 0; i < reg.hookc; i++) {
		if (reg.hookv[i].owner != mod)
			reg.hookv[n++] = reg.hookv[i];
	}
	reg.hookc = n;
}

void pbx_mod_registry_clear(void)
{
	for (struct prefix *p = reg.prefixes; p; p = p->next) {
		p->h = NULL;
		p->wrapc = 0;
	}
	prefixes_prune();
	free(reg.hookv);
	reg.hookv = NULL;
	reg.hookc = 0;
}

/* ---- Resolving and firing ---- */

/* Run the chain of <p> from the wrapper below <below>. */
static int chain_run(const struct prefix *p, size_t below,
		     struct pbx_call *call, const char *rest,
		     struct pbx_dial_branches *out)
{
	const struct wrap *w;
	struct pbx_dial_next next;

	if (below == 0)
		return p->h ? p->h(call, rest, out, p->arg) : EINVAL;
	w = &p->wrapv[below - 1];
	next.p = p;
	next.below = below - 1;
	return w->h(call, rest, out, &next, w->arg);
}

int pbx_dial_next(const struct pbx_dial_next *next, struct pbx_call *call,
		  const char *rest, struct pbx_dial_branches *out)
{
	if (!next || !rest)
		return EINVAL;
	return chain_run(next->p, next->below, call, rest, out);
}

int pbx_mod_resolve(struct pbx_call *call, const char *target,
		    struct pbx_dial_branches *out)
{
	const struct prefix *p;
	const char *slash, *rest;
	size_t len;

	if (!target)
		return EINVAL;
	/* A SIP URI is its own target: the "sip" resolver gets all of it
	 * (RFC 3261 19.1: the scheme is part of the URI).
	 */
	if (!strncmp(target, "sip:", 4) || !strncmp(target, "sips:", 5)) {
		p = prefix_find("sip", 3);
		rest = target;
	} else {
		slash = strchr(target, '/');
		if (!slash || slash == target)
			return EINVAL;
		len = (size_t)(slash - target);
		p = prefix_find(target, len);
		rest = slash + 1;
	}
	if (!p || !p->h)
		return EINVAL;
	return chain_run(p, p->wrapc, call, rest, out);
}

void pbx_mod_fire(struct pbx_call *call,
		  const struct pbx_call_event_info *ev)
{
	/* By index: a hook may register another (reallocating the
	 * array); the new one then sees the next event.
	 */
	size_t n = reg.hookc;

	if (!ev)
		return;
	for (size_t i = 0; i < n && i < reg.hookc; i++)
		reg.hookv[i].h(call, ev, reg.hookv[i].arg);
}

/* ---- Listing ---- */

int pbx_mod_registry_json(const struct pbx_mod *mod, json_t *obj)
{
	json_t *res = json_array(), *wraps = json_array();
	json_int_t hooks = 0;
	int err = 0;

	if (!res || !wraps) {
		err = ENOMEM;
		goto out;
	}
	for (const struct prefix *p = reg.prefixes; p; p = p->next) {
		bool wrapped = false;

		if (p->h && p->owner == mod &&
		    json_array_append_new(res, json_string(p->name)))
			err = ENOMEM;
		for (size_t i = 0; i < p->wrapc; i++)
			wrapped |= p->wrapv[i].owner == mod;
		if (wrapped &&
		    json_array_append_new(wraps, json_string(p->name)))
			err = ENOMEM;
	}
	for (size_t i = 0; i < reg.hookc; i++)
		hooks += reg.hookv[i].owner == mod;
	if (!err &&
	    (json_object_set(obj, "resolvers", res) ||
	     json_object_set(obj, "wrappers", wraps) ||
	     json_object_set_new(obj, "hooks", json_integer(hooks))))
		err = ENOMEM;
 out:
	json_decref(res);
	json_decref(wraps);
	return err;
}
