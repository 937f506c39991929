"""PUS services of the payload application (ECSS-E-ST-70-41C) and the mission's own."""
