-- Authenticated rows: each request carries the next of the 1,000 users' credentials, as real
-- traffic does. Usage: wrk ... -s bench/lua/tokens.lua <url> -- <file> [bearer|api-key]
-- (one credential per line: bearer tokens written by bench/tokens.ts or by the server, or API
-- keys written by the server). `bearer` (the default) sends `Authorization: Bearer <token>`,
-- `api-key` sends `X-API-Key: <key>`. Requests are formatted once, in init.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local prepared = {}
local count = 0
local next_index = 0

function init(args)
  local path = assert(args[1], "tokens.lua: pass the credentials file after --")
  local kind = args[2] or "bearer"
  assert(kind == "bearer" or kind == "api-key", "tokens.lua: the second argument is bearer or api-key, not " .. kind)
  local file = assert(io.open(path, "r"))
  for credential in file:lines() do
    if credential ~= "" then
      count = count + 1
      local headers
      if kind == "bearer" then
        headers = { ["Authorization"] = "Bearer " .. credential }
      else
        headers = { ["X-API-Key"] = credential }
      end
      prepared[count] = wrk.format(nil, nil, headers)
    end
  end
  file:close()
  assert(count > 0, "tokens.lua: no credentials in " .. path)
  -- Threads start at different users.
  next_index = (tonumber(tostring(wrk.thread):match("0x(%x+)") or "0", 16) or 0) % count
end

function request()
  next_index = next_index % count + 1
  return prepared[next_index]
end
