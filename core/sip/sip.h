/* sip/sip.h - what the rest of the core sees of the SIP subsystem. No
 * Sofia-SIP types here (they stay inside core/sip/).
 */
#ifndef PBX_SIP_SIP_H
#define PBX_SIP_SIP_H

#include <pbx/cfg.h>

struct pbx_registrar;

/* The loop: create, run until pbx_sip_loop_break(), destroy. */
int pbx_sip_loop_init(void);
void pbx_sip_loop_run(void);
void pbx_sip_loop_break(void);
void pbx_sip_loop_deinit(void);

/* The pbx_loop_call() mailbox: open after pbx_sip_loop_init(); close
 * before pbx_sip_loop_deinit() (queued requests run, later ones fail).
 */
int pbx_loop_mailbox_open(void);
void pbx_loop_mailbox_close(void);

typedef void (pbx_sipua_done_h)(void *arg);

/* Bind the SIP transports of <cfg> and start answering. <reg> handles
 * REGISTER. Loop thread. EADDRINUSE/EINVAL (logged) on failure.
 */
int pbx_sipua_start(const struct pbx_cfg *cfg, struct pbx_registrar *reg);

/* Shut the stack down (it finishes pending transactions); <done> runs on
 * the loop once it has, or at once if the stack is not running.
 */
void pbx_sipua_shutdown(pbx_sipua_done_h *done, void *arg);

/* Free the stack after pbx_sipua_shutdown() completed. */
void pbx_sipua_destroy(void);

#endif
