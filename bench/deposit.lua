-- wrk script: POST /accounts/{id}/deposit with a unique Idempotency-Key per request, spread over 1000 accounts
-- (one account's writes are serialised by its entity, so the spread is what lets group commit batch).
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local n = 0
local run = tostring(os.time())
function request()
  n = n + 1
  local account = "bench-" .. ((n * 7 + tid * 131) % 1000)
  return wrk.format("POST", "/accounts/" .. account .. "/deposit",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = "r" .. run .. "-t" .. tid .. "-" .. n },
    '{"amount": 1}')
end
