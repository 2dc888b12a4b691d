-- expect: rules/h_gsub_callback.lua:7: instruction budget exceeded (2000000 instructions)
-- a gsub callback that never returns
description = "hostile: a gsub callback that never returns"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  string.gsub("abc", "%w", function(c) while true do end end)
end
