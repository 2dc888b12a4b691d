-- Safety warnings the documents leave out or understate.
description = "Warn never to leave NLA off, to prefer a VPN or RD Gateway to exposing 3389, and never to open 3389 to any address"
reads = {"connection_path"}
sources = {"seed_000", "seed_001", "seed_002"}

function run(f)
  warn("disable_nla_temporarily",
    "Never leave NLA disabled: turn it back on (UserAuthentication = 1) as soon as the test is over, "
    .. "whatever its result. Without NLA anyone who reaches the port gets a logon screen.")
  warn("forward_rdp_port_from_internet",
    "Prefer a VPN or an RD Gateway to exposing port 3389: RDP open to the internet is scanned and "
    .. "attacked within hours. If you must, allow only your own address and keep NLA on.")
  warn("allow_rdp_in_nsg",
    "Allow 3389 only from your own public address (/32), never from Any or Internet; "
    .. "Azure Bastion or just-in-time access is safer still.")
  warn("align_security_layer",
    "Keep the security layer at Negotiate (1) or SSL/TLS (2); RDP Security (0) drops TLS.")
  if f.connection_path == "internet" then
    warn("forward_rdp_port_from_internet",
      "You connect over the internet: set up a VPN or an RD Gateway instead of forwarding 3389.")
  end
end
