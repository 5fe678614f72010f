-- wrk script: POST /v1/events with presigned, distinct events (bench/presign.py).
--   wrk -t2 -c32 -d20s -s bench/rebind.lua http://127.0.0.1:PORT -- /path/prefix
-- Thread N reads PREFIX.N line by line (tab-separated id, timestamp, signature, body), so
-- no webhook-id is sent twice. Counts every answer that is not 202 or is a duplicate; a
-- thread whose file runs out stops (and is reported as "exhausted").

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   file = assert(io.open(args[1] .. "." .. tid, "r"))
   host = wrk.host .. ":" .. wrk.port
   sent, accepted, non202, duplicates, exhausted = 0, 0, 0, 0, 0
end

function request()
   local line = file:read("*l")
   if line == nil then
      exhausted = 1
      wrk.thread:stop()
      -- wrk needs a request; a cheap one that is not counted as an event.
      return "GET /healthz HTTP/1.1\r\nHost: " .. host .. "\r\n\r\n"
   end
   local id, ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
   sent = sent + 1
   return "POST /v1/events HTTP/1.1\r\nHost: " .. host ..
      "\r\nContent-Type: application/json\r\nwebhook-id: " .. id ..
      "\r\nwebhook-timestamp: " .. ts .. "\r\nwebhook-signature: " .. sig ..
      "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
   if status == 202 then
      if body:find('"duplicate":true', 1, true) then
         duplicates = duplicates + 1
      else
         accepted = accepted + 1
      end
   elseif status ~= 200 then -- 200 only answers the /healthz filler of an exhausted thread
      non202 = non202 + 1
      if non202 <= 3 then
         io.stderr:write("non-202 answer " .. status .. ": " .. body .. "\n")
      end
   end
end

function done(summary, latency, requests)
   local total = { sent = 0, accepted = 0, non202 = 0, duplicates = 0, exhausted = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(total) do
         total[key] = total[key] + (thread:get(key) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT target=rebind requests=%d accepted=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f non202=%d duplicates=%d exhausted_threads=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      total.sent, total.accepted, summary.duration / 1e6, total.accepted / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000, latency.max / 1000,
      total.non202, total.duplicates, total.exhausted, e.connect, e.read, e.write, e.timeout))
end
