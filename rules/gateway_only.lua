-- RD Gateway questions apply only when the connection goes through one; while
-- the path is not known they stay open.
description = "Ask about the RD Gateway only when the connection goes through one"
reads = {"connection_path"}
sources = {"seed_000", "seed_001"}

function run(f)
  if f.connection_path and f.connection_path ~= "rd_gateway" then
    local why = "the connection does not go through an RD Gateway"
    hide("gateway_cert_trusted", why)
    hide("gateway_policies_ok", why)
  end
end
