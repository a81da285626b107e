-- The service bench's rows (bench/service/run.ts): each request is the next line of a file the
-- harness wrote, one request per line: METHOD TAB PATH TAB BODY TAB Name TAB value [TAB Name
-- TAB value ...] (BODY may be empty). Usage: wrk ... -s bench/lua/requests.lua <base url> --
-- <file> <nonce>. A line containing {key} is formatted per request, with {key} replaced by
-- <nonce>-<counter>: every POST /v1/transfers carries a fresh Idempotency-Key, so each one is
-- a new transfer, not a replay. Other lines are formatted once, in init.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local prepared = {}
local templates = {}
local count = 0
local next_index = 0
local nonce = "n"
local sent = 0

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
  return fields
end

local function format(fields, key)
  local headers = {}
  for i = 4, #fields - 1, 2 do
    headers[fields[i]] = key and fields[i + 1]:gsub("{key}", key) or fields[i + 1]
  end
  local body = fields[3] ~= "" and fields[3] or nil
  return wrk.format(fields[1], fields[2], headers, body)
end

function init(args)
  local path = assert(args[1], "requests.lua: pass the requests file after --")
  nonce = args[2] or nonce
  local file = assert(io.open(path, "r"))
  for line in file:lines() do
    if line ~= "" then
      count = count + 1
      local fields = split(line)
      if line:find("{key}", 1, true) then templates[count] = fields else prepared[count] = format(fields, nil) end
    end
  end
  file:close()
  assert(count > 0, "requests.lua: no requests in " .. path)
  nonce = nonce .. (tostring(wrk.thread):match("0x(%x+)") or "0")
end

function request()
  next_index = next_index % count + 1
  local fixed = prepared[next_index]
  if fixed then return fixed end
  sent = sent + 1
  return format(templates[next_index], nonce .. "-" .. sent)
end
