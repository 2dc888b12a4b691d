-- expect: rules/h_vararg_replay.lua:7: instruction budget exceeded (2000000 instructions)
-- passing 40000 values through ... forever
description = "hostile: passing 40000 values through ... forever"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  local function count(...) return select("#", ...) end
  local function spin(...)
    while true do count(...) end
  end
  local t = {}
  for i = 1, 40000 do t[i] = i end
  spin(table.unpack(t))
end
