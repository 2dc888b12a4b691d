-- expect: rules/h_utf8_codes.lua:9: instruction budget exceeded (2000000 instructions)
-- calling the utf8.codes iterator over continuation bytes, forever
description = "hostile: calling the utf8.codes iterator over continuation bytes, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("\x80"):rep(3000000)
  local step = utf8.codes(s)
  while true do pcall(step, s, 0) end
end
