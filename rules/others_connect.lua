-- When other computers connect to the same host right now, Remote Desktop is
-- on and its service is running: no need to ask the host's admin.
description = "Other clients connecting now means Remote Desktop is enabled and TermService runs"
reads = {"other_clients_connect"}
sources = {"seed_000"}

function run(f)
  if f.other_clients_connect == "yes" then
    derive("rdp_enabled", "yes", "other computers connect to this host right now")
    derive("termservice_running", "yes", "other computers connect to this host right now")
  end
end
