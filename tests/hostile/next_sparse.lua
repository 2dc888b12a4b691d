-- expect: rules/h_next_sparse.lua:11: instruction budget exceeded (2000000 instructions)
-- next() on a table emptied from the front, forever
description = "hostile: next() on a table emptied from the front, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local t = {}
  for i = 1, 200000 do t[i] = true end
  for i = 1, 199999 do t[i] = nil end
  local n = 0
  while true do if next(t) then n = n + 1 end end
end
