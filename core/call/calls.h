/* call/calls.h - the call core as main.c and the REST calls API see it:
 * start and stop, live calls as JSON, hang up, originate. Loop thread
 * only (REST reaches it through pbx_loop_call()).
 */
#ifndef PBX_CALL_CALLS_H
#define PBX_CALL_CALLS_H

#include <stddef.h>

#include <jansson.h>

#include <pbx/call.h>
#include <pbx/cfg.h>

struct pbx_location;
struct pbx_cdr_writer;

/* Start the media engine and the core's dial targets. <loc> (bindings
 * for user/) and <cdr> (NULL: no records) are borrowed. After
 * pbx_sip_loop_init(). Returns 0, EINVAL (bad media.* keys, logged) or
 * the media engine's errno.
 */
int pbx_calls_start(const struct pbx_cfg *cfg, struct pbx_location *loc,
		    struct pbx_cdr_writer *cdr);

/* Settings a SIGHUP may change (call.ring_timeout). */
void pbx_calls_config(const struct pbx_cfg *cfg);

/* Shutdown: end every call (BYE, CANCEL or a final response). */
void pbx_calls_stop(void);

/* After the SIP stack is gone: stop the media threads. */
void pbx_calls_free(void);

size_t pbx_calls_count(void);

/* Every live call as a JSON array (GET /api/v1/calls), or one call
 * (NULL when <id> is not live). New references.
 */
json_t *pbx_calls_json(void);
json_t *pbx_call_json_by_id(const char *id);

/* Hang up live call <id> from the API. ENOENT when it is not live. */
int pbx_call_hangup_by_id(const char *id);

/* Click-to-call: ring user <from> (all its contacts), and once it
 * answers, run the dialplan for destination <to> with <from> as the
 * caller. <id> receives the new call's id. Returns 0, ENOENT when <from>
 * has no registered contact, EINVAL for a bad argument, ENOMEM.
 */
int pbx_call_originate(const char *from, const char *to,
		       const struct pbx_dial_opts *opts,
		       char id[37]);

#endif
