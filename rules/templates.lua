-- Fill command templates with what the user told us.
description = "Fill {{host}} with the host name given and {{port}} when RDP listens on 3389"
reads = {"host_name", "rdp_listening_port"}
sources = {"seed_000"}

function run(f)
  if f.host_name then
    fill("host", f.host_name, "the host name you gave")
  end
  if f.rdp_listening_port == "3389" then
    fill("port", "3389", "the host listens on the default port")
  end
end
