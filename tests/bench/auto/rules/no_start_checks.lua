-- An engine that does not start: the gas question when it cranks
-- (determine-gas-level), the battery when it does not (determine-battery-state),
-- the coil's conductivity when it does not crank with a charged battery
-- (determine-conductivity-test).
description = "Ask about gas, the battery and the ignition coil only on auto.clp's branch for each"
reads = {"engine_starts", "engine_rotates", "battery_has_charge"}
sources = {"auto_clp"}

function run(f)
  if not (f.engine_starts == "no" and f.engine_rotates == "yes") then
    hide("tank_has_gas", "auto.clp asks this only when the engine cranks but does not start")
  end
  if f.engine_rotates ~= "no" then
    hide("battery_has_charge", "auto.clp asks this only when the engine does not rotate")
  end
  if not (f.engine_starts == "no" and f.engine_rotates == "no" and f.battery_has_charge == "yes") then
    hide("conductivity_test_positive",
      "auto.clp asks this only when the engine neither starts nor rotates and the battery is charged")
  end
end
