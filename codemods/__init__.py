"""fleetmod's automation layer: libcst codemods and the engine that runs them over files."""
