-- wrk script of `make bench` (scripts/bench.py builds the command line):
--
--   wrk -t2 -c2 -d2s --timeout 30s -s scripts/bench.lua http://127.0.0.1:8765 \
--       -- <METHOD> <path>[ <path>...] ["H<Name>: <value>"...] ["B<body>"...]
--
-- Every request of the run is METHOD path with those headers (the session cookie
-- of a user logged in through the login form, or an API token, and for an unsafe
-- method the CSRF header); with bodies, each connection's thread sends them in
-- turn (the promise PATCH alternates quantities so every request changes
-- something). With several paths (space-separated), wrk's n-th thread sends the
-- n-th (cycling): the promise PATCH gives each connection a quote of its own, so
-- its requests do not wait on the other's lock of the same quote. A response
-- outside 2xx is counted (wrk itself counts only >= 400).
-- done() prints one line, "BENCH-RESULT <json>", that bench.py parses.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

function init(args)
   method = args[1]
   local paths = {}
   for each in args[2]:gmatch("%S+") do
      table.insert(paths, each)
   end
   path = paths[((thread_number or 1) - 1) % #paths + 1]
   headers, bodies = {}, {}
   for i = 3, #args do
      local kind, rest = args[i]:sub(1, 1), args[i]:sub(2)
      if kind == "H" then
         local name, value = rest:match("^([^:]+):%s*(.*)$")
         headers[name] = value
      elseif kind == "B" then
         table.insert(bodies, rest)
      else
         error("bench.lua: an argument is H<header> or B<body>, not " .. args[i])
      end
   end
   fixed = #bodies == 0 and wrk.format(method, path, headers) or nil
   sent, non2xx, first_bad = 0, 0, 0
end

function request()
   if fixed then
      return fixed
   end
   sent = sent + 1
   return wrk.format(method, path, headers, bodies[(sent - 1) % #bodies + 1])
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if first_bad == 0 then
         first_bad = status
      end
   end
end

function done(summary, latency, requests)
   local bad, first = 0, 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
      if first == 0 then
         first = thread:get("first_bad") or 0
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "first_bad_status": %d, '
         .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
         .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
      summary.requests, summary.duration, bad, first,
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max
   ))
end
