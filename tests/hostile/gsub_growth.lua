-- expect: rules/h_gsub_growth.lua:8: instruction budget exceeded (2000000 instructions)
-- gsub doubling a string
description = "hostile: gsub doubling a string"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = "x"
  while true do s = s:gsub(".", "%0%0") end
end
