-- The documents' strong signals about certificates. These are interactions
-- the per-fact evidence cannot express: each factor applies only when both
-- observations hold together.
description = "Worked-then-stopped on a server points to the certificate; a certificate that will not regenerate points to MachineKeys (Azure) or WMI"
reads = {"worked_before", "host_kind", "cert_regenerates", "wmi_repository_ok"}
sources = {"seed_000", "seed_003"}

function run(f)
  local server = f.host_kind == "server" or f.host_kind == "azure_vm"
  if f.worked_before == "yes" and server then
    scale("expired_rdp_certificate", 1.5,
      "a server that worked and suddenly stopped is the documents' typical expired certificate")
  end
  if f.cert_regenerates == "no" then
    scale("expired_rdp_certificate", 0.2,
      "a certificate that will not regenerate means renewing alone cannot work: the key store or WMI is broken")
    if f.host_kind == "azure_vm" then
      scale("corrupt_machinekeys", 2, "a corrupt MachineKeys store is the documented cause on Azure VMs")
    end
    if f.wmi_repository_ok == "no" then
      scale("wmi_repository_corrupt", 3, "with a broken WMI repository Windows cannot manage the certificate")
    elseif f.wmi_repository_ok == "yes" then
      scale("corrupt_machinekeys", 2, "WMI is healthy, so the key store is what fails")
    end
  end
end
