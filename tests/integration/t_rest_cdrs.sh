#!/bin/bash
# GET /api/v1/cdrs and /api/v1/cdrs/{call_id}: rows inserted with psql (in
# 2031, so the time filters isolate them from any other test's), listed
# newest first with every column, filtered by time range, caller,
# destination and disposition, paged; bad arguments are 400 naming the
# parameter, an unknown call_id 404, no token 401.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rest_lib.sh"

ID1=7c1f0000-0000-4000-8000-000000000001
ID2=7c1f0000-0000-4000-8000-000000000002
ID3=7c1f0000-0000-4000-8000-000000000003
ID4=7c1f0000-0000-4000-8000-000000000004
ID5=7c1f0000-0000-4000-8000-000000000005
IDS="'$ID1','$ID2','$ID3','$ID4','$ID5'"
DAY='from=2031-01-01T00:00:00Z&to=2031-01-02T00:00:00Z'

pbx_psql "DELETE FROM cdrs WHERE call_id IN ($IDS)" >/dev/null
at_exit "pbx_psql \"DELETE FROM cdrs WHERE call_id IN ($IDS)\""
pbx_psql "INSERT INTO cdrs (call_id, sip_call_id, node, caller_number,
	caller_name, destination, legs, start_time, answer_time, end_time,
	duration, billsec, disposition, hangup_cause, hangup_side) VALUES
	('$ID1', 'c1@192.0.2.1', 'node-a', '9901001', 'Alice', '9902001',
	 '[{\"target\": \"9902001\", \"uri\": \"sip:9902001@192.0.2.9\",
	    \"status\": 200, \"answered\": true}]',
	 '2031-01-01T10:00:00Z', '2031-01-01T10:00:05.25Z',
	 '2031-01-01T10:01:05.75Z', 65, 60, 'answered', 0, 'caller'),
	('$ID2', 'c2@192.0.2.1', 'node-a', '9901001', 'Alice', '9902002',
	 '[{\"target\": \"9902002\", \"uri\": null, \"status\": 486,
	    \"answered\": false}]',
	 '2031-01-01T11:00:00Z', NULL, '2031-01-01T11:00:04Z', 4, 0, 'busy',
	 486, 'callee'),
	('$ID3', NULL, 'node-b', '9901002', NULL, '9902001', '[]',
	 '2031-01-01T12:00:00Z', NULL, '2031-01-01T12:00:30Z', 30, 0,
	 'noanswer', 480, 'pbx'),
	('$ID4', 'c4@192.0.2.1', 'node-b', '9901003',
	 'Ann \"Q\" O''Brien', '9902003', '[]', '2031-01-01T13:00:00Z', NULL,
	 '2031-01-01T13:00:02Z', 2, 0, 'cancelled', 487, 'caller'),
	('$ID5', 'c5@192.0.2.1', 'node-a', '9901001', 'Alice', '9902001',
	 '[]', '2031-01-02T00:00:00Z', NULL, '2031-01-02T00:00:01Z', 1, 0,
	 'failed', 503, 'pbx')" >/dev/null || fail "inserting test CDRs"

# ---- listing ------------------------------------------------------------

api_h GET "/api/v1/cdrs?$DAY"
expect_eq "$API_STATUS" 200 "list one day: $API_BODY"
# "to" is exclusive: the call at midnight belongs to the next day.
expect_json "$API_BODY" "newest first, to excluded" \
	'.total=4' '.limit=50' '.offset=0' '.items|length=4' \
	".items[0].call_id=$ID4" ".items[1].call_id=$ID3" \
	".items[2].call_id=$ID2" ".items[3].call_id=$ID1"
KEYS='["answer_time","billsec","call_id","caller_name","caller_number",'
KEYS+='"destination","disposition","duration","end_time","hangup_cause",'
KEYS+='"hangup_side","id","legs","node","sip_call_id","start_time"]'
expect_json "$API_BODY" "every column of an answered call" \
	".items[3]|keys=$KEYS" \
	'.items[3].sip_call_id=c1@192.0.2.1' '.items[3].node=node-a' \
	'.items[3].caller_number=9901001' '.items[3].caller_name=Alice' \
	'.items[3].destination=9902001' \
	'.items[3].start_time=2031-01-01T10:00:00.000Z' \
	'.items[3].answer_time=2031-01-01T10:00:05.250Z' \
	'.items[3].end_time=2031-01-01T10:01:05.750Z' \
	'.items[3].duration=65' '.items[3].billsec=60' \
	'.items[3].disposition=answered' '.items[3].hangup_cause=0' \
	'.items[3].hangup_side=caller' \
	'.items[3].legs|length=1' '.items[3].legs[0].target=9902001' \
	'.items[3].legs[0].uri=sip:9902001@192.0.2.9' \
	'.items[3].legs[0].status=200' '.items[3].legs[0].answered=true'
expect_match "$(jq_get "$API_BODY" '.items[3].id')" '^[0-9]+$' "id is a number"
expect_json "$API_BODY" "unanswered and sparse rows" \
	'.items[2].answer_time=null' '.items[2].billsec=0' \
	'.items[2].hangup_cause=486' '.items[2].legs[0].uri=null' \
	'.items[2].legs[0].answered=false' \
	'.items[1].sip_call_id=null' '.items[1].caller_name=null' \
	'.items[1].legs=[]' \
	'.items[0].caller_name=Ann "Q" O'"'"'Brien'

api_h GET "/api/v1/cdrs?$DAY&caller=9901001"
expect_json "$API_BODY" "caller filter" '.total=2' \
	".items[0].call_id=$ID2" ".items[1].call_id=$ID1"
api_h GET "/api/v1/cdrs?from=2031-01-01T00:00:00Z&caller=9901001"
expect_json "$API_BODY" "caller filter, no upper bound" '.total=3' \
	".items[0].call_id=$ID5"
api_h GET "/api/v1/cdrs?$DAY&destination=9902001"
expect_json "$API_BODY" "destination filter" '.total=2' \
	".items[0].call_id=$ID3" ".items[1].call_id=$ID1"
api_h GET "/api/v1/cdrs?$DAY&disposition=busy"
expect_json "$API_BODY" "disposition filter" '.total=1' \
	".items[0].call_id=$ID2"
api_h GET "/api/v1/cdrs?$DAY&caller=9901001&destination=9902002&\
disposition=busy"
expect_json "$API_BODY" "filters combine" '.total=1' ".items[0].call_id=$ID2"
api_h GET "/api/v1/cdrs?$DAY&caller=0000000"
expect_json "$API_BODY" "no match" '.total=0' '.items=[]'
# 12:30+02:00 is 10:30Z: the first call falls out.
api_h GET "/api/v1/cdrs?from=2031-01-01T12:30:00%2B02:00&\
to=2031-01-01T13:00:00.001Z"
expect_json "$API_BODY" "time zone offsets" '.total=3' \
	".items[0].call_id=$ID4" ".items[2].call_id=$ID2"
api_h GET "/api/v1/cdrs?from=2031-01-01T13:00:00Z&to=2031-01-01T13:00:00Z"
expect_json "$API_BODY" "empty range" '.total=0'

# ---- paging ---------------------------------------------------------------

api_h GET "/api/v1/cdrs?$DAY&limit=2&offset=1"
expect_json "$API_BODY" "page 2 of 2" '.total=4' '.limit=2' '.offset=1' \
	'.items|length=2' ".items[0].call_id=$ID3" ".items[1].call_id=$ID2"
api_h GET "/api/v1/cdrs?$DAY&limit=2&offset=4"
expect_json "$API_BODY" "past the end" '.total=4' '.items=[]'
api_h GET "/api/v1/cdrs?$DAY&limit=1000"
expect_eq "$API_STATUS" 200 "limit 1000 is allowed"
api_h GET "/api/v1/cdrs?limit=1"
expect_json "$API_BODY" "unfiltered list" '.limit=1' '.items|length=1'

# ---- bad arguments --------------------------------------------------------

api_h GET "/api/v1/cdrs?from=yesterday"
expect_error 400 invalid from "from not RFC 3339"
expect_match "$API_BODY" "RFC 3339" "the message says which format"
api_h GET "/api/v1/cdrs?to=2031-02-30T00:00:00Z"
expect_error 400 invalid to "impossible date"
api_h GET "/api/v1/cdrs?from=2031-01-01"
expect_error 400 invalid from "date without time"
api_h GET "/api/v1/cdrs?from=2031-01-01T10:00:00"
expect_error 400 invalid from "time without zone"
api_h GET "/api/v1/cdrs?from=2031-01-01T10:00:00Z%27%3B%20DROP"
expect_error 400 invalid from "trailing garbage"
api_h GET "/api/v1/cdrs?disposition=ringing"
expect_error 400 invalid disposition "unknown disposition"
api_h GET "/api/v1/cdrs?disposition="
expect_error 400 invalid disposition "empty disposition"
api_h GET "/api/v1/cdrs?limit=1001"
expect_error 400 invalid limit "limit above 1000"
api_h GET "/api/v1/cdrs?limit=0"
expect_error 400 invalid limit "limit 0"
api_h GET "/api/v1/cdrs?limit=ten"
expect_error 400 invalid limit "limit not a number"
api_h GET "/api/v1/cdrs?offset=-1"
expect_error 400 invalid offset "negative offset"
api_h GET "/api/v1/cdrs?caller=%FF%FE"
expect_error 400 invalid caller "caller not UTF-8"
api_h GET "/api/v1/cdrs?destination=$(printf 'x%.0s' $(seq 1 129))"
expect_error 400 invalid destination "destination too long"

# ---- one record -----------------------------------------------------------

api_h GET "/api/v1/cdrs/$ID1"
expect_eq "$API_STATUS" 200 "get one: $API_BODY"
expect_json "$API_BODY" "one record" ".call_id=$ID1" '.duration=65' \
	'.answer_time=2031-01-01T10:00:05.250Z' '.legs[0].status=200' \
	'keys|length=16'
api_h GET "/api/v1/cdrs/$(echo "$ID1" | tr a-f A-F)"
expect_json "$API_BODY" "upper-case uuid" ".call_id=$ID1"
api_h GET /api/v1/cdrs/7c1f0000-0000-4000-8000-0000000000ff
expect_error 404 not_found - "unknown call_id"
api_h GET /api/v1/cdrs/not-a-uuid
expect_error 404 not_found - "malformed call_id"

# ---- methods and authentication -------------------------------------------

api_h POST /api/v1/cdrs '{}'
expect_eq "$API_STATUS" 405 "POST on the list"
expect_eq "$(header Allow)" GET "Allow of /api/v1/cdrs"
api_h DELETE "/api/v1/cdrs/$ID1"
expect_eq "$API_STATUS" 405 "DELETE of a record"

api_noauth GET /api/v1/cdrs
expect_eq "$API_STATUS" 401 "list without a token"
api_noauth GET "/api/v1/cdrs/$ID1"
expect_eq "$API_STATUS" 401 "record without a token"
api_noauth GET /api/v1/cdrs "" -H "Authorization: Bearer pbx_wrong"
expect_eq "$API_STATUS" 401 "list with a wrong token"
