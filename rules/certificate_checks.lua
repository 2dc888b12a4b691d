-- The certificate questions follow one another: regeneration cannot be
-- tested when no certificate is expired, and the WMI repository does not
-- matter to certificates once one regenerates.
description = "Do not ask whether the certificate regenerates when none is expired, nor about WMI when it regenerates"
reads = {"rdp_cert_expired", "cert_regenerates"}
sources = {"seed_000", "seed_003"}

function run(f)
  if f.rdp_cert_expired == "no" then
    hide("cert_regenerates", "regeneration is tested by deleting an expired certificate, and none is expired")
  end
  if f.cert_regenerates == "yes" then
    hide("wmi_repository_ok", "the WMI repository matters here when a certificate will not regenerate")
  end
end
