/* dnd/dnd.h - do-not-disturb, private to the module: the in-memory set
 * of extensions with DND on (dnd_store.c), the call side (dnd_call.c)
 * and the REST side (dnd_rest.c). Loop thread only, except where a
 * function says otherwise.
 */
#ifndef DND_DND_H
#define DND_DND_H

#include <stdbool.h>

#include <jansson.h>

#include <pbx/mod.h>

/* Call variable the wrapper sets on a refused dial, for the hook. */
#define DND_VAR "dnd_refused"

/* ---- dnd_store.c: the set, and its rows in table dnd ---- */

/* True if <ext> has the extension format of the schema (2 to 10
 * digits). Any thread.
 */
bool dnd_ext_valid(const char *ext);

/* Load the set from PostgreSQL, blocking (start-up only; after the
 * pbx_db_watch() of channel pbx_dnd, so no change is missed). 0 or an
 * errno (logged).
 */
int dnd_store_open(void);

/* Free the set. Any write still queued is dropped (pbxd unloads modules
 * only after the database queue drained, so there is none).
 */
void dnd_store_close(void);

bool dnd_store_get(const char *ext);

/* Change memory only: for a change already in PostgreSQL (REST). 0 or
 * ENOMEM.
 */
int dnd_store_set(const char *ext, bool on);

/* Change memory at once and queue the write (the dialplan's dnd.set).
 * 0 or ENOMEM; a write that fails later is logged, and when the user
 * does not exist, undone in memory.
 */
int dnd_store_save(const char *ext, bool on);

/* pbx_db_note_h of channel pbx_dnd: "<INSERT|UPDATE|DELETE> <ext>",
 * a change to table dnd by anyone; ignored while this node has a write
 * for that extension pending.
 */
void dnd_store_note(const char *payload, void *arg);

/* pbx_db_reload_h: notifications may have been lost; reload the set
 * from the table (asynchronously).
 */
void dnd_store_reload(void *arg);

/* Count one dial refused by DND. */
void dnd_store_count_refused(void);

/* {"refused": N, "enabled": [extensions]}; NULL if out of memory. */
json_t *dnd_store_json(void);

/* ---- dnd_call.c ---- */

/* Wrapper of "user/<ext>": busy (486) without ringing when DND is on. */
int dnd_wrap_user(struct pbx_call *call, const char *rest,
		  struct pbx_dial_branches *out,
		  const struct pbx_dial_next *next, void *arg);

/* Call-event hook: counts and logs the dials the wrapper refused. */
void dnd_hook(struct pbx_call *call, const struct pbx_call_event_info *ev,
	      void *arg);

/* Lua dnd.get(ext) -> bool and dnd.set(ext, bool) -> true | nil, err. */
int dnd_dp_get(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv);
int dnd_dp_set(struct pbx_dp_ctx *ctx, const union pbx_dp_val *argv);

/* ---- dnd_rest.c (REST threads) ---- */

/* GET /api/v1/dnd: this node's set and counter. */
int dnd_rest_summary(struct pbx_rest_req *req);

/* GET /api/v1/dnd/{ext}: the record; 404 for no such user. */
int dnd_rest_get(struct pbx_rest_req *req);

/* PUT /api/v1/dnd/{ext} {"enabled": bool}. */
int dnd_rest_put(struct pbx_rest_req *req);

#endif
