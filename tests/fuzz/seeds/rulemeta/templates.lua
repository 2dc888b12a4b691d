-- Fill command templates with what the user told us.
description = "Fill {{host}}, {{resource_group}} and {{vm_name}} with what the user gave, and {{port}} when RDP listens on 3389"
reads = {"host_name", "rdp_listening_port", "azure_resource_group", "azure_vm_name"}
sources = {"seed_000"}

function run(f)
  if f.host_name then
    fill("host", f.host_name, "the host name you gave")
  end
  if f.azure_resource_group then
    fill("resource_group", f.azure_resource_group, "the resource group you gave")
  end
  if f.azure_vm_name then
    fill("vm_name", f.azure_vm_name, "the VM name you gave")
  end
  if f.rdp_listening_port == "3389" then
    fill("port", "3389", "the host listens on the default port")
  end
end
