-- expect: rules/h_huge_text.lua:7: fill: text is longer than 1024 bytes
-- a fill text of 1 MB
description = "hostile: a fill text of 1 MB"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  fill("host", ("x"):rep(1000000), "huge")
end
