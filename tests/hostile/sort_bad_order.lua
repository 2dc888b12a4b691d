-- expect: rules/h_sort_bad_order.lua:9: invalid order function for sorting
-- sort with an inconsistent order
description = "hostile: sort with an inconsistent order"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local t = {}
  for i = 1, 100 do t[i] = i end
  table.sort(t, function(a, b) return true end)
end
