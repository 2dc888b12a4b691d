-- expect: rules/h_concat_churn.lua:8: instruction budget exceeded (2000000 instructions)
-- copying 2 MB strings forever (each freed)
description = "hostile: copying 2 MB strings forever (each freed)"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local s = ("x"):rep(2000000)
  while true do local t = s .. "y" end
end
