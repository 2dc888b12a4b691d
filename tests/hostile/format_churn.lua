-- expect: rules/h_format_churn.lua:8: instruction budget exceeded (2000000 instructions)
-- string.format copying 1 MB, forever
description = "hostile: string.format copying 1 MB, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("a"):rep(1000000)
  while true do local t = string.format("%s", s) end
end
