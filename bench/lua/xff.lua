-- Memory under attack: requests from many distinct client addresses, sent as a trusted
-- proxy (loopback) would, in X-Forwarded-For. Addresses are 10.a.b.c, cycled in order.
-- Usage: wrk ... -s bench/lua/xff.lua <url> -- <addresses> <requests per thread> [first octet]
-- After its share of responses a thread stops and prints "@@stop {...}" (flushed), on which
-- the harness interrupts wrk (wrk otherwise sleeps its whole -d before joining threads).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local addresses, quota, octet = 100000, 1000000, 10
local sent, answered, non2xx = 0, 0, 0

function init(args)
  addresses = tonumber(args[1]) or addresses
  quota = tonumber(args[2]) or quota
  octet = tonumber(args[3]) or octet
end

function request()
  local a = sent % addresses
  sent = sent + 1
  local ip = octet .. "." .. math.floor(a / 65536) % 256 .. "." .. math.floor(a / 256) % 256 .. "." .. a % 256
  return wrk.format(nil, nil, { ["X-Forwarded-For"] = ip })
end

function response(status)
  answered = answered + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if answered == quota then
    io.write(string.format('@@stop {"answered":%d,"non2xx":%d}\n', answered, non2xx))
    io.flush()
    wrk.thread:stop()
  end
end
