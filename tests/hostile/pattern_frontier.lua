-- expect: rules/h_pattern_frontier.lua:8: instruction budget exceeded (2000000 instructions)
-- gmatch with a frontier over 1 MB, forever
description = "hostile: gmatch with a frontier over 1 MB, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("ab "):rep(300000)
  while true do for w in s:gmatch("%f[%a]%a+") do end end
end
