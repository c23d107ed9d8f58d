-- wrk script for benches/ledger/run.sh: charges finished calls with POST /v1/calls.
--
--   wrk -t2 -c64 -d20s -s calls.lua http://ADDR -- USERS NUMBERS PER_REQUEST TOKEN TAG [RATE_PER_THREAD]
--
-- USERS: a file of account names, one a line; NUMBERS: a file of dialed numbers that have a
-- rate, one a line; PER_REQUEST: calls in each request's batch; TOKEN: the JSON API's bearer
-- token; TAG: a string unique to this run, so that call ids ("TAG-THREAD-COUNTER") never
-- repeat, even across runs against the same ledger; RATE_PER_THREAD (optional): requests a
-- second each wrk thread sends, paced by delay() on a monotonic clock (wrk itself cannot
-- rate-limit); absent or 0: as fast as the connections allow.
--
-- Each thread walks the users and numbers from its own starting point. Answers are checked:
-- a call counts as charged when its result has a "cost" and is not a duplicate; per-call
-- errors, duplicates and non-200 answers are counted, and the first of each is kept as a
-- sample. At the end one machine-readable RESULT line (and SAMPLE lines) for the harness.
-- wrk measures latency from the write of a request to the end of its answer, so with a rate
-- the pacing wait is not part of the latency.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  threads[#threads + 1] = thread
end

-- The helpers shared with sessions.lua, from this script's own folder.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")

function init(args)
  if #args < 5 then
    error("usage: wrk ... -s calls.lua URL -- USERS NUMBERS PER_REQUEST TOKEN TAG [RATE_PER_THREAD]")
  end
  users = common.read_lines(args[1])
  numbers = common.read_lines(args[2])
  per_request = tonumber(args[3])
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
  charged, call_errors, duplicates, non200 = 0, 0, 0, 0
  error_sample, non200_sample = "", ""
end

function request()
  local calls = {}
  for i = 1, per_request do
    counter = counter + 1
    next_user = next_user % #users + 1
    next_number = next_number % #numbers + 1
    -- Concatenation rather than string.format: LuaJIT compiles it, and wrk shares the cores.
    calls[i] = '{"id":"' .. id_prefix .. counter .. '","account":"' .. users[next_user]
      .. '","number":"' .. numbers[next_number] .. '","start":"2026-11-26 10:00:00","billsec":65}'
  end
  return wrk.format("POST", "/v1/calls", headers, '{"calls":[' .. table.concat(calls, ",") .. "]}")
end

-- How many times NEEDLE occurs in TEXT (plain search, no patterns: it is on wrk's hot path).
local find = string.find
local function count(text, needle)
  local n, at = 0, 1
  while true do
    local _, last = find(text, needle, at, true)
    if not last then
      return n
    end
    n = n + 1
    at = last + 1
  end
end

function response(status, _, body)
  if status ~= 200 then
    non200 = non200 + 1
    if non200_sample == "" then
      non200_sample = status .. " " .. string.sub(body, 1, 300)
    end
    return
  end
  local costs = count(body, '"cost"')
  local dups = count(body, '"duplicate":true')
  local errors = count(body, '"error"')
  charged = charged + costs - dups
  duplicates = duplicates + dups
  call_errors = call_errors + errors
  if errors > 0 and error_sample == "" then
    error_sample = string.sub(body, 1, 300)
  end
end

function done(summary, latency, _)
  local total = { charged = 0, call_errors = 0, duplicates = 0, non200 = 0 }
  local samples = {}
  for _, thread in ipairs(threads) do
    for key in pairs(total) do
      total[key] = total[key] + thread:get(key)
    end
    for _, key in ipairs({ "error_sample", "non200_sample" }) do
      local sample = thread:get(key)
      if sample ~= "" and not samples[key] then
        samples[key] = sample
      end
    end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.0f charged=%d calls_per_s=%.0f call_errors=%d duplicates=%d non200=%d p50_us=%d p99_us=%d max_us=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / seconds, total.charged,
    total.charged / seconds, total.call_errors, total.duplicates, total.non200,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout))
  for key, sample in pairs(samples) do
    io.write("SAMPLE " .. key .. ": " .. (string.gsub(sample, "\n", " ")) .. "\n")
  end
end
