-- wrk script for benches/ledger/run.sh: completed sessions (calls in progress). Each thread
-- starts sessions (POST /v1/sessions) and ends each one granted (POST /v1/sessions/end of its
-- id, billsec 65) with its next request once the start was answered: an end never overtakes
-- its start.
--
--   wrk -t2 -c64 -d20s -s sessions.lua http://ADDR -- USERS NUMBERS PER_REQUEST TOKEN TAG [RATE_PER_THREAD]
--
-- The arguments of calls.lua (PER_REQUEST is ignored: one start or end a request), so that
-- run.sh's charger can be either script; RATE_PER_THREAD paces the requests (starts and ends). A session counts as completed when its end
-- charged it (a "cost", not a duplicate); starts refused for money are counted apart (the
-- caller has too little left), as are other answers and non-200 statuses (errors). wrk's
-- latency is each request's, a start's or an end's (both are one durable commit). One RESULT
-- line at the end.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  threads[#threads + 1] = thread
end

-- The helpers shared with calls.lua, from this script's own folder.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

function init(args)
  if #args < 5 then
    error("usage: wrk ... -s sessions.lua URL -- USERS NUMBERS PER_REQUEST TOKEN TAG [RATE_PER_THREAD]")
  end
  users = common.read_lines(args[1])
  numbers = common.read_lines(args[2])
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. args[4],
  }
  id_prefix = args[5] .. "-" .. thread_index .. "-"
  local rate = tonumber(args[6] or "0")
  if rate > 0 then
    delay = common.pacer(rate)
  end
  counter = 0
  next_user = (thread_index * 7919) % #users
  next_number = (thread_index * 104729) % #numbers
  granted, refused, completed, other, non200 = 0, 0, 0, 0, 0
  sample = ""
  -- Ids granted and not yet ended, first in first out.
  to_end, first_to_end, last_to_end = {}, 1, 0
end

function request()
  if first_to_end <= last_to_end then
    local id = to_end[first_to_end]
    to_end[first_to_end] = nil
    first_to_end = first_to_end + 1
    return wrk.format("POST", "/v1/sessions/end", headers, '{"id":"' .. id .. '","billsec":65}')
  end
  counter = counter + 1
  next_user = next_user % #users + 1
  next_number = next_number % #numbers + 1
  local start = '{"id":"' .. id_prefix .. counter .. '","account":"' .. users[next_user]
    .. '","number":"' .. numbers[next_number] .. '"}'
  return wrk.format("POST", "/v1/sessions", headers, start)
end

local find = string.find

function response(status, _, body)
  if status ~= 200 then
    non200 = non200 + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 200) end
    return
  end
  if find(body, '"allowed":true', 1, true) then
    granted = granted + 1
    last_to_end = last_to_end + 1
    to_end[last_to_end] = string.match(body, '^{"id":"([^"]*)"')
  elseif find(body, '"allowed":false', 1, true) then
    refused = refused + 1
  elseif find(body, '"cost"', 1, true) and not find(body, '"duplicate":true', 1, true) then
    completed = completed + 1
  else
    other = other + 1
    if sample == "" then sample = string.sub(body, 1, 200) end
  end
end

function done(summary, latency, _)
  local total = { granted = 0, refused = 0, completed = 0, other = 0, non200 = 0 }
  local first = ""
  for _, thread in ipairs(threads) do
    for key in pairs(total) do
      total[key] = total[key] + thread:get(key)
    end
    if first == "" then first = thread:get("sample") end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d granted=%d refused=%d completed=%d sessions_per_s=%.0f charged=%d calls_per_s=%.0f other=%d call_errors=%d duplicates=0 non200=%d p50_us=%d p99_us=%d max_us=%d socket_errors=%d\n",
    summary.requests, summary.duration, total.granted, total.refused, total.completed,
    total.completed / seconds, total.completed, total.completed / seconds, total.other,
    total.other, total.non200, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout))
  if first ~= "" then
    io.write("SAMPLE " .. (string.gsub(first, "\n", " ")) .. "\n")
  end
end
