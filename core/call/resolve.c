/* call/resolve.c - the dial targets the core serves itself: "user/<ext>"
 * rings every registered contact of the user with its q value, sent to
 * the address the REGISTER came from (NAT); "sip:<uri>" rings the URI.
 */
#define PBX_LOG_TAG "dial"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pbx/dial.h>
#include <pbx/log.h>

#include "call/call_int.h"
#include "db/location.h"
#include "mod/registry.h"

/* "<sip:...>;params" as stored from a Contact header: the URI alone. */
static void contact_uri(char *out, size_t sz, const char *contact)
{
	const char *lt = strchr(contact, '<'), *gt;

	if (lt && (gt = strchr(lt, '>')) != NULL)
		snprintf(out, sz, "%.*s", (int)(gt - lt - 1), lt + 1);
	else
		snprintf(out, sz, "%s", contact);
}

/* A phone behind NAT registers a Contact with its private address; the
 * REGISTER's source is where it can be reached. When the Contact already
 * names the source address, it is trusted as it is (the phone may send
 * from another port than it listens on).
 */
static bool behind_nat(const char *uri, const struct pbx_binding *b)
{
	const char *at = strchr(uri, '@');
	const char *host = at ? at + 1 : strchr(uri, ':');
	size_t n = strlen(b->source_ip);

	if (!host || !n)
		return false;
	if (!at)
		host++;
	if (*host == '[')
		host++;
	return strncmp(host, b->source_ip, n) ||
	       (host[n] != ':' && host[n] != ';' && host[n] != ']' &&
		host[n] != '>' && host[n]);
}

static int resolve_user(struct pbx_call *call, const char *rest,
			struct pbx_dial_branches *out, void *arg)
{
	struct pbx_aor *aor = pbx_location_find(pbx_calls.loc, rest);
	time_t now = time(NULL);
	int err = 0;

	if (!aor)
		return ENOENT;
	for (const struct pbx_binding *b = aor->bindings; b && !err;
	     b = b->next) {
		char uri[512], hop[128];
		bool v6 = strchr(b->source_ip, ':') != NULL;

		if (b->expires <= now)
			continue;
		contact_uri(uri, sizeof(uri), b->contact);
		hop[0] = '\0';
		if (b->source_port && behind_nat(uri, b))
			snprintf(hop, sizeof(hop), "sip:%s%s%s:%u;transport=%s",
				 v6 ? "[" : "", b->source_ip, v6 ? "]" : "",
				 b->source_port, b->transport);
		err = pbx_dial_add_branch(out, uri, (float)b->q / 1000.0f,
					  *hop ? hop : NULL);
		if (err == EINVAL) {
			PBX_CWARN(pbx_call_sip_callid(call), "user/%s: contact "
				  "%s is not a SIP URI, skipped", rest, uri);
			err = 0;
		}
	}
	return err == E2BIG ? 0 : err;
}

static int resolve_sip(struct pbx_call *call, const char *rest,
		       struct pbx_dial_branches *out, void *arg)
{
	return pbx_dial_add_branch(out, rest, 1.0f, NULL);
}

int pbx_call_resolvers_register(void)
{
	int err = pbx_mod_builtin_resolver("user", resolve_user, NULL);

	if (!err)
		err = pbx_mod_builtin_resolver("sip", resolve_sip, NULL);
	return err;
}
