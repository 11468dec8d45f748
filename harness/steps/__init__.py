"""The pytest-bdd layer: options, the step library and the per-run records (the only pytest-aware package)."""
