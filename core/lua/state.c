/* lua/state.c - the dialplan's one lua_State: its allocator with a
 * memory cap, and the compiled versions of the dialplan file (open,
 * reload, close, stats). Running a call is route.c; what scripts may
 * reach is sandbox.c.
 */
#define PBX_LOG_TAG "lua"

#include <errno.h>
#include <limits.h>
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

struct pbx_lua pbx_lua_g;

#define G pbx_lua_g

/* Every allocation of the state goes through here. Past the cap Lua
 * sees a failed allocation: it collects garbage and retries, then
 * raises "not enough memory" in the script that asked.
 */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct pbx_lua *g = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		g->mem_used -= old;
		return NULL;
	}
	if (nsize > old && g->mem_used - old + nsize > g->mem_max)
		return NULL;
	p = realloc(ptr, nsize);
	if (p)
		g->mem_used = g->mem_used - old + nsize;
	return p;
}

/* An error outside any protected call is a bug of ours: say what it
 * was before Lua aborts.
 */
static int panic(lua_State *L)
{
	const char *msg = lua_type(L, -1) == LUA_TSTRING ?
		lua_tostring(L, -1) : "(not a string)";

	PBX_ERR("unprotected Lua error: %s", msg);
	return 0;
}

/* ---- Versions ---- */

void pbx_lua_version_put(struct pbx_lua_version *v)
{
	if (!v || --v->refs)
		return;
	if (G.L)
		luaL_unref(G.L, LUA_REGISTRYINDEX, v->chunk_ref);
	free(v->file);
	free(v);
}

/* Read <path> whole, as the chunk we compile: "local _ENV = ...;" in
 * front, on the first line so line numbers stay right. Every run calls
 * the chunk with its own globals as argument, so one compiled chunk
 * serves every call, and nested functions close over that run's
 * globals. A first line starting with '#' (a #! line) and a UTF-8 BOM
 * are skipped, as lua(1) does. Returns 0, an errno of the file, EFBIG.
 */
static int read_source(const char *path, char **bufp, const char **srcp,
		       size_t *lenp)
{
	static const char prefix[] = "local _ENV = ...; ";
	const size_t plen = sizeof(prefix) - 1;
	size_t len = plen, cap = 16384, skip = 0;
	char *buf, *body;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f)
		return errno;
	buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return ENOMEM;
	}
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				err = ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (len - plen > PBX_LUA_FILE_MAX) {
			err = EFBIG;
			break;
		}
		if (n == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	body = buf + plen;
	if (len - plen >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
		skip = 3;
	if (body[skip] == '#') {
		char *nl = strchr(body + skip, '\n');

		/* Keep the newline: line 2 stays line 2. */
		skip = nl ? (size_t)(nl - body) : len - plen;
	}
	memcpy(buf + skip, prefix, plen);
	*bufp = buf;
	*srcp = buf + skip;
	*lenp = len - skip;
	return 0;
}

struct load_job {
	const char *src;          /* chunk text, our prefix included */
	size_t len;
	const char *chunkname;    /* "@<name>" */
	const char *name;         /* the file as configured */
	int ref;                  /* out: registry reference */
};

/* Compile the chunk and run it once in a scratch run, as every call
 * will: a runtime error, a runaway top level or a missing route() is
 * found now rather than on the first call. Run under lua_pcall() with
 * the job as light userdata; raises the message on failure.
 */
static int load_run(lua_State *L)
{
	struct load_job *j = lua_touserdata(L, 1);
	struct pbx_lua_script scratch;
	char msg[512];
	lua_State *co;
	int status, nres;

	if (luaL_loadbufferx(L, j->src, j->len, j->chunkname, "t"))
		return lua_error(L);
	/* The chunk's own _ENV upvalue would be the real globals (io,
	 * os.execute): the file never uses it (it has its local _ENV), but
	 * leave nothing there to find.
	 */
	lua_pushnil(L);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);

	memset(&scratch, 0, sizeof(scratch));
	co = lua_newthread(L);
	scratch.co = co;
	pbx_lua_sandbox_env(L);
	lua_pushvalue(L, -1);
	scratch.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	pbx_lua_set_script_of(co, &scratch);
	if (!lua_checkstack(co, 2)) {
		lua_pushfstring(L, "%s: not enough memory", j->name);
		return lua_error(L);
	}
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -2);
	lua_xmove(L, co, 2);

	pbx_lua_limit_arm(co);
	status = lua_resume(co, L, 1, &nres);
	if (status == LUA_OK) {
		lua_pushliteral(L, "route");
		if (lua_rawget(L, -2) != LUA_TFUNCTION) {
			snprintf(msg, sizeof(msg), "%s: no route(call) "
				 "function defined", j->name);
			status = -1;
		}
	} else if (status == LUA_YIELD) {
		snprintf(msg, sizeof(msg), "%s: the top level waited",
			 j->name);
	} else {
		pbx_lua_error_text(co, status, j->name, msg, sizeof(msg));
	}
	scratch.stop = PBX_LUA_STOP_END;
	pbx_lua_thread_close(co);
	pbx_lua_set_script_of(co, NULL);
	luaL_unref(L, LUA_REGISTRYINDEX, scratch.env_ref);
	if (status != LUA_OK) {
		lua_pushstring(L, msg);
		return lua_error(L);
	}

	lua_pushvalue(L, 2);
	j->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* Compile <path> (shown as <name>) into a new version, checking it with
 * the limit <max_instr>. Returns 0, EINVAL or an errno of the file, with
 * the reason in <err>.
 */
static int load_file(const char *path, const char *name,
		     unsigned max_instr, struct pbx_lua_version **vp,
		     char *err, size_t errsz)
{
	struct load_job j = { .name = name, .ref = LUA_NOREF };
	struct pbx_lua_version *v = NULL;
	unsigned old_max = G.max_instr;
	char *buf = NULL, *chunkname = NULL;
	const char *src = NULL;
	size_t len = 0, nlen = strlen(name);
	int e;

	e = read_source(path, &buf, &src, &len);
	if (e) {
		snprintf(err, errsz, "%s: %s", name, e == EFBIG ?
			 "file too large" : strerror(e));
		return e;
	}
	v = calloc(1, sizeof(*v));
	chunkname = malloc(nlen + 2);
	if (v)
		v->file = strdup(name);
	if (!v || !chunkname || !v->file) {
		snprintf(err, errsz, "%s: %s", name, strerror(ENOMEM));
		e = ENOMEM;
		goto out;
	}
	chunkname[0] = '@';
	memcpy(chunkname + 1, name, nlen + 1);
	j.src = src;
	j.len = len;
	j.chunkname = chunkname;

	G.max_instr = max_instr;
	lua_pushcfunction(G.L, load_run);
	lua_pushlightuserdata(G.L, &j);
	e = lua_pcall(G.L, 1, 0, 0);
	G.max_instr = old_max;
	if (e != LUA_OK) {
		if (e == LUA_ERRMEM)
			snprintf(err, errsz, "%s: not enough memory", name);
		else
			snprintf(err, errsz, "%s", lua_tostring(G.L, -1));
		lua_pop(G.L, 1);
		e = e == LUA_ERRMEM ? ENOMEM : EINVAL;
		goto out;
	}
	v->chunk_ref = j.ref;
	v->loaded_at = (int64_t)time(NULL);
	v->refs = 1;
	*vp = v;
	v = NULL;
 out:
	if (v) {
		free(v->file);
		free(v);
	}
	free(chunkname);
	free(buf);
	return e;
}

/* <cfg>'s dialplan file: call.dialplan, under paths.dialplans unless
 * absolute. NULL when out of memory.
 */
static char *cfg_path(const struct pbx_cfg *cfg)
{
	const char *name = cfg->call_dialplan ? cfg->call_dialplan : "";
	const char *dir = cfg->dialplans_dir ? cfg->dialplans_dir : ".";
	char *p;

	if (name[0] == '/')
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* lua.max_instructions as the hook takes it: an int, never 0 (which
 * would turn the limit off).
 */
static unsigned limit_of(unsigned v)
{
	if (!v)
		return 1000000;
	return v > INT_MAX ? INT_MAX : v;
}

/* Load <path> and make it what new calls run; the old version lives on
 * in the calls still running it. Keeps everything on failure.
 */
static int swap_in(char *path, const char *name, unsigned max_instr,
		   char *err, size_t errsz)
{
	struct pbx_lua_version *v = NULL;
	char *name_copy;
	int e;

	max_instr = limit_of(max_instr);
	name_copy = strdup(name);
	if (!name_copy) {
		free(path);
		snprintf(err, errsz, "%s: %s", name, strerror(ENOMEM));
		return ENOMEM;
	}
	e = load_file(path, name, max_instr, &v, err, errsz);
	if (e) {
		free(path);
		free(name_copy);
		return e;
	}
	pbx_lua_version_put(G.cur);
	G.cur = v;
	free(G.path);
	free(G.name);
	G.path = path;
	G.name = name_copy;
	G.max_instr = max_instr;
	PBX_NOTICE("dialplan %s loaded", path);
	return 0;
}

/* Open the libraries and the sandbox into the new state. */
static int open_run(lua_State *L)
{
	lua_pushcfunction(L, pbx_lua_sandbox_open);
	lua_call(L, 0, 0);
	pbx_lua_callobj_open(L);
	lua_pushcfunction(L, pbx_dp_open);
	lua_call(L, 0, 0);
	return 0;
}

int pbx_lua_open(const struct pbx_cfg *cfg, char *err, size_t errsz)
{
	char *path;
	int e;

	if (!cfg || !err || !errsz)
		return EINVAL;
	err[0] = '\0';
	if (G.L) {
		snprintf(err, errsz, "dialplan already open");
		return EALREADY;
	}
	G.mem_used = 0;
	G.mem_max = PBX_LUA_MEM_MAX;
	G.L = lua_newstate(l_alloc, &G);
	if (!G.L) {
		snprintf(err, errsz, "%s", strerror(ENOMEM));
		return ENOMEM;
	}
	lua_atpanic(G.L, panic);
	G.running = NULL;
	G.routes = G.errors = G.decide_ns = 0;

	lua_pushcfunction(G.L, open_run);
	if (lua_pcall(G.L, 0, 0, 0) != LUA_OK) {
		snprintf(err, errsz, "%s", strerror(ENOMEM));
		pbx_lua_close();
		return ENOMEM;
	}
	path = cfg_path(cfg);
	if (!path) {
		snprintf(err, errsz, "%s", strerror(ENOMEM));
		pbx_lua_close();
		return ENOMEM;
	}
	e = swap_in(path, cfg->call_dialplan ? cfg->call_dialplan : "",
		    cfg->lua_max_instructions, err, errsz);
	if (e)
		pbx_lua_close();
	return e;
}

int pbx_lua_reload(const struct pbx_cfg *cfg, char *err, size_t errsz)
{
	char *path;

	if (!cfg || !err || !errsz)
		return EINVAL;
	err[0] = '\0';
	if (!G.L)
		return pbx_lua_open(cfg, err, errsz);
	path = cfg_path(cfg);
	if (!path) {
		snprintf(err, errsz, "%s", strerror(ENOMEM));
		return ENOMEM;
	}
	return swap_in(path, cfg->call_dialplan ? cfg->call_dialplan : "",
		       cfg->lua_max_instructions, err, errsz);
}

int pbx_lua_reload_current(char *err, size_t errsz)
{
	char *path;

	if (!err || !errsz)
		return EINVAL;
	err[0] = '\0';
	if (!G.L || !G.path) {
		snprintf(err, errsz, "no dialplan loaded");
		return ENOENT;
	}
	path = strdup(G.path);
	if (!path) {
		snprintf(err, errsz, "%s", strerror(ENOMEM));
		return ENOMEM;
	}
	return swap_in(path, G.name, G.max_instr, err, errsz);
}

void pbx_lua_close(void)
{
	if (!G.L)
		return;
	/* Calls still running lose their dialplan: tell the core, which
	 * ends them (main.c normally ends every call first).
	 */
	while (G.scripts) {
		struct pbx_lua_script *s = G.scripts;
		struct pbx_call *call = s->gone ? NULL : s->call;

		pbx_lua_script_free(s);
		if (call)
			pbx_call_route_end(call, ESHUTDOWN);
	}
	pbx_lua_version_put(G.cur);
	G.cur = NULL;
	pbx_dp_close();
	lua_close(G.L);
	G.L = NULL;
	free(G.path);
	free(G.name);
	G.path = G.name = NULL;
	G.mem_used = 0;
}

void pbx_lua_stats(struct pbx_lua_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	st->file = G.path;
	st->loaded_at = G.cur ? G.cur->loaded_at : 0;
	st->routes = G.routes;
	st->errors = G.errors;
	st->decide_ns = G.decide_ns;
	st->mem_used = G.mem_used;
	st->mem_max = G.mem_max;
}
