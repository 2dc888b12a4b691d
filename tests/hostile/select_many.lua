-- expect: rules/h_select_many.lua:9: instruction budget exceeded (2000000 instructions)
-- select over many values through a library call, forever
description = "hostile: select over many values through a library call, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local t = {}
  for i = 1, 1000 do t[i] = i end
  while true do select("#", table.unpack(t)) end
end
