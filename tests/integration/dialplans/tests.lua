-- tests/integration/dialplans/tests.lua - the dialplan of the call tests
-- that need more than dialplans/default.lua (t_call_*.sh restart pbxd
-- with -o call.dialplan=<this file>).
--
--   1xxx   ring user 1xxx (20 s), like the default dialplan
--   2xxx   ring user 1xxx for 2 seconds only (no answer -> 480)
--   3xxx   ring user 1xxx; unless it answers, ring user 1xxx+1
--          (fall back after busy or no answer)
--   9500   a Lua error in route(): the call ends with 500
--   9404   call:hangup(404)
--   8PORT  dial sip:loop@127.0.0.1:PORT once, then let pbxd end the call
--          (PORT: pbxd's own SIP port makes a loop)
--   other  404

local CODE_AFTER = { busy = 486, noanswer = 480, unavailable = 404 }

local function finish(call, result, code)
  if result ~= "answered" then
    call:hangup(CODE_AFTER[result] or 480)
  end
end

function route(call)
  local dest = call.destination
  local n = dest:match("^[123](%d%d%d)$")

  if dest:match("^1%d%d%d$") then
    finish(call, call:dial("user/" .. dest, { timeout = 20 }))
  elseif dest:match("^2%d%d%d$") then
    finish(call, call:dial("user/1" .. n, { timeout = 2 }))
  elseif dest:match("^3%d%d%d$") then
    local first = "1" .. n
    local second = string.format("%04d", tonumber(first) + 1)
    local result, code = call:dial("user/" .. first, { timeout = 5 })
    pbx.log("info", "fallback: %s said %s (%d), trying %s", first,
            result, code, second)
    if result ~= "answered" then
      finish(call, call:dial("user/" .. second, { timeout = 5 }))
    end
  elseif dest == "9500" then
    local t = nil
    return t.field   -- deliberate: attempt to index a nil value
  elseif dest:match("^8%d+$") then
    local result, code = call:dial("sip:loop@127.0.0.1:" .. dest:sub(2),
                                   { timeout = 5 })
    pbx.log("info", "loop test: %s (%d)", result, code)
    return
  elseif dest == "9404" then
    call:hangup(404)  -- 9404
  end
  call:hangup(404)
end
