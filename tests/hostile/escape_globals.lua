-- expect: rules/h_escape_globals.lua:7: undeclared global 'load'
-- reaching for load
description = "hostile: reaching for load"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  return load("return 1")
end
