/* lua/dialplan.h - the Lua dialplan as the call core and main.c see it:
 * load and reload the file, run route(call) in a coroutine per call,
 * drop it when the call goes. Loop thread only.
 */
#ifndef PBX_LUA_DIALPLAN_H
#define PBX_LUA_DIALPLAN_H

#include <stddef.h>
#include <stdint.h>

#include <pbx/cfg.h>

struct pbx_call;

/* Load the dialplan named by cfg->call_dialplan (relative to
 * cfg->dialplans_dir unless absolute) and keep cfg->lua_max_instructions.
 * The file is compiled and its top level run once in the sandbox, so a
 * runtime error there, a runaway top level or a missing route() are
 * found now. Returns 0, or an errno with "<file>:<line>: <what>" in
 * <err> (pbxd then refuses to start): EINVAL for the script, the errno
 * of reading the file (ENOENT ...), EFBIG past 4 MB, ENOMEM, EALREADY
 * when already open. Loop thread (or before the loop runs).
 */
int pbx_lua_open(const struct pbx_cfg *cfg, char *err, size_t errsz);

/* Load the dialplan file again (with <cfg>'s file name and limits; it
 * keeps copies). Calls in progress keep running the version they
 * started with; new calls get the new one. On a syntax or load error
 * the running dialplan (and its file and limits) is kept and EINVAL (or
 * a file errno) returned with the reason in <err>. Opens the dialplan
 * when it is not open yet.
 */
int pbx_lua_reload(const struct pbx_cfg *cfg, char *err, size_t errsz);

/* Same, with the file and limits of the last successful open or
 * reload (REST POST /api/v1/dialplan/reload). ENOENT when no dialplan
 * is loaded.
 */
int pbx_lua_reload_current(char *err, size_t errsz);

/* Free the dialplan state. Calls still running route() are told with
 * pbx_call_route_end(call, ESHUTDOWN); normally the call core ended
 * every call before. Module tables stay registered for a later open.
 */
void pbx_lua_close(void);

/* Start route(<call>) in a new coroutine with its own globals. Returns 0
 * once started (it ends with pbx_call_route_end(), possibly before this
 * returns), or ENOENT when no dialplan is loaded, ENOMEM.
 */
int pbx_lua_route(struct pbx_call *call);

/* The call is ending: stop its coroutine and cancel what it waits for;
 * no pbx_call_* completion for it is expected any more. May be called
 * while the coroutine itself runs (from inside a call method such as
 * hangup): it must then stop as soon as that method returns to Lua.
 * Does not call pbx_call_route_end().
 */
void pbx_lua_call_gone(struct pbx_call *call);

/* Figures for GET /api/v1/dialplan and the dialplan benchmark. */
struct pbx_lua_stats {
	const char *file;         /* (borrowed) path of the loaded file
				   * until the next reload; NULL if none */
	int64_t loaded_at;        /* Unix time of the last (re)load */
	uint64_t routes;          /* route() runs started */
	uint64_t errors;          /* ended by a Lua error or a limit */
	uint64_t decide_ns;       /* total time from the start of route()
				   * to its first wait or its end */
	size_t mem_used;          /* bytes the dialplan state holds */
	size_t mem_max;           /* its cap (64 MB) */
};

/* Fill <st> with the figures since pbx_lua_open(). */
void pbx_lua_stats(struct pbx_lua_stats *st);

#endif
