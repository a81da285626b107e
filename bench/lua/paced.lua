-- A light, paced probe (the health route during the login row): one request, then a pause of
-- <ms> milliseconds before the next on each connection. Usage: wrk -c 1 ... -s
-- bench/lua/paced.lua <url> -- <ms>. Latency is measured per request, from send to answer.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local pause = 10

function init(args)
  pause = tonumber(args[1] or "10") or 10
end

function delay()
  return pause
end
