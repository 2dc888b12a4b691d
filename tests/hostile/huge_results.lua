-- expect: ok
-- run returns huge and odd values (ignored)
description = "hostile: run returns huge and odd values (ignored)"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  return ("x"):rep(3000000), {}, function() end, 0/0, math.huge
end
