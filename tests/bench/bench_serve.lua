-- wrk's script for bench_serve.sh: every request POSTs one document as the raw body (the
-- stamp parameters are in the URL's query string, which wrk sends as given), and the run
-- ends with one line bench_serve.sh reads. Taken from the environment:
--   BENCH_BODY  the document's path (read once, sent whole with every request)
--   BENCH_AUTH  the Authorization header's value, if any ("Bearer KEY"; verify needs none)
-- wrk counts an answer with a status of 400 or more in errors.status ("Non-2xx or 3xx
-- responses" in its own report); the server's /metrics, read by the script around each run,
-- has every status by route.
local path = os.getenv("BENCH_BODY")
local f = path and io.open(path, "rb")
if not f then
    io.stderr:write("bench_serve.lua: set BENCH_BODY to a readable document\n")
    os.exit(1)
end
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/pdf"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
    wrk.headers["Authorization"] = auth
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d status_errors=%d connect=%d read=%d write=%d " ..
        "timeout=%d p50_us=%d p99_us=%d mean_us=%.0f max_us=%d\n",
        summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
