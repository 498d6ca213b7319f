-- wrk: POST /api/v1/public/downloads, as the widget's beacon sends it (text/plain JSON),
-- from many visitors (X-Forwarded-For in 198.18.0.0/15, the range set aside for benchmarks,
-- behind a proxy jalon trusts) and 200 resources.
local thread_seed = 0
function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end

function init(args)
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  local n = math.random(1, 200)
  local body = string.format(
    '{"resource":"ressource-%d","title":"Ressource n° %d","theme":"theme-%d"}', n, n, n % 7)
  local visitor = string.format("198.%d.%d.%d", math.random(18, 19), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/v1/public/downloads",
    { ["Content-Type"] = "text/plain;charset=UTF-8", ["X-Forwarded-For"] = visitor }, body)
end
