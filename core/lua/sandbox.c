/* lua/sandbox.c - what a dialplan can reach. The sandbox base holds the
 * base functions that cannot block or escape, copies of string, table,
 * math and utf8, os.time/date/clock, pbx.log and the module tables; a
 * run's globals read through it and copy each library on first use, so
 * nothing one call writes is seen by another. pcall and xpcall here
 * rethrow the error that ends a run (instruction limit, hang-up): no
 * script can swallow it.
 */
#define PBX_LOG_TAG "lua"

#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <pbx/log.h>

#include "lua/lua_int.h"

/* ---- Base functions that need a wrapper ---- */

/* luaB_pcall's continuation, plus the rethrow of a stopping run. */
static int finish_pcall(lua_State *L, int status, lua_KContext extra)
{
	if (status != LUA_OK && status != LUA_YIELD) {
		if (pbx_lua_stopped(L))
			return lua_error(L);
		lua_pushboolean(L, 0);
		lua_pushvalue(L, -2);
		return 2;
	}
	return lua_gettop(L) - (int)extra;
}

static int sb_pcall(lua_State *L)
{
	int status;

	luaL_checkany(L, 1);
	lua_pushboolean(L, 1);
	lua_insert(L, 1);
	status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0,
			    finish_pcall);
	return finish_pcall(L, status, 0);
}

static int sb_xpcall(lua_State *L)
{
	int n = lua_gettop(L), status;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2);
	status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
	return finish_pcall(L, status, 2);
}

/* As Lua's, but a metatable with __gc is refused: a finalizer runs in
 * whatever thread happens to collect, possibly one without the
 * instruction limit, so a looping one could hang the loop thread.
 */
static int sb_setmetatable(lua_State *L)
{
	int t = lua_type(L, 2);

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2,
			 "nil or table");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not "
					  "allowed in a dialplan");
		lua_pop(L, 1);
	}
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

/* load(chunk [, chunkname [, mode [, env]]]) for text in a string only:
 * never bytecode (which can crash the VM), never a reader function.
 * Without <env> the chunk sees the calling run's globals, not the real
 * ones.
 */
static int sb_load(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_script_of(L);
	size_t len;
	const char *src, *name;

	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_error(L, "load: only a string chunk is allowed "
				  "in a dialplan");
	src = lua_tolstring(L, 1, &len);
	name = luaL_optstring(L, 2, src);
	if (luaL_loadbufferx(L, src, len, name, "t") != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (!lua_isnone(L, 4))
		lua_pushvalue(L, 4);
	else if (s && s->env_ref > 0)
		lua_rawgeti(L, LUA_REGISTRYINDEX, s->env_ref);
	else
		lua_pushnil(L);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return 1;
}

/* Most elements one table.move() may copy. */
#define MOVE_MAX ((lua_Integer)1 << 24)

/* string.rep(s, n [, sep]): an empty result at once. Lua's own loops n
 * times even when it copies nothing, so string.rep("", 1e18) would hold
 * the loop thread for ages on what the hook counts as one instruction.
 * Upvalue 1: the original.
 */
static int sb_rep(lua_State *L)
{
	size_t l, lsep;
	lua_Integer n;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n <= 0 || l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

/* table.move(a1, f, e, t [, a2]) of at most MOVE_MAX elements: Lua's
 * own walks any range, even over nothing, inside one instruction.
 * Upvalue 1: the original.
 */
static int sb_move(lua_State *L)
{
	lua_Integer f = luaL_checkinteger(L, 2);
	lua_Integer e = luaL_checkinteger(L, 3);

	if (e >= f && (lua_Unsigned)e - (lua_Unsigned)f >= MOVE_MAX)
		return luaL_error(L, "table.move: more than %d elements",
				  (int)MOVE_MAX);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* Replace field <name> of the table at <t> with <fn>, which gets the
 * original as upvalue 1.
 */
static void wrap(lua_State *L, int t, const char *name, lua_CFunction fn)
{
	lua_getfield(L, t, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, t, name);
}

/* One log line for the running script: its file and line first, the
 * Call-ID of its call as the log's call context.
 */
static void log_line(lua_State *L, int level, const char *msg)
{
	struct pbx_lua_script *s = pbx_lua_script_of(L);
	const char *callid = NULL;
	const char *where;

	if (s && s->call && !s->gone)
		callid = pbx_call_sip_callid(s->call);
	luaL_where(L, 1);
	where = lua_tostring(L, -1);
	pbx_log_write(level, PBX_LOG_TAG, callid, "%s%s", where, msg);
	lua_pop(L, 1);
}

/* pbx.log(level, fmt_or_msg, ...): upvalue 1 is string.format. */
static int sb_log(lua_State *L)
{
	const char *lv = luaL_checkstring(L, 1);
	int level;

	/* Named in full: luaL_argerror() cannot name a function
	 * reached through a table when pcall() called it.
	 */
	if (pbx_log_level_parse(lv, &level))
		return luaL_error(L, "bad argument #1 to 'pbx.log' (err, "
				  "warn, notice, info or debug expected)");
	luaL_checkany(L, 2);
	if (level > pbx_log_level_cur)
		return 0;
	if (lua_gettop(L) > 2) {
		lua_pushvalue(L, lua_upvalueindex(1));
		lua_insert(L, 2);
		lua_call(L, lua_gettop(L) - 2, 1);
		log_line(L, level, lua_tostring(L, -1));
	} else {
		log_line(L, level, luaL_tolstring(L, 2, NULL));
	}
	return 0;
}

/* print(...): its arguments as tostring() shows them, tab separated,
 * logged at info: a dialplan has no terminal.
 */
static int sb_print(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_Buffer b;

	if (PBX_LOG_INFO > pbx_log_level_cur)
		return 0;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	log_line(L, PBX_LOG_INFO, lua_tostring(L, -1));
	return 0;
}

/* ---- The base and the globals of a run ---- */

/* Base functions taken as they are: none blocks, none reaches outside
 * the table it is given.
 */
static const char *const base_names[] = {
	"assert", "error", "getmetatable", "ipairs", "next", "pairs",
	"rawequal", "rawget", "rawlen", "rawset", "select", "tonumber",
	"tostring", "type", "_VERSION", NULL
};

static const luaL_Reg base_own[] = {
	{"pcall", sb_pcall},
	{"xpcall", sb_xpcall},
	{"setmetatable", sb_setmetatable},
	{"load", sb_load},
	{"print", sb_print},
	{NULL, NULL}
};

/* Copy the fields of the table at <from> named in <only> (all when
 * NULL) into a new table set as base[<name>]; the base is at <base>.
 */
static void copy_lib(lua_State *L, int base, int from, const char *name,
		     const char *const *only)
{
	lua_newtable(L);
	if (only) {
		for (size_t i = 0; only[i]; i++) {
			lua_getfield(L, from, only[i]);
			lua_setfield(L, -2, only[i]);
		}
	} else {
		lua_pushnil(L);
		while (lua_next(L, from)) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_settable(L, -4);
		}
	}
	lua_setfield(L, base, name);
}

/* __index of a run's globals (1: the globals, 2: the key; upvalue 1:
 * the base). Tables are copied on first use and every hit is cached in
 * the globals, so a script may change its string or math tables and
 * only itself sees it; and a script that touches few names pays for
 * few.
 */
static int env_index(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TSTRING &&
	    !strcmp(lua_tostring(L, 2), "_G")) {
		lua_pushvalue(L, 1);
	} else {
		lua_pushvalue(L, 2);
		if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
			return 1;
	}
	if (lua_type(L, -1) == LUA_TTABLE && !lua_rawequal(L, -1, 1)) {
		int from = lua_gettop(L);

		lua_createtable(L, 0, 32);
		lua_pushnil(L);
		while (lua_next(L, from)) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, -4);
		}
	}
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -2);
	lua_rawset(L, 1);
	return 1;
}

int pbx_lua_sandbox_open(lua_State *L)
{
	static const char *const os_names[] = {
		"time", "date", "clock", NULL
	};
	int g, str, base;

	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	g = lua_gettop(L);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
	str = lua_gettop(L);
	/* string.dump is of no use without binary load, and would be
	 * reachable through ("").dump otherwise.
	 */
	lua_pushnil(L);
	lua_setfield(L, str, "dump");
	/* In the real table, which ("").rep reaches too. */
	wrap(L, str, "rep", sb_rep);

	lua_newtable(L);
	base = lua_gettop(L);
	for (size_t i = 0; base_names[i]; i++) {
		lua_getfield(L, g, base_names[i]);
		lua_setfield(L, base, base_names[i]);
	}
	luaL_setfuncs(L, base_own, 0);

	copy_lib(L, base, str, LUA_STRLIBNAME, NULL);
	luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
	wrap(L, lua_gettop(L), "move", sb_move);
	copy_lib(L, base, lua_gettop(L), LUA_TABLIBNAME, NULL);
	luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
	copy_lib(L, base, lua_gettop(L), LUA_MATHLIBNAME, NULL);
	luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
	copy_lib(L, base, lua_gettop(L), LUA_UTF8LIBNAME, NULL);
	luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
	copy_lib(L, base, lua_gettop(L), LUA_OSLIBNAME, os_names);

	lua_newtable(L);
	lua_getfield(L, str, "format");
	lua_pushcclosure(L, sb_log, 1);
	lua_setfield(L, -2, "log");
	lua_setfield(L, base, "pbx");

	lua_pushvalue(L, base);
	lua_setfield(L, LUA_REGISTRYINDEX, PBX_LUA_SANDBOX);

	/* Protected metatables: getmetatable() shows false, so no script
	 * reaches the base (through its globals) or the real string table
	 * (through a string) to change them for every call.
	 */
	luaL_newmetatable(L, PBX_LUA_ENV_MT);
	lua_pushvalue(L, base);
	lua_pushcclosure(L, env_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);

	lua_pushliteral(L, "");
	if (lua_getmetatable(L, -1)) {
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	lua_settop(L, 0);
	return 0;
}

void pbx_lua_sandbox_env(lua_State *L)
{
	lua_createtable(L, 0, 8);
	luaL_setmetatable(L, PBX_LUA_ENV_MT);
}
