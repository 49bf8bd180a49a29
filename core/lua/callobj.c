/* lua/callobj.c - the call object route(call) gets: its fields and its
 * methods, each a thin mapping onto <pbx/call.h>. Methods that wait
 * (answer, dial, sleep) yield the coroutine; the completion stores its
 * outcome in the script and resumes it, and the method's continuation
 * turns the outcome into Lua values. The object holds no reference on
 * the call: the run ends, and the object goes dead, before the call is
 * freed.
 */
#define PBX_LOG_TAG "lua"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>
#include <lua.h>

#include <pbx/call.h>
#include <pbx/log.h>

#include "call/call.h"
#include "lua/lua_int.h"

/* Largest header block call:dial() passes, and caller-id length. */
#define HDRS_MAX  2048
#define IDENT_MAX 256

/* Longest call:sleep(), and a dial's longest ring time (as
 * call.ring_timeout allows).
 */
#define SLEEP_MAX_S   86400.0
#define DIAL_MAX_S    3600

struct pbx_lua_script *pbx_lua_callobj_check(lua_State *L, int i)
{
	struct pbx_lua_callobj *obj = luaL_checkudata(L, i, PBX_LUA_CALL_MT);
	struct pbx_lua_script *s = obj->s;

	if (!s || s->gone || !s->call) {
		if (s && s->stop != PBX_LUA_STOP_NONE)
			pbx_lua_stop_now(L);
		luaL_error(L, "the call has ended");
	}
	if (s->stop != PBX_LUA_STOP_NONE)
		pbx_lua_stop_now(L);
	return s;
}

/* A waiting method may only be called where the coroutine can yield:
 * not from inside a C function such as table.sort() or string.gsub().
 */
static void check_yieldable(lua_State *L, const char *method)
{
	if (!lua_isyieldable(L))
		luaL_error(L, "call:%s() cannot wait here (inside a C "
			   "function such as table.sort or string.gsub)",
			   method);
}

static void push_str(lua_State *L, const char *s)
{
	if (s)
		lua_pushstring(L, s);
	else
		lua_pushnil(L);
}

/* The completion of the current wait of <call>'s run, if <seq> still
 * names it; NULL for a stale or foreign one, which is then ignored.
 */
static struct pbx_lua_script *waiting(struct pbx_call *call,
				      enum pbx_lua_wait w, void *seq)
{
	struct pbx_lua_script *s = call ? pbx_call_script(call) : NULL;

	if (!s || s->wait != w || s->seq != (uint32_t)(uintptr_t)seq)
		return NULL;
	return s;
}

static void *next_seq(struct pbx_lua_script *s, enum pbx_lua_wait w)
{
	s->wait = w;
	return (void *)(uintptr_t)++s->seq;
}

/* ---- answer, ring, hangup ---- */

static void answer_done(struct pbx_call *call, int err, void *arg)
{
	struct pbx_lua_script *s = waiting(call, PBX_LUA_WAIT_ANSWER, arg);

	if (!s)
		return;
	s->res_err = err;
	s->wait = PBX_LUA_WAIT_DONE;
	pbx_lua_script_wake(s);
}

static int answer_k(lua_State *L, int status, lua_KContext ctx)
{
	struct pbx_lua_script *s = pbx_lua_script_of(L);

	if (!s || s->stop != PBX_LUA_STOP_NONE)
		return pbx_lua_stop_now(L);
	s->wait = PBX_LUA_WAIT_NONE;
	if (!s->res_err) {
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushnil(L);
	if (s->res_err == ECONNRESET)
		lua_pushliteral(L, "the caller hung up");
	else if (s->res_err == EPROTO)
		lua_pushliteral(L, "the caller's SDP was refused");
	else
		lua_pushstring(L, strerror(s->res_err));
	return 2;
}

/* call:answer() -> true | nil, message. Waits for the caller's ACK. */
static int m_answer(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);
	void *seq;
	int err;

	check_yieldable(L, "answer");
	seq = next_seq(s, PBX_LUA_WAIT_ANSWER);
	err = pbx_call_answer(s->call, answer_done, seq);
	if (pbx_lua_stopped(L))
		return pbx_lua_stop_now(L);
	if (err) {
		s->wait = PBX_LUA_WAIT_NONE;
		if (err == EALREADY) {
			lua_pushboolean(L, 1);
			return 1;
		}
		if (err == ECONNRESET) {
			s->stop = PBX_LUA_STOP_END;
			return pbx_lua_stop_now(L);
		}
		lua_pushnil(L);
		lua_pushstring(L, strerror(err));
		return 2;
	}
	if (s->wait == PBX_LUA_WAIT_DONE)
		return answer_k(L, LUA_OK, 0);
	return lua_yieldk(L, 0, 0, answer_k);
}

/* call:ring() -> true | nil, message. Sends 180, does not wait. */
static int m_ring(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);
	int err;

	err = pbx_call_ring(s->call);
	if (pbx_lua_stopped(L))
		return pbx_lua_stop_now(L);
	if (!err) {
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushnil(L);
	if (err == EALREADY)
		lua_pushliteral(L, "the call is answered or ending");
	else
		lua_pushstring(L, strerror(err));
	return 2;
}

/* call:hangup([code]): the run stops here, whatever wraps the call. */
static int m_hangup(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);
	lua_Integer code = luaL_optinteger(L, 2, 0);

	luaL_argcheck(L, code == 0 || (code >= 400 && code <= 699), 2,
		      "0 or a SIP code 400-699 expected");
	pbx_call_hangup(s->call, (int)code);
	if (s->stop == PBX_LUA_STOP_NONE)
		s->stop = PBX_LUA_STOP_END;
	return pbx_lua_stop_now(L);
}

/* ---- sleep ---- */

static void sleep_done(void *arg)
{
	struct pbx_lua_script *s = arg;

	if (s->wait != PBX_LUA_WAIT_SLEEP)
		return;
	s->wait = PBX_LUA_WAIT_DONE;
	pbx_lua_script_wake(s);
}

static int sleep_k(lua_State *L, int status, lua_KContext ctx)
{
	struct pbx_lua_script *s = pbx_lua_script_of(L);

	if (!s || s->stop != PBX_LUA_STOP_NONE)
		return pbx_lua_stop_now(L);
	s->wait = PBX_LUA_WAIT_NONE;
	lua_pushboolean(L, 1);
	return 1;
}

/* call:sleep(seconds) -> true. Fractions allowed; 0 just lets the loop
 * run (and restarts the instruction count).
 */
static int m_sleep(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);
	lua_Number sec = luaL_checknumber(L, 2);
	int err;

	luaL_argcheck(L, sec >= 0 && sec <= SLEEP_MAX_S, 2,
		      "0 to 86400 seconds expected");
	check_yieldable(L, "sleep");
	if (!s->timer) {
		err = pbx_timer_alloc(&s->timer);
		if (err)
			return luaL_error(L, "call:sleep(): %s",
					  strerror(err));
	}
	s->wait = PBX_LUA_WAIT_SLEEP;
	err = pbx_timer_start(s->timer, (unsigned)(sec * 1000.0 + 0.5),
			      sleep_done, s);
	if (err) {
		s->wait = PBX_LUA_WAIT_NONE;
		return luaL_error(L, "call:sleep(): %s", strerror(err));
	}
	return lua_yieldk(L, 0, 0, sleep_k);
}

/* ---- dial ---- */

static void dial_done(struct pbx_call *call,
		      const struct pbx_dial_outcome *out, void *arg)
{
	struct pbx_lua_script *s = waiting(call, PBX_LUA_WAIT_DIAL, arg);

	if (!s)
		return;
	s->res_dial = *out;
	s->wait = PBX_LUA_WAIT_DONE;
	pbx_lua_script_wake(s);
}

static const char *const dial_results[] = {
	[PBX_DIAL_ANSWERED] = "answered",
	[PBX_DIAL_BUSY] = "busy",
	[PBX_DIAL_NOANSWER] = "noanswer",
	[PBX_DIAL_UNAVAILABLE] = "unavailable",
	[PBX_DIAL_FAILED] = "failed",
};

static int dial_k(lua_State *L, int status, lua_KContext ctx)
{
	struct pbx_lua_script *s = pbx_lua_script_of(L);
	unsigned r;

	if (!s || s->stop != PBX_LUA_STOP_NONE)
		return pbx_lua_stop_now(L);
	s->wait = PBX_LUA_WAIT_NONE;
	free(s->dial_strs);
	s->dial_strs = NULL;
	r = (unsigned)s->res_dial.result;
	lua_pushstring(L, r < sizeof(dial_results) / sizeof(dial_results[0])
		       ? dial_results[r] : "failed");
	lua_pushinteger(L, s->res_dial.sip_code);
	return 2;
}

/* RFC 3261 25.1 token characters: what a header name may hold. */
static bool is_token(const char *s, size_t len)
{
	static const char extra[] = "-.!%*_+`'~";

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c && strchr(extra, c))))
			return false;
	}
	return true;
}

/* Headers the SIP stack writes itself, long and compact forms: a
 * dialplan adding one would break the dialog.
 */
static bool is_owned_header(const char *s)
{
	static const char *const owned[] = {
		"Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq",
		"Contact", "m", "Content-Length", "l", "Content-Type", "c",
		"Max-Forwards", "Route", "Record-Route", NULL
	};

	for (size_t i = 0; owned[i]; i++) {
		if (!strcasecmp(owned[i], s))
			return true;
	}
	return false;
}

static bool has_crlf(const char *s, size_t len)
{
	return memchr(s, '\r', len) || memchr(s, '\n', len) ||
		memchr(s, '\0', len);
}

/* Render opts.headers (the table at <t>) into <buf> as
 * "Name: value\r\n" lines; a bad name or value is a Lua error.
 */
static size_t render_headers(lua_State *L, int t, char *buf)
{
	size_t used = 0;

	luaL_checktype(L, t, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		size_t nlen, vlen;
		const char *name, *value;

		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "call:dial(): header names must be "
				   "strings");
		name = lua_tolstring(L, -2, &nlen);
		if (!is_token(name, nlen))
			luaL_error(L, "call:dial(): bad header name '%s'",
				   name);
		if (is_owned_header(name))
			luaL_error(L, "call:dial(): header '%s' is set by "
				   "pbxd", name);
		if (lua_type(L, -1) != LUA_TSTRING &&
		    lua_type(L, -1) != LUA_TNUMBER)
			luaL_error(L, "call:dial(): header '%s' must be a "
				   "string", name);
		value = lua_tolstring(L, -1, &vlen);
		if (has_crlf(value, vlen))
			luaL_error(L, "call:dial(): header '%s' holds CR, "
				   "LF or NUL", name);
		if (used + nlen + vlen + 4 >= HDRS_MAX)
			luaL_error(L, "call:dial(): headers longer than %d "
				   "bytes", HDRS_MAX);
		memcpy(buf + used, name, nlen);
		used += nlen;
		memcpy(buf + used, ": ", 2);
		used += 2;
		memcpy(buf + used, value, vlen);
		used += vlen;
		memcpy(buf + used, "\r\n", 2);
		used += 2;
		lua_pop(L, 1);
	}
	buf[used] = '\0';
	return used;
}

/* A caller-id option: a string without CR, LF or NUL. */
static const char *ident_opt(lua_State *L, const char *key, size_t *len)
{
	const char *v;

	if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
		luaL_error(L, "call:dial(): option '%s' must be a string",
			   key);
	v = lua_tolstring(L, -1, len);
	if (*len > IDENT_MAX || has_crlf(v, *len))
		luaL_error(L, "call:dial(): option '%s' is too long or "
			   "holds CR, LF or NUL", key);
	return v;
}

struct dial_args {
	unsigned timeout_s;
	const char *num, *name;   /* (borrowed) from the opts table */
	size_t num_len, name_len;
	char hdrs[HDRS_MAX];
	size_t hdrs_len;
};

/* Read the opts table at index 3 into <a>; unknown keys are errors, so
 * a typo ("timout") does not pass silently.
 */
static void read_opts(lua_State *L, struct dial_args *a)
{
	if (lua_isnoneornil(L, 3))
		return;
	luaL_checktype(L, 3, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, 3)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ?
			lua_tostring(L, -2) : "";

		if (!strcmp(key, "timeout")) {
			lua_Number t = lua_tonumber(L, -1);

			if (!lua_isnumber(L, -1) || !(t > 0) ||
			    t > DIAL_MAX_S)
				luaL_error(L, "call:dial(): timeout must be "
					   "1 to %d seconds", DIAL_MAX_S);
			/* Round up, without libm. */
			a->timeout_s = (unsigned)t;
			if ((lua_Number)a->timeout_s < t)
				a->timeout_s++;
		} else if (!strcmp(key, "caller_number")) {
			a->num = ident_opt(L, key, &a->num_len);
		} else if (!strcmp(key, "caller_name")) {
			a->name = ident_opt(L, key, &a->name_len);
		} else if (!strcmp(key, "headers")) {
			a->hdrs_len = render_headers(L, lua_gettop(L),
						     a->hdrs);
		} else {
			luaL_error(L, "call:dial(): unknown option '%s'",
				   lua_type(L, -2) == LUA_TSTRING ? key :
				   luaL_typename(L, -2));
		}
		lua_pop(L, 1);
	}
}

/* Copy the strings of <a> into one block the script owns until the
 * dial is done: the opts table may be collected meanwhile.
 */
static char *dial_strs(const struct dial_args *a, struct pbx_dial_opts *o)
{
	char *b = malloc(a->num_len + a->name_len + a->hdrs_len + 3), *p;

	if (!b)
		return NULL;
	p = b;
	if (a->num) {
		memcpy(p, a->num, a->num_len);
		p[a->num_len] = '\0';
		o->caller_number = p;
		p += a->num_len + 1;
	}
	if (a->name) {
		memcpy(p, a->name, a->name_len);
		p[a->name_len] = '\0';
		o->caller_name = p;
		p += a->name_len + 1;
	}
	if (a->hdrs_len) {
		memcpy(p, a->hdrs, a->hdrs_len + 1);
		o->headers = p;
	}
	return b;
}

/* call:dial(target [, opts]) -> result, sip_code [, message]. Waits
 * until the dial is decided; "answered" comes once that bridge ended.
 */
static int m_dial(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);
	size_t tlen;
	const char *target = luaL_checklstring(L, 2, &tlen);
	struct pbx_dial_opts o;
	struct dial_args *a;
	void *seq;
	int err;

	luaL_argcheck(L, tlen && !has_crlf(target, tlen), 2,
		      "a dial target expected");
	/* In a userdata, not on the C stack: 2 KB of headers. */
	lua_settop(L, 3);
	a = lua_newuserdatauv(L, sizeof(*a), 0);
	memset(a, 0, sizeof(*a));
	read_opts(L, a);
	check_yieldable(L, "dial");

	memset(&o, 0, sizeof(o));
	o.timeout_s = a->timeout_s;
	free(s->dial_strs);
	s->dial_strs = dial_strs(a, &o);
	if (!s->dial_strs)
		return luaL_error(L, "call:dial(): not enough memory");

	seq = next_seq(s, PBX_LUA_WAIT_DIAL);
	err = pbx_call_dial(s->call, target, &o, dial_done, seq);
	if (pbx_lua_stopped(L))
		return pbx_lua_stop_now(L);
	if (err) {
		s->wait = PBX_LUA_WAIT_NONE;
		free(s->dial_strs);
		s->dial_strs = NULL;
		if (err == ECONNRESET) {
			s->stop = PBX_LUA_STOP_END;
			return pbx_lua_stop_now(L);
		}
		if (err == EBUSY)
			return luaL_error(L, "call:dial(): a dial is "
					  "already running");
		lua_pushliteral(L, "failed");
		lua_pushinteger(L, 0);
		if (err == EINVAL)
			lua_pushfstring(L, "no dial target '%s'", target);
		else
			lua_pushstring(L, strerror(err));
		return 3;
	}
	if (s->wait == PBX_LUA_WAIT_DONE)
		return dial_k(L, LUA_OK, 0);
	return lua_yieldk(L, 0, 0, dial_k);
}

/* ---- variables and headers ---- */

/* call:get(name) -> value | nil */
static int m_get(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);

	push_str(L, pbx_call_var_get(s->call, luaL_checkstring(L, 2)));
	return 1;
}

/* call:set(name, value|nil) -> true | nil, message */
static int m_set(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);
	const char *name = luaL_checkstring(L, 2);
	const char *value = NULL;
	int t = lua_type(L, 3), err;

	luaL_argcheck(L, *name, 2, "a variable name expected");
	luaL_argexpected(L, t == LUA_TSTRING || t == LUA_TNUMBER ||
			 t == LUA_TNIL || t == LUA_TNONE, 3,
			 "string, number or nil");
	if (t == LUA_TSTRING || t == LUA_TNUMBER)
		value = lua_tostring(L, 3);
	err = pbx_call_var_set(s->call, name, value);
	if (err) {
		lua_pushnil(L);
		lua_pushstring(L, strerror(err));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* call:header(name) -> value | nil, from the caller's INVITE. */
static int m_header(lua_State *L)
{
	struct pbx_lua_script *s = pbx_lua_callobj_check(L, 1);

	push_str(L, pbx_call_header(s->call, luaL_checkstring(L, 2)));
	return 1;
}

/* ---- The object ---- */

static const luaL_Reg methods[] = {
	{"answer", m_answer},
	{"ring", m_ring},
	{"dial", m_dial},
	{"hangup", m_hangup},
	{"sleep", m_sleep},
	{"get", m_get},
	{"set", m_set},
	{"header", m_header},
	{NULL, NULL}
};

/* __index (1: the object, 2: the key; upvalue 1: the methods): a
 * method, else a field read from the call.
 */
static int call_index(lua_State *L)
{
	struct pbx_lua_script *s;
	const char *key;

	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	if (lua_type(L, 2) != LUA_TSTRING)
		return 1;
	key = lua_tostring(L, 2);
	s = pbx_lua_callobj_check(L, 1);
	if (!strcmp(key, "id")) {
		push_str(L, pbx_call_id(s->call));
	} else if (!strcmp(key, "destination")) {
		push_str(L, pbx_call_destination(s->call));
	} else if (!strcmp(key, "caller")) {
		lua_createtable(L, 0, 2);
		push_str(L, pbx_call_caller_number(s->call));
		lua_setfield(L, -2, "number");
		push_str(L, pbx_call_caller_name(s->call));
		lua_setfield(L, -2, "name");
	} else if (!strcmp(key, "local_caller")) {
		lua_pushboolean(L, pbx_call_caller_is_local(s->call));
	} else {
		lua_pushnil(L);
	}
	return 1;
}

static int call_newindex(lua_State *L)
{
	return luaL_error(L, "call fields are read-only (use call:set())");
}

static int call_tostring(lua_State *L)
{
	struct pbx_lua_callobj *obj = luaL_checkudata(L, 1, PBX_LUA_CALL_MT);

	if (obj->s && !obj->s->gone)
		lua_pushfstring(L, "call %s", obj->s->id);
	else
		lua_pushliteral(L, "call (ended)");
	return 1;
}

void pbx_lua_callobj_open(lua_State *L)
{
	luaL_newmetatable(L, PBX_LUA_CALL_MT);
	luaL_newlib(L, methods);
	lua_pushcclosure(L, call_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, call_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushcfunction(L, call_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}

void pbx_lua_callobj_push(lua_State *L, struct pbx_lua_script *s)
{
	struct pbx_lua_callobj *obj;

	obj = lua_newuserdatauv(L, sizeof(*obj), 0);
	obj->s = NULL;
	luaL_setmetatable(L, PBX_LUA_CALL_MT);
	obj->s = s;
	s->obj = obj;
}
