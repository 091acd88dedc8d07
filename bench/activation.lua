-- wrk script: one deposit to each of `per` accounts per thread (act-<thread>-<n>), then the thread stops; with one
-- connection per thread every request activates a passivated entity (after the first round) and then commits.
-- wrk's latency figures are the point; its requests/s are not (threads stop early, the clock runs to -d).
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  per = tonumber(args[1])
  round = args[2]
  n = 0
end

function request()
  n = n + 1
  return wrk.format("POST", "/accounts/act-" .. tid .. "-" .. n .. "/deposit",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = round .. "-" .. n }, '{"amount": 1}')
end

function response(status)
  if status ~= 200 then io.write("status " .. status .. "\n") end
  if n >= per then wrk.thread:stop() end
end
