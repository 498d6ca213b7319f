-- wrk: respondents submitting the questionnaire form of their personal link, each link once.
-- JALON_BENCH_TOKENS names a file of unanswered tokens (one a line), shared out between wrk's
-- threads; JALON_BENCH_BODY a file holding the form body (every question answered).
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local tokens = {}
local next_token = 0
local body = ""

function init(args)
  local threads = tonumber(os.getenv("JALON_BENCH_THREADS") or "2")
  local line_number = 0
  for line in io.lines(os.getenv("JALON_BENCH_TOKENS")) do
    if line_number % threads == id then
      tokens[#tokens + 1] = line
    end
    line_number = line_number + 1
  end
  local file = io.open(os.getenv("JALON_BENCH_BODY"), "r")
  body = file:read("*a")
  file:close()
end

function request()
  -- Past the last token the same one is sent again: a 409, counted as a failure.
  next_token = math.min(next_token + 1, #tokens)
  return wrk.format("POST", "/r/" .. tokens[next_token],
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
