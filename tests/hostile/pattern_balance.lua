-- expect: rules/h_pattern_balance.lua:9: instruction budget exceeded (2000000 instructions)
-- %b scanning a long unbalanced subject, again and again
description = "hostile: %b scanning a long unbalanced subject, again and again"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("("):rep(1000000)
  local n = 0
  while true do n = n + (s:find("%b()") or 0) end
end
