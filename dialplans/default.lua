-- dialplans/default.lua - the office dialplan pbxd ships: four-digit
-- extensions ring the user's phones; anything else is refused. Copy it
-- and grow it (docs/lua-api.md lists every function).
--
-- route(call) runs for every new call, in its own coroutine with its own
-- globals: a local or global set here is never seen by another call.
-- call:dial() waits (the loop goes on serving other calls meanwhile) and
-- tells what became of the dial. When route() returns, pbxd ends the
-- call: a caller never answered hears the code of the last dial.

-- Seconds a phone rings before the dial gives up ("noanswer").
local RING_SECONDS = 20

-- What the caller hears after a dial that was not answered.
local CODE_AFTER = {
  busy = 486,          -- Busy Here
  noanswer = 480,      -- Temporarily Unavailable
  unavailable = 404,   -- Not Found: no such user, or no phone registered
}

function route(call)
  local dest = call.destination

  if dest:match("^%d%d%d%d$") then
    local result, code = call:dial("user/" .. dest,
                                   { timeout = RING_SECONDS })
    if result == "answered" then
      return  -- they talked; the callee hung up first
    end
    pbx.log("info", "%s from %s: %s (%d)", dest, call.caller.number,
            result, code)
    -- With the voicemail module loaded, a missed call would go there:
    -- if result ~= "failed" then call:dial("voicemail/" .. dest) end
    call:hangup(CODE_AFTER[result] or 480)
  end

  -- Outside calls through a trunk (gateway module) would go here:
  -- if dest:match("^0%d+$") then call:dial("gateway/pstn/" .. dest:sub(2)) end

  call:hangup(404)
end
