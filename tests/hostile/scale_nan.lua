-- expect: rules/h_scale_nan.lua:7: scale: factor must be a number from 0 to 1000
-- scale by NaN
description = "hostile: scale by NaN"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  scale("rdp_disabled", 0/0, "nan")
end
