-- expect: rules/h_loop_repeat.lua:7: instruction budget exceeded (2000000 instructions)
-- an endless repeat loop
description = "hostile: an endless repeat loop"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  repeat local x = 1 until false
end
