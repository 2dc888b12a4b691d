-- The four running symptoms: auto.clp asks them only when the engine does
-- not run normally (determine-sluggishness, -misfiring, -knocking, -low-output).
description = "Ask about sluggishness, misfiring, knocking and low output only when the engine does not run normally"
reads = {"runs_normally"}
sources = {"auto_clp"}

function run(f)
  if f.runs_normally ~= "no" then
    local why = "auto.clp asks this only when the engine does not run normally"
    hide("engine_sluggish", why)
    hide("engine_misfires", why)
    hide("engine_knocks", why)
    hide("engine_output_low", why)
  end
end
