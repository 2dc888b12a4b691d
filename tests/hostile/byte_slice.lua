-- expect: rules/h_byte_slice.lua:8: stack overflow (string slice too long)
-- string.byte of 4 million bytes
description = "hostile: string.byte of 4 million bytes"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("a"):rep(4000000)
  return s:byte(1, -1)
end
