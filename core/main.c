/* main.c - pbxd: command line, configuration, start-up order, signals
 * and clean shutdown. Owns the top-level objects; the loop thread runs
 * from here.
 */
#define PBX_LOG_TAG "main"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"

#include <pbx/cfg.h>
#include <pbx/log.h>
#include <pbx/loop.h>

#include "call/calls.h"
#include "db/cdr.h"
#include "db/db.h"
#include "db/pubapi.h"
#include "db/location.h"
#include "db/users.h"
#include "lua/dialplan.h"
#include "mod/registry.h"
#include "rest/rest.h"
#include "sip/registrar.h"
#include "sip/sip.h"

#ifndef PBX_SYSCONFDIR
#define PBX_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG PBX_SYSCONFDIR "/pbxd.conf"
#define MAX_OVERRIDES 64

static struct {
	const char *cfg_path;
	bool cfg_explicit;            /* -c given: the file must exist */
	const char *overrides[MAX_OVERRIDES];
	size_t noverrides;
	struct pbx_cfg cfg;           /* start-up config; REST keeps it */
	struct pbx_cfg reloaded;      /* latest SIGHUP config, if any */
	bool has_reloaded;
	struct pbx_db *db;
	struct pbx_db_pool *pool;
	struct pbx_users *users;
	struct pbx_location *loc;
	struct pbx_registrar *reg;
	struct pbx_rest *rest;
	struct pbx_cdr_writer *cdr;
	int sigfd;
	struct pbx_loop_watch *sigwatch;
	bool stopping;
} pbx = { .sigfd = -1 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pbxd [-c FILE] [-f] [-o key=value]...\n"
		"       pbxd [-c FILE] [-o key=value]... --check-config\n"
		"       pbxd [-c FILE] [-o key=value]... --migrate\n"
		"       pbxd [-c FILE] token create NAME | list | revoke NAME\n"
		"       pbxd --print-defaults | --version\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -f       stay in the foreground\n"
		"  -o K=V   override configuration key K\n",
		DEFAULT_CONFIG);
}

/* Read the file (if any) and the -o overrides into <cfg>. */
static int load_config(struct pbx_cfg *cfg, char *err, size_t errsz)
{
	int e = pbx_cfg_init(cfg);

	if (e) {
		snprintf(err, errsz, "out of memory");
		return e;
	}
	if (pbx.cfg_explicit || access(pbx.cfg_path, F_OK) == 0) {
		e = pbx_cfg_load(cfg, pbx.cfg_path, err, errsz);
		if (e)
			return e;
	}
	for (size_t i = 0; i < pbx.noverrides; i++) {
		char key[128];
		const char *eq = strchr(pbx.overrides[i], '=');

		if (!eq || eq == pbx.overrides[i] ||
		    (size_t)(eq - pbx.overrides[i]) >= sizeof(key)) {
			snprintf(err, errsz, "-o %s: expected key=value",
				 pbx.overrides[i]);
			return EINVAL;
		}
		snprintf(key, sizeof(key), "%.*s",
			 (int)(eq - pbx.overrides[i]), pbx.overrides[i]);
		e = pbx_cfg_set(cfg, key, eq + 1, err, errsz);
		if (e)
			return e;
	}
	/* Keys that must agree are checked once all overrides are in. */
	return pbx_cfg_check(cfg, err, errsz);
}

static int cmd_migrate(const struct pbx_cfg *cfg, bool report)
{
	char err[512];
	PGconn *conn;
	unsigned applied = 0;
	int e;

	e = pbx_db_connect(&conn, cfg->db_conninfo, err, sizeof(err));
	if (e) {
		fprintf(stderr, "pbxd: database: %s\n", err);
		return 1;
	}
	e = pbx_db_migrate(conn, cfg->db_sql_dir, &applied, err,
			   sizeof(err));
	PQfinish(conn);
	if (e) {
		fprintf(stderr, "pbxd: migration failed: %s\n", err);
		return 1;
	}
	if (report)
		printf("applied %u migration(s); schema is current\n",
		       applied);
	return 0;
}

/* ---- Notifications and signals ---- */

static void on_notify(const char *channel, const char *payload, void *arg)
{
	if (!strcmp(channel, "pbx_users"))
		pbx_users_notify(pbx.users, payload);
	else if (!strcmp(channel, "pbx_registrations"))
		pbx_location_notify(pbx.loc, payload);
	else if (!pbx_mod_watch_notify(channel, payload))
		PBX_DEBUG("NOTIFY %s: no module watches it", channel);
}

static void on_resync(void *arg)
{
	pbx_users_resync(pbx.users);
	pbx_mod_watch_reload();
}

static void on_user_gone(const char *ext, void *arg)
{
	pbx_location_remove_aor(pbx.loc, ext);
}

static void on_sip_down(void *arg)
{
	pbx_sip_loop_break();
}

static void reload(void)
{
	struct pbx_cfg next;
	char err[512];

	if (load_config(&next, err, sizeof(err))) {
		PBX_ERR("reload refused, keeping the running configuration: "
			"%s", err);
		pbx_cfg_free(&next);
		return;
	}
	if (strcmp(next.sip_address, pbx.cfg.sip_address) ||
	    next.sip_port != pbx.cfg.sip_port ||
	    strcmp(next.db_conninfo, pbx.cfg.db_conninfo) ||
	    next.rest_port != pbx.cfg.rest_port ||
	    strcmp(next.sip_realm, pbx.cfg.sip_realm))
		PBX_WARN("SIP/REST addresses, realm and database changes "
			 "take effect at the next restart");
	pbx_log_setup(next.log_target, next.log_level);
	if (pbx_registrar_config(pbx.reg, &next))
		PBX_ERR("registrar settings not reloaded");
	pbx_calls_config(&next);
	if (pbx_lua_reload(&next, err, sizeof(err)))
		PBX_ERR("dialplan not reloaded, the running one stays: %s",
			err);
	if (pbx.has_reloaded)
		pbx_cfg_free(&pbx.reloaded);
	pbx.reloaded = next;
	pbx.has_reloaded = true;
	PBX_NOTICE("configuration reloaded from %s", pbx.cfg_path);
}

static void on_signal(int fd, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload();
			continue;
		}
		if (pbx.stopping)
			continue;
		pbx.stopping = true;
		PBX_NOTICE("stopping (signal %u)", si.ssi_signo);
		/* REST first, so no change arrives while we flush; then
		 * every call ends (BYE or CANCEL) while the stack still
		 * runs to send it.
		 */
		/* A REST handler waiting on the loop must not wait for
		 * ever while pbx_rest_stop() waits for it.
		 */
		pbx_loop_mailbox_close();
		pbx_rest_stop(pbx.rest);
		pbx.rest = NULL;
		pbx_calls_stop();
		pbx_sipua_shutdown(on_sip_down, NULL);
	}
}

static int watch_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pbx.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (pbx.sigfd < 0)
		return errno;
	return pbx_loop_watch_fd(&pbx.sigwatch, pbx.sigfd, on_signal, NULL);
}

/* ---- Start-up and shutdown ---- */

/* Each anchored call holds 4 sockets (an RTP/RTCP pair per leg): raise
 * the soft descriptor limit to the hard one and say how many calls fit,
 * so that "Too many open files" under load is not a surprise.
 */
#define FDS_PER_CALL 4
#define FDS_RESERVED 512          /* SIP, REST, database, logs, modules */

static void raise_fd_limit(const struct pbx_cfg *cfg)
{
	unsigned long by_ports = (cfg->media_port_max - cfg->media_port_min +
				  1) / FDS_PER_CALL;
	unsigned long by_fds;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			PBX_WARN("cannot raise the open files limit from %llu:"
				 " %s", (unsigned long long)was,
				 strerror(errno));
			rl.rlim_cur = was;
		}
	}
	by_fds = rl.rlim_cur > FDS_RESERVED ?
		 (rl.rlim_cur - FDS_RESERVED) / FDS_PER_CALL : 0;
	if (by_fds < by_ports)
		PBX_WARN("open files limit %llu: room for about %lu calls "
			 "(the RTP ports allow %lu); raise LimitNOFILE / "
			 "ulimit -n", (unsigned long long)rl.rlim_cur,
			 by_fds, by_ports);
	else
		PBX_INFO("room for %lu calls (RTP ports %u-%u; open files "
			 "limit %llu)", by_ports, cfg->media_port_min,
			 cfg->media_port_max,
			 (unsigned long long)rl.rlim_cur);
}

static int start(void)
{
	static const char *const channels[] = {
		"pbx_users", "pbx_registrations", NULL
	};
	const struct pbx_cfg *cfg = &pbx.cfg;
	char err[512];
	PGconn *conn;
	int e;

	if (cfg->db_migrate && cmd_migrate(cfg, false))
		return EIO;
	raise_fd_limit(cfg);
	e = pbx_sip_loop_init();
	if (!e)
		e = pbx_loop_mailbox_open();
	if (!e)
		e = pbx_db_alloc(&pbx.db, cfg->db_conninfo, cfg->db_workers);
	if (!e)
		pbx_db_api_start(pbx.db);
	if (!e)
		e = pbx_users_alloc(&pbx.users, pbx.db, on_user_gone, NULL);
	if (!e)
		e = pbx_location_alloc(&pbx.loc, pbx.db, cfg->node_name,
				       cfg->db_flush_ms);
	if (e) {
		PBX_ERR("start-up: %s", strerror(e));
		return e;
	}
	/* LISTEN before loading, so no change falls between the two. */
	e = pbx_db_listen(pbx.db, channels, on_notify, on_resync, NULL);
	if (e)
		return e;
	e = pbx_db_connect(&conn, cfg->db_conninfo, err, sizeof(err));
	if (!e) {
		e = pbx_users_load(pbx.users, conn, err, sizeof(err));
		if (!e)
			e = pbx_location_load(pbx.loc, conn, err,
					      sizeof(err));
		PQfinish(conn);
	}
	if (e) {
		PBX_ERR("database: %s", err);
		return e;
	}
	PBX_INFO("loaded %zu users and %u bindings",
		 pbx_users_count(pbx.users), pbx_location_count(pbx.loc));

	e = pbx_lua_open(cfg, err, sizeof(err));
	if (e) {
		PBX_ERR("dialplan: %s", err);
		return e;
	}
	e = pbx_cdr_writer_alloc(&pbx.cdr, pbx.db, cfg->node_name,
				 cfg->cdr_spool_dir);
	if (!e)
		e = pbx_calls_start(cfg, pbx.loc, pbx.cdr);
	if (!e)
		e = pbx_mod_load_all(cfg);
	if (!e)
		e = pbx_registrar_alloc(&pbx.reg, cfg, pbx.users, pbx.loc);
	if (!e)
		e = pbx_sipua_start(cfg, pbx.reg);
	if (!e)
		e = pbx_db_pool_alloc(&pbx.pool, cfg->db_conninfo,
				      cfg->rest_threads + 1);
	if (!e)
		e = pbx_rest_start(&pbx.rest, cfg, pbx.pool);
	if (!e)
		e = watch_signals();
	return e;
}

/* Reverse order of start(); pending binding writes are flushed by
 * pbx_db_free(), which runs the queued jobs before stopping workers.
 */
static void stop(void)
{
	pbx_loop_mailbox_close();
	pbx_rest_stop(pbx.rest);
	pbx_calls_stop();
	pbx_cdr_writer_flush(pbx.cdr);
	pbx_location_close(pbx.loc);
	pbx_db_free(pbx.db);
	/* Modules go once no database job of theirs can complete. */
	pbx_db_api_stop();
	pbx_mod_unload_all();
	pbx_lua_close();
	pbx_loop_unwatch(pbx.sigwatch);
	if (pbx.sigfd >= 0)
		close(pbx.sigfd);
	pbx_sipua_destroy();
	pbx_calls_free();
	pbx_cdr_writer_free(pbx.cdr);
	pbx_registrar_free(pbx.reg);
	pbx_location_free(pbx.loc);
	pbx_users_free(pbx.users);
	pbx_db_pool_free(pbx.pool);
	pbx_sip_loop_deinit();
}

static int run_daemon(bool foreground)
{
	sigset_t set;
	int e;

	if (!foreground) {
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "pbxd: daemon: %s\n",
				strerror(errno));
			return 1;
		}
		if (pbx.cfg.log_target == PBX_LOG_STDERR)
			pbx_log_setup(PBX_LOG_SYSLOG, pbx.cfg.log_level);
	}
	/* Blocked before any thread starts, so every thread inherits the
	 * mask and the signals arrive only through the loop's signalfd.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	PBX_NOTICE("pbxd %s starting (node %s)", PACKAGE_VERSION,
		   pbx.cfg.node_name);
	e = start();
	if (!e) {
		PBX_NOTICE("ready");
		pbx_sip_loop_run();
	}
	stop();
	PBX_NOTICE("stopped");
	return e ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 1000, OPT_CHECK, OPT_MIGRATE, OPT_DEFAULTS };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "option", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "migrate", no_argument, NULL, OPT_MIGRATE },
		{ "print-defaults", no_argument, NULL, OPT_DEFAULTS },
		{ NULL, 0, NULL, 0 }
	};
	bool foreground = false, check = false, migrate = false;
	char err[512];
	int c, rc;

	pbx.cfg_path = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "+c:fo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			pbx.cfg_path = optarg;
			pbx.cfg_explicit = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'o':
			if (pbx.noverrides == MAX_OVERRIDES) {
				fprintf(stderr, "pbxd: too many -o\n");
				return 2;
			}
			pbx.overrides[pbx.noverrides++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("pbxd %s\n", PACKAGE_VERSION);
			return 0;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_MIGRATE:
			migrate = true;
			break;
		case OPT_DEFAULTS:
			pbx_cfg_print_defaults(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "token")) {
		fprintf(stderr, "pbxd: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (load_config(&pbx.cfg, err, sizeof(err))) {
		fprintf(stderr, "pbxd: %s\n", err);
		pbx_cfg_free(&pbx.cfg);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", pbx.cfg_explicit ?
		       pbx.cfg_path : "defaults");
		rc = 0;
	} else {
		pbx_log_setup(pbx.cfg.log_target, pbx.cfg.log_level);
		if (migrate)
			rc = cmd_migrate(&pbx.cfg, true);
		else if (optind < argc)
			rc = pbx_rest_token_cmd(&pbx.cfg, argc - optind,
						argv + optind);
		else
			rc = run_daemon(foreground);
	}
	if (pbx.has_reloaded)
		pbx_cfg_free(&pbx.reloaded);
	pbx_cfg_free(&pbx.cfg);
	return rc;
}
