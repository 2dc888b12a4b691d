-- Questions about Azure network security groups apply only to Azure VMs. While
-- the kind of host is not known (or the person cannot tell) they stay open.
description = "Ask about the network security group only for an Azure VM"
reads = {"host_kind"}
sources = {"seed_000"}

function run(f)
  if f.host_kind and f.host_kind ~= "azure_vm" then
    hide("nsg_allows_3389", "only an Azure VM sits behind a network security group"
      .. " (Azure Virtual Desktop hosts connect outbound and need no inbound rule)")
  end
end
