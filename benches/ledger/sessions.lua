-- wrk script for benches/ledger/run.sh: completed sessions (calls in progress). Each thread
-- starts sessions (POST /v1/sessions) and ends each one granted (POST /v1/sessions/end of its
-- id, billsec 65) with its next request once the start was answered: an end never overtakes
-- its start.
--
--   wrk -t2 -c64 -d20s -s sessions.lua http://ADDR -- USERS NUMBERS TOKEN TAG
--
-- USERS, NUMBERS, TOKEN, TAG as in calls.lua. A session counts as completed when its end
-- charged it (a "cost", not a duplicate); starts refused for money are counted apart (the
-- caller has too little left), as are other answers and non-200 statuses (errors). wrk's
-- latency is each request's, a start's or an end's (both are one durable commit). One RESULT
-- line at the end.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  threads[#threads + 1] = thread
end

local function read_lines(file)
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

function init(args)
  if #args < 4 then
    error("usage: wrk ... -s sessions.lua URL -- USERS NUMBERS TOKEN TAG")
  end
  users = read_lines(args[1])
  numbers = read_lines(args[2])
  headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. args[3],
  }
  id_prefix = args[4] .. "-" .. thread_index .. "-"
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
    "RESULT requests=%d duration_us=%d granted=%d refused=%d completed=%d sessions_per_s=%.0f other=%d non200=%d p50_us=%d p99_us=%d max_us=%d socket_errors=%d\n",
    summary.requests, summary.duration, total.granted, total.refused, total.completed,
    total.completed / seconds, total.other, total.non200, latency:percentile(50),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout))
  if first ~= "" then
    io.write("SAMPLE " .. (string.gsub(first, "\n", " ")) .. "\n")
  end
end
