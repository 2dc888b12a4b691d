-- expect: rules/h_string_compare.lua:9: time limit exceeded (3000 ms of CPU)
-- comparing two equal 2 MB strings forever
description = "hostile: comparing two equal 2 MB strings forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local a, b = ("x"):rep(2000000), ("x"):rep(2000000)
  local n = 0
  while true do if a < b then n = n + 1 end end
end
