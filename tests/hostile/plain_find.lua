-- expect: rules/h_plain_find.lua:9: instruction budget exceeded (2000000 instructions)
-- plain find over 4 MB, forever
description = "hostile: plain find over 4 MB, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("a"):rep(4000000)
  local n = 0
  while true do n = n + (s:find("ab", 1, true) or 1) end
end
