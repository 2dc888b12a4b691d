-- expect: rules/h_recursion_c_stack.lua:7: C stack overflow
-- recursion through a library function (gsub)
description = "hostile: recursion through a library function (gsub)"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local function again() return string.gsub("a", "a", again) end
  again()
end
