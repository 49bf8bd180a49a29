/* unit/modtest/mod_modtest.c - a test-only module exercising the ABI
 * (check_mod.c): a resolver and two wrappers for "mt", a wrapper around
 * the core's "user", a hook, a dialplan function and a REST route. What
 * they run is written to modtest_log(), which the test binary exports.
 * mod.modtest.init = fail | decline makes init fail after registering
 * everything, or decline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pbx/mod.h>

/* In check_mod.c, resolved against the test binary at dlopen. */
void modtest_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int mt_resolve(struct pbx_call *call, const char *rest,
		      struct pbx_dial_branches *out, void *arg)
{
	modtest_log("r(%s)", rest);
	return strncmp(rest, "missing", 7) ? 0 : ENOENT;
}

/* Registered first, so it runs second: passes <rest> on. */
static int mt_wrap1(struct pbx_call *call, const char *rest,
		    struct pbx_dial_branches *out,
		    const struct pbx_dial_next *next, void *arg)
{
	modtest_log("w1(%s)", rest);
	return pbx_dial_next(next, call, rest, out);
}

/* Registered last, so it runs first: changes <rest>. */
static int mt_wrap2(struct pbx_call *call, const char *rest,
		    struct pbx_dial_branches *out,
		    const struct pbx_dial_next *next, void *arg)
{
	char changed[64];

	modtest_log("w2(%s)", rest);
	snprintf(changed, sizeof(changed), "%s!", rest);
	return pbx_dial_next(next, call, changed, out);
}

/* Around "user": decides "busy" alone, like do-not-disturb. */
static int mt_wrap_user(struct pbx_call *call, const char *rest,
			struct pbx_dial_branches *out,
			const struct pbx_dial_next *next, void *arg)
{
	modtest_log("wu(%s)", rest);
	if (!strcmp(rest, "busy"))
		return 0;
	return pbx_dial_next(next, call, rest, out);
}

static void mt_hook(struct pbx_call *call,
		    const struct pbx_call_event_info *ev, void *arg)
{
	modtest_log("h(%d)", (int)ev->type);
}

static int mt_ping(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	pbx_dp_ret_bool(ctx, true);
	return 0;
}

static int mt_rest_get(struct pbx_rest_req *req)
{
	return pbx_rest_reply(req, 200, json_pack("{s:s}", "id",
						  pbx_rest_param(req, 0)));
}

static int mt_init(struct pbx_mod *mod)
{
	const char *mode = pbx_mod_cfg(mod, "init");
	int err;

	if (mode && !strcmp(mode, "decline"))
		return PBX_EDECLINED;
	err = pbx_mod_resolver(mod, "mt", mt_resolve, NULL);
	if (!err)
		err = pbx_mod_wrapper(mod, "mt", mt_wrap1, NULL);
	if (!err)
		err = pbx_mod_wrapper(mod, "mt", mt_wrap2, NULL);
	if (!err)
		err = pbx_mod_wrapper(mod, "user", mt_wrap_user, NULL);
	if (!err)
		err = pbx_mod_hook(mod, mt_hook, NULL);
	if (!err && mode && !strcmp(mode, "fail"))
		err = EIO;
	modtest_log("init(%d)", err);
	return err;
}

static void mt_close(struct pbx_mod *mod)
{
	modtest_log("close");
}

static const struct pbx_dp_func mt_funcs[] = {
	{"ping", mt_ping, {PBX_ARG_END}, "modtest.ping() -> true"},
	{NULL}
};

static const struct pbx_rest_route_def mt_routes[] = {
	{"GET", "/{}", mt_rest_get, 0},
	{NULL}
};

const struct pbx_mod_export pbx_mod_modtest = {
	.abi = PBX_MOD_ABI,
	.name = "modtest",
	.description = "ABI test module",
	.init = mt_init,
	.close = mt_close,
	.dp_funcs = mt_funcs,
	.routes = mt_routes,
};
