-- wrk script for benches/load/run.sh: cycles through the request paths in the file named by
-- the first script argument (one path a line, from `ratel-load requests`), each wrk thread
-- from its own starting point, so consecutive requests name different numbers, users and
-- cards. Requests are formatted once at start, so wrk spends its time sending, not in Lua.
-- A second argument is the JSON API's bearer token, sent as `Authorization: Bearer TOKEN`
-- with every request (for /v1/authorize; the MOR endpoints ignore it).
-- At the end it prints one machine-readable RESULT line for the harness.

local threads = 0

function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function init(args)
  local file = args[1] or error("usage: wrk ... -s paths.lua URL -- PATHS_FILE [TOKEN]")
  local headers = nil
  if args[2] and args[2] ~= "" then
    headers = { ["Authorization"] = "Bearer " .. args[2] }
  end
  requests = {}
  for line in io.lines(file) do
    if line ~= "" then
      requests[#requests + 1] = wrk.format("GET", line, headers)
    end
  end
  if #requests == 0 then error(file .. ": no request paths") end
  next_request = (thread_index * 7919) % #requests
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.0f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
