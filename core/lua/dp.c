/* lua/dp.c - dialplan functions from C (pbx/dp.h): the registry of
 * module tables and the one generic binder that checks and converts
 * arguments per enum pbx_dp_arg, so no module includes lua.h. Tables
 * live in the sandbox base; each call copies what it uses, so a later
 * unregister cannot reach into a running call's globals, and a copy kept
 * by a running call fails cleanly once its module is gone.
 */
#define PBX_LOG_TAG "lua"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include <pbx/dp.h>
#include <pbx/log.h>

#include "lua/lua_int.h"

/* Most values one function may return. */
#define RETS_MAX 8

/* A registered table. Its Lua closures reach it through a handle
 * userdata, which unregister empties before freeing this.
 */
struct dp_table {
	char *name;                       /* (ref) Lua table name */
	const struct pbx_dp_func *funcs;  /* (borrowed) the module's */
	struct dp_handle *handle;         /* (borrowed) GC-owned, or NULL */
	struct dp_table *next;
};

struct dp_handle {
	struct dp_table *t;       /* (borrowed) NULL once unregistered */
};

struct dp_ret {
	enum { RET_NIL, RET_STR, RET_INT, RET_BOOL } type;
	union {
		char *s;          /* (ref) */
		int64_t i;
		bool b;
	} v;
};

/* Results are kept here while the handler runs and pushed after it
 * returned: a Lua memory error then never longjmps through module code.
 */
struct pbx_dp_ctx {
	struct dp_ret rets[RETS_MAX];
	unsigned n;
	bool overflow;            /* more than RETS_MAX pushed */
	bool nomem;
	char msg[256];            /* pbx_dp_errmsg(), "" when unset */
};

static struct dp_table *tables;

/* Names a module table cannot take: the sandbox's own globals, and Lua
 * keywords (a table named "end" could not be written in a script).
 */
static const char *const reserved[] = {
	"_G", "_VERSION", "_ENV", "assert", "error", "getmetatable",
	"ipairs", "load", "next", "pairs", "pcall", "print", "rawequal",
	"rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber",
	"tostring", "type", "xpcall", "string", "table", "math", "utf8",
	"os", "pbx", "route", "call",
	"and", "break", "do", "else", "elseif", "end", "false", "for",
	"function", "goto", "if", "in", "local", "nil", "not", "or",
	"repeat", "return", "then", "true", "until", "while",
	NULL
};

static bool is_ident(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	}
	return true;
}

static bool is_reserved(const char *s)
{
	for (size_t i = 0; reserved[i]; i++) {
		if (!strcmp(reserved[i], s))
			return true;
	}
	return false;
}

static struct dp_table *table_find(const char *name)
{
	struct dp_table *t;

	for (t = tables; t; t = t->next) {
		if (!strcmp(t->name, name))
			return t;
	}
	return NULL;
}

/* Number of arguments of <f>, or -1 when its list is malformed (an
 * unknown type, or a type after PBX_ARG_END).
 */
static int argc_of(const struct pbx_dp_func *f)
{
	int n = 0;

	for (int i = 0; i < PBX_DP_ARGS_MAX; i++) {
		enum pbx_dp_arg a = f->args[i];

		if (a > PBX_ARG_OPT_INT)
			return -1;
		if (a == PBX_ARG_END)
			continue;
		if (n != i)
			return -1;
		n++;
	}
	return n;
}

static bool funcs_valid(const struct pbx_dp_func *funcs)
{
	for (size_t i = 0; funcs[i].name; i++) {
		if (!is_ident(funcs[i].name) || is_reserved(funcs[i].name) ||
		    !funcs[i].h || argc_of(&funcs[i]) < 0)
			return false;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(funcs[i].name, funcs[j].name))
				return false;
		}
	}
	return true;
}

/* ---- The binder ---- */

static const char *arg_expected(enum pbx_dp_arg a)
{
	switch (a) {
	case PBX_ARG_STR:
		return "string";
	case PBX_ARG_OPT_STR:
		return "string or nil";
	case PBX_ARG_INT:
		return "integer";
	case PBX_ARG_OPT_INT:
		return "integer or nil";
	case PBX_ARG_BOOL:
		return "boolean";
	case PBX_ARG_CALL:
		return "call";
	default:
		return "nothing";
	}
}

/* "bad argument #2 to 'dnd.set' (integer expected, got string)", with
 * the script's file and line in front, like Lua's own messages.
 */
static int arg_error(lua_State *L, int i, const char *fname,
		     enum pbx_dp_arg a)
{
	const char *got = lua_type(L, i) == LUA_TNONE ? "no value" :
		luaL_typename(L, i);

	if (lua_type(L, i) == LUA_TNUMBER && !lua_isinteger(L, i) &&
	    (a == PBX_ARG_INT || a == PBX_ARG_OPT_INT))
		return luaL_error(L, "bad argument #%d to '%s' (number has "
				  "no integer representation)", i, fname);
	return luaL_error(L, "bad argument #%d to '%s' (%s expected, got %s)",
			  i, fname, arg_expected(a), got);
}

/* Check argument <i> against <a> and convert it into <v>. */
static void arg_get(lua_State *L, int i, const char *fname,
		    enum pbx_dp_arg a, union pbx_dp_val *v)
{
	int t = lua_type(L, i);
	int isint = 0;

	if ((a == PBX_ARG_OPT_STR || a == PBX_ARG_OPT_INT) &&
	    (t == LUA_TNIL || t == LUA_TNONE)) {
		if (a == PBX_ARG_OPT_STR)
			v->s = NULL;
		else
			v->i = 0;
		return;
	}
	switch (a) {
	case PBX_ARG_STR:
	case PBX_ARG_OPT_STR:
		if (t != LUA_TSTRING && t != LUA_TNUMBER)
			arg_error(L, i, fname, a);
		/* Converts a number in place: the slot is ours. */
		v->s = lua_tostring(L, i);
		return;
	case PBX_ARG_INT:
	case PBX_ARG_OPT_INT:
		if (t == LUA_TNUMBER)
			v->i = (int64_t)lua_tointegerx(L, i, &isint);
		if (!isint)
			arg_error(L, i, fname, a);
		return;
	case PBX_ARG_BOOL:
		if (t != LUA_TBOOLEAN)
			arg_error(L, i, fname, a);
		v->b = lua_toboolean(L, i);
		return;
	case PBX_ARG_CALL:
		if (!luaL_testudata(L, i, PBX_LUA_CALL_MT))
			arg_error(L, i, fname, a);
		v->call = pbx_lua_callobj_check(L, i)->call;
		return;
	default:
		arg_error(L, i, fname, a);
	}
}

static void ctx_clear(struct pbx_dp_ctx *ctx)
{
	for (unsigned i = 0; i < ctx->n; i++) {
		if (ctx->rets[i].type == RET_STR)
			free(ctx->rets[i].v.s);
	}
	ctx->n = 0;
}

/* Push the results kept in <ctx> (the light userdata argument). Run
 * under lua_pcall(): a memory error must not leak the copies, which the
 * caller frees either way.
 */
static int ctx_push(lua_State *L)
{
	struct pbx_dp_ctx *ctx = lua_touserdata(L, 1);

	lua_pop(L, 1);
	luaL_checkstack(L, (int)ctx->n, "dialplan function results");
	for (unsigned i = 0; i < ctx->n; i++) {
		struct dp_ret *r = &ctx->rets[i];

		switch (r->type) {
		case RET_STR:
			lua_pushstring(L, r->v.s);
			break;
		case RET_INT:
			lua_pushinteger(L, (lua_Integer)r->v.i);
			break;
		case RET_BOOL:
			lua_pushboolean(L, r->v.b);
			break;
		default:
			lua_pushnil(L);
			break;
		}
	}
	return (int)ctx->n;
}

/* Every module function: upvalues 1 the table handle, 2 the index of
 * the function in the module's array, 3 its "table.name" for messages.
 */
static int dp_call(lua_State *L)
{
	struct dp_handle *h = lua_touserdata(L, lua_upvalueindex(1));
	lua_Integer idx = lua_tointeger(L, lua_upvalueindex(2));
	const char *fname = lua_tostring(L, lua_upvalueindex(3));
	union pbx_dp_val argv[PBX_DP_ARGS_MAX];
	const struct pbx_dp_func *f;
	struct pbx_dp_ctx ctx;
	int argc, nargs = lua_gettop(L), err, top;

	if (!h->t)
		return luaL_error(L, "%s: its module was unloaded", fname);
	f = &h->t->funcs[idx];
	argc = argc_of(f);
	if (nargs > argc)
		return luaL_error(L, "%s: too many arguments (takes %d, got "
				  "%d)", fname, argc, nargs);
	memset(argv, 0, sizeof(argv));
	for (int i = 0; i < argc; i++)
		arg_get(L, i + 1, fname, f->args[i], &argv[i]);

	memset(&ctx, 0, sizeof(ctx));
	err = f->h(&ctx, argv);

	if (ctx.nomem || ctx.overflow) {
		ctx_clear(&ctx);
		if (ctx.overflow)
			return luaL_error(L, "%s: returned more than %d "
					  "values", fname, RETS_MAX);
		return luaL_error(L, "%s: not enough memory", fname);
	}
	/* The handler may have ended the call (hung it up). */
	if (pbx_lua_stopped(L)) {
		ctx_clear(&ctx);
		return pbx_lua_stop_now(L);
	}
	if (err) {
		ctx_clear(&ctx);
		lua_pushnil(L);
		lua_pushstring(L, ctx.msg[0] ? ctx.msg : strerror(err));
		return 2;
	}
	if (!ctx.n) {
		lua_pushboolean(L, 1);
		return 1;
	}
	top = lua_gettop(L);
	lua_pushcfunction(L, ctx_push);
	lua_pushlightuserdata(L, &ctx);
	err = lua_pcall(L, 1, LUA_MULTRET, 0);
	ctx_clear(&ctx);
	if (err)
		return lua_error(L);
	return lua_gettop(L) - top;
}

/* ---- What handlers call ---- */

static struct dp_ret *ret_next(struct pbx_dp_ctx *ctx)
{
	if (!ctx)
		return NULL;
	if (ctx->n >= RETS_MAX) {
		ctx->overflow = true;
		return NULL;
	}
	return &ctx->rets[ctx->n++];
}

void pbx_dp_ret_str(struct pbx_dp_ctx *ctx, const char *s)
{
	struct dp_ret *r = ret_next(ctx);

	if (!r)
		return;
	r->type = RET_NIL;
	if (!s)
		return;
	r->v.s = strdup(s);
	if (!r->v.s) {
		ctx->nomem = true;
		return;
	}
	r->type = RET_STR;
}

void pbx_dp_ret_int(struct pbx_dp_ctx *ctx, int64_t i)
{
	struct dp_ret *r = ret_next(ctx);

	if (r) {
		r->type = RET_INT;
		r->v.i = i;
	}
}

void pbx_dp_ret_bool(struct pbx_dp_ctx *ctx, bool b)
{
	struct dp_ret *r = ret_next(ctx);

	if (r) {
		r->type = RET_BOOL;
		r->v.b = b;
	}
}

void pbx_dp_ret_nil(struct pbx_dp_ctx *ctx)
{
	struct dp_ret *r = ret_next(ctx);

	if (r)
		r->type = RET_NIL;
}

void pbx_dp_errmsg(struct pbx_dp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx || !fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
}

/* ---- Tables in the sandbox ---- */

/* Build <t>'s Lua table and set it in the sandbox base of <L> (the
 * light userdata argument). Run under lua_pcall().
 */
static int install(lua_State *L)
{
	struct dp_table *t = lua_touserdata(L, 1);
	struct dp_handle *h;
	size_t n = 0;

	while (t->funcs[n].name)
		n++;
	lua_getfield(L, LUA_REGISTRYINDEX, PBX_LUA_SANDBOX);
	h = lua_newuserdatauv(L, sizeof(*h), 0);
	h->t = NULL;
	lua_createtable(L, 0, (int)n);
	for (size_t i = 0; i < n; i++) {
		lua_pushvalue(L, -2);
		lua_pushinteger(L, (lua_Integer)i);
		lua_pushfstring(L, "%s.%s", t->name, t->funcs[i].name);
		lua_pushcclosure(L, dp_call, 3);
		lua_setfield(L, -2, t->funcs[i].name);
	}
	lua_setfield(L, -3, t->name);
	/* Only now: a memory error above leaves no handle behind. */
	h->t = t;
	t->handle = h;
	return 0;
}

/* Drop <t>'s table from the sandbox base (light userdata argument). */
static int uninstall(lua_State *L)
{
	struct dp_table *t = lua_touserdata(L, 1);

	lua_getfield(L, LUA_REGISTRYINDEX, PBX_LUA_SANDBOX);
	lua_pushnil(L);
	lua_setfield(L, -2, t->name);
	return 0;
}

static int run(lua_State *L, lua_CFunction fn, void *arg)
{
	lua_pushcfunction(L, fn);
	lua_pushlightuserdata(L, arg);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		lua_pop(L, 1);
		return ENOMEM;
	}
	return 0;
}

int pbx_dp_register(const char *table, const struct pbx_dp_func *funcs)
{
	struct dp_table *t;
	int err;

	if (!is_ident(table) || !funcs || !funcs_valid(funcs))
		return EINVAL;
	if (is_reserved(table) || table_find(table))
		return EEXIST;

	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->name = strdup(table);
	if (!t->name) {
		free(t);
		return ENOMEM;
	}
	t->funcs = funcs;

	if (pbx_lua_g.L) {
		err = run(pbx_lua_g.L, install, t);
		if (err) {
			free(t->name);
			free(t);
			return err;
		}
	}
	t->next = tables;
	tables = t;
	return 0;
}

void pbx_dp_unregister(const char *table)
{
	struct dp_table **tp, *t;

	if (!table)
		return;
	for (tp = &tables; *tp; tp = &(*tp)->next) {
		if (!strcmp((*tp)->name, table))
			break;
	}
	t = *tp;
	if (!t)
		return;
	*tp = t->next;

	/* Copies kept by running calls fail cleanly from now on. Setting a
	 * field to nil allocates nothing, so this cannot fail.
	 */
	if (t->handle)
		t->handle->t = NULL;
	if (pbx_lua_g.L)
		run(pbx_lua_g.L, uninstall, t);
	free(t->name);
	free(t);
}

int pbx_dp_open(lua_State *L)
{
	struct dp_table *t;

	for (t = tables; t; t = t->next) {
		lua_pushcfunction(L, install);
		lua_pushlightuserdata(L, t);
		lua_call(L, 1, 0);
	}
	return 0;
}

void pbx_dp_close(void)
{
	struct dp_table *t;

	for (t = tables; t; t = t->next)
		t->handle = NULL;
}
