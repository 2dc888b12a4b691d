-- expect: rules/h_unpack_huge.lua:7: too many results to unpack
-- table.unpack of a huge range
description = "hostile: table.unpack of a huge range"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  return table.unpack({}, 1, 1e8)
end
