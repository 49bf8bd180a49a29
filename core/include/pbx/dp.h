/* pbx/dp.h - dialplan functions from C: a module declares a table of
 * functions with typed arguments, and they appear in Lua as
 * <module>.<name>(...) in every call's dialplan, marshalled by one
 * generic binder, so no module includes lua.h (STYLE.md section 2).
 * Loop thread only.
 */
#ifndef PBX_DP_H
#define PBX_DP_H

#include <stdbool.h>
#include <stdint.h>

struct pbx_call;

/* Types of arguments a dialplan function takes. */
enum pbx_dp_arg {
	PBX_ARG_END = 0,          /* ends the list (fewer than MAX args) */
	PBX_ARG_STR,              /* a Lua string (numbers are converted) */
	PBX_ARG_INT,              /* a Lua integer */
	PBX_ARG_BOOL,             /* a Lua boolean */
	PBX_ARG_CALL,             /* the call object passed by route(call) */
	PBX_ARG_OPT_STR,          /* a string or nil (NULL) */
	PBX_ARG_OPT_INT,          /* an integer or nil (0) */
};

#define PBX_DP_ARGS_MAX 6

union pbx_dp_val {
	const char *s;            /* (borrowed) for the handler's run */
	int64_t i;
	bool b;
	struct pbx_call *call;    /* (borrowed) */
};

/* One running function call: where its results go. */
struct pbx_dp_ctx;

/* A dialplan function. Arguments arrive checked and converted in <argv>.
 * Push results with pbx_dp_ret_*() and return 0 (Lua gets them), or
 * return an errno and Lua gets nil plus the message set with
 * pbx_dp_errmsg() (or strerror). Must not block.
 */
typedef int (pbx_dp_func_h)(struct pbx_dp_ctx *ctx,
			    const union pbx_dp_val *argv);

struct pbx_dp_func {
	const char *name;         /* Lua name, under the module's table */
	pbx_dp_func_h *h;
	enum pbx_dp_arg args[PBX_DP_ARGS_MAX];
	const char *doc;          /* one line: "dnd.get(ext) -> bool" */
};

void pbx_dp_ret_str(struct pbx_dp_ctx *ctx, const char *s);
void pbx_dp_ret_int(struct pbx_dp_ctx *ctx, int64_t i);
void pbx_dp_ret_bool(struct pbx_dp_ctx *ctx, bool b);
void pbx_dp_ret_nil(struct pbx_dp_ctx *ctx);

/* Message for the nil, message pair an errno return gives Lua. */
void pbx_dp_errmsg(struct pbx_dp_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Register <funcs> (ended by a NULL name) as Lua table <table>; what a
 * module loader does for each module's dp_funcs. Calls that start later
 * see it; running ones keep what they had. EEXIST, EINVAL, ENOMEM.
 */
int pbx_dp_register(const char *table, const struct pbx_dp_func *funcs);

/* Remove table <table> for calls that start later. */
void pbx_dp_unregister(const char *table);

#endif
