-- wrk script: POST /api/v2/alerts to Prometheus Alertmanager, one alert per request, each
-- with distinct labels (thread and sequence number), so every request is a new alert.
--   wrk -t2 -c32 -d20s -s bench/alertmanager.lua http://127.0.0.1:PORT

local threads = {}
local next_id = 1

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   host = wrk.host .. ":" .. wrk.port
   run = args[1] or "bench"
   seq, ok, non2xx = 0, 0, 0
end

function request()
   seq = seq + 1
   local body = '[{"labels":{"alertname":"RebindBenchmark","run":"' .. run .. '","thread":"' .. tid ..
      '","seq":"' .. seq .. '","severity":"warning"},"annotations":{"summary":"Robot paused: Invalid API key operation permission"},' ..
      '"generatorURL":"http://127.0.0.1/bench"}]'
   return "POST /api/v2/alerts HTTP/1.1\r\nHost: " .. host ..
      "\r\nContent-Type: application/json\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      non2xx = non2xx + 1
      if non2xx <= 3 then
         io.stderr:write("non-2xx answer " .. status .. ": " .. body .. "\n")
      end
   end
end

function done(summary, latency, requests)
   local total_ok, total_bad = 0, 0
   for _, thread in ipairs(threads) do
      total_ok = total_ok + thread:get("ok")
      total_bad = total_bad + thread:get("non2xx")
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT target=alertmanager requests=%d accepted=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      summary.requests, total_ok, summary.duration / 1e6, total_ok / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000, latency.max / 1000,
      total_bad, e.connect, e.read, e.write, e.timeout))
end
