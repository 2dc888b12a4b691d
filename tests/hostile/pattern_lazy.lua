-- expect: rules/h_pattern_lazy.lua:8: instruction budget exceeded (2000000 instructions)
-- a lazy backtracking pattern through match
description = "hostile: a lazy backtracking pattern through match"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("a"):rep(3000)
  return string.match(s, ("a-"):rep(8) .. "$b")
end
