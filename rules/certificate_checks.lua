-- The certificate questions follow one another: regeneration is only worth
-- testing once the certificate is known to be expired, and the WMI
-- repository only once a certificate will not regenerate.
description = "Ask whether the certificate regenerates only when it is expired, and about WMI only when it does not regenerate"
reads = {"rdp_cert_expired", "cert_regenerates"}
sources = {"seed_000", "seed_003"}

function run(f)
  if f.rdp_cert_expired ~= "yes" then
    hide("cert_regenerates", "regeneration is tested by deleting an expired certificate; none is expired (or it is not known)")
  end
  if f.cert_regenerates ~= "no" then
    hide("wmi_repository_ok", "the WMI repository matters here when a certificate will not regenerate")
  end
end
