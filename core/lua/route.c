/* lua/route.c - running route(call): one coroutine per call with its own
 * globals, resumed by the completions it waits for; the instruction
 * limit; how a run ends (pbx_call_route_end()) or is dropped when the
 * call goes (pbx_lua_call_gone()). The call's methods are callobj.c.
 */
#define PBX_LOG_TAG "lua"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>

#include <pbx/log.h>

#include "call/call.h"
#include "lua/dialplan.h"
#include "lua/lua_int.h"

#define G pbx_lua_g

/* ---- The instruction limit and stopping ---- */

/* Runs every lua.max_instructions instructions of a run, that is, once
 * the run went that far without waiting (each resume re-arms it). The
 * run is marked and an error raised; the sandbox's pcall rethrows it,
 * so it unwinds to lua_resume() whatever the script does. A hook may
 * also fire again while __close handlers run during that unwinding:
 * each gets its own error and the unwinding goes on.
 */
static void count_hook(lua_State *co, lua_Debug *ar)
{
	struct pbx_lua_script *s = pbx_lua_script_of(co);
	lua_Debug me;

	if (s && s->stop == PBX_LUA_STOP_END) {
		lua_pushliteral(co, "call ended");
		lua_error(co);
	}
	if (s)
		s->stop = PBX_LUA_STOP_LIMIT;
	if (lua_getstack(co, 0, &me) && lua_getinfo(co, "Sl", &me) &&
	    me.currentline > 0)
		lua_pushfstring(co, "%s:%d: instruction limit (%d) exceeded",
				me.short_src, me.currentline,
				(int)G.max_instr);
	else
		lua_pushfstring(co, "instruction limit (%d) exceeded",
				(int)G.max_instr);
	lua_error(co);
}

void pbx_lua_limit_arm(lua_State *co)
{
	lua_sethook(co, count_hook, LUA_MASKCOUNT, (int)G.max_instr);
}

bool pbx_lua_stopped(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_script_of(L);

	return s && s->stop != PBX_LUA_STOP_NONE;
}

int pbx_lua_stop_now(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_script_of(L);

	if (s && s->stop == PBX_LUA_STOP_LIMIT)
		lua_pushliteral(L, "instruction limit exceeded");
	else
		lua_pushliteral(L, "call ended");
	return lua_error(L);
}

/* ---- Errors and tracebacks ---- */

void pbx_lua_error_text(lua_State *co, int status, const char *name,
			char *buf, size_t bufsz)
{
	if (status == LUA_ERRMEM)
		snprintf(buf, bufsz, "%s: not enough memory", name);
	else if (lua_type(co, -1) == LUA_TSTRING)
		snprintf(buf, bufsz, "%s", lua_tostring(co, -1));
	else if (lua_type(co, -1) == LUA_TNUMBER)
		snprintf(buf, bufsz, "%s: error %g", name,
			 (double)lua_tonumber(co, -1));
	else
		snprintf(buf, bufsz, "%s: (error object is a %s value)",
			 name, luaL_typename(co, -1));
}

struct tb_job {
	lua_State *co;
	const char *msg;
};

static int tb_run(lua_State *L)
{
	struct tb_job *j = lua_touserdata(L, 1);

	luaL_traceback(L, j->co, j->msg, 0);
	return 1;
}

/* Log why <s> failed, with the traceback of its coroutine one line per
 * log line (a log line holds no newline).
 */
static void log_failure(struct pbx_lua_script *s, int status,
			const char *callid)
{
	char msg[512];
	struct tb_job j = { .co = s->co, .msg = msg };
	const char *tb, *nl;

	pbx_lua_error_text(s->co, status, s->ver->file, msg, sizeof(msg));
	lua_pushcfunction(G.L, tb_run);
	lua_pushlightuserdata(G.L, &j);
	if (lua_pcall(G.L, 1, 1, 0) != LUA_OK) {
		lua_pop(G.L, 1);
		PBX_LOG(PBX_LOG_ERR, callid, "call %s: route() failed: %s",
			s->id, msg);
		return;
	}
	tb = lua_tostring(G.L, -1);
	nl = strchr(tb, '\n');
	PBX_LOG(PBX_LOG_ERR, callid, "call %s: route() failed: %.*s", s->id,
		nl ? (int)(nl - tb) : (int)strlen(tb), tb);
	while (nl) {
		const char *line = nl + 1;

		while (*line == '\t' || *line == ' ')
			line++;
		nl = strchr(line, '\n');
		PBX_LOG(PBX_LOG_ERR, callid, "call %s:   %.*s", s->id,
			nl ? (int)(nl - line) : (int)strlen(line), line);
	}
	lua_pop(G.L, 1);
}

/* ---- A run ---- */

void pbx_lua_thread_close(lua_State *co)
{
	pbx_lua_limit_arm(co);
#if LUA_VERSION_RELEASE_NUM >= 50406
	lua_closethread(co, pbx_lua_g.L);
#else
	lua_resetthread(co);
#endif
}

void pbx_lua_script_free(struct pbx_lua_script *s)
{
	if (s->timer)
		pbx_timer_free(s->timer);
	if (s->obj)
		s->obj->s = NULL;
	if (s->call && !s->gone)
		pbx_call_set_script(s->call, NULL);
	if (s->prevp) {
		*s->prevp = s->next;
		if (s->next)
			s->next->prevp = s->prevp;
	}
	if (s->co) {
		if (s->stop == PBX_LUA_STOP_NONE)
			s->stop = PBX_LUA_STOP_END;
		pbx_lua_thread_close(s->co);
		pbx_lua_set_script_of(s->co, NULL);
	}
	if (G.L) {
		luaL_unref(G.L, LUA_REGISTRYINDEX, s->co_ref);
		luaL_unref(G.L, LUA_REGISTRYINDEX, s->env_ref);
	}
	pbx_lua_version_put(s->ver);
	free(s->dial_strs);
	free(s);
}

/* The run is over: count it, log a failure, free it, and tell the call
 * core last (it may free the call at once).
 */
static void script_end(struct pbx_lua_script *s, int status)
{
	struct pbx_call *call = s->gone ? NULL : s->call;
	int err = 0;

	if (s->stop == PBX_LUA_STOP_LIMIT)
		err = ETIME;
	else if (s->stop == PBX_LUA_STOP_NONE && status != LUA_OK &&
		 status != LUA_YIELD)
		err = status == LUA_ERRMEM ? ENOMEM : EINVAL;
	if (err) {
		G.errors++;
		log_failure(s, status,
			    call ? pbx_call_sip_callid(call) : NULL);
	}
	pbx_lua_script_free(s);
	if (call)
		pbx_call_route_end(call, err);
}

static uint64_t ns_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)(t.tv_sec - t0->tv_sec) * 1000000000u +
		(uint64_t)t.tv_nsec - (uint64_t)t0->tv_nsec;
}

/* Resume <s> with the <nargs> values on its stack until it waits or
 * ends. Nested resumes (a completion for another call arriving while a
 * run is inside the call core) name the running coroutine as <from>,
 * which keeps Lua's C-stack accounting right.
 */
static void script_resume(struct pbx_lua_script *s, int nargs)
{
	lua_State *prev = G.running;
	int status, nres = 0;

	pbx_lua_limit_arm(s->co);
	s->running = true;
	G.running = s->co;
	status = lua_resume(s->co, prev ? prev : G.L, nargs, &nres);
	G.running = prev;
	s->running = false;

	if (!s->decided) {
		s->decided = true;
		G.decide_ns += ns_since(&s->started);
	}
	if (status == LUA_YIELD && s->stop == PBX_LUA_STOP_NONE &&
	    s->wait != PBX_LUA_WAIT_NONE) {
		lua_pop(s->co, nres);
		return;
	}
	if (s->gone) {
		/* pbx_lua_call_gone() came while it ran: drop it now. */
		pbx_lua_script_free(s);
		return;
	}
	script_end(s, status);
}

void pbx_lua_script_wake(struct pbx_lua_script *s)
{
	if (!s->running)
		script_resume(s, 0);
}

/* The coroutine's body (1: chunk, 2: its globals, 3: the call): run the
 * file's top level, which defines route() in these globals, then
 * route(call). As continuations, so route() may wait.
 */
static int co_done(lua_State *L, int status, lua_KContext ctx)
{
	return 0;
}

static int co_route(lua_State *L, int status, lua_KContext ctx)
{
	lua_settop(L, 3);
	lua_pushliteral(L, "route");
	if (lua_rawget(L, 2) != LUA_TFUNCTION)
		return luaL_error(L, "route(call) is not defined");
	lua_pushvalue(L, 3);
	lua_callk(L, 1, 0, 0, co_done);
	return 0;
}

static int co_main(lua_State *L)
{
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_callk(L, 1, 0, 0, co_route);
	return co_route(L, LUA_OK, 0);
}

/* Make <s>'s coroutine, globals and call object, and put the body with
 * its three arguments on the coroutine. Under lua_pcall(): any of it
 * may run out of memory.
 */
static int route_setup(lua_State *L)
{
	struct pbx_lua_script *s = lua_touserdata(L, 1);

	s->co = lua_newthread(L);
	pbx_lua_set_script_of(s->co, s);
	s->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (!lua_checkstack(s->co, 4))
		return luaL_error(L, "not enough memory");
	lua_pushcfunction(L, co_main);
	lua_rawgeti(L, LUA_REGISTRYINDEX, s->ver->chunk_ref);
	pbx_lua_sandbox_env(L);
	lua_pushvalue(L, -1);
	s->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	pbx_lua_callobj_push(L, s);
	lua_xmove(L, s->co, 4);
	return 0;
}

int pbx_lua_route(struct pbx_call *call)
{
	struct pbx_lua_script *s;
	const char *id;

	if (!call)
		return EINVAL;
	if (!G.L || !G.cur)
		return ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	s->call = call;
	s->ver = G.cur;
	s->ver->refs++;
	s->co_ref = s->env_ref = LUA_NOREF;
	id = pbx_call_id(call);
	snprintf(s->id, sizeof(s->id), "%s", id ? id : "?");

	lua_pushcfunction(G.L, route_setup);
	lua_pushlightuserdata(G.L, s);
	if (lua_pcall(G.L, 1, 0, 0) != LUA_OK) {
		lua_pop(G.L, 1);
		s->call = NULL;
		pbx_lua_script_free(s);
		return ENOMEM;
	}
	s->next = G.scripts;
	if (s->next)
		s->next->prevp = &s->next;
	s->prevp = &G.scripts;
	G.scripts = s;
	pbx_call_set_script(call, s);
	G.routes++;

	script_resume(s, 3);
	return 0;
}

void pbx_lua_call_gone(struct pbx_call *call)
{
	struct pbx_lua_script *s;

	if (!call)
		return;
	s = pbx_call_script(call);
	if (!s)
		return;
	pbx_call_set_script(call, NULL);
	s->gone = true;
	s->call = NULL;
	s->wait = PBX_LUA_WAIT_NONE;
	if (s->stop == PBX_LUA_STOP_NONE)
		s->stop = PBX_LUA_STOP_END;
	if (s->timer)
		pbx_timer_cancel(s->timer);
	if (!s->running)
		pbx_lua_script_free(s);
}
