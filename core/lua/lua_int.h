/* lua/lua_int.h - what the files of core/lua/ share: the one dialplan
 * lua_State, a call's script (its coroutine and what it waits for), and
 * the helpers between state.c, sandbox.c, route.c, callobj.c and dp.c.
 * Private to core/lua/; loop thread only.
 */
#ifndef PBX_LUA_INT_H
#define PBX_LUA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <lua.h>

#include <pbx/call.h>
#include <pbx/loop.h>

/* Bytes the dialplan state may hold, all calls together: enough for
 * thousands of waiting calls, small enough that a script building a
 * huge table cannot eat the machine.
 */
#define PBX_LUA_MEM_MAX ((size_t)64 * 1024 * 1024)

/* Largest dialplan file we read. */
#define PBX_LUA_FILE_MAX ((size_t)4 * 1024 * 1024)

/* Registry fields of the dialplan state. */
#define PBX_LUA_SANDBOX "pbx.sandbox"  /* what every call's globals read */
#define PBX_LUA_ENV_MT  "pbx.env"      /* metatable of a call's globals */
#define PBX_LUA_CALL_MT "pbx.call"     /* metatable of call objects */

/* One compiled version of the dialplan file. The current one and every
 * script started on it hold a reference, so a reload never pulls the
 * code from under a running call.
 */
struct pbx_lua_version {
	int chunk_ref;            /* registry: the compiled main chunk */
	char *file;               /* (ref) path as configured, for logs */
	int64_t loaded_at;        /* Unix time of the load */
	unsigned refs;
};

/* What a script's coroutine is suspended on. */
enum pbx_lua_wait {
	PBX_LUA_WAIT_NONE = 0,
	PBX_LUA_WAIT_ANSWER,      /* pbx_call_answer()'s done */
	PBX_LUA_WAIT_DIAL,        /* pbx_call_dial()'s done */
	PBX_LUA_WAIT_SLEEP,       /* the script's timer */
	PBX_LUA_WAIT_DONE,        /* the completion arrived: res_* hold it */
};

/* Why a script must not run another instruction. */
enum pbx_lua_stop {
	PBX_LUA_STOP_NONE = 0,
	PBX_LUA_STOP_END,         /* hung up, or the call went away */
	PBX_LUA_STOP_LIMIT,       /* lua.max_instructions without a wait */
};

struct pbx_lua_callobj;

/* A call's dialplan run: set as the call's script (pbx_call_script())
 * from pbx_lua_route() until the run ends or the call goes.
 */
struct pbx_lua_script {
	struct pbx_call *call;    /* (borrowed) NULL once gone, or at load */
	struct pbx_lua_version *ver;    /* (ref) */
	lua_State *co;            /* the coroutine, anchored by co_ref */
	int co_ref;               /* registry reference of co */
	int env_ref;              /* registry reference of its globals */
	struct pbx_lua_callobj *obj;    /* (borrowed) GC-owned userdata */
	char id[64];              /* call id, for logs after it went */

	enum pbx_lua_wait wait;
	uint32_t seq;             /* matches completions to their wait */
	int res_err;              /* answer's outcome */
	struct pbx_dial_outcome res_dial; /* dial's outcome */
	char *dial_strs;          /* (ref) strings lent to pbx_call_dial */
	struct pbx_timer *timer;  /* (ref) call:sleep(), made on first use */

	enum pbx_lua_stop stop;
	bool running;             /* inside lua_resume(): never free it */
	bool gone;                /* pbx_lua_call_gone() came */
	bool decided;             /* decide time already counted */
	struct timespec started;  /* CLOCK_MONOTONIC at pbx_lua_route() */

	struct pbx_lua_script *next;    /* live scripts, for close */
	struct pbx_lua_script **prevp;
};

/* The call object userdata: invalidated (s = NULL) when the run ends. */
struct pbx_lua_callobj {
	struct pbx_lua_script *s; /* (borrowed) */
};

/* The dialplan subsystem: one state for every version and call. */
struct pbx_lua {
	lua_State *L;             /* (ref) NULL when closed */
	size_t mem_used;          /* bytes held by L */
	size_t mem_max;           /* cap on mem_used */
	struct pbx_lua_version *cur;    /* (ref) what new calls run */
	char *path;               /* (ref) resolved path of the file */
	char *name;               /* (ref) path as configured */
	unsigned max_instr;       /* lua.max_instructions */
	lua_State *running;       /* coroutine inside lua_resume(), or L */
	struct pbx_lua_script *scripts; /* live scripts */

	uint64_t routes;          /* stats: runs started */
	uint64_t errors;          /* stats: runs ended by an error */
	uint64_t decide_ns;       /* stats: time to first wait or end */
};

extern struct pbx_lua pbx_lua_g;

/* The script whose coroutine <L> is, or NULL (main thread, load). */
static inline struct pbx_lua_script *pbx_lua_script_of(lua_State *L)
{
	return *(struct pbx_lua_script **)lua_getextraspace(L);
}

static inline void pbx_lua_set_script_of(lua_State *L,
					 struct pbx_lua_script *s)
{
	*(struct pbx_lua_script **)lua_getextraspace(L) = s;
}

/* ---- state.c ---- */

/* Drop a reference on <v>; the last one frees its chunk. */
void pbx_lua_version_put(struct pbx_lua_version *v);

/* ---- sandbox.c ---- */

/* Build the sandbox base, the env metatable and the pbx table in the
 * registry of <L>. A lua_CFunction: run it with lua_pcall().
 */
int pbx_lua_sandbox_open(lua_State *L);

/* Push a new globals table for one run, reading through the sandbox.
 * May raise a memory error: call it in protected mode.
 */
void pbx_lua_sandbox_env(lua_State *L);

/* ---- route.c ---- */

/* Reset the instruction count of <co> to lua.max_instructions. */
void pbx_lua_limit_arm(lua_State *co);

/* Raise the error that ends a run whose stop flag is set; pcall()
 * in the sandbox rethrows it. Does not return.
 */
int pbx_lua_stop_now(lua_State *L);

/* True when the run of coroutine <L> must stop: checked after a C
 * function called into the call core or a module, which may have ended
 * the call meanwhile.
 */
bool pbx_lua_stopped(lua_State *L);

/* A completion for <s> arrived (res_* set, wait DONE): resume it unless
 * it is running (the method that started it then sees DONE).
 */
void pbx_lua_script_wake(struct pbx_lua_script *s);

/* The message of the error that ended coroutine <co> with <status>,
 * into <buf>, without running any Lua code (an error object's
 * __tostring could loop outside the instruction limit). <name> is the
 * file, for errors that carry no position (out of memory).
 */
void pbx_lua_error_text(lua_State *co, int status, const char *name,
			char *buf, size_t bufsz);

/* Close coroutine <co> once it will not run again: pending to-be-closed
 * variables are closed (under the instruction limit) and its stack
 * freed. Its script must be stopping.
 */
void pbx_lua_thread_close(lua_State *co);

/* Drop <s>: detach it from its call (without pbx_call_route_end()),
 * cancel its timer, close its coroutine, free it. Never while running.
 */
void pbx_lua_script_free(struct pbx_lua_script *s);

/* ---- callobj.c ---- */

/* Create the call object metatable in the registry of <L>. May raise a
 * memory error: call it in protected mode.
 */
void pbx_lua_callobj_open(lua_State *L);

/* Push a call object for <s>, linked as s->obj. May raise. */
void pbx_lua_callobj_push(lua_State *L, struct pbx_lua_script *s);

/* The live script of call object argument <i>, or a Lua error when it
 * is not a call or the call has ended.
 */
struct pbx_lua_script *pbx_lua_callobj_check(lua_State *L, int i);

/* ---- dp.c ---- */

/* Install every registered module table into the sandbox base of <L>
 * (at open). A lua_CFunction: run it with lua_pcall().
 */
int pbx_dp_open(lua_State *L);

/* The state is closing: forget what lives in it. */
void pbx_dp_close(void);

#endif
