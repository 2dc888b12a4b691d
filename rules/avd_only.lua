-- The host pool status exists only for Azure Virtual Desktop session hosts;
-- while the kind of host is not known the question stays open.
description = "Ask about the host pool only for an Azure Virtual Desktop session host"
reads = {"host_kind"}
sources = {"seed_000"}

function run(f)
  if f.host_kind and f.host_kind ~= "avd" then
    hide("avd_host_pool_status", "only Azure Virtual Desktop session hosts belong to a host pool")
  end
end
