-- expect: rules/h_concat_bomb.lua:8: memory limit exceeded (8 MiB)
-- doubling a string with ..
description = "hostile: doubling a string with .."
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = "x"
  while true do s = s .. s end
end
