-- expect: rules/h_tostring_churn.lua:9: instruction budget exceeded (2000000 instructions)
-- tonumber and upper over 1 MB, forever
description = "hostile: tonumber and upper over 1 MB, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = (" "):rep(1000000)
  local n = 0
  while true do n = n + (tonumber(s) or 1) + #s:upper() end
end
