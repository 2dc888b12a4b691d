-- expect: rules/h_loop_numeric_for.lua:7: instruction budget exceeded (2000000 instructions)
-- a for loop to math.maxinteger
description = "hostile: a for loop to math.maxinteger"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  for i = 1, math.maxinteger do end
end
