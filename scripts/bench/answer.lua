-- wrk: respondents answering the questionnaire of their personal link, each link once.
-- JALON_BENCH_TOKENS names a file of unanswered tokens (one a line), shared out between wrk's
-- threads; JALON_BENCH_BODY a file holding the body (every question answered);
-- JALON_BENCH_MODE is `json` (POST /api/v1/responses/{token}, a program) or `form` (GET then
-- POST /r/{token}, a browser without JavaScript). The acknowledgements (201 or 303) are
-- counted and printed as `ACKNOWLEDGED n`.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local tokens = {}
local next_token = 0
local body = ""
local mode = "form"
local fetched = false
acknowledged = 0

function init(args)
  local count = tonumber(os.getenv("JALON_BENCH_THREADS") or "2")
  mode = os.getenv("JALON_BENCH_MODE") or "form"
  local line_number = 0
  for line in io.lines(os.getenv("JALON_BENCH_TOKENS")) do
    if line_number % count == id then
      tokens[#tokens + 1] = line
    end
    line_number = line_number + 1
  end
  local file = io.open(os.getenv("JALON_BENCH_BODY"), "r")
  body = file:read("*a")
  file:close()
end

function request()
  if mode == "json" then
    -- Past the last token the same one is sent again: a 409, counted as a failure.
    next_token = math.min(next_token + 1, #tokens)
    return wrk.format("POST", "/api/v1/responses/" .. tokens[next_token],
      { ["Content-Type"] = "application/json" }, body)
  end
  if not fetched then
    fetched = true
    next_token = math.min(next_token + 1, #tokens)
    return wrk.format("GET", "/r/" .. tokens[next_token])
  end
  fetched = false
  return wrk.format("POST", "/r/" .. tokens[next_token],
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  if status == 201 or status == 303 then
    acknowledged = acknowledged + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("acknowledged")
  end
  io.write(string.format("ACKNOWLEDGED %d\n", total))
end
