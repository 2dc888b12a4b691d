-- expect: rules/h_scale_unknown.lua:7: scale: unknown cause 'no_such_cause'
-- scale of an unknown cause
description = "hostile: scale of an unknown cause"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  scale("no_such_cause", 2, "unknown")
end
