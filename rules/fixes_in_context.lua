-- Fixes that cannot help, or must not be tried, in what the session knows.
-- Applicability that one fact's values express lives in the fix records
-- ("applies"); this rule holds what follows from an answer's meaning.
description = "No custom-port fix when RDP listens on 3389; never turn NLA off on a host reached straight from the internet"
reads = {"rdp_listening_port", "connection_path"}
sources = {"seed_000", "seed_001"}

function run(f)
  if f.rdp_listening_port == "3389" then
    exclude("connect_to_custom_port", "the host listens on the default port 3389: there is no custom port to connect to")
  end
  if f.connection_path == "internet" then
    exclude("disable_nla_temporarily", "the host is reached straight from the internet: with NLA off anyone"
      .. " can reach its logon screen, so this test is never worth it there")
  end
end
