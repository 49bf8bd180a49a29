/* core/util/log.c - the log sink: one formatted line per call, to stderr
 * or syslog. Owns the current level and target; what goes into a line is
 * the callers' business (see the PBX_* macros in pbx/log.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "pbx/log.h"

/* A line is written with one write(2). Writes to a pipe of at most
 * PIPE_BUF (4096 on Linux) bytes are atomic, so lines from several
 * threads never interleave under a supervisor that pipes our stderr.
 */
#define LINE_MAX_LEN  2048
#define CALLID_MAX    128

volatile int pbx_log_level_cur = PBX_LOG_INFO;

static volatile int log_target = PBX_LOG_STDERR;
static int syslog_opened;

static const struct {
	const char *name;
	int level;
} level_names[] = {
	{"err",     PBX_LOG_ERR},
	{"error",   PBX_LOG_ERR},
	{"warn",    PBX_LOG_WARN},
	{"warning", PBX_LOG_WARN},
	{"notice",  PBX_LOG_NOTICE},
	{"info",    PBX_LOG_INFO},
	{"debug",   PBX_LOG_DEBUG},
};

static const char *const level_labels[] = {
	"ERROR", "WARN", "NOTICE", "INFO", "DEBUG",
};

static const int level_prio[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG,
};

static int clamp_level(int level)
{
	if (level < PBX_LOG_ERR)
		return PBX_LOG_ERR;
	if (level > PBX_LOG_DEBUG)
		return PBX_LOG_DEBUG;
	return level;
}

/* Messages carry text from the network (SIP headers, user names). A CR or
 * LF would let a peer start a forged line of its own, and other control
 * bytes can drive a terminal, so we neutralise them. Tabs stay, for Lua
 * tracebacks.
 */
static void sanitize(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			s[i] = ' ';
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			s[i] = '?';
	}
}

/* Copy <callid> into <buf>, cut to CALLID_MAX and sanitised. */
static const char *safe_callid(const char *callid, char *buf, size_t bufsz)
{
	size_t n;

	if (!callid)
		return NULL;

	n = strnlen(callid, bufsz - 1);
	memcpy(buf, callid, n);
	buf[n] = '\0';
	sanitize(buf, n);

	return buf;
}

static size_t format_time(char *buf, size_t bufsz)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);

	n = strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(buf + n, bufsz - n, ".%03ldZ", ts.tv_nsec / 1000000);
	if (r < 0 || (size_t)r >= bufsz - n)
		return n;

	return n + (size_t)r;
}

static void write_all_once(const char *buf, size_t len)
{
	ssize_t r;

	/* One write only: a second one could interleave with another
	 * thread's line, and a short write to stderr is not worth that.
	 */
	do {
		r = write(STDERR_FILENO, buf, len);
	} while (r < 0 && errno == EINTR);
}

/* Write one line at <level> for subsystem <tag>, with the Call-ID
 * <callid> when not NULL. Any thread. Keeps errno, so a caller may log
 * and then return errno.
 */
void pbx_log_write(int level, const char *tag, const char *callid,
		   const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	char cid[CALLID_MAX + 1];
	const char *c;
	size_t body, len, room;
	va_list ap;
	int saved_errno = errno;
	int r;

	level = clamp_level(level);
	if (!tag)
		tag = "pbxd";
	c = safe_callid(callid, cid, sizeof(cid));

	/* syslog stamps time and priority itself: it gets the body only. */
	body = 0;
	if (log_target != PBX_LOG_SYSLOG) {
		body = format_time(line, sizeof(line));
		r = snprintf(line + body, sizeof(line) - body, " %-5s ",
			     level_labels[level]);
		if (r > 0)
			body += (size_t)r;
	}

	if (c)
		r = snprintf(line + body, sizeof(line) - body, "%s [%s]: ",
			     tag, c);
	else
		r = snprintf(line + body, sizeof(line) - body, "%s: ", tag);
	len = body + (r > 0 ? (size_t)r : 0);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;

	/* Keep a byte for the "\n"; vsnprintf cuts what does not fit. */
	room = sizeof(line) - len - 1;
	va_start(ap, fmt);
	r = vsnprintf(line + len, room, fmt ? fmt : "", ap);
	va_end(ap);
	if (r > 0) {
		size_t n = (size_t)r < room ? (size_t)r : room - 1;

		sanitize(line + len, n);
		len += n;
		if ((size_t)r >= room && n >= 3)
			memcpy(line + len - 3, "...", 3);
	}

	if (log_target == PBX_LOG_SYSLOG) {
		line[len] = '\0';
		syslog(level_prio[level], "%s", line + body);
	} else {
		line[len++] = '\n';
		write_all_once(line, len);
	}

	errno = saved_errno;
}

/* Select <target> and <level>. Main thread, at start-up or on SIGHUP;
 * other threads may be logging meanwhile and see either setting.
 */
void pbx_log_setup(enum pbx_log_target target, int level)
{
	if (target == PBX_LOG_SYSLOG && !syslog_opened) {
		openlog("pbxd", LOG_PID, LOG_DAEMON);
		syslog_opened = 1;
	}

	log_target = target == PBX_LOG_SYSLOG ? PBX_LOG_SYSLOG :
		PBX_LOG_STDERR;
	pbx_log_level_cur = clamp_level(level);
}

/* Map <name> (err, error, warn, warning, notice, info, debug; any case)
 * into <*levelp>. Returns 0, or EINVAL for NULL or an unknown name.
 */
int pbx_log_level_parse(const char *name, int *levelp)
{
	size_t i;

	if (!name || !levelp)
		return EINVAL;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcasecmp(name, level_names[i].name)) {
			*levelp = level_names[i].level;
			return 0;
		}
	}

	return EINVAL;
}
