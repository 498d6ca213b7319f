-- wrk: POST /api/v1/public/ratings, as the widget sends it (the satisfaction question, and a
-- comment one time in ten), from many visitors (X-Forwarded-For in 198.18.0.0/15, behind a
-- proxy jalon trusts), on 200 resources. Every 201 is a committed response.
local thread_seed = 0
function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("seed", thread_seed)
end

function init(args)
  math.randomseed(os.time() * 100 + (seed or 0))
end

local values = { "tres_satisfait", "plutot_satisfait", "plutot_pas_satisfait", "pas_du_tout_satisfait" }

function request()
  local comment = ""
  if math.random(1, 10) == 1 then
    comment = ',"commentaire":"Ressource claire et utile, merci."'
  end
  local body = string.format(
    '{"resource":"ressource-%d","answers":{"satisfaction":"%s"%s}}',
    math.random(1, 200), values[math.random(1, 4)], comment)
  local visitor = string.format("198.%d.%d.%d", math.random(18, 19), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/v1/public/ratings",
    { ["Content-Type"] = "text/plain;charset=UTF-8", ["X-Forwarded-For"] = visitor }, body)
end
