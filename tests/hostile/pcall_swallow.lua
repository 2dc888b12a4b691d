-- expect: rules/h_pcall_swallow.lua:8: instruction budget exceeded (2000000 instructions)
-- pcall around an endless loop, then going on
description = "hostile: pcall around an endless loop, then going on"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  pcall(function() while true do end end)
  while true do end
end
