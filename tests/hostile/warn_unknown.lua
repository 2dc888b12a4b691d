-- expect: rules/h_warn_unknown.lua:7: warn: unknown fix 'no_such_fix'
-- warn on an unknown fix
description = "hostile: warn on an unknown fix"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  warn("no_such_fix", "text")
end
