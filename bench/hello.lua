-- wrk script for the hello-world baseline: the same request as bench/rebind.lua sends (one
-- presigned event's headers and body, from the first line of PREFIX.1), sent again and again,
-- since the hello-world server reads nothing.
--   wrk -t2 -c32 -d20s -s bench/hello.lua http://127.0.0.1:PORT -- /path/prefix

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1] .. ".1", "r"))
   local line = file:read("*l")
   file:close()
   local id, ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
   local host = wrk.host .. ":" .. wrk.port
   req = "POST /v1/events HTTP/1.1\r\nHost: " .. host ..
      "\r\nContent-Type: application/json\r\nwebhook-id: " .. id ..
      "\r\nwebhook-timestamp: " .. ts .. "\r\nwebhook-signature: " .. sig ..
      "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
   accepted, non202 = 0, 0
end

function request()
   return req
end

function response(status, headers, body)
   if status == 202 then accepted = accepted + 1 else non202 = non202 + 1 end
end

function done(summary, latency, requests)
   local total = { accepted = 0, non202 = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(total) do total[key] = total[key] + (thread:get(key) or 0) end
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT target=hello requests=%d accepted=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f non202=%d duplicates=0 exhausted_threads=0 connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      summary.requests, total.accepted, summary.duration / 1e6, total.accepted / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000, latency.max / 1000,
      total.non202, e.connect, e.read, e.write, e.timeout))
end
