-- expect: rules/h_pcall_loop.lua:7: instruction budget exceeded (2000000 instructions)
-- pcall catching an error, forever
description = "hostile: pcall catching an error, forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  while true do pcall(error, "again") end
end
