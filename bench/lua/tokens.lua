-- Authenticated rows: each request carries the next of the 1,000 users' bearer tokens, as
-- real traffic does. Usage: wrk ... -s bench/lua/tokens.lua <url> -- <tokens file>
-- (one token per line, written by bench/tokens.ts). Requests are formatted once, in init.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local prepared = {}
local count = 0
local next_index = 0

function init(args)
  local path = assert(args[1], "tokens.lua: pass the tokens file after --")
  local file = assert(io.open(path, "r"))
  for token in file:lines() do
    if token ~= "" then
      count = count + 1
      prepared[count] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token })
    end
  end
  file:close()
  assert(count > 0, "tokens.lua: no tokens in " .. path)
  -- Threads start at different users.
  next_index = (tonumber(tostring(wrk.thread):match("0x(%x+)") or "0", 16) or 0) % count
end

function request()
  next_index = next_index % count + 1
  return prepared[next_index]
end
