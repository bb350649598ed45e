-- wrk script for vote's POST: one vote per request, each from a new voter,
-- options a and b in turn, asking for the JSON answer, as loadgen votes.
-- Its argument is the voter id prefix (8 hex digits), so runs never share
-- voters. At the end it writes one line the benchmark reads.

local prefix = "00000000"
local n = 0

function init(args)
  prefix = args[1] or prefix
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"

function request()
  n = n + 1
  wrk.headers["Cookie"] = "voter_id=" .. prefix .. string.format("%x", n)
  return wrk.format(nil, nil, nil, (n % 2 == 1) and "vote=a" or "vote=b")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "bench-wrk requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
