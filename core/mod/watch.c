/* mod/watch.c - the PostgreSQL channels modules watch (pbx_db_watch(),
 * pbx/db.h), so that a module's cache follows changes made by REST or by
 * another node (DESIGN.md section 1). The channel joins the core's LISTEN
 * connection; main.c hands every notification the core does not know
 * to pbx_mod_watch_notify(), and every resync to pbx_mod_watch_reload().
 * Loop thread only.
 */
#define PBX_LOG_TAG "mod"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pbx/db.h>
#include <pbx/log.h>

#include "db/pubapi.h"
#include "mod/mod_int.h"
#include "mod/registry.h"

#define CHANNEL_MAX 63            /* PostgreSQL's identifier length */

struct watch {
	char channel[CHANNEL_MAX + 1];
	pbx_db_note_h *on_note;
	pbx_db_reload_h *on_reload;
	void *arg;
	const struct pbx_mod *owner;  /* (borrowed) */
};

static struct {
	struct watch *v;              /* (ref) registration order */
	size_t c;
} wt;

/* Lower-case letters, digits and '_', not starting with a digit: a
 * plain identifier, which LISTEN takes as it is.
 */
static bool channel_valid(const char *c)
{
	size_t n = c ? strlen(c) : 0;

	if (n == 0 || n > CHANNEL_MAX || (c[0] >= '0' && c[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((c[i] >= 'a' && c[i] <= 'z') ||
		      (c[i] >= '0' && c[i] <= '9') || c[i] == '_'))
			return false;
	}
	return true;
}

int pbx_db_watch(struct pbx_mod *mod, const char *channel,
		 pbx_db_note_h *on_note, pbx_db_reload_h *on_reload,
		 void *arg)
{
	struct watch *v;
	int err;

	if (!mod || !on_note || !channel_valid(channel))
		return EINVAL;
	v = realloc(wt.v, (wt.c + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	wt.v = v;
	err = pbx_db_api_listen(channel);
	if (err) {
		PBX_ERR("module %s: cannot LISTEN on %s: %s", mod->name,
			channel, strerror(err));
		return err;
	}
	v = &wt.v[wt.c++];
	memset(v, 0, sizeof(*v));
	memcpy(v->channel, channel, strlen(channel) + 1);
	v->on_note = on_note;
	v->on_reload = on_reload;
	v->arg = arg;
	v->owner = mod;
	return 0;
}

bool pbx_mod_watch_notify(const char *channel, const char *payload)
{
	bool found = false;

	/* By index: a handler may not register, but stay safe if the
	 * array moves.
	 */
	for (size_t i = 0; i < wt.c; i++) {
		if (strcmp(wt.v[i].channel, channel))
			continue;
		found = true;
		wt.v[i].on_note(payload ? payload : "", wt.v[i].arg);
	}
	return found;
}

void pbx_mod_watch_reload(void)
{
	for (size_t i = 0; i < wt.c; i++) {
		if (wt.v[i].on_reload)
			wt.v[i].on_reload(wt.v[i].arg);
	}
}

void pbx_mod_watch_drop(const struct pbx_mod *mod)
{
	size_t n = 0;

	for (size_t i = 0; i < wt.c; i++) {
		if (wt.v[i].owner != mod)
			wt.v[n++] = wt.v[i];
	}
	wt.c = n;
}

void pbx_mod_watch_clear(void)
{
	free(wt.v);
	wt.v = NULL;
	wt.c = 0;
}

int pbx_mod_watch_json(const struct pbx_mod *mod, json_t *obj)
{
	json_t *chans = json_array();
	int err = chans ? 0 : ENOMEM;

	for (size_t i = 0; !err && i < wt.c; i++) {
		if (wt.v[i].owner == mod &&
		    json_array_append_new(chans,
					  json_string(wt.v[i].channel)))
			err = ENOMEM;
	}
	if (!err && json_object_set(obj, "watches", chans))
		err = ENOMEM;
	json_decref(chans);
	return err;
}
