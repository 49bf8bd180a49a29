/* tests/unit/check_mod.c - mod/loader.c and mod/registry.c with real
 * shared objects (tests/unit/modtest/): what a module registers shows in
 * the registries and the list, dial targets run through the wrapper
 * chain, bad modules are refused with their reason and leave nothing
 * behind, and unload removes everything. Linked -export-dynamic so the
 * modules resolve the core API (and modtest_log()) against this binary.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include <pbx/cfg.h>
#include <pbx/dp.h>
#include <pbx/log.h>
#include <pbx/mod.h>

#include "mod/registry.h"
#include "rest/modroutes.h"
#include "rest/router.h"

#ifndef PBX_MODTEST_DIR
#error "PBX_MODTEST_DIR must name the directory of mod_modtest.so"
#endif

static struct pbx_cfg cfg;
static char trace[2048];

/* Called by the test modules (and the core resolver below): append one
 * step to <trace>, comma separated.
 */
void modtest_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

void modtest_log(const char *fmt, ...)
{
	size_t len = strlen(trace);
	va_list ap;

	if (len && len < sizeof(trace) - 1)
		trace[len++] = ',';
	va_start(ap, fmt);
	vsnprintf(trace + len, sizeof(trace) - len, fmt, ap);
	va_end(ap);
}

/* Stands for the call core's "user/<ext>" resolver. */
static int core_user(struct pbx_call *call, const char *rest,
		     struct pbx_dial_branches *out, void *arg)
{
	modtest_log("user(%s)", rest);
	return 0;
}

static int spare_f(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	return 0;
}

/* A table to try the Lua name "modtest" with. */
static const struct pbx_dp_func spare_funcs[] = {
	{"f", spare_f, {PBX_ARG_END}, NULL},
	{NULL}
};

static void setup(void)
{
	char err[256];

	pbx_log_setup(PBX_LOG_STDERR, PBX_LOG_ERR);
	ck_assert_int_eq(pbx_cfg_init(&cfg), 0);
	ck_assert_int_eq(pbx_cfg_set(&cfg, "modules.dir", PBX_MODTEST_DIR,
				     err, sizeof(err)), 0);
	ck_assert_int_eq(pbx_mod_builtin_resolver("user", core_user, NULL),
			 0);
	trace[0] = '\0';
}

static void teardown(void)
{
	pbx_mod_unload_all();
	pbx_cfg_free(&cfg);
}

static void set(const char *key, const char *value)
{
	char err[256];

	ck_assert_msg(pbx_cfg_set(&cfg, key, value, err, sizeof(err)) == 0,
		      "%s", err);
}

/* Load modules.load = <list>; pbx_mod_load_all() never fails for a bad
 * module.
 */
static void load(const char *list)
{
	set("modules.load", list);
	ck_assert_int_eq(pbx_mod_load_all(&cfg), 0);
}

/* The list entry of module <name> (borrowed from <list>), or NULL. */
static json_t *entry(json_t *list, const char *name)
{
	size_t i;
	json_t *m;

	json_array_foreach(list, i, m) {
		if (!strcmp(json_string_value(json_object_get(m, "name")),
			    name))
			return m;
	}
	return NULL;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Array <key> of <o> as "a b c". */
static const char *joined(json_t *o, const char *key)
{
	static char buf[256];
	size_t i, len = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(json_object_get(o, key), i, v) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? " " : "", json_string_value(v));
	}
	return buf;
}

static int route(const char *method, const char *path, char *param0)
{
	char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN];
	struct pbx_rest_route r;
	char allow[64];
	int err;

	err = pbx_rest_route_find(method, path, &r, params, allow,
				  sizeof(allow));
	if (!err && param0)
		snprintf(param0, PBX_REST_PARAM_LEN, "%s", params[0]);
	return err;
}

/* Module modtest is fully gone: nothing it could have registered is
 * left (resolver, wrappers, hook, Lua table, routes).
 */
static void expect_nothing_of_modtest(void)
{
	struct pbx_call_event_info ev = { .type = PBX_CALL_EV_HANGUP };

	trace[0] = '\0';
	ck_assert_int_eq(pbx_mod_resolve(NULL, "mt/1", NULL), EINVAL);
	ck_assert_int_eq(pbx_mod_resolve(NULL, "user/1001", NULL), 0);
	pbx_mod_fire(NULL, &ev);
	ck_assert_str_eq(trace, "user(1001)");
	ck_assert_int_eq(route("GET", "/api/v1/modtest/x", NULL), ENOENT);
	/* The Lua table name is free again. */
	ck_assert_int_eq(pbx_dp_register("modtest", spare_funcs), 0);
	pbx_dp_unregister("modtest");
}

START_TEST(mod_load_registers_everything)
{
	json_t *list, *m;

	load("modtest");
	ck_assert_str_eq(trace, "init(0)");

	list = pbx_mod_list_json();
	ck_assert_ptr_nonnull(list);
	ck_assert_uint_eq(json_array_size(list), 1);
	m = entry(list, "modtest");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(str(m, "state"), "loaded");
	ck_assert_str_eq(str(m, "description"), "ABI test module");
	ck_assert_ptr_null(json_object_get(m, "reason"));
	ck_assert_str_eq(joined(m, "resolvers"), "mt");
	ck_assert_str_eq(joined(m, "wrappers"), "mt user");
	ck_assert_int_eq(json_integer_value(json_object_get(m, "hooks")), 1);
	ck_assert_str_eq(joined(m, "dp_functions"), "modtest.ping");
	ck_assert_str_eq(joined(m, "routes"), "GET /api/v1/modtest/{}");
	json_decref(list);

	/* Its Lua table is taken. */
	ck_assert_int_eq(pbx_dp_register("modtest", spare_funcs), EEXIST);
}
END_TEST

START_TEST(mod_resolve_runs_wrapper_chain)
{
	load("modtest");

	/* Last registered first; a wrapper may change <rest>. */
	trace[0] = '\0';
	ck_assert_int_eq(pbx_mod_resolve(NULL, "mt/42", NULL), 0);
	ck_assert_str_eq(trace, "w2(42),w1(42!),r(42!)");

	/* The resolver's errno comes back through the chain. */
	trace[0] = '\0';
	ck_assert_int_eq(pbx_mod_resolve(NULL, "mt/missing", NULL), ENOENT);
	ck_assert_str_eq(trace, "w2(missing),w1(missing!),r(missing!)");

	/* A module wrapper around the core's resolver, deciding alone. */
	trace[0] = '\0';
	ck_assert_int_eq(pbx_mod_resolve(NULL, "user/busy", NULL), 0);
	ck_assert_str_eq(trace, "wu(busy)");
	trace[0] = '\0';
	ck_assert_int_eq(pbx_mod_resolve(NULL, "user/1001", NULL), 0);
	ck_assert_str_eq(trace, "wu(1001),user(1001)");

	/* No prefix, or nobody serving it: EINVAL, nothing runs. */
	trace[0] = '\0';
	ck_assert_int_eq(pbx_mod_resolve(NULL, "1001", NULL), EINVAL);
	ck_assert_int_eq(pbx_mod_resolve(NULL, "/1001", NULL), EINVAL);
	ck_assert_int_eq(pbx_mod_resolve(NULL, "group/x", NULL), EINVAL);
	ck_assert_int_eq(pbx_mod_resolve(NULL, "sip:a@b", NULL), EINVAL);
	ck_assert_int_eq(pbx_mod_resolve(NULL, NULL, NULL), EINVAL);
	ck_assert_str_eq(trace, "");
}
END_TEST

START_TEST(mod_sip_uri_goes_whole_to_sip)
{
	ck_assert_int_eq(pbx_mod_builtin_resolver("sip", core_user, NULL), 0);
	ck_assert_int_eq(pbx_mod_resolve(NULL, "sip:1001@example.com",
					 NULL), 0);
	ck_assert_int_eq(pbx_mod_resolve(NULL, "sips:x@y", NULL), 0);
	ck_assert_str_eq(trace, "user(sip:1001@example.com),user(sips:x@y)");
	ck_assert_int_eq(pbx_mod_builtin_resolver("sip", core_user, NULL),
			 EEXIST);
	ck_assert_int_eq(pbx_mod_builtin_resolver("Bad/x", core_user, NULL),
			 EINVAL);
}
END_TEST

START_TEST(mod_hooks_fire_in_order)
{
	struct pbx_call_event_info ev = { .type = PBX_CALL_EV_BUSY,
					  .sip_code = 486 };

	load("modtest");
	trace[0] = '\0';
	pbx_mod_fire(NULL, &ev);
	ck_assert_str_eq(trace, "h(1)");
}
END_TEST

START_TEST(mod_routes_served)
{
	char id[PBX_REST_PARAM_LEN] = "";
	char params[PBX_REST_PARAMS_MAX][PBX_REST_PARAM_LEN];
	struct pbx_rest_route r;
	char allow[64];

	load("modtest");
	ck_assert_int_eq(route("GET", "/api/v1/modtest/abc", id), 0);
	ck_assert_str_eq(id, "abc");
	ck_assert_int_eq(pbx_rest_route_find("PUT", "/api/v1/modtest/abc",
					     &r, params, allow,
					     sizeof(allow)), EOPNOTSUPP);
	ck_assert_str_eq(allow, "GET");
	ck_assert_int_eq(route("GET", "/api/v1/modtest", NULL), ENOENT);
	ck_assert_int_eq(route("GET", "/api/v1/modtest/a/b", NULL), ENOENT);
	/* The core's routes are still found first. */
	ck_assert_int_eq(route("GET", "/api/v1/users/1001", id), 0);
	ck_assert_str_eq(id, "1001");
	ck_assert_int_eq(route("GET", "/api/v1/modules", NULL), 0);
}
END_TEST

START_TEST(mod_wrong_abi_refused)
{
	json_t *list, *m;

	load("badabi,modtest");
	list = pbx_mod_list_json();
	m = entry(list, "badabi");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(str(m, "state"), "failed");
	ck_assert_ptr_nonnull(strstr(str(m, "reason"), "ABI 2, pbxd has 1"));
	/* pbxd goes on with the others. */
	ck_assert_str_eq(str(entry(list, "modtest"), "state"), "loaded");
	json_decref(list);
}
END_TEST

START_TEST(mod_missing_so_reports_dlerror)
{
	char path[512], want[1024];
	json_t *list, *m;
	void *dl;

	/* The reason is exactly what dlopen says about that path. */
	snprintf(path, sizeof(path), "%s/mod_nosuch.so", PBX_MODTEST_DIR);
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_ptr_null(dl);
	snprintf(want, sizeof(want), "%s", dlerror());

	load("nosuch");
	list = pbx_mod_list_json();
	m = entry(list, "nosuch");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(str(m, "state"), "failed");
	ck_assert_str_eq(str(m, "reason"), want);
	ck_assert_ptr_nonnull(strstr(want, "mod_nosuch.so"));
	ck_assert(json_is_null(json_object_get(m, "description")));
	json_decref(list);
}
END_TEST

START_TEST(mod_missing_symbol_and_misnamed)
{
	json_t *list;

	load("nosym, misnamed");
	list = pbx_mod_list_json();
	ck_assert_str_eq(str(entry(list, "nosym"), "state"), "failed");
	ck_assert_ptr_nonnull(strstr(str(entry(list, "nosym"), "reason"),
				     "pbx_mod_nosym"));
	ck_assert_str_eq(str(entry(list, "misnamed"), "state"), "failed");
	ck_assert_str_eq(str(entry(list, "misnamed"), "reason"),
			 "pbx_mod_misnamed names itself 'other'");
	json_decref(list);
}
END_TEST

START_TEST(mod_init_failure_leaves_nothing)
{
	json_t *list, *m;

	set("mod.modtest.init", "fail");
	load("modtest");
	/* init registered everything before failing. */
	ck_assert_str_eq(trace, "init(5)");

	list = pbx_mod_list_json();
	m = entry(list, "modtest");
	ck_assert_str_eq(str(m, "state"), "failed");
	ck_assert_str_eq(str(m, "reason"), "init failed: Input/output error");
	ck_assert_str_eq(joined(m, "resolvers"), "");
	ck_assert_str_eq(joined(m, "wrappers"), "");
	ck_assert_str_eq(joined(m, "routes"), "");
	ck_assert_str_eq(joined(m, "dp_functions"), "");
	ck_assert_int_eq(json_integer_value(json_object_get(m, "hooks")), 0);
	json_decref(list);
	expect_nothing_of_modtest();
}
END_TEST

START_TEST(mod_declined)
{
	json_t *list, *m;

	set("mod.modtest.init", "decline");
	load("modtest");
	list = pbx_mod_list_json();
	m = entry(list, "modtest");
	ck_assert_str_eq(str(m, "state"), "declined");
	ck_assert_str_eq(str(m, "reason"), "declined by its configuration");
	json_decref(list);
	expect_nothing_of_modtest();
}
END_TEST

START_TEST(mod_unload_removes_everything)
{
	json_t *list;

	load("modtest");
	trace[0] = '\0';
	pbx_mod_unload_all();
	ck_assert_str_eq(trace, "close");
	list = pbx_mod_list_json();
	ck_assert_uint_eq(json_array_size(list), 0);
	json_decref(list);
	/* The core's resolvers go too: re-register as main.c would. */
	ck_assert_int_eq(pbx_mod_resolve(NULL, "user/1", NULL), EINVAL);
	ck_assert_int_eq(pbx_mod_builtin_resolver("user", core_user, NULL),
			 0);
	expect_nothing_of_modtest();

	/* And it loads again. */
	trace[0] = '\0';
	load("modtest");
	ck_assert_str_eq(trace, "init(0)");
}
END_TEST

START_TEST(mod_names_checked)
{
	json_t *list;

	load(" , modtest,../x, Bad, modtest ,");
	ck_assert_int_eq(pbx_mod_load_all(&cfg), EALREADY);
	list = pbx_mod_list_json();
	/* Blanks skipped, the repeat loaded once. */
	ck_assert_uint_eq(json_array_size(list), 3);
	ck_assert_str_eq(str(entry(list, "modtest"), "state"), "loaded");
	ck_assert_str_eq(str(entry(list, "../x"), "state"), "failed");
	ck_assert_ptr_nonnull(strstr(str(entry(list, "Bad"), "reason"),
				     "not a module name"));
	json_decref(list);
}
END_TEST

START_TEST(mod_registration_errors)
{
	/* Wrapping needs a resolver; a resolver prefix is taken once. */
	ck_assert_int_eq(pbx_mod_builtin_resolver("user", core_user, NULL),
			 EEXIST);
	ck_assert_int_eq(pbx_mod_resolver(NULL, "x", core_user, NULL),
			 EINVAL);
	ck_assert_int_eq(pbx_mod_wrapper(NULL, "user", NULL, NULL), EINVAL);
	ck_assert_int_eq(pbx_mod_hook(NULL, NULL, NULL), EINVAL);
}
END_TEST

static Suite *mod_suite(void)
{
	Suite *s = suite_create("mod");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mod_load_registers_everything);
	tcase_add_test(tc, mod_resolve_runs_wrapper_chain);
	tcase_add_test(tc, mod_sip_uri_goes_whole_to_sip);
	tcase_add_test(tc, mod_hooks_fire_in_order);
	tcase_add_test(tc, mod_routes_served);
	tcase_add_test(tc, mod_wrong_abi_refused);
	tcase_add_test(tc, mod_missing_so_reports_dlerror);
	tcase_add_test(tc, mod_missing_symbol_and_misnamed);
	tcase_add_test(tc, mod_init_failure_leaves_nothing);
	tcase_add_test(tc, mod_declined);
	tcase_add_test(tc, mod_unload_removes_everything);
	tcase_add_test(tc, mod_names_checked);
	tcase_add_test(tc, mod_registration_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mod_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
