-- expect: rules/h_error_level0.lua:7: no position
-- error with level 0 (no position of its own)
description = "hostile: error with level 0 (no position of its own)"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  error("no position", 0)
end
