-- expect: rules/h_scale_inf.lua:7: scale: factor must be a number from 0 to 1000
-- scale by infinity
description = "hostile: scale by infinity"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  scale("rdp_disabled", math.huge, "inf")
end
