"""The package's layers: no module imports a layer above its own, and the two sides never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import harness

ROOT = Path(harness.__file__).parent

# Lowest first. A module may import its own layer and the layers below it, never one above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "harness",
            "harness.errors",
            "harness.paths",
            "harness.urls",
            "harness.timeline",
            "harness.wire",
            "harness.lifecycle",
        ),
    ),
    ("sides", ("harness.server", "harness.sdk")),
    ("run model", ("harness.run", "harness.clients")),
    ("real-org kit", ("harness.sandbox",)),
    ("run composition", ("harness.run.rig",)),
    ("pytest steps and reports", ("harness.steps", "harness.report")),
    ("pytest entry point", ("harness.plugin",)),
    ("commands", ("harness.commands", "harness.cli", "harness.__main__")),
]


def layer_of(module: str) -> int:
    """The layer of the longest prefix that names `module` (so `harness.run.rig` wins over `harness.run`)."""
    best, rank = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} belongs to no layer: add it to LAYERS"
    return rank


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "harness" or name.startswith("harness.")}


def test_every_module_has_a_layer() -> None:
    for module in modules():
        layer_of(module)


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = []
    for module, path in modules().items():
        for imported in sorted(imports_of(path)):
            if layer_of(imported) > layer_of(module):
                upward.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {imported}")
    assert not upward, "\n".join(upward)


def test_the_runtime_and_the_sdk_never_import_each_other() -> None:
    crossing = []
    for module, path in modules().items():
        for side, other in (("harness.server", "harness.sdk"), ("harness.sdk", "harness.server")):
            if module.startswith(side) and any(i.startswith(other) for i in imports_of(path)):
                crossing.append(module)
    assert not crossing, crossing


def test_the_check_sees_an_upward_import() -> None:
    assert layer_of("harness.sdk.app") < layer_of("harness.run.journey") < layer_of("harness.run.rig")
    assert layer_of("harness.wire.events") < layer_of("harness.steps.library") < layer_of("harness.plugin")
