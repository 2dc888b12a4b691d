-- expect: rules/h_derive_bad_value.lua:7: derive: 'maybe' is not a value of fact 'host_kind'
-- derive a value the fact does not have
description = "hostile: derive a value the fact does not have"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  derive("host_kind", "maybe")
end
