-- A session that was working and then dropped got through TCP 3389; a
-- stopped service means nothing listens on it.
description = "A dropped working session means the RDP port answered; a stopped TermService means it cannot"
reads = {"failure_stage", "rdp_listening_port", "termservice_running"}
sources = {"seed_000", "seed_002"}

function run(f)
  if f.failure_stage == "mid_session" and f.rdp_listening_port ~= "other" then
    derive("port_3389_open", "yes", "a session on port 3389 was working before it dropped")
  elseif f.termservice_running == "no" then
    derive("port_3389_open", "no", "with TermService stopped nothing listens on port 3389")
  end
end
