-- expect: rules/h_utf8_len.lua:9: instruction budget exceeded (2000000 instructions)
-- utf8.len over 3 MB, forever
description = "hostile: utf8.len over 3 MB, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("a"):rep(3000000)
  local n = 0
  while true do n = n + utf8.len(s) end
end
