/* tests/unit/check_cfg.c - util/cfg.c: defaults, the file format, every
 * kind of error with its line, -o, the rules across keys, and that
 * etc/pbxd.conf.example documents every key and loads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "pbx/cfg.h"
#include "pbx/log.h"

static struct pbx_cfg cfg;
static char path[64];
static char err[512];

static void setup(void)
{
	ck_assert_int_eq(pbx_cfg_init(&cfg), 0);
	path[0] = '\0';
	err[0] = '\0';
}

static void teardown(void)
{
	pbx_cfg_free(&cfg);
	if (path[0])
		unlink(path);
}

/* Write <text> to a new temporary file; its name goes to <path>. */
static void write_file(const char *text)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd;

	if (path[0])
		unlink(path);
	snprintf(path, sizeof(path), "%s/pbxcfgXXXXXX",
		 dir && strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* Load <text> and expect EINVAL with "<path>:<line>: <msg>". */
static void load_bad(const char *text, unsigned line, const char *msg)
{
	char want[600];

	write_file(text);
	ck_assert_int_eq(pbx_cfg_load(&cfg, path, err, sizeof(err)), EINVAL);
	snprintf(want, sizeof(want), "%s:%u: %s", path, line, msg);
	ck_assert_str_eq(err, want);
}

static void load_ok(const char *text)
{
	write_file(text);
	ck_assert_msg(pbx_cfg_load(&cfg, path, err, sizeof(err)) == 0,
		      "load failed: %s", err);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return s[0] == '/' && n > m && !strcmp(s + n - m, suffix);
}

START_TEST(cfg_defaults)
{
	char host[256] = "";

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	ck_assert_str_eq(cfg.node_name, host);

	ck_assert_str_eq(cfg.sip_address, "127.0.0.1");
	ck_assert_uint_eq(cfg.sip_port, 5060);
	ck_assert(cfg.sip_udp);
	ck_assert(cfg.sip_tcp);
	ck_assert_str_eq(cfg.sip_realm, "pbx.local");
	ck_assert_str_eq(cfg.sip_user_agent, "pbxd");

	ck_assert_uint_eq(cfg.reg_min_expires, 60);
	ck_assert_uint_eq(cfg.reg_max_expires, 3600);
	ck_assert_uint_eq(cfg.reg_default_expires, 3600);
	ck_assert_uint_eq(cfg.reg_max_contacts, 10);

	ck_assert_int_eq(cfg.auth_algorithms, PBX_AUTH_MD5);
	ck_assert_uint_eq(cfg.auth_nonce_ttl, 300);
	ck_assert_str_eq(cfg.auth_nonce_secret, "");
	ck_assert_uint_eq(cfg.auth_fail_limit, 10);
	ck_assert_uint_eq(cfg.auth_fail_window, 60);
	ck_assert_uint_eq(cfg.auth_block_time, 300);

	ck_assert_str_eq(cfg.db_conninfo, "dbname=pbxd");
	ck_assert_uint_eq(cfg.db_workers, 2);
	/* the directories depend on the install prefix */
	ck_assert(has_suffix(cfg.db_sql_dir, "/pbxd/sql"));
	ck_assert(cfg.db_migrate);
	ck_assert_uint_eq(cfg.db_flush_ms, 10);

	ck_assert_str_eq(cfg.rest_address, "127.0.0.1");
	ck_assert_uint_eq(cfg.rest_port, 8080);
	ck_assert_uint_eq(cfg.rest_threads, 4);

	ck_assert(has_suffix(cfg.modules_dir, "/pbxd/modules"));
	ck_assert_str_eq(cfg.modules_load, "");
	ck_assert(has_suffix(cfg.dialplans_dir, "/pbxd/dialplans"));
	ck_assert(has_suffix(cfg.sounds_dir, "/pbxd/sounds"));

	ck_assert_int_eq(cfg.log_level, PBX_LOG_INFO);
	ck_assert_int_eq(cfg.log_target, PBX_LOG_STDERR);
}
END_TEST

START_TEST(cfg_key_table)
{
	size_t i, j, n = pbx_cfg_key_count();

	ck_assert_uint_eq(n, 42);
	ck_assert_str_eq(pbx_cfg_key_name(0), "node.name");
	ck_assert_ptr_null(pbx_cfg_key_name(n));
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_str_ne(pbx_cfg_key_name(i),
					 pbx_cfg_key_name(j));
}
END_TEST

START_TEST(cfg_load_values)
{
	load_ok("# a comment\n"
		"; another comment\n"
		"\n"
		"   \t\n"
		"node.name = pbx-a\n"
		"sip.address=10.0.0.1\n"
		"  sip.port   =   5080  \n"
		"sip.transports = udp\n"
		"sip.realm = example.com\r\n"
		"registrar.max_contacts = 3\n"
		"auth.algorithms = SHA-256,MD5\n"
		"auth.fail_limit = 0\n"
		"db.conninfo = \"host=127.0.0.1 port=5432 dbname=pbxd\"\n"
		"db.migrate = off\n"
		"rest.port = 0\n"
		"modules.load = voicemail,moh\n"
		"log.level = DEBUG\n"
		"log.target = syslog\n");

	ck_assert_str_eq(cfg.node_name, "pbx-a");
	ck_assert_str_eq(cfg.sip_address, "10.0.0.1");
	ck_assert_uint_eq(cfg.sip_port, 5080);
	ck_assert(cfg.sip_udp);
	ck_assert(!cfg.sip_tcp);
	ck_assert_str_eq(cfg.sip_realm, "example.com");
	ck_assert_uint_eq(cfg.reg_max_contacts, 3);
	ck_assert_int_eq(cfg.auth_algorithms, PBX_AUTH_SHA256_MD5);
	ck_assert_uint_eq(cfg.auth_fail_limit, 0);
	ck_assert_str_eq(cfg.db_conninfo,
			 "host=127.0.0.1 port=5432 dbname=pbxd");
	ck_assert(!cfg.db_migrate);
	ck_assert_uint_eq(cfg.rest_port, 0);
	ck_assert_str_eq(cfg.modules_load, "voicemail,moh");
	ck_assert_int_eq(cfg.log_level, PBX_LOG_DEBUG);
	ck_assert_int_eq(cfg.log_target, PBX_LOG_SYSLOG);
	/* untouched keys keep their defaults */
	ck_assert_uint_eq(cfg.db_workers, 2);
	ck_assert_str_eq(cfg.sip_user_agent, "pbxd");
}
END_TEST

/* No inline comments: a conninfo may hold '#', values may hold '='. */
START_TEST(cfg_load_quotes_and_hash)
{
	load_ok("db.conninfo = password=a#b;c dbname=x\n"
		"sip.user_agent = \"  spaced  \"\n"
		"sip.realm = \"\"\n"
		"modules.load = \"half\n"
		"auth.nonce_secret = \"a\"b\"\n");

	ck_assert_str_eq(cfg.db_conninfo, "password=a#b;c dbname=x");
	ck_assert_str_eq(cfg.sip_user_agent, "  spaced  ");
	ck_assert_str_eq(cfg.sip_realm, "");
	/* a lone quote is kept; only one surrounding pair goes */
	ck_assert_str_eq(cfg.modules_load, "\"half");
	ck_assert_str_eq(cfg.auth_nonce_secret, "a\"b");
}
END_TEST

START_TEST(cfg_load_duplicate_last_wins)
{
	load_ok("sip.port = 5070\nsip.realm = a\nsip.port = 5090\n");
	ck_assert_uint_eq(cfg.sip_port, 5090);
}
END_TEST

START_TEST(cfg_load_empty_node_name_is_host)
{
	char host[256] = "";

	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	load_ok("node.name = a\nnode.name = \"\"\n");
	ck_assert_str_eq(cfg.node_name, host);
}
END_TEST

START_TEST(cfg_err_unknown_key)
{
	load_bad("# pbxd\n\nsip.prot = 5060\n", 3, "unknown key 'sip.prot'");
}
END_TEST

START_TEST(cfg_err_out_of_range)
{
	load_bad("sip.realm = x\n\n\nsip.port = 70000\n", 4,
		 "sip.port: '70000' is out of range 1..65535");
}
END_TEST

START_TEST(cfg_err_range_edges)
{
	load_ok("sip.port = 65535\nrest.port = 0\nauth.nonce_ttl = 10\n");
	ck_assert_uint_eq(cfg.sip_port, 65535);
	load_bad("sip.port = 0\n", 1,
		 "sip.port: '0' is out of range 1..65535");
	load_bad("auth.nonce_ttl = 9\n", 1,
		 "auth.nonce_ttl: '9' is out of range 10..86400");
	load_bad("db.workers = 65\n", 1,
		 "db.workers: '65' is out of range 1..64");
	load_bad("db.workers = -1\n", 1,
		 "db.workers: '-1' is out of range 1..64");
	load_bad("db.workers = 99999999999999999999999\n", 1,
		 "db.workers: '99999999999999999999999' is out of range "
		 "1..64");
}
END_TEST

START_TEST(cfg_err_no_equals)
{
	load_bad("sip.port = 5060\n#\n\n\n\n\nrealm pbx\n", 7,
		 "line has no '=': 'realm pbx'");
}
END_TEST

START_TEST(cfg_err_no_key)
{
	load_bad("= 5060\n", 1, "line has no key before '='");
}
END_TEST

START_TEST(cfg_err_not_number)
{
	load_bad("\n\n\n\n\n\n\n\nregistrar.max_contacts = ten\n", 9,
		 "registrar.max_contacts: 'ten' is not a number");
	load_bad("sip.port = 50 60\n", 1, "sip.port: '50 60' is not a number");
	load_bad("sip.port = 0x10\n", 1, "sip.port: '0x10' is not a number");
	load_bad("sip.port = +5\n", 1, "sip.port: '+5' is not a number");
	load_bad("sip.port =\n", 1, "sip.port: '' is not a number");
}
END_TEST

START_TEST(cfg_err_bool)
{
	load_ok("db.migrate = No\n");
	ck_assert(!cfg.db_migrate);
	load_ok("db.migrate = TRUE\n");
	ck_assert(cfg.db_migrate);
	load_ok("db.migrate = 0\n");
	ck_assert(!cfg.db_migrate);
	load_ok("db.migrate = on\n");
	ck_assert(cfg.db_migrate);
	load_bad("db.migrate = maybe\n", 1, "db.migrate: 'maybe' is not "
		 "yes or no (yes/no/true/false/on/off/1/0)");
}
END_TEST

START_TEST(cfg_transports)
{
	load_ok("sip.transports = TCP\n");
	ck_assert(!cfg.sip_udp);
	ck_assert(cfg.sip_tcp);
	load_ok("sip.transports = tcp , udp\n");
	ck_assert(cfg.sip_udp);
	ck_assert(cfg.sip_tcp);

	load_bad("sip.transports =\n", 1,
		 "sip.transports: at least one of udp, tcp is required");
	load_bad("sip.transports = sctp\n", 1,
		 "sip.transports: 'sctp' is not udp, tcp or udp,tcp");
	load_bad("sip.transports = udp,udp\n", 1,
		 "sip.transports: 'udp,udp' is not udp, tcp or udp,tcp");
	load_bad("sip.transports = udp,\n", 1,
		 "sip.transports: 'udp,' is not udp, tcp or udp,tcp");
	load_bad("sip.transports = udp,tcp,tls\n", 1,
		 "sip.transports: 'udp,tcp,tls' is not udp, tcp or udp,tcp");
}
END_TEST

START_TEST(cfg_algorithms)
{
	load_ok("auth.algorithms = sha-256\n");
	ck_assert_int_eq(cfg.auth_algorithms, PBX_AUTH_SHA256);
	load_ok("auth.algorithms = md5 , SHA-256\n");
	ck_assert_int_eq(cfg.auth_algorithms, PBX_AUTH_MD5_SHA256);
	load_ok("auth.algorithms = SHA-256,MD5\n");
	ck_assert_int_eq(cfg.auth_algorithms, PBX_AUTH_SHA256_MD5);
	load_ok("auth.algorithms = MD5\n");
	ck_assert_int_eq(cfg.auth_algorithms, PBX_AUTH_MD5);

	load_bad("auth.algorithms = SHA-512\n", 1, "auth.algorithms: "
		 "'SHA-512' is not MD5, SHA-256, SHA-256,MD5 or MD5,SHA-256");
	load_bad("auth.algorithms = MD5,MD5\n", 1, "auth.algorithms: "
		 "'MD5,MD5' is not MD5, SHA-256, SHA-256,MD5 or MD5,SHA-256");
	load_bad("auth.algorithms = MD5-sess\n", 1, "auth.algorithms: "
		 "'MD5-sess' is not MD5, SHA-256, SHA-256,MD5 or MD5,SHA-256");
}
END_TEST

START_TEST(cfg_log_keys)
{
	load_ok("log.level = warning\nlog.target = SysLog\n");
	ck_assert_int_eq(cfg.log_level, PBX_LOG_WARN);
	ck_assert_int_eq(cfg.log_target, PBX_LOG_SYSLOG);

	load_bad("log.level = loud\n", 1,
		 "log.level: 'loud' is not err, warn, notice, info or debug");
	load_bad("log.target = file\n", 1,
		 "log.target: 'file' is not stderr or syslog");
}
END_TEST

/* The first bad line is reported; what came before it is applied. */
START_TEST(cfg_err_first_bad_line)
{
	load_bad("sip.port = 5099\nsip.prot = 1\nsip.port = x\n", 2,
		 "unknown key 'sip.prot'");
	ck_assert_uint_eq(cfg.sip_port, 5099);
}
END_TEST

START_TEST(cfg_err_missing_file)
{
	ck_assert_int_eq(pbx_cfg_load(&cfg, "/nonexistent/pbxd.conf", err,
				      sizeof(err)), ENOENT);
	ck_assert_str_eq(err, "/nonexistent/pbxd.conf: "
			 "No such file or directory");
}
END_TEST

START_TEST(cfg_err_nul_byte)
{
	FILE *f;

	write_file("");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite("sip.realm = a\nsip.port = 5\0\n", 1, 28, f),
			  28);
	fclose(f);
	ck_assert_int_eq(pbx_cfg_load(&cfg, path, err, sizeof(err)), EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":2: line holds a NUL byte"));
}
END_TEST

START_TEST(cfg_cross_keys)
{
	load_bad("registrar.default_expires = 30\n"
		 "# later\n"
		 "registrar.min_expires = 120\n", 3,
		 "registrar.min_expires (120) is greater than "
		 "registrar.default_expires (30)");

	/* the key from defaults has no line: the file's one is named */
	pbx_cfg_free(&cfg);
	ck_assert_int_eq(pbx_cfg_init(&cfg), 0);
	load_bad("\n\nregistrar.max_expires = 1800\n", 3,
		 "registrar.default_expires (3600) is greater than "
		 "registrar.max_expires (1800)");

	pbx_cfg_free(&cfg);
	ck_assert_int_eq(pbx_cfg_init(&cfg), 0);
	load_ok("registrar.max_expires = 1800\n"
		"registrar.default_expires = 1800\n"
		"registrar.min_expires = 1800\n");
}
END_TEST

/* Conflicts not set in the file carry no line number. */
START_TEST(cfg_cross_keys_no_line)
{
	char want[600];

	ck_assert_int_eq(pbx_cfg_set(&cfg, "registrar.min_expires", "4000",
				     err, sizeof(err)), 0);
	write_file("# nothing\n");
	ck_assert_int_eq(pbx_cfg_load(&cfg, path, err, sizeof(err)), EINVAL);
	snprintf(want, sizeof(want), "%s: registrar.min_expires (4000) is "
		 "greater than registrar.default_expires (3600)", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(cfg_set)
{
	ck_assert_int_eq(pbx_cfg_set(&cfg, "sip.port", "5062", err,
				     sizeof(err)), 0);
	ck_assert_uint_eq(cfg.sip_port, 5062);
	ck_assert_int_eq(pbx_cfg_set(&cfg, "db.conninfo",
				     "\"host=db dbname=p\"", err, sizeof(err)),
			 0);
	ck_assert_str_eq(cfg.db_conninfo, "host=db dbname=p");

	ck_assert_int_eq(pbx_cfg_set(&cfg, "sip.port", "0", err, sizeof(err)),
			 EINVAL);
	ck_assert_str_eq(err, "-o sip.port: '0' is out of range 1..65535");
	ck_assert_uint_eq(cfg.sip_port, 5062);

	ck_assert_int_eq(pbx_cfg_set(&cfg, "sip.prot", "1", err, sizeof(err)),
			 EINVAL);
	ck_assert_str_eq(err, "-o unknown key 'sip.prot'");

	ck_assert_int_eq(pbx_cfg_set(&cfg, "log.level", "chatty", err,
				     sizeof(err)), EINVAL);
	ck_assert_str_eq(err, "-o log.level: 'chatty' is not err, warn, "
			 "notice, info or debug");
	ck_assert_int_eq(pbx_cfg_set(&cfg, NULL, "1", err, sizeof(err)),
			 EINVAL);
	/* a NULL or empty error buffer is allowed */
	ck_assert_int_eq(pbx_cfg_set(&cfg, "sip.port", "x", NULL, 0), EINVAL);
}
END_TEST

START_TEST(cfg_check)
{
	ck_assert_int_eq(pbx_cfg_check(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(pbx_cfg_set(&cfg, "registrar.max_expires", "600",
				     err, sizeof(err)), 0);
	ck_assert_int_eq(pbx_cfg_check(&cfg, err, sizeof(err)), EINVAL);
	ck_assert_str_eq(err, "registrar.default_expires (3600) is greater "
			 "than registrar.max_expires (600)");
	ck_assert_int_eq(pbx_cfg_set(&cfg, "registrar.default_expires",
				     "600", err, sizeof(err)), 0);
	ck_assert_int_eq(pbx_cfg_check(&cfg, err, sizeof(err)), 0);
}
END_TEST

START_TEST(cfg_free_reinit)
{
	pbx_cfg_free(&cfg);
	ck_assert_ptr_null(cfg.sip_realm);
	ck_assert_ptr_null(cfg.node_name);
	pbx_cfg_free(&cfg);
	ck_assert_int_eq(pbx_cfg_init(&cfg), 0);
	ck_assert_str_eq(cfg.sip_realm, "pbx.local");
}
END_TEST

/* What pbx_cfg_print_defaults() writes reads back as the defaults. */
START_TEST(cfg_print_defaults_roundtrip)
{
	struct pbx_cfg back;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	pbx_cfg_print_defaults(f);
	fclose(f);

	for (i = 0; i < pbx_cfg_key_count(); i++) {
		char want[128];

		snprintf(want, sizeof(want), "\n%s = ", pbx_cfg_key_name(i));
		ck_assert_msg(strstr(text, want) != NULL, "no %s",
			      pbx_cfg_key_name(i));
	}
	ck_assert_ptr_nonnull(strstr(text, "# Range: 1..65535.\n"
				     "sip.port = 5060\n\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nauth.nonce_secret = \"\"\n"));

	write_file(text);
	free(text);

	/* start from values that differ from every default */
	ck_assert_int_eq(pbx_cfg_init(&back), 0);
	ck_assert_int_eq(pbx_cfg_set(&back, "sip.port", "1", NULL, 0), 0);
	ck_assert_int_eq(pbx_cfg_set(&back, "auth.nonce_secret", "x", NULL,
				     0), 0);
	ck_assert_int_eq(pbx_cfg_set(&back, "db.migrate", "no", NULL, 0), 0);
	ck_assert_int_eq(pbx_cfg_load(&back, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.sip_port, 5060);
	ck_assert_str_eq(back.auth_nonce_secret, "");
	ck_assert(back.db_migrate);
	ck_assert_str_eq(back.node_name, cfg.node_name);
	ck_assert_str_eq(back.db_sql_dir, cfg.db_sql_dir);
	pbx_cfg_free(&back);
}
END_TEST

/* $PBX_SRCDIR from make check, or the tree this file was compiled from. */
START_TEST(cfg_module_keys)
{
	load_ok("mod.dnd.notify = yes\n"
		"mod.dnd.notify = no\n"
		"mod.voicemail.max_secs = 120\n");
	ck_assert_str_eq(pbx_cfg_module_get(&cfg, "dnd", "notify"), "no");
	ck_assert_str_eq(pbx_cfg_module_get(&cfg, "voicemail", "max_secs"),
			 "120");
	ck_assert_ptr_null(pbx_cfg_module_get(&cfg, "dnd", "max_secs"));
	ck_assert_ptr_null(pbx_cfg_module_get(&cfg, "dn", "notify"));
	ck_assert_int_eq(pbx_cfg_set(&cfg, "mod.moh.class", "default", err,
				     sizeof(err)), 0);
	ck_assert_str_eq(pbx_cfg_module_get(&cfg, "moh", "class"),
			 "default");
	/* A name without both parts is no module key. */
	load_bad("mod.dnd = yes\n", 1, "unknown key 'mod.dnd'");
	load_bad("mod..x = yes\n", 1, "unknown key 'mod..x'");
}
END_TEST

START_TEST(cfg_media_port_range)
{
	load_bad("media.port_min = 30000\nmedia.port_max = 30001\n", 2,
		 "media.port_min (30000) leaves no RTP/RTCP pair below "
		 "media.port_max (30001)");
	load_ok("media.port_min = 30000\nmedia.port_max = 30003\n");
	ck_assert_uint_eq(cfg.media_port_min, 30000);
}
END_TEST

static void example_path(char *buf, size_t bufsz)
{
	const char *src = getenv("PBX_SRCDIR");
	const char *slash;

	if (src && *src) {
		snprintf(buf, bufsz, "%s/etc/pbxd.conf.example", src);
		return;
	}

	slash = strrchr(__FILE__, '/');
	snprintf(buf, bufsz, "%.*s../../etc/pbxd.conf.example",
		 slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
}

START_TEST(cfg_example_has_every_key)
{
	char file[4096];
	char *text = NULL, *line = NULL;
	size_t cap = 0, tlen = 0, i;
	FILE *f, *all;

	example_path(file, sizeof(file));
	f = fopen(file, "r");
	ck_assert_msg(f != NULL, "cannot open %s", file);

	/* Keep only the key names of the setting lines, one per line. */
	all = open_memstream(&text, &tlen);
	ck_assert_ptr_nonnull(all);
	fputc('\n', all);
	while (getline(&line, &cap, f) >= 0) {
		size_t n = strcspn(line, " =");

		if (line[0] != '#' && line[0] != '\n' && line[n])
			fprintf(all, "%.*s\n", (int)n, line);
	}
	fclose(all);
	fclose(f);
	free(line);

	for (i = 0; i < pbx_cfg_key_count(); i++) {
		char want[128];

		snprintf(want, sizeof(want), "\n%s\n", pbx_cfg_key_name(i));
		ck_assert_msg(strstr(text, want) != NULL,
			      "%s is missing from %s", pbx_cfg_key_name(i),
			      file);
	}
	free(text);
}
END_TEST

START_TEST(cfg_example_loads)
{
	char file[4096];

	example_path(file, sizeof(file));
	ck_assert_msg(pbx_cfg_load(&cfg, file, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(cfg.sip_port, 5060);
	ck_assert_int_eq(cfg.auth_algorithms, PBX_AUTH_MD5);
}
END_TEST

static Suite *cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cfg_defaults);
	tcase_add_test(tc, cfg_key_table);
	tcase_add_test(tc, cfg_load_values);
	tcase_add_test(tc, cfg_load_quotes_and_hash);
	tcase_add_test(tc, cfg_load_duplicate_last_wins);
	tcase_add_test(tc, cfg_load_empty_node_name_is_host);
	tcase_add_test(tc, cfg_err_unknown_key);
	tcase_add_test(tc, cfg_err_out_of_range);
	tcase_add_test(tc, cfg_err_range_edges);
	tcase_add_test(tc, cfg_err_no_equals);
	tcase_add_test(tc, cfg_err_no_key);
	tcase_add_test(tc, cfg_err_not_number);
	tcase_add_test(tc, cfg_err_bool);
	tcase_add_test(tc, cfg_transports);
	tcase_add_test(tc, cfg_algorithms);
	tcase_add_test(tc, cfg_log_keys);
	tcase_add_test(tc, cfg_err_first_bad_line);
	tcase_add_test(tc, cfg_err_missing_file);
	tcase_add_test(tc, cfg_err_nul_byte);
	tcase_add_test(tc, cfg_cross_keys);
	tcase_add_test(tc, cfg_cross_keys_no_line);
	tcase_add_test(tc, cfg_set);
	tcase_add_test(tc, cfg_module_keys);
	tcase_add_test(tc, cfg_media_port_range);
	tcase_add_test(tc, cfg_check);
	tcase_add_test(tc, cfg_free_reinit);
	tcase_add_test(tc, cfg_print_defaults_roundtrip);
	tcase_add_test(tc, cfg_example_has_every_key);
	tcase_add_test(tc, cfg_example_loads);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cfg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
