-- The login row: each request is the password grant (RFC 6749 §4.3) for the next user, with
-- the correct password. Usage: wrk ... -s bench/lua/login.lua <token endpoint url> -- <file>
-- (`username<TAB>password` per line, written by bench/servers/rampart-identity.ts).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local prepared = {}
local count = 0
local next_index = 0

local function form_encode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local path = assert(args[1], "login.lua: pass the users file after --")
  local file = assert(io.open(path, "r"))
  for line in file:lines() do
    local username, password = line:match("^([^\t]+)\t(.+)$")
    if username then
      count = count + 1
      local body = "grant_type=password&username=" .. form_encode(username) .. "&password=" .. form_encode(password)
      prepared[count] = wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
    end
  end
  file:close()
  assert(count > 0, "login.lua: no users in " .. path)
  next_index = (tonumber(tostring(wrk.thread):match("0x(%x+)") or "0", 16) or 0) % count
end

function request()
  next_index = next_index % count + 1
  return prepared[next_index]
end
