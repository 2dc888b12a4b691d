-- Command templates: the free-text facts fill their own slots ({{host}} from
-- host_name, {{port}} from rdp_port...). This rule adds what follows from a
-- choice: a host that listens on 3389 fills {{port}} with 3389, and a port
-- given as a number says whether RDP listens on the default port.
description = "Fill {{port}} when RDP listens on 3389; a port number given says whether it is the default"
reads = {"rdp_listening_port", "rdp_port"}
sources = {"seed_000"}

function run(f)
  if f.rdp_port then
    derive("rdp_listening_port", f.rdp_port == "3389" and "3389" or "other",
      "the port number you gave")
  end
  if f.rdp_listening_port == "3389" then
    fill("port", "3389", "the host listens on the default port")
  end
end
