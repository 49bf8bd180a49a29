-- 0002: call detail records, one row per call.
-- Written by each node's CDR writer (core/db/cdr.c) in batches, or
-- replayed from its disk spool after PostgreSQL was unreachable: the
-- replay may send a row twice, so <call_id> is unique and the writer
-- inserts with ON CONFLICT (call_id) DO NOTHING.

CREATE TABLE cdrs (
    id            bigserial PRIMARY KEY,
    -- Chosen by the node that handled the call; the idempotency key.
    call_id       uuid NOT NULL UNIQUE,
    sip_call_id   text,
    node          text,
    caller_number text,
    caller_name   text,
    destination   text,
    -- The legs dialled, in order: [{"target", "uri", "status",
    -- "answered"}, ...]; empty when the call never dialled out.
    legs          jsonb NOT NULL DEFAULT '[]'
                  CHECK (jsonb_typeof(legs) = 'array'),
    start_time    timestamptz NOT NULL,
    answer_time   timestamptz,
    end_time      timestamptz NOT NULL,
    -- Whole seconds (truncated): start to end, and answer to end (0
    -- when unanswered).
    duration      integer NOT NULL CHECK (duration >= 0),
    billsec       integer NOT NULL DEFAULT 0 CHECK (billsec >= 0),
    disposition   text NOT NULL CHECK (disposition IN
                  ('answered', 'busy', 'noanswer', 'unavailable',
                   'failed', 'cancelled')),
    -- The final SIP status code, or 0 for a normal clearing (BYE).
    hangup_cause  integer NOT NULL DEFAULT 0,
    hangup_side   text NOT NULL CHECK (hangup_side IN
                  ('caller', 'callee', 'pbx'))
);

-- GET /api/v1/cdrs lists newest first, optionally filtered by caller,
-- destination or disposition within a start_time range.
CREATE INDEX cdrs_start_time ON cdrs (start_time DESC, id DESC);
CREATE INDEX cdrs_caller ON cdrs (caller_number, start_time DESC);
CREATE INDEX cdrs_destination ON cdrs (destination, start_time DESC);
CREATE INDEX cdrs_disposition ON cdrs (disposition, start_time DESC);
