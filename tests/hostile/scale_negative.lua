-- expect: rules/h_scale_negative.lua:7: scale: factor must be a number from 0 to 1000
-- scale by a negative factor
description = "hostile: scale by a negative factor"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  scale("rdp_disabled", -2, "negative")
end
