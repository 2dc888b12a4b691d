-- expect: rules/h_insert_shift.lua:9: instruction budget exceeded (2000000 instructions)
-- inserting at the front of a long list, forever
description = "hostile: inserting at the front of a long list, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local t = {}
  for i = 1, 200000 do t[i] = i end
  while true do table.insert(t, 1, 0) table.remove(t, 1) end
end
