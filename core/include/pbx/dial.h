/* pbx/dial.h - dial targets: a resolver turns "<prefix>/<rest>" into the
 * branches a dial rings (SIP URIs with a q value), or into an immediate
 * result (busy, unavailable) without ringing anything. The core serves
 * "user/<ext>" (the registered contacts) and "sip:<uri>"; modules add
 * prefixes or wrap existing ones (pbx/mod.h). Loop thread only.
 */
#ifndef PBX_DIAL_H
#define PBX_DIAL_H

#include <pbx/call.h>

/* The branches being collected for one dial. */
struct pbx_dial_branches;

/* Add a branch: Request-URI <uri> ("sip:..."), priority <q> (0.0-1.0;
 * equal q ring together, higher q first, RFC 3261 16.6), and <next_hop>
 * ("sip:host:port;transport=udp") where the INVITE is sent when that
 * differs from <uri> (a NATed contact), or NULL. Returns 0, EINVAL for a
 * URI that does not parse, E2BIG past PBX_DIAL_BRANCHES_MAX, ENOMEM.
 */
int pbx_dial_add_branch(struct pbx_dial_branches *out, const char *uri,
			float q, const char *next_hop);

/* Decide the dial without ringing: <result> with <sip_code> (e.g. do not
 * disturb: PBX_DIAL_BUSY, 486). Branches already added are dropped.
 */
void pbx_dial_set_result(struct pbx_dial_branches *out,
			 enum pbx_dial_result result, int sip_code);

/* Ring another target instead (a forward): the dial restarts resolving
 * <target>; allowed a few times per dial to stop loops. Returns 0,
 * ELOOP past the limit, ENOMEM.
 */
int pbx_dial_redirect(struct pbx_dial_branches *out, const char *target);

/* Number of branches collected so far. */
unsigned pbx_dial_branch_count(const struct pbx_dial_branches *out);

#define PBX_DIAL_BRANCHES_MAX 32

/* A resolver for "<prefix>/<rest>": <rest> is what follows the slash
 * ("1001" for "user/1001"; for the "sip" prefix, the whole "sip:..."
 * URI). Fill <out> and return 0, or return an errno: ENOENT when <rest>
 * names nothing (the dial ends PBX_DIAL_UNAVAILABLE), EINVAL when it is
 * malformed (PBX_DIAL_FAILED). Must not block.
 */
typedef int (pbx_dial_resolver_h)(struct pbx_call *call, const char *rest,
				  struct pbx_dial_branches *out, void *arg);

/* The resolver (or the next wrapper) below a wrapper. */
struct pbx_dial_next;

/* Call what a wrapper wraps, with the same or a changed <rest>. */
int pbx_dial_next(const struct pbx_dial_next *next, struct pbx_call *call,
		  const char *rest, struct pbx_dial_branches *out);

/* A wrapper around a prefix's resolver: it may decide alone (do not
 * disturb), change <rest>, call pbx_dial_next(), or redirect.
 */
typedef int (pbx_dial_wrapper_h)(struct pbx_call *call, const char *rest,
				 struct pbx_dial_branches *out,
				 const struct pbx_dial_next *next, void *arg);

#endif
