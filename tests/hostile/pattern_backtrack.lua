-- expect: rules/h_pattern_backtrack.lua:8: instruction budget exceeded (2000000 instructions)
-- a backtracking pattern: 4000^10 steps
description = "hostile: a backtracking pattern: 4000^10 steps"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("a"):rep(4000)
  return s:find(("a*"):rep(10) .. "b")
end
