-- expect: rules/h_rep_bomb.lua:7: string.rep: result too large for the sandbox
-- string.rep of a billion
description = "hostile: string.rep of a billion"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  return ("x"):rep(1e9)
end
