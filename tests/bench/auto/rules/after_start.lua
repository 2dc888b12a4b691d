-- auto.clp asks whether the engine runs normally only once it starts
-- (determine-runs-normally), and whether it rotates only when it does not
-- (determine-rotation-state). While the first answer is unknown, neither.
description = "Ask whether the engine runs normally only when it starts, and whether it rotates only when it does not"
reads = {"engine_starts"}
sources = {"auto_clp"}

function run(f)
  if f.engine_starts ~= "yes" then
    hide("runs_normally", "auto.clp asks this only once the engine starts")
  end
  if f.engine_starts ~= "no" then
    hide("engine_rotates", "auto.clp asks this only when the engine does not start")
  end
end
