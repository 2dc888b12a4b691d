-- expect: rules/h_format_width.lua:7: invalid conversion specification: '%99999d'
-- string.format with a huge width
description = "hostile: string.format with a huge width"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  return string.format("%99999d", 1)
end
