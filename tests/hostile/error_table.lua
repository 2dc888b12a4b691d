-- expect: rules/h_error_table.lua:7: (error object is a table value)
-- error with a table
description = "hostile: error with a table"
reads = {"host_kind"}
sources = {"seed_000"}
function run(f)
  error({})
end
