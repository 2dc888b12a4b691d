-- If connecting by IP address works, the host, its port, its certificate and
-- its authentication all work: only the name is wrong (or something keyed
-- to the name, such as saved credentials for TERMSRV/NAME).
description = "When connecting by IP works, only causes tied to the host name remain likely"
reads = {"ip_instead_of_name_works"}
sources = {"seed_000", "seed_001"}

local tied_to_name = {
  hostname_resolution_bug = true,
  corrupt_saved_credentials = true,
  rd_gateway_policy = true,      -- a RAP may allow the name but not the address, or the reverse
}

local host_side = {
  "expired_rdp_certificate", "corrupt_machinekeys", "windows_firewall_blocking",
  "public_network_profile", "port_blocked_on_path", "rdp_disabled", "rdp_port_changed",
  "nla_authentication_failure", "security_layer_mismatch", "max_outstanding_connections",
  "azure_nsg_blocking", "termservice_crashed", "wmi_repository_corrupt", "rds_resource_limits",
  "host_unreachable", "avd_host_pool_unhealthy",
}

function run(f)
  if f.ip_instead_of_name_works == "yes" then
    for _, cause in ipairs(host_side) do
      if not tied_to_name[cause] then
        scale(cause, 0.1, "the same host accepts the connection by IP address, so this cause cannot be the one")
      end
    end
  end
end
