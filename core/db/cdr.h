/* db/cdr.h - call detail records: the loop hands each finished call's
 * record to the writer, which inserts it into the cdrs table on a db
 * worker, batched. While PostgreSQL is unreachable, records go to a spool
 * file on disk (one JSON object per line, fsynced), replayed into the
 * table when the database is back and at the next start-up. Nothing is
 * lost: a record leaves memory only once it is committed or fsynced.
 *
 * The writer API is loop-thread only. File I/O runs on the writer's own
 * spool thread and on db workers, never on the loop.
 */
#ifndef PBX_DB_CDR_H
#define PBX_DB_CDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pbx_db;
struct pbx_cdr_writer;

#define PBX_CDR_ID_LEN 36         /* call_id: a uuid in text form */

/* Files in the spool directory. The replay renames the spool to the
 * replay file before reading it, so new records never land in a file
 * being replayed; rows PostgreSQL refuses for their content (not for a
 * connection problem) go to the rejected file, for an administrator.
 */
#define PBX_CDR_SPOOL_FILE    "cdr-spool.jsonl"
#define PBX_CDR_REPLAY_FILE   "cdr-replay.jsonl"
#define PBX_CDR_REJECTED_FILE "cdr-rejected.jsonl"

/* Retry period of the spool replay while PostgreSQL is unreachable. */
#define PBX_CDR_RETRY_MS 5000

/* One leg dialled for a call. */
struct pbx_cdr_leg {
	const char *target;       /* (borrowed) dial target, "1002" */
	const char *uri;          /* (borrowed) Request-URI sent, or NULL */
	int status;               /* final SIP status, 0 if none */
	bool answered;
};

/* One finished call, as the call core describes it. Strings may be NULL
 * and need not be UTF-8 (invalid bytes become U+FFFD in the record).
 */
struct pbx_cdr {
	char call_id[PBX_CDR_ID_LEN + 1]; /* uuid, canonical 8-4-4-4-12 */
	const char *sip_call_id;  /* (borrowed) of the caller's leg */
	const char *caller_number;
	const char *caller_name;
	const char *destination;  /* what the caller dialled */
	const struct pbx_cdr_leg *legs; /* (borrowed) <nlegs> of them */
	size_t nlegs;
	int64_t start_us;         /* Unix epoch microseconds, > 0 */
	int64_t answer_us;        /* 0: never answered */
	int64_t end_us;
	const char *disposition;  /* see pbx_cdr_disposition_is_valid() */
	int hangup_cause;         /* SIP code, 0 for a normal clearing */
	const char *hangup_side;  /* "caller", "callee" or "pbx" */
};

/* Counters since the writer was allocated, for logs and metrics. */
struct pbx_cdr_stats {
	uint64_t submitted;       /* accepted by pbx_cdr_submit() */
	uint64_t written;         /* inserted directly */
	uint64_t spooled;         /* fsynced to the spool file */
	uint64_t replayed;        /* inserted from a spool file */
	uint64_t duplicates;      /* replayed rows already in the table */
	uint64_t rejected;        /* refused by PostgreSQL, kept aside */
	size_t pending;           /* in memory: queued, in flight, spooling */
	bool spooling;            /* database unreachable: new CDRs spool */
};

/* ---- The writer (loop thread) ---- */

/* Create a writer inserting through the workers of <db> (borrowed; it
 * must outlive the writer, see pbx_cdr_writer_free()) and recording
 * <node> in every row. <spool_dir> is created (mode 0700) by the spool
 * thread if missing. Starts the replay of any spool left by an earlier
 * run at once. Loop thread, at start-up. 0, EINVAL or ENOMEM, or the
 * errno of a failed thread or eventfd creation.
 */
int pbx_cdr_writer_alloc(struct pbx_cdr_writer **wp, struct pbx_db *db,
			 const char *node, const char *spool_dir);

/* Queue <cdr> for writing. Copies what it needs (the record is
 * serialised at once), so <cdr> may be freed on return. Never blocks.
 * Loop thread, until pbx_db_free() of the writer's pool (also after
 * pbx_cdr_writer_flush()). 0; EINVAL for a malformed record (bad
 * call_id, disposition or hangup_side, no start or end time); ENOMEM;
 * ESHUTDOWN after pbx_cdr_writer_free() started. An end before the
 * start (a clock step) is clamped to the start, an answer into [start,
 * end].
 */
int pbx_cdr_submit(struct pbx_cdr_writer *w, const struct pbx_cdr *cdr);

/* Stop the retry timer and hand every record still in memory to the
 * database (or, while it is unreachable, to the spool). Loop thread, at
 * shutdown, before pbx_db_free(): that call runs the jobs queued here,
 * and their completions spool whatever PostgreSQL did not take.
 */
void pbx_cdr_writer_flush(struct pbx_cdr_writer *w);

/* Free <w>; NULL is fine. Call after pbx_db_free(), so no job of the
 * writer is left in flight. Blocks until the spool thread has written
 * (and fsynced) everything handed to it; a record even that fails to
 * write is logged whole at error level, the last place it exists.
 */
void pbx_cdr_writer_free(struct pbx_cdr_writer *w);

/* Copy the counters of <w> into <st>. Loop thread. */
void pbx_cdr_writer_stats(const struct pbx_cdr_writer *w,
			  struct pbx_cdr_stats *st);

/* ---- The record format (any thread) ---- */

/* Serialise <cdr> of <node> into <*linep>: one compact JSON object with
 * no newline, the spool line format and the batch insert's input:
 * {"v":1, "call_id", "sip_call_id", "node", "caller_number",
 * "caller_name", "destination", "legs":[{"target", "uri", "status",
 * "answered"}], "start_time", "answer_time", "end_time", "duration",
 * "billsec", "disposition", "hangup_cause", "hangup_side"}, times in
 * pbx_cdr_time_format()'s form, answer_time null if unanswered. The
 * caller frees <*linep>. 0, EINVAL (as pbx_cdr_submit()) or ENOMEM.
 */
int pbx_cdr_to_json(const struct pbx_cdr *cdr, const char *node,
		    char **linep);

/* Longest text of pbx_cdr_time_format(), with its NUL. */
#define PBX_CDR_TIME_LEN 32

/* Format <us> (Unix epoch microseconds) as RFC 3339 UTC with six
 * fraction digits, "2024-05-01T09:30:00.250000Z", into <buf> (at least
 * PBX_CDR_TIME_LEN bytes). 0, or EINVAL outside years 1 to 9999.
 */
int pbx_cdr_time_format(int64_t us, char *buf, size_t size);

/* Parse an RFC 3339 date-time ("2024-05-01T09:30:00Z", optional
 * fraction, "Z" or a "+hh:mm"/"-hh:mm" offset; "t", "z" or a space also
 * accepted) into Unix epoch microseconds. Fractions beyond microseconds
 * are truncated. 0, or EINVAL for anything else, an impossible date
 * ("2023-02-29") included.
 */
int pbx_cdr_time_parse(const char *s, int64_t *usp);

/* True if <s> is one of the dispositions of the cdrs table: answered,
 * busy, noanswer, unavailable, failed, cancelled.
 */
bool pbx_cdr_disposition_is_valid(const char *s);

/* True if <s> is "caller", "callee" or "pbx". */
bool pbx_cdr_hangup_side_is_valid(const char *s);

/* True if the <len> bytes at <s> are well-formed UTF-8 (RFC 3629: no
 * overlong forms, surrogates or code points above U+10FFFF).
 */
bool pbx_cdr_utf8_is_valid(const char *s, size_t len);

#endif
