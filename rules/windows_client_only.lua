-- mstsc, cmdkey and Winsock belong to a Windows client; on a Mac they do not apply.
description = "Questions and causes about mstsc, cmdkey and Winsock apply to a Windows client only"
reads = {"client_os"}
sources = {"seed_000", "seed_002"}

function run(f)
  if f.client_os == "macos" then
    hide("store_app_works", "mstsc.exe does not exist on macOS: the Windows App is the client there")
    hide("saved_credentials_present", "cmdkey is a Windows command; macOS keeps RDP credentials in the Keychain")
    scale("winsock_corruption", 0.05, "Winsock is the Windows network stack; a Mac client does not have it")
  end
end
