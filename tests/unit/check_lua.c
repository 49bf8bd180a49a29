/* tests/unit/check_lua.c - the Lua dialplan layer (core/lua/): loading
 * and reloading files, the sandbox, the instruction and memory limits,
 * module functions through pbx_dp_register(), and route() on real calls
 * of the call core (made without SIP: no caller leg) driven by the real
 * loop. Scripts report what they saw through a test module table "t".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <pbx/cfg.h>
#include <pbx/dial.h>
#include <pbx/dp.h>
#include <pbx/log.h>
#include <pbx/loop.h>

#include "call/call_int.h"
#include "lua/dialplan.h"
#include "mod/registry.h"
#include "sip/sip.h"
#include "util/strmap.h"

#define MARKS_MAX 32

static struct pbx_cfg cfg;
static char dir[64];
static char err[1024];
static char *marks[MARKS_MAX];
static unsigned nmarks;
static struct pbx_timer *stop_timer;

/* ---- The test module: t.mark(s) records, m.* exercise the binder ---- */

static int t_mark(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	if (nmarks < MARKS_MAX)
		marks[nmarks++] = strdup(argv[0].s);
	return 0;
}

static const struct pbx_dp_func t_funcs[] = {
	{"mark", t_mark, {PBX_ARG_STR}, "t.mark(s)"},
	{NULL, NULL, {0}, NULL}
};

static int m_add(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	pbx_dp_ret_int(ctx, argv[0].i + argv[1].i);
	return 0;
}

static int m_greet(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "hello %s%s%s", argv[0].s,
		 argv[1].s ? " " : "", argv[1].s ? argv[1].s : "");
	pbx_dp_ret_str(ctx, buf);
	return 0;
}

static int m_flag(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	pbx_dp_ret_bool(ctx, !argv[0].b);
	return 0;
}

static int m_fail(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	pbx_dp_errmsg(ctx, "custom failure %d", 7);
	return EPERM;
}

static int m_fail2(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	return ENOENT;
}

static int m_multi(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	pbx_dp_ret_str(ctx, "s");
	pbx_dp_ret_int(ctx, 42);
	pbx_dp_ret_bool(ctx, true);
	pbx_dp_ret_nil(ctx);
	return 0;
}

static int m_nothing(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	return 0;
}

static int m_optint(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	pbx_dp_ret_int(ctx, argv[0].i);
	return 0;
}

/* Hangs the call up from module code, as a module may. */
static int m_end(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	pbx_call_hangup(argv[0].call, 403);
	return 0;
}

static const struct pbx_dp_func m_funcs[] = {
	{"add", m_add, {PBX_ARG_INT, PBX_ARG_INT}, NULL},
	{"greet", m_greet, {PBX_ARG_STR, PBX_ARG_OPT_STR}, NULL},
	{"flag", m_flag, {PBX_ARG_BOOL}, NULL},
	{"fail", m_fail, {0}, NULL},
	{"fail2", m_fail2, {0}, NULL},
	{"multi", m_multi, {0}, NULL},
	{"nothing", m_nothing, {0}, NULL},
	{"optint", m_optint, {PBX_ARG_OPT_INT}, NULL},
	{"end_call", m_end, {PBX_ARG_CALL}, NULL},
	{NULL, NULL, {0}, NULL}
};

/* ---- Fixture ---- */

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/pbxluaXXXXXX",
		 tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(pbx_cfg_init(&cfg), 0);
	ck_assert_int_eq(pbx_cfg_set(&cfg, "paths.dialplans", dir, err,
				     sizeof(err)), 0);
	ck_assert_int_eq(pbx_cfg_set(&cfg, "call.dialplan", "dp.lua", err,
				     sizeof(err)), 0);
	cfg.lua_max_instructions = 100000;
	pbx_log_setup(PBX_LOG_STDERR, PBX_LOG_ERR);
	ck_assert_int_eq(pbx_dp_register("t", t_funcs), 0);
	ck_assert_int_eq(pbx_dp_register("m", m_funcs), 0);
	err[0] = '\0';
	nmarks = 0;
}

static void teardown(void)
{
	char path[128];

	pbx_lua_close();
	pbx_dp_unregister("t");
	pbx_dp_unregister("m");
	pbx_cfg_free(&cfg);
	for (unsigned i = 0; i < nmarks; i++)
		free(marks[i]);
	nmarks = 0;
	snprintf(path, sizeof(path), "%s/dp.lua", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/other.lua", dir);
	unlink(path);
	rmdir(dir);
}

static void write_named(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void write_dp(const char *text)
{
	write_named("dp.lua", text);
}

static int open_dp(const char *text)
{
	write_dp(text);
	return pbx_lua_open(&cfg, err, sizeof(err));
}

/* Open <text>, expecting <e> and an error that starts with <prefix>. */
static void open_bad(const char *text, int e, const char *prefix)
{
	ck_assert_int_eq(open_dp(text), e);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)),
		      "error \"%s\", expected \"%s...\"", err, prefix);
}

/* dialplans/default.lua of the source tree: $PBX_SRCDIR (make check),
 * else found from where this file was compiled.
 */
static void default_lua(char *path, size_t sz)
{
	static const char tail[] = "tests/unit/check_lua.c";
	const char *src = getenv("PBX_SRCDIR");
	size_t n = strlen(__FILE__);

	if (src)
		snprintf(path, sz, "%s/dialplans/default.lua", src);
	else if (n > sizeof(tail) - 1)
		snprintf(path, sz, "%.*sdialplans/default.lua",
			 (int)(n - (sizeof(tail) - 1)), __FILE__);
	else
		snprintf(path, sz, "../dialplans/default.lua");
}

static void marks_are(unsigned n, ...)
{
	va_list ap;

	ck_assert_msg(nmarks == n, "%u marks, expected %u (first: %s)",
		      nmarks, n, nmarks ? marks[0] : "-");
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_str_eq(marks[i], va_arg(ap, const char *));
	va_end(ap);
}

/* ---- 1. Loading and reloading ---- */

START_TEST(lua_1_1_load_good)
{
	struct pbx_lua_stats st;
	char want[128];

	ck_assert_int_eq(open_dp("t.mark('top')\n"
				 "function route(call) end\n"), 0);
	ck_assert_str_eq(err, "");
	/* The top level ran once, in the load's check. */
	marks_are(1, "top");
	pbx_lua_stats(&st);
	snprintf(want, sizeof(want), "%s/dp.lua", dir);
	ck_assert_str_eq(st.file, want);
	ck_assert_int_gt(st.loaded_at, 0);
	ck_assert_uint_eq(st.routes, 0);
	ck_assert_uint_gt(st.mem_used, 0);
	ck_assert_uint_eq(st.mem_max, 64u * 1024 * 1024);
}
END_TEST

START_TEST(lua_1_2_syntax_error)
{
	open_bad("function route(call)\n"
		 "  local x = = 1\n"
		 "end\n", EINVAL, "dp.lua:2: unexpected symbol near '='");
}
END_TEST

START_TEST(lua_1_3_reload_bad_keeps_old)
{
	struct pbx_lua_stats st;
	int64_t at;

	ck_assert_int_eq(open_dp("function route(call) end\n"), 0);
	pbx_lua_stats(&st);
	at = st.loaded_at;
	write_dp("\n\nfunction route(call)\n  if then\nend\n");
	ck_assert_int_eq(pbx_lua_reload(&cfg, err, sizeof(err)), EINVAL);
	ck_assert_str_eq(err, "dp.lua:4: unexpected symbol near 'then'");
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), EINVAL);
	ck_assert_str_eq(err, "dp.lua:4: unexpected symbol near 'then'");
	pbx_lua_stats(&st);
	ck_assert_ptr_nonnull(st.file);
	ck_assert_int_eq(st.loaded_at, at);

	/* A reload naming another file that fails keeps file and all. */
	ck_assert_int_eq(pbx_cfg_set(&cfg, "call.dialplan", "nosuch.lua",
				     err, sizeof(err)), 0);
	ck_assert_int_eq(pbx_lua_reload(&cfg, err, sizeof(err)), ENOENT);
	ck_assert_str_eq(err, "nosuch.lua: No such file or directory");
	write_dp("t.mark('v2') function route(call) end\n");
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), 0);
	marks_are(1, "v2");
}
END_TEST

START_TEST(lua_1_4_no_route)
{
	open_bad("local function route(call) end\n", EINVAL,
		 "dp.lua: no route(call) function defined");
}
END_TEST

START_TEST(lua_1_5_no_file)
{
	ck_assert_int_eq(pbx_lua_open(&cfg, err, sizeof(err)), ENOENT);
	ck_assert_str_eq(err, "dp.lua: No such file or directory");
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), ENOENT);
}
END_TEST

START_TEST(lua_1_6_runtime_error_at_top)
{
	open_bad("function route(call) end\n"
		 "local x = nil\n"
		 "local y = x + 1\n", EINVAL,
		 "dp.lua:3: attempt to perform arithmetic on a nil value "
		 "(local 'x')");
}
END_TEST

START_TEST(lua_1_7_shebang_bom_lines)
{
	/* Line numbers stay those of the file. */
	open_bad("#!/usr/bin/env lua\n"
		 "function route(call) end\n"
		 "error('at three')\n", EINVAL, "dp.lua:3: at three");
	open_bad("\xEF\xBB\xBF" "function route(call) end\n"
		 "\n"
		 "error('at three')\n", EINVAL, "dp.lua:3: at three");
}
END_TEST

START_TEST(lua_1_8_absolute_path)
{
	char path[128];

	write_named("other.lua", "t.mark('other') function route(c) end\n");
	snprintf(path, sizeof(path), "%s/other.lua", dir);
	ck_assert_int_eq(pbx_cfg_set(&cfg, "paths.dialplans", "/nonexistent",
				     err, sizeof(err)), 0);
	ck_assert_int_eq(pbx_cfg_set(&cfg, "call.dialplan", path, err,
				     sizeof(err)), 0);
	ck_assert_int_eq(pbx_lua_open(&cfg, err, sizeof(err)), 0);
	marks_are(1, "other");
	ck_assert_int_eq(pbx_lua_open(&cfg, err, sizeof(err)), EALREADY);
}
END_TEST

START_TEST(lua_1_9_default_dialplan)
{
	char path[512];

	default_lua(path, sizeof(path));
	ck_assert_int_eq(pbx_cfg_set(&cfg, "call.dialplan", path, err,
				     sizeof(err)), 0);
	ck_assert_msg(pbx_lua_open(&cfg, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* ---- 2. Sandbox and limits ---- */

START_TEST(lua_2_1_sandbox_absent)
{
	ck_assert_int_eq(open_dp(
		"for _, n in ipairs({'io', 'require', 'dofile', 'loadfile',\n"
		"    'debug', 'package', 'collectgarbage', 'coroutine',\n"
		"    'module', 'loadstring'}) do\n"
		"  t.mark(n .. '=' .. type(_G[n]))\n"
		"end\n"
		"t.mark('os.execute=' .. type(os.execute))\n"
		"t.mark('os.exit=' .. type(os.exit))\n"
		"t.mark('os.getenv=' .. type(os.getenv))\n"
		"t.mark('os.time=' .. type(os.time))\n"
		"t.mark('string.dump=' .. type(string.dump))\n"
		"t.mark(tostring(getmetatable('')))\n"
		"t.mark(tostring(getmetatable(_G)))\n"
		"function route(call) end\n"), 0);
	marks_are(17, "io=nil", "require=nil", "dofile=nil", "loadfile=nil",
		  "debug=nil", "package=nil", "collectgarbage=nil",
		  "coroutine=nil", "module=nil", "loadstring=nil",
		  "os.execute=nil", "os.exit=nil", "os.getenv=nil",
		  "os.time=function", "string.dump=nil", "false", "false");
}
END_TEST

START_TEST(lua_2_2_sandbox_calls_fail)
{
	open_bad("function route(call) end\nos.execute('true')\n", EINVAL,
		 "dp.lua:2: attempt to call a nil value (field 'execute')");
	open_bad("function route(call) end\nio.open('/etc/passwd')\n",
		 EINVAL, "dp.lua:2: attempt to index a nil value "
		 "(global 'io')");
	open_bad("function route(call) end\nrequire('os')\n", EINVAL,
		 "dp.lua:2: attempt to call a nil value (global 'require')");
}
END_TEST

START_TEST(lua_2_3_load_text_only)
{
	ck_assert_int_eq(open_dp(
		"local f, e = load('\\27Lua\\84\\0')\n"
		"t.mark(tostring(f) .. ' ' .. e)\n"
		"t.mark(load('return type(io) .. type(t)')())\n"
		"local ok, e2 = pcall(load, function() return nil end)\n"
		"t.mark(e2)\n"
		"function route(call) end\n"), 0);
	marks_are(3, "nil attempt to load a binary chunk (mode is 't')",
		  "niltable",
		  "load: only a string chunk is allowed in a dialplan");
}
END_TEST

START_TEST(lua_2_4_no_shared_writes)
{
	/* A run changes its libraries and metatables; the next run (here
	 * the reload's check) sees none of it.
	 */
	ck_assert_int_eq(open_dp("string.evil = 1\n"
				 "rawset(math, 'pi', 3)\n"
				 "x_global = 1\n"
				 "local ok = pcall(setmetatable, _G, {})\n"
				 "t.mark(tostring(ok))\n"
				 "function route(call) end\n"), 0);
	write_dp("t.mark(tostring(string.evil) .. ' ' .. "
		 "tostring(math.pi > 3.14) .. ' ' .. tostring(x_global))\n"
		 "t.mark(('abc'):upper())\n"
		 "function route(call) end\n");
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), 0);
	marks_are(3, "false", "nil true nil", "ABC");
}
END_TEST

START_TEST(lua_2_5_no_gc_metamethod)
{
	open_bad("function route(call) end\n"
		 "setmetatable({}, {__gc = function() end})\n", EINVAL,
		 "dp.lua:2: __gc metamethods are not allowed in a dialplan");
}
END_TEST

START_TEST(lua_2_6_instruction_limit)
{
	open_bad("function route(call) end\n"
		 "while true do end\n", EINVAL,
		 "dp.lua:2: instruction limit (100000) exceeded");
}
END_TEST

START_TEST(lua_2_7_limit_beats_pcall)
{
	/* pcall, xpcall and error handlers cannot swallow the limit. */
	open_bad("function route(call) end\n"
		 "while true do\n"
		 "  pcall(function() while true do end end)\n"
		 "  xpcall(function() while true do end end,\n"
		 "         function(m) return m end)\n"
		 "end\n", EINVAL, "dp.lua:3: instruction limit");
	pbx_lua_close();
	open_bad("function route(call) end\n"
		 "table.sort({3, 2, 1}, function(a, b)\n"
		 "  while true do pcall(error, 'x') end\n"
		 "end)\n", EINVAL, "dp.lua:3: instruction limit");
}
END_TEST

START_TEST(lua_2_10_one_instruction_loops)
{
	/* C functions that would loop without the hook seeing it. */
	ck_assert_int_eq(open_dp(
		"t.mark('[' .. string.rep('', 1e18) .. ('').rep('', 1e18) ..\n"
		"       string.rep('ab', 2, ',') .. ']')\n"
		"local ok, e = pcall(table.move, {}, 1, 1e18, 2)\n"
		"t.mark(e)\n"
		"t.mark(table.concat(table.move({1, 2}, 1, 2, 2), ','))\n"
		"local ok2, e2 = pcall(string.rep, 'x', 1e18)\n"
		"t.mark(e2)\n"
		"function route(call) end\n"), 0);
	marks_are(4, "[ab,ab]", "table.move: more than 16777216 elements",
		  "1,1,2", "resulting string too large");
}
END_TEST

START_TEST(lua_2_8_memory_cap)
{
	struct pbx_lua_stats st;

	cfg.lua_max_instructions = 100000000;
	open_bad("function route(call) end\n"
		 "local t = {}\n"
		 "for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\n",
		 EINVAL, "dp.lua: not enough memory");
	open_bad("function route(call) end\n"
		 "local s = string.rep('x', 100 * 1024 * 1024)\n", EINVAL,
		 "dp.lua: not enough memory");
	/* A script may catch it; the state stays usable. */
	ck_assert_int_eq(open_dp(
		"local ok, e = pcall(string.rep, 'x', 100 * 1024 * 1024)\n"
		"t.mark(tostring(ok) .. ' ' .. e)\n"
		"function route(call) end\n"), 0);
	marks_are(1, "false not enough memory");
	write_dp("function route(call) end\n");
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), 0);
	pbx_lua_stats(&st);
	ck_assert_uint_lt(st.mem_used, 1024 * 1024);
}
END_TEST

START_TEST(lua_2_9_log_and_print)
{
	ck_assert_int_eq(open_dp(
		"pbx.log('debug', 'n=%d s=%s', 3, 'x')\n"
		"pbx.log('err', {})\n"
		"print('a', 1, nil)\n"
		"local ok, e = pcall(pbx.log, 'loud', 'x')\n"
		"t.mark(e)\n"
		"local ok2, e2 = pcall(pbx.log, 'info', '%d', 'x')\n"
		"t.mark(tostring(ok2))\n"
		"function route(call) end\n"), 0);
	marks_are(2, "bad argument #1 to 'pbx.log' (err, warn, notice, info "
		  "or debug expected)", "true");
}
END_TEST

/* ---- 3. Module functions ---- */

START_TEST(lua_3_1_dp_calls)
{
	ck_assert_int_eq(open_dp(
		"t.mark(tostring(m.add(2, 3)))\n"
		"t.mark(tostring(m.add(2.0, 3)))\n"
		"t.mark(m.greet('a'))\n"
		"t.mark(m.greet(42, 'b'))\n"
		"t.mark(tostring(m.flag(false)))\n"
		"local r, e = m.fail()\n"
		"t.mark(tostring(r) .. ' ' .. e)\n"
		"r, e = m.fail2()\n"
		"t.mark(tostring(r) .. ' ' .. e)\n"
		"t.mark(select('#', m.multi()) .. ' ' .. table.concat(\n"
		"  {tostring(m.multi())}, ','))\n"
		"local a, b, c, d = m.multi()\n"
		"t.mark(a .. b .. tostring(c) .. tostring(d))\n"
		"t.mark(tostring(m.nothing()))\n"
		"t.mark(tostring(m.optint()) .. tostring(m.optint(5)))\n"
		"function route(call) end\n"), 0);
	marks_are(11, "5", "5", "hello a", "hello 42 b", "true",
		  "nil custom failure 7", "nil No such file or directory",
		  "4 s", "s42truenil", "true", "05");
}
END_TEST

START_TEST(lua_3_2_dp_arg_errors)
{
	ck_assert_int_eq(open_dp(
		"local function try(f, ...)\n"
		"  local args = table.pack(...)\n"
		"  local ok, e = pcall(function()\n"
		"    return f(table.unpack(args, 1, args.n))\n"
		"  end)\n"
		"  t.mark(tostring(ok) .. ': ' .. tostring(e))\n"
		"end\n"
		"try(m.add, 'x', 1)\n"
		"try(m.add, 1.5, 1)\n"
		"try(m.add, 1)\n"
		"try(m.add, 1, 2, 3)\n"
		"try(m.flag, 'yes')\n"
		"try(m.greet, 'a', {})\n"
		"try(m.end_call, 1)\n"
		"try(m.optint, '7')\n"
		"function route(call) end\n"), 0);
	marks_are(8,
		  "false: dp.lua:4: bad argument #1 to 'm.add' (integer "
		  "expected, got string)",
		  "false: dp.lua:4: bad argument #1 to 'm.add' (number has "
		  "no integer representation)",
		  "false: dp.lua:4: bad argument #2 to 'm.add' (integer "
		  "expected, got no value)",
		  "false: dp.lua:4: m.add: too many arguments (takes 2, got "
		  "3)",
		  "false: dp.lua:4: bad argument #1 to 'm.flag' (boolean "
		  "expected, got string)",
		  "false: dp.lua:4: bad argument #2 to 'm.greet' (string or "
		  "nil expected, got table)",
		  "false: dp.lua:4: bad argument #1 to 'm.end_call' (call "
		  "expected, got number)",
		  "false: dp.lua:4: bad argument #1 to 'm.optint' (integer "
		  "or nil expected, got string)");
}
END_TEST

START_TEST(lua_3_3_dp_register_rules)
{
	static const struct pbx_dp_func bad_name[] = {
		{"a.b", m_nothing, {0}, NULL}, {NULL, NULL, {0}, NULL}
	};
	static const struct pbx_dp_func no_h[] = {
		{"x", NULL, {0}, NULL}, {NULL, NULL, {0}, NULL}
	};
	static const struct pbx_dp_func bad_type[] = {
		{"x", m_nothing, {99}, NULL}, {NULL, NULL, {0}, NULL}
	};
	static const struct pbx_dp_func gap[] = {
		{"x", m_nothing, {PBX_ARG_END, PBX_ARG_INT}, NULL},
		{NULL, NULL, {0}, NULL}
	};
	static const struct pbx_dp_func twice[] = {
		{"x", m_nothing, {0}, NULL}, {"x", m_nothing, {0}, NULL},
		{NULL, NULL, {0}, NULL}
	};

	ck_assert_int_eq(pbx_dp_register("t", t_funcs), EEXIST);
	ck_assert_int_eq(pbx_dp_register("string", t_funcs), EEXIST);
	ck_assert_int_eq(pbx_dp_register("end", t_funcs), EEXIST);
	ck_assert_int_eq(pbx_dp_register("1x", t_funcs), EINVAL);
	ck_assert_int_eq(pbx_dp_register("a-b", t_funcs), EINVAL);
	ck_assert_int_eq(pbx_dp_register(NULL, t_funcs), EINVAL);
	ck_assert_int_eq(pbx_dp_register("z", NULL), EINVAL);
	ck_assert_int_eq(pbx_dp_register("z", bad_name), EINVAL);
	ck_assert_int_eq(pbx_dp_register("z", no_h), EINVAL);
	ck_assert_int_eq(pbx_dp_register("z", bad_type), EINVAL);
	ck_assert_int_eq(pbx_dp_register("z", gap), EINVAL);
	ck_assert_int_eq(pbx_dp_register("z", twice), EINVAL);
	pbx_dp_unregister("nosuch");
	pbx_dp_unregister(NULL);
}
END_TEST

START_TEST(lua_3_4_dp_register_after_open)
{
	static const struct pbx_dp_func late[] = {
		{"hi", m_nothing, {0}, NULL}, {NULL, NULL, {0}, NULL}
	};

	write_dp("t.mark(type(late)) function route(call) end\n");
	ck_assert_int_eq(pbx_lua_open(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(pbx_dp_register("late", late), 0);
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), 0);
	pbx_dp_unregister("late");
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), 0);
	marks_are(3, "nil", "table", "nil");
}
END_TEST

/* ---- 4. route() on real calls ---- */

#define CALLS_MAX 8

static struct pbx_call *calls[CALLS_MAX];
static unsigned ncalls;
static enum pbx_dial_result decide_result;
static int decide_code;

/* Dial target "test/<rest>": decided at once, as a module's do not
 * disturb would; "test/none" names nothing.
 */
static int test_resolver(struct pbx_call *call, const char *rest,
			 struct pbx_dial_branches *out, void *arg)
{
	if (!strcmp(rest, "none"))
		return ENOENT;
	pbx_dial_set_result(out, decide_result, decide_code);
	return 0;
}

static void on_break(void *arg)
{
	pbx_sip_loop_break();
}

static void run_loop(unsigned ms)
{
	ck_assert_int_eq(pbx_timer_start(stop_timer, ms, on_break, NULL), 0);
	pbx_sip_loop_run();
}

static void call_setup(void)
{
	setup();
	ck_assert_int_eq(pbx_sip_loop_init(), 0);
	ck_assert_int_eq(pbx_timer_alloc(&stop_timer), 0);
	ck_assert_int_eq(pbx_strmap_alloc(&pbx_calls.live, NULL), 0);
	pbx_calls.ring_timeout_s = 30;
	ck_assert_int_eq(pbx_mod_builtin_resolver("test", test_resolver,
						  NULL), 0);
	decide_result = PBX_DIAL_BUSY;
	decide_code = 486;
}

static void call_teardown(void)
{
	/* Let go of the calls' pretended legs: the core reaps them. */
	for (unsigned i = 0; i < ncalls; i++)
		pbx_call_leg_gone(calls[i]);
	ncalls = 0;
	run_loop(20);
	ck_assert_uint_eq(pbx_strmap_count(pbx_calls.live), 0);
	teardown();
	pbx_mod_unload_all();
	pbx_strmap_free(pbx_calls.live);
	pbx_calls.live = NULL;
	pbx_timer_free(stop_timer);
	pbx_sip_loop_deinit();
}

/* A live call as the SIP side would make it, without a caller leg. */
static struct pbx_call *new_call(const char *dest)
{
	struct pbx_call *call = pbx_call_new();

	ck_assert_ptr_nonnull(call);
	call->sip_callid = strdup("cid-1@test");
	call->caller_number = strdup("1001");
	call->caller_name = strdup("Alice");
	call->destination = strdup(dest);
	call->caller_local = true;
	call->hdrv = calloc(1, sizeof(*call->hdrv));
	ck_assert_ptr_nonnull(call->hdrv);
	call->hdrv[0].name = strdup("X-Test");
	call->hdrv[0].value = strdup("yes");
	call->hdrc = 1;
	/* One leg "alive" keeps the ended call for the test to inspect
	 * until call_teardown() lets it go.
	 */
	call->legs_alive = 1;
	ck_assert_uint_lt(ncalls, CALLS_MAX);
	calls[ncalls++] = call;
	ck_assert_int_eq(pbx_call_go_live(call), 0);
	return call;
}

START_TEST(lua_4_1_fields_and_vars)
{
	struct pbx_call *call;
	struct pbx_lua_stats st;
	char want[64];

	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  t.mark(call.id)\n"
		"  t.mark(call.destination .. ' ' .. call.caller.number ..\n"
		"         ' ' .. call.caller.name .. ' ' ..\n"
		"         tostring(call.local_caller))\n"
		"  t.mark(call:header('x-test') .. tostring(call:header('n'))\n"
		"  )\n"
		"  t.mark(tostring(call:set('room', 42)))\n"
		"  t.mark(call:get('room') .. tostring(call:get('none')))\n"
		"  call:set('room', nil)\n"
		"  t.mark(tostring(call:get('room')))\n"
		"  t.mark(tostring(call.nosuch))\n"
		"  t.mark(select(2, pcall(function() call.id = 1 end)))\n"
		"  t.mark(tostring(call):sub(1, 5))\n"
		"end\n"), 0);
	call = new_call("2002");
	snprintf(want, sizeof(want), "%s", pbx_call_id(call));
	ck_assert_int_eq(pbx_lua_route(call), 0);
	marks_are(9, want, "2002 1001 Alice true", "yesnil", "true",
		  "42nil", "nil", "nil",
		  "dp.lua:13: call fields are read-only (use call:set())",
		  "call ");
	/* route() returned without a dial: the core refuses with 480. */
	ck_assert_int_eq(call->state, CALL_ENDING);
	ck_assert_int_eq(call->hangup_cause, 480);
	ck_assert_ptr_null(call->script);
	pbx_lua_stats(&st);
	ck_assert_uint_eq(st.routes, 1);
	ck_assert_uint_eq(st.errors, 0);
	ck_assert_uint_gt(st.decide_ns, 0);
}
END_TEST

START_TEST(lua_4_2_hangup_stops)
{
	struct pbx_call *call;
	struct pbx_lua_stats st;

	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  t.mark('a')\n"
		"  pcall(call.hangup, call, 486)\n"
		"  t.mark('never')\n"
		"end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	marks_are(1, "a");
	ck_assert_int_eq(call->state, CALL_ENDING);
	ck_assert_int_eq(call->hangup_cause, 486);
	pbx_lua_stats(&st);
	ck_assert_uint_eq(st.errors, 0);
}
END_TEST

START_TEST(lua_4_3_module_ends_call)
{
	struct pbx_call *call;

	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  t.mark('a')\n"
		"  pcall(m.end_call, call)\n"
		"  t.mark('never')\n"
		"end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	marks_are(1, "a");
	ck_assert_int_eq(call->hangup_cause, 403);
}
END_TEST

START_TEST(lua_4_4_runaway_route)
{
	struct pbx_call *call;
	struct pbx_lua_stats st;

	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  while true do pcall(function() while true do end end) end\n"
		"end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	ck_assert_int_eq(call->state, CALL_ENDING);
	ck_assert_int_eq(call->hangup_cause, 500);
	pbx_lua_stats(&st);
	ck_assert_uint_eq(st.errors, 1);
}
END_TEST

START_TEST(lua_4_5_error_in_route)
{
	struct pbx_call *call;
	struct pbx_lua_stats st;

	ck_assert_int_eq(open_dp(
		"local function deeper() error('boom') end\n"
		"function route(call) deeper() end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	ck_assert_int_eq(call->hangup_cause, 500);
	pbx_lua_stats(&st);
	ck_assert_uint_eq(st.errors, 1);
}
END_TEST

START_TEST(lua_4_6_sleep)
{
	struct pbx_call *call;

	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  t.mark('a')\n"
		"  t.mark(tostring(call:sleep(0.05)))\n"
		"  call:sleep(0)\n"
		"  t.mark('b')\n"
		"  call:hangup(404)\n"
		"end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	marks_are(1, "a");
	ck_assert_int_eq(call->state, CALL_ROUTING);
	run_loop(30);
	marks_are(1, "a");
	run_loop(100);
	marks_are(3, "a", "true", "b");
}
END_TEST

START_TEST(lua_4_7_gone_while_waiting)
{
	struct pbx_call *call;

	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  local ok = pcall(call.sleep, call, 0.05)\n"
		"  t.mark('never')\n"
		"end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	ck_assert_ptr_nonnull(call->script);
	/* The caller hangs up: the core drops the run. */
	pbx_call_end(call, 0, "caller");
	ck_assert_ptr_null(call->script);
	run_loop(100);
	marks_are(0);
}
END_TEST

START_TEST(lua_4_8_dial)
{
	struct pbx_call *call;

	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  local r, c = call:dial('test/x', {timeout = 5,\n"
		"    caller_number = '100', caller_name = 'Desk',\n"
		"    headers = {['X-A'] = 'one', ['X-B'] = 2}})\n"
		"  t.mark(r .. ' ' .. c)\n"
		"  r, c = call:dial('test/none')\n"
		"  t.mark(r .. ' ' .. c)\n"
		"  local r3, c3, e3 = call:dial('nosuch/1')\n"
		"  t.mark(r3 .. ' ' .. c3 .. ' ' .. e3)\n"
		"  for _, o in ipairs({{headers = {['Bad Name'] = 'x'}},\n"
		"      {headers = {['X-C'] = 'a\\r\\nVia: evil'}},\n"
		"      {headers = {Via = 'x'}}, {timout = 3},\n"
		"      {timeout = -1}}) do\n"
		"    t.mark(select(2, pcall(call.dial, call, 'test/x', o)))\n"
		"  end\n"
		"  call:dial('test/x')\n"
		"end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	marks_are(0);
	run_loop(50);
	ck_assert_uint_eq(nmarks, 8);
	marks_are(8, "busy 486", "unavailable 404",
		  "failed 0 no dial target 'nosuch/1'",
		  "call:dial(): bad header name 'Bad Name'",
		  "call:dial(): header 'X-C' holds CR, LF or NUL",
		  "call:dial(): header 'Via' is set by pbxd",
		  "call:dial(): unknown option 'timout'",
		  "call:dial(): timeout must be 1 to 3600 "
		  "seconds");
	/* The last dial was busy: the core refused with 486. */
	ck_assert_int_eq(call->state, CALL_ENDING);
	ck_assert_int_eq(call->hangup_cause, 486);
}
END_TEST

START_TEST(lua_4_9_reload_keeps_running_version)
{
	struct pbx_call *a, *b;

	ck_assert_int_eq(open_dp(
		"function route(call) call:sleep(0.03) t.mark('v1') end\n"),
		0);
	a = new_call("1");
	ck_assert_int_eq(pbx_lua_route(a), 0);
	write_dp("function route(call) t.mark('v2') end\n");
	ck_assert_int_eq(pbx_lua_reload_current(err, sizeof(err)), 0);
	b = new_call("2");
	ck_assert_int_eq(pbx_lua_route(b), 0);
	marks_are(1, "v2");
	run_loop(100);
	marks_are(2, "v2", "v1");
}
END_TEST

START_TEST(lua_4_10_unloaded_module)
{
	static const struct pbx_dp_func late[] = {
		{"hi", m_nothing, {0}, NULL}, {NULL, NULL, {0}, NULL}
	};
	struct pbx_call *call;

	ck_assert_int_eq(pbx_dp_register("late", late), 0);
	ck_assert_int_eq(open_dp(
		"function route(call)\n"
		"  local hi = late.hi\n"
		"  call:sleep(0.01)\n"
		"  t.mark(select(2, pcall(hi)))\n"
		"  t.mark(type(late))\n"
		"end\n"), 0);
	call = new_call("1");
	ck_assert_int_eq(pbx_lua_route(call), 0);
	pbx_dp_unregister("late");
	run_loop(50);
	marks_are(2, "late.hi: its module was unloaded", "table");
}
END_TEST

START_TEST(lua_4_11_default_dialplan_route)
{
	struct pbx_call *c1, *c2, *c3;
	char path[512];

	/* The test plays the core's "user" resolver. */
	ck_assert_int_eq(pbx_mod_builtin_resolver("user", test_resolver,
						  NULL), 0);
	default_lua(path, sizeof(path));
	ck_assert_int_eq(pbx_cfg_set(&cfg, "call.dialplan", path, err,
				     sizeof(err)), 0);
	ck_assert_msg(pbx_lua_open(&cfg, err, sizeof(err)) == 0, "%s", err);
	c1 = new_call("2002");
	c2 = new_call("*43");
	ck_assert_int_eq(pbx_lua_route(c1), 0);
	ck_assert_int_eq(pbx_lua_route(c2), 0);
	ck_assert_int_eq(c2->hangup_cause, 404);
	run_loop(50);
	ck_assert_int_eq(c1->hangup_cause, 486);
	decide_result = PBX_DIAL_NOANSWER;
	decide_code = 408;
	c3 = new_call("2003");
	ck_assert_int_eq(pbx_lua_route(c3), 0);
	run_loop(50);
	ck_assert_int_eq(c3->hangup_cause, 480);
}
END_TEST

static Suite *lua_suite(void)
{
	Suite *s = suite_create("lua");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lua_1_1_load_good);
	tcase_add_test(tc, lua_1_2_syntax_error);
	tcase_add_test(tc, lua_1_3_reload_bad_keeps_old);
	tcase_add_test(tc, lua_1_4_no_route);
	tcase_add_test(tc, lua_1_5_no_file);
	tcase_add_test(tc, lua_1_6_runtime_error_at_top);
	tcase_add_test(tc, lua_1_7_shebang_bom_lines);
	tcase_add_test(tc, lua_1_8_absolute_path);
	tcase_add_test(tc, lua_1_9_default_dialplan);
	suite_add_tcase(s, tc);

	tc = tcase_create("sandbox");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lua_2_1_sandbox_absent);
	tcase_add_test(tc, lua_2_2_sandbox_calls_fail);
	tcase_add_test(tc, lua_2_3_load_text_only);
	tcase_add_test(tc, lua_2_4_no_shared_writes);
	tcase_add_test(tc, lua_2_5_no_gc_metamethod);
	tcase_add_test(tc, lua_2_6_instruction_limit);
	tcase_add_test(tc, lua_2_7_limit_beats_pcall);
	tcase_add_test(tc, lua_2_8_memory_cap);
	tcase_add_test(tc, lua_2_9_log_and_print);
	tcase_add_test(tc, lua_2_10_one_instruction_loops);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("dp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lua_3_1_dp_calls);
	tcase_add_test(tc, lua_3_2_dp_arg_errors);
	tcase_add_test(tc, lua_3_3_dp_register_rules);
	tcase_add_test(tc, lua_3_4_dp_register_after_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("route");
	tcase_add_checked_fixture(tc, call_setup, call_teardown);
	tcase_add_test(tc, lua_4_1_fields_and_vars);
	tcase_add_test(tc, lua_4_2_hangup_stops);
	tcase_add_test(tc, lua_4_3_module_ends_call);
	tcase_add_test(tc, lua_4_4_runaway_route);
	tcase_add_test(tc, lua_4_5_error_in_route);
	tcase_add_test(tc, lua_4_6_sleep);
	tcase_add_test(tc, lua_4_7_gone_while_waiting);
	tcase_add_test(tc, lua_4_8_dial);
	tcase_add_test(tc, lua_4_9_reload_keeps_running_version);
	tcase_add_test(tc, lua_4_10_unloaded_module);
	tcase_add_test(tc, lua_4_11_default_dialplan_route);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lua_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
