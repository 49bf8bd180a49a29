/* db/location.h - the live location table (bindings per address of
 * record) in memory on the loop, written through to the registrations
 * table in batches: changes are coalesced per binding and flushed every
 * db.flush_ms by one statement. Loop thread only.
 */
#ifndef PBX_DB_LOCATION_H
#define PBX_DB_LOCATION_H

#include <stdint.h>
#include <time.h>
#include <libpq-fe.h>

struct pbx_db;
struct pbx_location;

#define PBX_BINDING_ID_LEN 36     /* a UUID in text form */

struct pbx_binding {
	struct pbx_binding *next;     /* in its AoR */
	char id[PBX_BINDING_ID_LEN + 1];
	char *contact;                /* (owned) Contact URI as received */
	char *path;                   /* (owned) Path header(s), or NULL */
	char *user_agent;             /* (owned) or NULL */
	char *call_id;                /* (owned) */
	uint32_t cseq;
	unsigned q;                   /* q-value times 1000 */
	time_t expires;               /* absolute */
	time_t registered_at;
	char source_ip[46];
	unsigned source_port;
	char transport[8];            /* "udp", "tcp", "tls" */
};

struct pbx_aor {
	char *ext;                    /* (owned) */
	struct pbx_binding *bindings; /* (owned) list */
	unsigned count;
};

/* What a REGISTER says about one binding; strings are copied. */
struct pbx_binding_info {
	const char *contact;
	const char *path;
	const char *user_agent;
	const char *call_id;
	uint32_t cseq;
	unsigned q;
	time_t expires;
	const char *source_ip;
	unsigned source_port;
	const char *transport;
};

int pbx_location_alloc(struct pbx_location **locp, struct pbx_db *db,
		       const char *node, unsigned flush_ms);

/* Start-up: load every unexpired binding on <conn> (blocking). */
int pbx_location_load(struct pbx_location *loc, PGconn *conn,
		      char *err, size_t errsz);

/* The bindings of <ext>, or NULL (borrowed). */
struct pbx_aor *pbx_location_find(struct pbx_location *loc,
				  const char *ext);

/* Create a binding for <ext> (when <b> is NULL) or refresh <b> from
 * <info>, and queue the write. 0 or ENOMEM.
 */
int pbx_location_save(struct pbx_location *loc, const char *ext,
		      struct pbx_binding *b,
		      const struct pbx_binding_info *info);

/* Remove <b> of <aor> and queue the delete. <aor> may be freed. */
void pbx_location_remove(struct pbx_location *loc, struct pbx_aor *aor,
			 struct pbx_binding *b);

/* Remove every binding of <ext> (user deleted or disabled). */
void pbx_location_remove_aor(struct pbx_location *loc, const char *ext);

/* A NOTIFY on pbx_registrations: "DELETE <extension> <id>" made by an
 * administrator; the row is gone already, drop it from memory.
 */
void pbx_location_notify(struct pbx_location *loc, const char *payload);

/* Remove bindings whose expiry is at or before <now>. Returns how many. */
unsigned pbx_location_purge(struct pbx_location *loc, time_t now);

/* Number of bindings held. */
unsigned pbx_location_count(const struct pbx_location *loc);

/* Shutdown: submit whatever is pending; pbx_db_free() then runs it. */
void pbx_location_close(struct pbx_location *loc);

void pbx_location_free(struct pbx_location *loc);

#endif
