-- expect: rules/h_huge_slot.lua:7: fill: slot must be an identifier
-- a slot name of 100 kB
description = "hostile: a slot name of 100 kB"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  fill(("x"):rep(100000), "srv1", "huge slot")
end
