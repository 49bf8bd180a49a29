/* pbx/log.h - levelled logging, tagged by subsystem and SIP Call-ID.
 * Thread-safe: each line is written with one write(2).
 */
#ifndef PBX_LOG_H
#define PBX_LOG_H

#include <stdarg.h>

enum pbx_log_level {
	PBX_LOG_ERR = 0,
	PBX_LOG_WARN,
	PBX_LOG_NOTICE,
	PBX_LOG_INFO,
	PBX_LOG_DEBUG,
};

enum pbx_log_target {
	PBX_LOG_STDERR = 0,
	PBX_LOG_SYSLOG,
};

extern volatile int pbx_log_level_cur;

#ifndef PBX_LOG_TAG
#define PBX_LOG_TAG "pbxd"
#endif

/* Write one line at <level> for subsystem <tag>; <callid> may be NULL.
 * Callers use the macros below, which skip formatting below the level.
 */
void pbx_log_write(int level, const char *tag, const char *callid,
		   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Select target and level; may be called again (SIGHUP). */
void pbx_log_setup(enum pbx_log_target target, int level);

/* Parse "err|warn|notice|info|debug" into <*levelp>; EINVAL if unknown. */
int pbx_log_level_parse(const char *name, int *levelp);

#define PBX_LOG(level, callid, ...)					\
	do {								\
		if ((level) <= pbx_log_level_cur)			\
			pbx_log_write((level), PBX_LOG_TAG, (callid),	\
				      __VA_ARGS__);			\
	} while (0)

#define PBX_ERR(...)    PBX_LOG(PBX_LOG_ERR, NULL, __VA_ARGS__)
#define PBX_WARN(...)   PBX_LOG(PBX_LOG_WARN, NULL, __VA_ARGS__)
#define PBX_NOTICE(...) PBX_LOG(PBX_LOG_NOTICE, NULL, __VA_ARGS__)
#define PBX_INFO(...)   PBX_LOG(PBX_LOG_INFO, NULL, __VA_ARGS__)
#define PBX_DEBUG(...)  PBX_LOG(PBX_LOG_DEBUG, NULL, __VA_ARGS__)

/* Same, with the SIP Call-ID of the request being handled. */
#define PBX_CWARN(cid, ...)  PBX_LOG(PBX_LOG_WARN, (cid), __VA_ARGS__)
#define PBX_CINFO(cid, ...)  PBX_LOG(PBX_LOG_INFO, (cid), __VA_ARGS__)
#define PBX_CDEBUG(cid, ...) PBX_LOG(PBX_LOG_DEBUG, (cid), __VA_ARGS__)

#endif
