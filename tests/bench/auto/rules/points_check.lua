-- The points are inspected on two branches of auto.clp
-- (determine-point-surface-state): an engine that cranks but does not start,
-- and one whose output is low.
description = "Ask about the points only when the engine cranks but does not start, or its output is low"
reads = {"engine_starts", "engine_rotates", "engine_output_low"}
sources = {"auto_clp"}

function run(f)
  local cranks = f.engine_starts == "no" and f.engine_rotates == "yes"
  if not (cranks or f.engine_output_low == "yes") then
    hide("point_surface_state", "auto.clp asks this only when the engine cranks but does not start, or its output is low")
  end
end
