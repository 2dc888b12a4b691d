-- expect: rules/h_recursion_tail.lua:7: instruction budget exceeded (2000000 instructions)
-- endless tail calls (no stack growth)
description = "hostile: endless tail calls (no stack growth)"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local function again() return again() end
  return again()
end
