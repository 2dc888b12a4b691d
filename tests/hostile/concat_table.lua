-- expect: rules/h_concat_table.lua:9: instruction budget exceeded (2000000 instructions)
-- table.concat of a long list, forever
description = "hostile: table.concat of a long list, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local t = {}
  for i = 1, 100000 do t[i] = "" end
  while true do table.concat(t) end
end
