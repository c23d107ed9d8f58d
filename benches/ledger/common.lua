-- What the ledger bench's wrk scripts (calls.lua, sessions.lua) share: reading their input
-- files and pacing requests to a rate. Loaded with require("common") after the scripts put
-- their own folder on package.path.

local M = {}

-- The non-empty lines of FILE; an error when there are none.
function M.read_lines(file)
  local lines = {}
  for line in io.lines(file) do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  if #lines == 0 then
    error(file .. ": no lines")
  end
  return lines
end

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } ratel_timespec;
  int clock_gettime(int clock_id, ratel_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("ratel_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- A delay() for wrk pacing a thread to RATE requests a second (wrk calls delay() when the
-- script defines it, so a script sets it in init, only with a rate): one schedule per thread,
-- shared by its connections. Each request takes the next slot, 1000 / RATE ms after the
-- previous one; a thread that fell behind catches up at most 1 s of backlog (a wrk thread
-- starved of CPU on a busy host must not lose its slots; no burst longer than that after a
-- stall).
function M.pacer(rate)
  local interval_ms = 1000 / rate
  local next_ms = nil
  return function()
    local now = now_ms()
    if next_ms == nil then
      next_ms = now
    end
    next_ms = math.max(next_ms + interval_ms, now - 1000)
    local wait = next_ms - now
    if wait <= 0 then
      return 0
    end
    return wait
  end
end

return M
