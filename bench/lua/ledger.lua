-- wrk script for every ledger scenario of bench/run.sh.
--   wrk -tT ... -s bench/lua/ledger.lua URL -- MODE ACCOUNTS PREFIX NONCE T
-- MODE     get      GET /accounts/{PREFIX}{random 1..ACCOUNTS}
--          deposit  POST deposit {"amount": 1} to a random account, a unique Idempotency-Key per request
--          mixed    alternately get and deposit (50/50)
--          seed     deposit once to each account 1..ACCOUNTS in turn, then stop (the accounts exist and are active)
--          activate GET each account 1..ACCOUNTS once in turn, then stop (activates never-written entities: 404)
-- NONCE    a number unique to this wrk run: keys are NONCE-THREAD-N, so no key repeats across runs of one database.
-- T        wrk's thread count (seed/activate split the accounts between threads by it).
-- done() prints one line "RESULT {json}" that the runner parses.

local thread_count = 0
local threads = {}

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end

local mode, accounts, prefix, nonce, n, tid, stride
local headers = { ["Content-Type"] = "application/json" }
local body = '{"amount": 1}'

function init(args)
  mode = args[1]
  accounts = tonumber(args[2])
  prefix = args[3]
  nonce = args[4]
  tid = tonumber(wrk.thread:get("tid"))
  stride = tonumber(args[5] or "1")
  n = 0
  math.randomseed(tonumber(nonce) * 1000 + tid)
end

local function deposit(account)
  headers["Idempotency-Key"] = nonce .. "-" .. tid .. "-" .. n
  return wrk.format("POST", "/accounts/" .. prefix .. account .. "/deposit", headers, body)
end

local function get(account)
  return wrk.format("GET", "/accounts/" .. prefix .. account)
end

function request()
  n = n + 1
  if mode == "get" then
    return get(math.random(accounts))
  elseif mode == "deposit" then
    return deposit(math.random(accounts))
  elseif mode == "mixed" then
    if n % 2 == 0 then return get(math.random(accounts)) end
    return deposit(math.random(accounts))
  end
  -- seed / activate: this thread's share of 1..ACCOUNTS, each once
  local account = tid + (n - 1) * stride
  if account > accounts then
    wrk.thread:stop()
    account = accounts -- one extra request may still go out while the thread stops
  end
  if mode == "seed" then return deposit(account) end
  return get(account)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
