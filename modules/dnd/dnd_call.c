/* dnd/dnd_call.c - do-not-disturb on the call path: the wrapper around
 * "user/<ext>" that refuses dials, the hook that counts what it refused,
 * and the dialplan's dnd.get/dnd.set. Loop thread.
 */
#define PBX_LOG_TAG "dnd"

#include <errno.h>
#include <string.h>

#include <pbx/call.h>
#include <pbx/dial.h>
#include <pbx/dp.h>
#include <pbx/log.h>

#include "dnd.h"

int dnd_wrap_user(struct pbx_call *call, const char *rest,
		  struct pbx_dial_branches *out,
		  const struct pbx_dial_next *next, void *arg)
{
	if (!dnd_store_get(rest))
		return pbx_dial_next(next, call, rest, out);

	/* Busy Here, RFC 3261 21.4.24: the callee is there but does not
	 * take calls now. The mark tells our hook this busy was ours, not
	 * a phone's; it is set before the result, which the core reports
	 * on a later loop turn.
	 */
	if (pbx_call_var_set(call, DND_VAR, rest))
		PBX_WARN("dial to %s refused uncounted: out of memory", rest);
	pbx_dial_set_result(out, PBX_DIAL_BUSY, 486);
	return 0;
}

void dnd_hook(struct pbx_call *call, const struct pbx_call_event_info *ev,
	      void *arg)
{
	const char *ext;

	if (ev->type != PBX_CALL_EV_BUSY && ev->type != PBX_CALL_EV_NOANSWER &&
	    ev->type != PBX_CALL_EV_ANSWERED)
		return;
	ext = pbx_call_var_get(call, DND_VAR);
	if (!ext)
		return;
	/* Ours only if this busy is the dial we refused: a wrapper above
	 * us (a forward) may have turned our busy into another dial.
	 */
	if (ev->type == PBX_CALL_EV_BUSY && ev->target &&
	    !strncmp(ev->target, "user/", 5) && !strcmp(ev->target + 5, ext)) {
		dnd_store_count_refused();
		PBX_CINFO(pbx_call_sip_callid(call), "call from %s to %s "
			  "refused: do not disturb",
			  pbx_call_caller_number(call), ext);
	}
	/* Whatever the dial became, the next one starts unmarked. */
	pbx_call_var_set(call, DND_VAR, NULL);
}

int dnd_dp_get(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	if (!dnd_ext_valid(argv[0].s)) {
		pbx_dp_errmsg(ctx, "'%.32s' is not an extension", argv[0].s);
		return EINVAL;
	}
	pbx_dp_ret_bool(ctx, dnd_store_get(argv[0].s));
	return 0;
}

int dnd_dp_set(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv)
{
	int err;

	if (!dnd_ext_valid(argv[0].s)) {
		pbx_dp_errmsg(ctx, "'%.32s' is not an extension", argv[0].s);
		return EINVAL;
	}
	err = dnd_store_save(argv[0].s, argv[1].b);
	if (err)
		return err;
	pbx_dp_ret_bool(ctx, true);
	return 0;
}
