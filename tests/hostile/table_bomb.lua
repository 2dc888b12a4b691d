-- expect: rules/h_table_bomb.lua:8: memory limit exceeded (8 MiB)
-- a table growing without end
description = "hostile: a table growing without end"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local t = {}
  while true do t[#t + 1] = {} end
end
