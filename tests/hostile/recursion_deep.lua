-- expect: rules/h_recursion_deep.lua:7: memory limit exceeded (8 MiB)
-- deep recursion
description = "hostile: deep recursion"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local function deeper(n) return 1 + deeper(n + 1) end
  return deeper(1)
end
