-- Unauthenticated rows: wrk's static request (its fast path), plus the JSON summary.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")
