/* pbx/cfg.h - pbxd configuration: one flat "key = value" file, every key
 * with a documented default (etc/pbxd.conf.example), overridable with
 * "-o key=value" on the command line.
 */
#ifndef PBX_CFG_H
#define PBX_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Digest algorithms offered in challenges, in order (RFC 8760). */
enum pbx_cfg_auth_algs {
	PBX_AUTH_MD5 = 0,         /* "MD5" (default) */
	PBX_AUTH_SHA256,          /* "SHA-256" */
	PBX_AUTH_SHA256_MD5,      /* "SHA-256,MD5": both, SHA-256 first */
	PBX_AUTH_MD5_SHA256,      /* "MD5,SHA-256": both, MD5 first */
};

struct pbx_cfg {
	char *node_name;          /* node.name: recorded with bindings */

	char *sip_address;        /* sip.address: bind IP (v4 or v6) */
	unsigned sip_port;        /* sip.port */
	bool sip_udp;             /* sip.transports contains "udp" */
	bool sip_tcp;             /* sip.transports contains "tcp" */
	char *sip_realm;          /* sip.realm: digest realm and domain */
	char *sip_user_agent;     /* sip.user_agent */

	unsigned reg_min_expires;     /* registrar.min_expires (423 below) */
	unsigned reg_max_expires;     /* registrar.max_expires (clamped) */
	unsigned reg_default_expires; /* registrar.default_expires */
	unsigned reg_max_contacts;    /* registrar.max_contacts per user */

	enum pbx_cfg_auth_algs auth_algorithms; /* auth.algorithms */
	unsigned auth_nonce_ttl;      /* auth.nonce_ttl seconds */
	char *auth_nonce_secret;      /* auth.nonce_secret ("" = random) */
	unsigned auth_fail_limit;     /* auth.fail_limit per source ... */
	unsigned auth_fail_window;    /* ... within auth.fail_window s */
	unsigned auth_block_time;     /* auth.block_time s refused after */

	char *db_conninfo;        /* db.conninfo: libpq connection string */
	unsigned db_workers;      /* db.workers: loop's libpq workers */
	char *db_sql_dir;         /* db.sql_dir: migrations */
	bool db_migrate;          /* db.migrate: apply at start-up */
	unsigned db_flush_ms;     /* db.flush_ms: write-behind batching */

	char *rest_address;       /* rest.address */
	unsigned rest_port;       /* rest.port (0 = REST off) */
	unsigned rest_threads;    /* rest.threads */

	char *media_address;      /* media.address: RTP bind ("" = sip) */
	unsigned media_port_min;  /* media.port_min: RTP port range */
	unsigned media_port_max;  /* media.port_max */
	unsigned media_threads;   /* media.threads (0 = one per core) */
	unsigned media_rtp_timeout; /* media.rtp_timeout s, 0 = off */
	char *media_codecs;       /* media.codecs: "PCMU,PCMA" */

	char *call_dialplan;      /* call.dialplan: file in paths.dialplans */
	unsigned call_ring_timeout;   /* call.ring_timeout s (dial default) */
	unsigned call_max_forwards;   /* call.max_forwards on new requests */
	unsigned call_session_expires; /* call.session_expires s, 0 = off */
	unsigned lua_max_instructions; /* lua.max_instructions per resume */

	char *cdr_spool_dir;      /* cdr.spool_dir: CDRs while db is down */

	char *modules_dir;        /* modules.dir */
	char *modules_load;       /* modules.load: comma separated names */
	char *dialplans_dir;      /* paths.dialplans */
	char *sounds_dir;         /* paths.sounds */

	int log_level;            /* log.level (enum pbx_log_level) */
	int log_target;           /* log.target (enum pbx_log_target) */

	/* "mod.<module>.<key> = value" lines: module settings, read by the
	 * module itself (pbx_cfg_module_get()).
	 */
	struct pbx_cfg_modkey {
		char *key;            /* "<module>.<key>" (after "mod.") */
		char *value;
	} *modkeys;
	size_t nmodkeys;
};

/* Fill <cfg> with every default. Returns 0 or ENOMEM. */
int pbx_cfg_init(struct pbx_cfg *cfg);

/* Read <path> over <cfg>. On the first bad line returns EINVAL (or the
 * errno of opening the file) and writes "<path>:<line>: <what was wrong>"
 * into <err>. <cfg> may then hold the keys read before the bad one.
 */
int pbx_cfg_load(struct pbx_cfg *cfg, const char *path,
		 char *err, size_t errsz);

/* Set one key from text (command line -o key=value). EINVAL with a
 * message in <err> for an unknown key or bad value.
 */
int pbx_cfg_set(struct pbx_cfg *cfg, const char *key, const char *value,
		char *err, size_t errsz);

/* Check the rules between keys (registrar.min_expires <= default_expires
 * <= max_expires) once every -o is applied; pbx_cfg_load() already does
 * for the file. EINVAL with the keys in conflict in <err>.
 */
int pbx_cfg_check(const struct pbx_cfg *cfg, char *err, size_t errsz);

/* Value of "mod.<module>.<key>", or NULL when not set. */
const char *pbx_cfg_module_get(const struct pbx_cfg *cfg,
			       const char *module, const char *key);

/* Release every string of <cfg>. */
void pbx_cfg_free(struct pbx_cfg *cfg);

/* Print every key with its default and documentation, in file format. */
void pbx_cfg_print_defaults(FILE *f);

/* Number of keys and the name of key <i> (for tests and docs). */
size_t pbx_cfg_key_count(void);
const char *pbx_cfg_key_name(size_t i);

#endif
