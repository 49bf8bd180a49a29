/* core/util/cfg.c - the configuration: one table of keys, their types,
 * defaults and documentation, and the "key = value" file reader. What a
 * key means is up to the subsystem that reads struct pbx_cfg.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pbx/cfg.h"
#include "pbx/log.h"

#ifndef PBX_PKGDATADIR
#define PBX_PKGDATADIR "/usr/local/share/pbxd"
#endif
#ifndef PBX_SPOOLDIR
#define PBX_SPOOLDIR "/usr/local/var/spool/pbxd"
#endif
#ifndef PBX_MODULESDIR
#define PBX_MODULESDIR "/usr/local/lib/pbxd/modules"
#endif

enum type {
	T_STR,          /* char *, any text */
	T_HOST,         /* char *, "" means this host's name */
	T_UINT,         /* unsigned within [min, max] */
	T_BOOL,         /* bool */
	T_TRANSPORTS,   /* sip_udp and sip_tcp */
	T_ALGS,         /* enum pbx_cfg_auth_algs */
	T_LEVEL,        /* int, enum pbx_log_level */
	T_TARGET,       /* int, enum pbx_log_target */
};

struct key {
	const char *name;
	enum type type;
	size_t off;             /* of the field in struct pbx_cfg */
	const char *def;        /* default, as file text */
	unsigned min, max;      /* T_UINT only */
	const char *doc;        /* lines of at most 70 columns */
};

#define OFF(field) offsetof(struct pbx_cfg, field)

static const struct key keys[] = {
	{"node.name", T_HOST, OFF(node_name), "", 0, 0,
	 "Name of this node, stored with each registration so that any\n"
	 "node sharing the database can reach the phone through it.\n"
	 "Empty: the host name."},

	{"sip.address", T_STR, OFF(sip_address), "127.0.0.1", 0, 0,
	 "IP address (IPv4 or IPv6) the SIP transports bind to."},
	{"sip.port", T_UINT, OFF(sip_port), "5060", 1, 65535,
	 "SIP port, for every transport."},
	{"sip.transports", T_TRANSPORTS, OFF(sip_udp), "udp,tcp", 0, 0,
	 "SIP transports to listen on: udp, tcp, or both comma separated."},
	{"sip.realm", T_STR, OFF(sip_realm), "pbx.local", 0, 0,
	 "Digest realm of the challenges, and the SIP domain of local\n"
	 "users."},
	{"sip.user_agent", T_STR, OFF(sip_user_agent), "pbxd", 0, 0,
	 "Value of the User-Agent and Server headers."},

	{"registrar.min_expires", T_UINT, OFF(reg_min_expires), "60",
	 1, 86400,
	 "Shortest registration accepted, in seconds; a REGISTER asking\n"
	 "for less is answered 423 Interval Too Brief (RFC 3261 10.3.7)."},
	{"registrar.max_expires", T_UINT, OFF(reg_max_expires), "3600",
	 1, 604800,
	 "Longest registration granted, in seconds; longer requests are\n"
	 "shortened to this."},
	{"registrar.default_expires", T_UINT, OFF(reg_default_expires),
	 "3600", 1, 604800,
	 "Registration time when a REGISTER asks for none. Must lie\n"
	 "between registrar.min_expires and registrar.max_expires."},
	{"registrar.max_contacts", T_UINT, OFF(reg_max_contacts), "10",
	 1, 100,
	 "Most contacts (devices) one user may have registered at once."},

	{"auth.algorithms", T_ALGS, OFF(auth_algorithms), "MD5", 0, 0,
	 "Digest algorithms offered in challenges, in this order: MD5,\n"
	 "SHA-256, SHA-256,MD5 or MD5,SHA-256 (RFC 8760). Phones use the\n"
	 "first one they support; many support only MD5."},
	{"auth.nonce_ttl", T_UINT, OFF(auth_nonce_ttl), "300", 10, 86400,
	 "Seconds a nonce stays valid; a phone using an older one is\n"
	 "challenged again with stale=true."},
	{"auth.nonce_secret", T_STR, OFF(auth_nonce_secret), "", 0, 0,
	 "Key that signs nonces. Nodes sharing a database should share it,\n"
	 "so a phone may authenticate on any of them. Empty: a random key\n"
	 "at each start, so nonces do not survive a restart."},
	{"auth.fail_limit", T_UINT, OFF(auth_fail_limit), "10", 0, 100000,
	 "Failed authentications from one source address, within\n"
	 "auth.fail_window, after which the source is blocked.\n"
	 "0: never block."},
	{"auth.fail_window", T_UINT, OFF(auth_fail_window), "60", 1, 86400,
	 "Seconds over which failed authentications are counted."},
	{"auth.block_time", T_UINT, OFF(auth_block_time), "300", 1, 86400,
	 "Seconds a blocked source address is refused."},

	{"db.conninfo", T_STR, OFF(db_conninfo), "dbname=pbxd", 0, 0,
	 "libpq connection string or URI (PostgreSQL manual, \"Connection\n"
	 "Strings\"). Put it in double quotes when it holds spaces."},
	{"db.workers", T_UINT, OFF(db_workers), "2", 1, 64,
	 "Database worker threads, each with its own connection."},
	{"db.sql_dir", T_STR, OFF(db_sql_dir), PBX_PKGDATADIR "/sql", 0, 0,
	 "Directory of the schema migration scripts."},
	{"db.migrate", T_BOOL, OFF(db_migrate), "yes", 0, 0,
	 "Apply pending schema migrations at start-up: yes or no."},
	{"db.flush_ms", T_UINT, OFF(db_flush_ms), "10", 1, 10000,
	 "Milliseconds a write (registration, call record) may wait so that\n"
	 "several go to the database in one transaction."},

	{"rest.address", T_STR, OFF(rest_address), "127.0.0.1", 0, 0,
	 "IP address the REST API listens on."},
	{"rest.port", T_UINT, OFF(rest_port), "8080", 0, 65535,
	 "REST API port. 0: no REST API."},
	{"rest.threads", T_UINT, OFF(rest_threads), "4", 1, 64,
	 "REST API worker threads."},

	{"media.address", T_STR, OFF(media_address), "", 0, 0,
	 "IP address the RTP endpoints bind to and that SDP announces.\n"
	 "Empty: sip.address."},
	{"media.port_min", T_UINT, OFF(media_port_min), "16384", 1024, 65534,
	 "Lowest RTP port; each call leg takes an even RTP port and the\n"
	 "RTCP port above it."},
	{"media.port_max", T_UINT, OFF(media_port_max), "32767", 1025, 65535,
	 "Highest RTP/RTCP port."},
	{"media.threads", T_UINT, OFF(media_threads), "0", 0, 64,
	 "Media relay threads. 0: one per core."},
	{"media.rtp_timeout", T_UINT, OFF(media_rtp_timeout), "60", 0, 86400,
	 "Seconds without RTP from an answered leg before the call is\n"
	 "torn down (a phone that vanished). 0: never."},
	{"media.codecs", T_STR, OFF(media_codecs), "PCMU,PCMA", 0, 0,
	 "Codecs offered and accepted, best first: PCMU, PCMA."},

	{"call.dialplan", T_STR, OFF(call_dialplan), "default.lua", 0, 0,
	 "Lua dialplan run for every call: a file in paths.dialplans, or\n"
	 "an absolute path. Reloaded by SIGHUP and the REST API."},
	{"call.ring_timeout", T_UINT, OFF(call_ring_timeout), "30", 1, 3600,
	 "Seconds a dial rings before it gives up (noanswer), unless the\n"
	 "dialplan passes its own timeout."},
	{"call.max_forwards", T_UINT, OFF(call_max_forwards), "70", 1, 255,
	 "Max-Forwards of requests pbxd sends when the incoming one had\n"
	 "none; otherwise the incoming value less one."},
	{"call.session_expires", T_UINT, OFF(call_session_expires), "1800",
	 0, 86400,
	 "Session timer (RFC 4028) interval offered, seconds; a dialog not\n"
	 "refreshed in time is torn down. 0: no session timers."},
	{"lua.max_instructions", T_UINT, OFF(lua_max_instructions),
	 "1000000", 1000, 1000000000,
	 "Lua instructions a dialplan may run between two waits; beyond,\n"
	 "the call ends with a traceback in the log (runaway loops)."},

	{"cdr.spool_dir", T_STR, OFF(cdr_spool_dir), PBX_SPOOLDIR "/cdr", 0, 0,
	 "Directory where call records wait while PostgreSQL is\n"
	 "unreachable; they are replayed when it returns."},

	{"modules.dir", T_STR, OFF(modules_dir), PBX_MODULESDIR, 0, 0,
	 "Directory the modules (mod_<name>.so) are loaded from."},
	{"modules.load", T_STR, OFF(modules_load), "", 0, 0,
	 "Modules to load, comma separated, e.g. voicemail,moh.\n"
	 "Empty: none. A module's own settings are written\n"
	 "mod.<module>.<key> = value."},
	{"paths.dialplans", T_STR, OFF(dialplans_dir),
	 PBX_PKGDATADIR "/dialplans", 0, 0,
	 "Directory of the Lua dialplans."},
	{"paths.sounds", T_STR, OFF(sounds_dir), PBX_PKGDATADIR "/sounds",
	 0, 0,
	 "Directory of the prompts and music on hold."},

	{"log.level", T_LEVEL, OFF(log_level), "info", 0, 0,
	 "Least important messages logged: err, warn, notice, info or\n"
	 "debug."},
	{"log.target", T_TARGET, OFF(log_target), "stderr", 0, 0,
	 "Where the log goes: stderr, or syslog (facility daemon)."},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Values are quoted back in messages, cut so one line stays readable. */
#define QUOTE_MAX 64

static void put_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

static const struct key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	}

	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
		c == '\f' || c == '\v';
}

/* Trim <s> in place at both ends; returns the new start. */
static char *trim(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		e--;
	*e = '\0';

	return s;
}

/* Remove one pair of surrounding double quotes from trimmed <s>. There
 * is no escaping inside: conninfo strings never need a literal '"' at
 * both ends.
 */
static char *unquote(char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s[len - 1] = '\0';
		return s + 1;
	}

	return s;
}

/* ---- Value parsers: each writes "<key>: <why>" into <msg> ---- */

static int parse_uint(const struct key *k, const char *val, unsigned *up,
		      char *msg, size_t msgsz)
{
	const char *digits = val[0] == '-' ? val + 1 : val;
	unsigned long v;
	char *end;

	if (!*digits || strspn(digits, "0123456789") != strlen(digits)) {
		put_err(msg, msgsz, "%s: '%.*s' is not a number", k->name,
			QUOTE_MAX, val);
		return EINVAL;
	}

	/* strtoul would accept "-1" as ULONG_MAX; a sign means below 0. */
	errno = 0;
	v = strtoul(digits, &end, 10);
	if (digits != val || errno == ERANGE || v < k->min || v > k->max) {
		put_err(msg, msgsz, "%s: '%.*s' is out of range %u..%u",
			k->name, QUOTE_MAX, val, k->min, k->max);
		return EINVAL;
	}

	*up = (unsigned)v;
	return 0;
}

static int parse_bool(const struct key *k, const char *val, bool *bp,
		      char *msg, size_t msgsz)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(val, yes[i])) {
			*bp = true;
			return 0;
		}
		if (!strcasecmp(val, no[i])) {
			*bp = false;
			return 0;
		}
	}

	put_err(msg, msgsz, "%s: '%.*s' is not yes or no "
		"(yes/no/true/false/on/off/1/0)", k->name, QUOTE_MAX, val);
	return EINVAL;
}

/* Split <val> at commas into at most <max> trimmed items in <buf>; 0 if
 * it does not fit.
 */
static size_t split(const char *val, char *buf, size_t bufsz,
		    char **items, size_t max)
{
	size_t n = 0;
	char *p, *comma;

	/* A value cut to fit would be judged on what is left of it. */
	if (strlen(val) >= bufsz)
		return 0;
	snprintf(buf, bufsz, "%s", val);
	for (p = buf; n < max; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		items[n++] = trim(p);
		if (!comma)
			break;
	}

	return n;
}

static int parse_transports(const struct key *k, const char *val,
			    struct pbx_cfg *cfg, char *msg, size_t msgsz)
{
	char buf[64], *items[3];
	bool udp = false, tcp = false;
	size_t i, n;

	if (!*val) {
		put_err(msg, msgsz, "%s: at least one of udp, tcp is required",
			k->name);
		return EINVAL;
	}

	/* Three items cannot be right, so split stops there. */
	n = split(val, buf, sizeof(buf), items, 3);
	for (i = 0; n < 3 && i < n; i++) {
		if (!strcasecmp(items[i], "udp") && !udp)
			udp = true;
		else if (!strcasecmp(items[i], "tcp") && !tcp)
			tcp = true;
		else
			break;
	}
	if (i < n || n == 0 || n == 3) {
		put_err(msg, msgsz, "%s: '%.*s' is not udp, tcp or udp,tcp",
			k->name, QUOTE_MAX, val);
		return EINVAL;
	}

	cfg->sip_udp = udp;
	cfg->sip_tcp = tcp;
	return 0;
}

static int parse_algs(const struct key *k, const char *val,
		      enum pbx_cfg_auth_algs *ap, char *msg, size_t msgsz)
{
	char buf[64], *items[3];
	size_t n;

	n = split(val, buf, sizeof(buf), items, 3);

	/* Four accepted forms only: a list in any order or with repeats
	 * would just be a way to write one of them wrong.
	 */
	if (n == 1 && !strcasecmp(items[0], "MD5")) {
		*ap = PBX_AUTH_MD5;
		return 0;
	}
	if (n == 1 && !strcasecmp(items[0], "SHA-256")) {
		*ap = PBX_AUTH_SHA256;
		return 0;
	}
	if (n == 2 && !strcasecmp(items[0], "SHA-256") &&
	    !strcasecmp(items[1], "MD5")) {
		*ap = PBX_AUTH_SHA256_MD5;
		return 0;
	}
	if (n == 2 && !strcasecmp(items[0], "MD5") &&
	    !strcasecmp(items[1], "SHA-256")) {
		*ap = PBX_AUTH_MD5_SHA256;
		return 0;
	}

	put_err(msg, msgsz, "%s: '%.*s' is not MD5, SHA-256, SHA-256,MD5 "
		"or MD5,SHA-256", k->name, QUOTE_MAX, val);
	return EINVAL;
}

static int set_string(const struct key *k, const char *val,
		      struct pbx_cfg *cfg, char *msg, size_t msgsz)
{
	char **sp = (char **)((char *)cfg + k->off);
	char host[256];
	char *s;

	/* node.name must be unique per node, so the shipped default cannot
	 * name one; the host name usually does.
	 */
	if (k->type == T_HOST && !*val) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		val = host;
	}

	s = strdup(val);
	if (!s) {
		put_err(msg, msgsz, "%s: out of memory", k->name);
		return ENOMEM;
	}

	free(*sp);
	*sp = s;
	return 0;
}

/* Parse <val> for <k> and store it in <cfg>; on error <cfg> is unchanged
 * and <msg> says why.
 */
static int set_value(struct pbx_cfg *cfg, const struct key *k,
		     const char *val, char *msg, size_t msgsz)
{
	void *field = (char *)cfg + k->off;
	int level;

	switch (k->type) {
	case T_STR:
	case T_HOST:
		return set_string(k, val, cfg, msg, msgsz);
	case T_UINT:
		return parse_uint(k, val, field, msg, msgsz);
	case T_BOOL:
		return parse_bool(k, val, field, msg, msgsz);
	case T_TRANSPORTS:
		return parse_transports(k, val, cfg, msg, msgsz);
	case T_ALGS:
		return parse_algs(k, val, field, msg, msgsz);
	case T_LEVEL:
		if (pbx_log_level_parse(val, &level)) {
			put_err(msg, msgsz, "%s: '%.*s' is not err, warn, "
				"notice, info or debug", k->name, QUOTE_MAX,
				val);
			return EINVAL;
		}
		*(int *)field = level;
		return 0;
	case T_TARGET:
		if (!strcasecmp(val, "stderr")) {
			*(int *)field = PBX_LOG_STDERR;
		} else if (!strcasecmp(val, "syslog")) {
			*(int *)field = PBX_LOG_SYSLOG;
		} else {
			put_err(msg, msgsz, "%s: '%.*s' is not stderr or "
				"syslog", k->name, QUOTE_MAX, val);
			return EINVAL;
		}
		return 0;
	}

	put_err(msg, msgsz, "%s: has no parser", k->name);
	return EINVAL;
}

/* ---- Checks across keys ---- */

static size_t key_index(const char *name)
{
	return (size_t)(find_key(name) - keys);
}

/* The checks a single key cannot make. <lines> holds, per key, the file
 * line that last set it (0: not set there), so the message can point at
 * the later of the two lines in conflict; NULL when there is no file.
 */
static int check_cross(const struct pbx_cfg *cfg, const unsigned *lines,
		       unsigned *linep, char *msg, size_t msgsz)
{
	static const char *const kmin = "registrar.min_expires";
	static const char *const kdef = "registrar.default_expires";
	static const char *const kmax = "registrar.max_expires";
	const char *a = NULL, *b = NULL;
	unsigned va = 0, vb = 0, la, lb;

	if (cfg->media_port_min + 1 >= cfg->media_port_max) {
		la = lines ? lines[key_index("media.port_min")] : 0;
		lb = lines ? lines[key_index("media.port_max")] : 0;
		*linep = la > lb ? la : lb;
		put_err(msg, msgsz, "media.port_min (%u) leaves no RTP/RTCP "
			"pair below media.port_max (%u)", cfg->media_port_min,
			cfg->media_port_max);
		return EINVAL;
	}
	if (cfg->reg_min_expires > cfg->reg_default_expires) {
		a = kmin;
		va = cfg->reg_min_expires;
		b = kdef;
		vb = cfg->reg_default_expires;
	} else if (cfg->reg_default_expires > cfg->reg_max_expires) {
		a = kdef;
		va = cfg->reg_default_expires;
		b = kmax;
		vb = cfg->reg_max_expires;
	}
	if (!a)
		return 0;

	la = lines ? lines[key_index(a)] : 0;
	lb = lines ? lines[key_index(b)] : 0;
	*linep = la > lb ? la : lb;

	put_err(msg, msgsz, "%s (%u) is greater than %s (%u)", a, va, b, vb);
	return EINVAL;
}

/* "mod.<module>.<key>": kept as text for the module to read. The last
 * value given for a key wins, as for core keys.
 */
static bool is_modkey(const char *name)
{
	const char *dot;

	if (strncmp(name, "mod.", 4))
		return false;
	dot = strchr(name + 4, '.');
	return dot && dot > name + 4 && dot[1];
}

static int set_modkey(struct pbx_cfg *cfg, const char *name,
		      const char *val, char *msg, size_t msgsz)
{
	struct pbx_cfg_modkey *mk;
	char *v;

	v = strdup(val);
	if (!v) {
		put_err(msg, msgsz, "%s: out of memory", name);
		return ENOMEM;
	}
	for (size_t i = 0; i < cfg->nmodkeys; i++) {
		if (!strcmp(cfg->modkeys[i].key, name + 4)) {
			free(cfg->modkeys[i].value);
			cfg->modkeys[i].value = v;
			return 0;
		}
	}
	mk = realloc(cfg->modkeys, (cfg->nmodkeys + 1) * sizeof(*mk));
	if (mk)
		cfg->modkeys = mk;
	if (!mk || !(mk[cfg->nmodkeys].key = strdup(name + 4))) {
		free(v);
		put_err(msg, msgsz, "%s: out of memory", name);
		return ENOMEM;
	}
	mk[cfg->nmodkeys++].value = v;
	return 0;
}

/* ---- API ---- */

/* Fill <cfg> with every default; node.name becomes the host name. Any
 * earlier contents are overwritten, not freed. Returns 0 or ENOMEM (and
 * then <cfg> holds nothing to free).
 */
int pbx_cfg_init(struct pbx_cfg *cfg)
{
	char msg[256];
	size_t i;
	int err;

	if (!cfg)
		return EINVAL;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NKEYS; i++) {
		err = set_value(cfg, &keys[i], keys[i].def, msg, sizeof(msg));
		if (err) {
			pbx_cfg_free(cfg);
			return err;
		}
	}

	return 0;
}

/* Parse line <lineno> of a file into <cfg>, recording it in <lines>.
 * Returns 0 (also for blanks and comments) or an errno with <msg> set.
 */
static int load_line(struct pbx_cfg *cfg, char *line, unsigned lineno,
		     unsigned *lines, char *msg, size_t msgsz)
{
	const struct key *k;
	char *s, *eq, *name, *val;
	int err;

	s = trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;

	eq = strchr(s, '=');
	if (!eq) {
		put_err(msg, msgsz, "line has no '=': '%.*s'", QUOTE_MAX, s);
		return EINVAL;
	}

	*eq = '\0';
	name = trim(s);
	val = unquote(trim(eq + 1));
	if (!*name) {
		put_err(msg, msgsz, "line has no key before '='");
		return EINVAL;
	}

	if (is_modkey(name))
		return set_modkey(cfg, name, val, msg, msgsz);
	k = find_key(name);
	if (!k) {
		put_err(msg, msgsz, "unknown key '%.*s'", QUOTE_MAX, name);
		return EINVAL;
	}

	err = set_value(cfg, k, val, msg, msgsz);
	if (!err)
		lines[k - keys] = lineno;

	return err;
}

/* Read file <path> over <cfg> (already initialised). Stops at the first
 * bad line with EINVAL and "<path>:<line>: <what>" in <err>; the keys
 * before it stay set. Then checks registrar.min_expires <=
 * registrar.default_expires <= registrar.max_expires, naming the later
 * line of the two keys in conflict. If the file cannot be opened or
 * read, returns that errno with "<path>: <reason>".
 */
int pbx_cfg_load(struct pbx_cfg *cfg, const char *path,
		 char *err, size_t errsz)
{
	unsigned lines[NKEYS] = {0};
	char msg[256];
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	FILE *f;
	int e = 0;

	if (!cfg || !path) {
		put_err(err, errsz, "no configuration file given");
		return EINVAL;
	}

	f = fopen(path, "r");
	if (!f) {
		e = errno;
		put_err(err, errsz, "%s: %s", path, strerror(e));
		return e;
	}

	while (errno = 0, (n = getline(&line, &cap, f)) >= 0) {
		char *s = line;

		lineno++;
		/* Editors on some systems start the file with a BOM. */
		if (lineno == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
			s += 3;

		if (strlen(line) != (size_t)n) {
			put_err(msg, sizeof(msg), "line holds a NUL byte");
			e = EINVAL;
		} else {
			e = load_line(cfg, s, lineno, lines, msg, sizeof(msg));
		}
		if (e) {
			put_err(err, errsz, "%s:%u: %s", path, lineno, msg);
			break;
		}
	}
	if (!e && ferror(f)) {
		e = errno ? errno : EIO;
		put_err(err, errsz, "%s: %s", path, strerror(e));
	}

	free(line);
	fclose(f);
	if (e)
		return e;

	lineno = 0;
	e = check_cross(cfg, lines, &lineno, msg, sizeof(msg));
	if (e && lineno)
		put_err(err, errsz, "%s:%u: %s", path, lineno, msg);
	else if (e)
		put_err(err, errsz, "%s: %s", path, msg);

	return e;
}

/* Set <key> to <value> as "-o key=value" does: the same parsing as in a
 * file, quotes included. Returns 0, or EINVAL (ENOMEM) with
 * "-o <key>: <what>" in <err> and <cfg> unchanged. Cross-key rules are
 * left to pbx_cfg_check(), since several -o may fix each other up.
 */
int pbx_cfg_set(struct pbx_cfg *cfg, const char *key, const char *value,
		char *err, size_t errsz)
{
	const struct key *k;
	char msg[256];
	char *copy, *val;
	int e;

	if (!cfg || !key || !value) {
		put_err(err, errsz, "-o needs key=value");
		return EINVAL;
	}

	k = find_key(key);
	if (!k && !is_modkey(key)) {
		put_err(err, errsz, "-o unknown key '%.*s'", QUOTE_MAX, key);
		return EINVAL;
	}

	copy = strdup(value);
	if (!copy) {
		put_err(err, errsz, "-o %s: out of memory", key);
		return ENOMEM;
	}

	val = unquote(trim(copy));
	e = k ? set_value(cfg, k, val, msg, sizeof(msg)) :
		set_modkey(cfg, key, val, msg, sizeof(msg));
	if (e)
		put_err(err, errsz, "-o %s", msg);
	free(copy);

	return e;
}

/* Check the rules between keys on the final <cfg> (after every -o).
 * Returns 0, or EINVAL with the keys in conflict in <err>.
 */
int pbx_cfg_check(const struct pbx_cfg *cfg, char *err, size_t errsz)
{
	unsigned line = 0;

	if (!cfg)
		return EINVAL;

	return check_cross(cfg, NULL, &line, err, errsz);
}

/* Free every string of <cfg> and clear the pointers, so <cfg> may be
 * freed twice or initialised again.
 */
void pbx_cfg_free(struct pbx_cfg *cfg)
{
	size_t i;

	if (!cfg)
		return;

	for (i = 0; i < cfg->nmodkeys; i++) {
		free(cfg->modkeys[i].key);
		free(cfg->modkeys[i].value);
	}
	free(cfg->modkeys);
	cfg->modkeys = NULL;
	cfg->nmodkeys = 0;
	for (i = 0; i < NKEYS; i++) {
		char **sp;

		if (keys[i].type != T_STR && keys[i].type != T_HOST)
			continue;
		sp = (char **)((char *)cfg + keys[i].off);
		free(*sp);
		*sp = NULL;
	}
}

/* Write every key to <f> in file format: its documentation as comments,
 * the range of numbers, then "key = default" and a blank line. Values
 * that would not read back as they are get double quotes.
 */
void pbx_cfg_print_defaults(FILE *f)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *d = k->doc, *nl;
		size_t len = strlen(k->def);

		while ((nl = strchr(d, '\n')) != NULL) {
			fprintf(f, "# %.*s\n", (int)(nl - d), d);
			d = nl + 1;
		}
		fprintf(f, "# %s\n", d);
		if (k->type == T_UINT)
			fprintf(f, "# Range: %u..%u.\n", k->min, k->max);

		if (!len || is_space(k->def[0]) || is_space(k->def[len - 1]) ||
		    k->def[0] == '"')
			fprintf(f, "%s = \"%s\"\n\n", k->name, k->def);
		else
			fprintf(f, "%s = %s\n\n", k->name, k->def);
	}
}

const char *pbx_cfg_module_get(const struct pbx_cfg *cfg,
			       const char *module, const char *key)
{
	size_t ml = strlen(module);

	for (size_t i = 0; i < cfg->nmodkeys; i++) {
		const char *k = cfg->modkeys[i].key;

		if (!strncmp(k, module, ml) && k[ml] == '.' &&
		    !strcmp(k + ml + 1, key))
			return cfg->modkeys[i].value;
	}
	return NULL;
}

/* Number of keys in the table. */
size_t pbx_cfg_key_count(void)
{
	return NKEYS;
}

/* Name of key <i> (static string), or NULL past the end. */
const char *pbx_cfg_key_name(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}
