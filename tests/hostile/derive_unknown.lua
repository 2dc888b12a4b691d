-- expect: rules/h_derive_unknown.lua:7: unknown fact 'no_such_fact'
-- derive an unknown fact
description = "hostile: derive an unknown fact"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  derive("no_such_fact", "yes")
end
