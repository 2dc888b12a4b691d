-- expect: rules/h_loop_while.lua:7: instruction budget exceeded (2000000 instructions)
-- an endless while loop
description = "hostile: an endless while loop"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  while true do end
end
