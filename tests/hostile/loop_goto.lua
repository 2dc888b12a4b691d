-- expect: rules/h_loop_goto.lua:7: instruction budget exceeded (2000000 instructions)
-- an endless goto
description = "hostile: an endless goto"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  ::again:: goto again
end
