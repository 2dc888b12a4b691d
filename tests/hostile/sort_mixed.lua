-- expect: rules/h_sort_mixed.lua:7: attempt to compare table with number
-- sort of values that cannot be compared
description = "hostile: sort of values that cannot be compared"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  table.sort({3, {}, 1, {}})
end
