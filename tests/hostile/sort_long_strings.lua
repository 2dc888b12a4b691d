-- expect: rules/h_sort_long_strings.lua:10: instruction budget exceeded (2000000 instructions)
-- sorting 1 MB strings, each comparison costly
description = "hostile: sorting 1 MB strings, each comparison costly"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("x"):rep(1000000)
  local t = {}
  for i = 1, 1000 do t[i] = s end
  while true do table.sort(t) end
end
