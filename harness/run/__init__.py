"""The run layer: one scenario run under one cell, from wiring the runtime and the app to the verdict.

Modules, lowest first (each imports only those before it, plus `harness.sdk`, `harness.wire` and the foundation):
`variants`, `cells` (the matrix and per-run seeds), `judge` (verdicts from observations), `truth` (the runtime's
truth and where it comes from), `control` (the mock's control API client), `journey` (what a user does), `oracle`
(truth from the control API) and `rig` (the composition root, the only module here that imports `harness.sandbox`).
"""
