-- expect: rules/h_loop_ipairs.lua:8: memory limit exceeded (8 MiB)
-- a table that grows while ipairs walks it
description = "hostile: a table that grows while ipairs walks it"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local t = {1}
  for i, v in ipairs(t) do t[i + 1] = v end
end
