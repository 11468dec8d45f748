"""The results of a conformance run: run records in, one verdict per cell out, `results.json` on disk.

Over 400 lines because reading and writing `results.json` are kept side by side, so the two never drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.run.judge import PATH_RANK, RecoveryPath
from harness.run.judge import SEVERITY as SEVERITY  # re-exported: the report folds cells by the judge's order
from harness.run.judge import Reason as Reason  # the one list of reason codes; readers accept codes they do not know
from harness.run.judge import Verdict as Verdict
from harness.run.records import RunRecord, read_record
from harness.sdk.profiles import CAPABILITIES, CapabilityValue

SCHEMA = "miaw-harness/results@3"
# @1 kept every run's evidence inline; @2 kept reasons, runtime settings and SDK assumptions inline in every run
READABLE_SCHEMAS = ("miaw-harness/results@1", "miaw-harness/results@2", SCHEMA)
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")  # JSON Schema of results.json
PLATFORM_ORDER = ("ios", "android", "web")
CLIENT_PLATFORM = "client"  # the row of a real client (`run --client`): its cells are listed apart, like org checks


def version_key(version: str) -> tuple[int, ...]:
    """'1.10.2' -> (1, 10, 2); text that is not a number sorts first, so 'latest' never hides a real version."""
    parts = re.findall(r"\d+", version)
    return tuple(int(p) for p in parts) if parts else (-1,)


def platform_rank(platform: str) -> tuple[int, str]:
    return (PLATFORM_ORDER.index(platform), "") if platform in PLATFORM_ORDER else (len(PLATFORM_ORDER), platform)


@dataclass(frozen=True, slots=True)
class Capability:
    value: Any
    evidence: str  # "documented" | "inferred" | "unknown" | "pinned" (fixed by `--assume`)
    source: str = ""


@dataclass(frozen=True, slots=True)
class Profile:
    """A row header of the matrix: one simulated SDK version."""

    name: str
    platform: str
    version: str
    release_date: str | None = None
    capabilities: Mapping[str, Capability] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[tuple[int, str], tuple[int, ...], str]:
        return (platform_rank(self.platform), version_key(self.version), self.name)

    @property
    def label(self) -> str:
        return f"{self.platform} {self.version}"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A column of the matrix: one Gherkin scenario."""

    id: str
    name: str
    feature: str = ""
    feature_file: str = ""
    feature_line: int = 0
    line: int = 0
    tags: tuple[str, ...] = ()
    article: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[str, int, str]:
        return (self.feature_file, self.line, self.id)


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a cell under one runtime variant: its verdict, the evidence behind it and the Gherkin steps."""

    variant: str
    settings: Mapping[str, Any]
    verdict: Verdict
    reason_code: str
    reason: str
    seed: int | None
    evidence: tuple[Mapping[str, Any], ...]
    steps: tuple[Mapping[str, Any], ...]
    nodeid: str = ""
    recovery: str | None = None  # how the user got back to a rep (a `RecoveryPath` value); None: not attempted
    # the unknown SDK flags the run consulted and the value it gave each: {profile, flag, value, evidence, words}
    assumptions: tuple[Mapping[str, Any], ...] = ()
    # wall-clock time of the run, when read from its record: never written to results.json (not reproducible)
    duration_ms: float | None = field(default=None, compare=False)
    step_ms: tuple[float | None, ...] = field(default=(), compare=False)  # the same, per Gherkin step


@dataclass(frozen=True, slots=True)
class Cell:
    """(scenario, SDK profile, app strategy): the worst verdict over its runs and the variants that produced it."""

    scenario_id: str
    sdk: str
    app: str
    verdict: Verdict
    reason_code: str
    reason: str
    broken_by: tuple[str, ...]
    runs: tuple[Run, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.scenario_id, self.sdk, self.app)

    @property
    def recovery(self) -> str | None:
        """The worst way out over the cell's runs (`none` when some run never got back); None: none attempted."""
        return worst_recovery(r.recovery for r in self.runs)

    @property
    def deciding_run(self) -> Run:
        for run in self.runs:
            if run.verdict is self.verdict:
                return run
        return self.runs[0]


@dataclass(frozen=True, slots=True)
class Results:
    seed: int | None
    profiles: tuple[Profile, ...]
    scenarios: tuple[Scenario, ...]
    apps: tuple[str, ...]
    cells: tuple[Cell, ...]
    shard: tuple[int, int] | None = None  # (K, N) when these are the K-th of N slices of a run (`run --shard K/N`)

    def profile(self, name: str) -> Profile:
        for p in self.profiles:
            if p.name == name:
                return p
        raise KeyError(name)

    def scenario(self, scenario_id: str) -> Scenario:
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        raise KeyError(scenario_id)

    def cell_map(self) -> dict[tuple[str, str, str], Cell]:
        return {c.key: c for c in self.cells}

    def cells_for(self, app: str) -> list[Cell]:
        return [c for c in self.cells if c.app == app]

    def platforms(self) -> list[str]:
        """The SDK platforms of the run, in row order."""
        seen: list[str] = []
        for p in self.sdk_profiles():
            if p.platform not in seen:
                seen.append(p.platform)
        return seen

    def sdk_profiles(self) -> list[Profile]:
        """The matrix rows: profiles of an SDK platform (org-level checks run without an SDK and are listed apart)."""
        return [p for p in self.profiles if p.platform in PLATFORM_ORDER]

    def pins(self) -> list[str]:
        """SDK flags a team pinned (`--assume PROFILE.FLAG=VALUE`): no variant axis, printed in every header."""
        return [
            f"{p.name}.{name}={str(c.value).lower() if isinstance(c.value, bool) else c.value}"
            for p in self.profiles
            for name, c in p.capabilities.items()
            if c.evidence == "pinned"
        ]

    def matrix_apps(self) -> list[str]:
        """App strategies with at least one cell on an SDK profile."""
        rows = {p.name for p in self.sdk_profiles()}
        return [a for a in self.apps if any(c.app == a and c.sdk in rows for c in self.cells)]

    def clients(self) -> list[str]:
        """The real clients the run judged (`run --client`), by the name their cells carry."""
        return [p.name for p in self.profiles if p.platform == CLIENT_PLATFORM]

    def org_cells(self) -> list[Cell]:
        """Cells of checks that run without an SDK profile (org settings, publishing, validation)."""
        rows = {p.name for p in self.sdk_profiles()}
        return [c for c in self.cells if c.sdk not in rows]


# --- run records (written by the pytest plugin, one JSON line per test) -------------------------------------------


def load_runs(directory: Path) -> list[RunRecord]:
    """Every record of every `runs-<worker>.jsonl` under `directory`, in a stable order independent of workers."""
    records: list[RunRecord] = []
    for path in sorted(directory.glob("runs-*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path.name}:{number}: not a JSON run record ({exc.msg})") from None
            records.append(read_record(record, f"{path.name}:{number}"))
    records.sort(key=_record_order)
    return records


def count_collected(directory: Path) -> int | None:
    """The number of tests the pytest session collected (summed over workers' reports), or None before collection."""
    total: int | None = None
    for path in sorted(directory.glob("collected-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if path.name == "collected-main.json" or total is None:
            total = int(data.get("collected", 0))
        else:
            # every xdist worker collects the whole session: the counts agree, so keep the largest
            total = max(total, int(data.get("collected", 0)))
    return total


_NODEID = re.compile(rb'"nodeid":"((?:[^"\\]|\\.)*)"')


def count_finished(directory: Path) -> int:
    """Collected items that wrote a record: an item forked on an unknown SDK flag writes one per fork, counted once."""
    done: set[bytes] = set()
    for path in directory.glob("runs-*.jsonl"):
        try:
            with path.open("rb") as handle:
                for number, line in enumerate(handle):
                    if line.endswith(b"\n"):
                        match = _NODEID.search(line)
                        done.add(match[1] if match else f"{path.name}:{number}".encode())
        except OSError:
            continue
    return len(done)


def _variant_name(record: RunRecord) -> str:
    variant = record.get("variant") or {}
    return str(variant.get("name") or "default") if isinstance(variant, dict) else str(variant)


def _record_order(record: RunRecord) -> tuple[str, str, str, str, str]:
    return (
        str(record["scenario_id"]),
        str(record["sdk"]["name"]),
        str(record["app"]),
        _variant_name(record),
        str(record.get("nodeid", "")),
    )


# --- aggregation -------------------------------------------------------------------------------------------------


def profile_from(obj: Any) -> Profile:
    """A row header from anything shaped like `harness.sdk.profiles.SdkProfile` (or a Profile already)."""
    if isinstance(obj, Profile):
        return obj
    caps: dict[str, Capability] = {}
    for key, cap in dict(getattr(obj, "capabilities", {}) or {}).items():
        caps[str(key)] = Capability(
            value=_plain(getattr(cap, "value", cap)),
            evidence=str(getattr(cap, "evidence", "unknown")),
            source=str(getattr(cap, "source", "") or ""),
        )
    release = getattr(obj, "release_date", None)
    return Profile(
        name=str(obj.name),
        platform=str(obj.platform),
        version=str(obj.version),
        release_date=None if release is None else str(release),
        capabilities=dict(sorted(caps.items())),
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(getattr(value, "value", value))


def _verdict(text: str) -> Verdict | None:
    try:
        return Verdict(text)
    except ValueError:
        return None


def _run_from(record: RunRecord) -> Run:
    verdict = _verdict(str(record["verdict"]))
    reason_code = str(record.get("reason_code") or "")
    reason = str(record.get("reason") or "")
    if verdict is None:
        reason = f"the run reported an unknown verdict '{record['verdict']}'" + (f": {reason}" if reason else "")
        verdict, reason_code = Verdict.ERROR, "harness_error"
    raw_variant = record.get("variant")
    variant: Mapping[str, Any] = raw_variant if isinstance(raw_variant, dict) else {}
    seed = record.get("seed")
    return Run(
        variant=_variant_name(record),
        settings=dict(sorted(dict(variant.get("settings") or {}).items())),
        verdict=verdict,
        reason_code=reason_code,
        reason=reason,
        seed=int(seed) if isinstance(seed, int) else None,
        evidence=tuple(dict(sorted(dict(e).items())) for e in record.get("evidence") or ()),
        steps=tuple(_step(s) for s in record.get("steps") or ()),
        nodeid=str(record.get("nodeid", "")),
        recovery=_recovery_of(record.get("recovery")),
        assumptions=tuple(dict(a) for a in variant.get("assumptions") or () if isinstance(a, dict)),
        duration_ms=_ms(record.get("duration_ms")),
        step_ms=tuple(_ms(s.get("duration_ms")) for s in record.get("steps") or ()),
    )


def _recovery_of(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _ms(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _step(step: Mapping[str, Any]) -> dict[str, Any]:
    # durations are wall-clock measurements: they never land in results, so two runs of one seed compare equal
    return {k: v for k, v in step.items() if k != "duration_ms"}


def worst_recovery(paths: Iterable[str | None]) -> str | None:
    """The worst of several ways out; a value this version does not know counts as the worst."""
    rank = {p.value: n for p, n in PATH_RANK.items()}
    known = [p for p in paths if p is not None]
    return max(known, key=lambda p: rank.get(p, len(rank)), default=None)


def recovery_in_app(path: str | None) -> bool | None:
    """Whether a way out was inside the app (None when no recovery was attempted or the path is unknown)."""
    try:
        return None if path is None else RecoveryPath(path).in_app
    except ValueError:
        return None


FORK_LABEL = ", if "  # "<runtime variant>, if <assumption in words>": the label of a run of a forked cell


def assumption_words(assumptions: Iterable[Mapping[str, Any]]) -> str:
    """ "the conversation-updated callback does not fire ... (unknown)": the assumptions of a run in words."""
    return "; ".join(f"{a.get('words') or a.get('flag')} ({a.get('evidence', 'unknown')})" for a in assumptions)


def _label_forks(runs: list[Run]) -> list[Run]:
    """Runs of a cell that forked on an unknown SDK flag read "<runtime variant>, if <assumption>", so that the
    cell's `broken_by` names the assumption that broke it; a cell that never forked keeps the runtime names."""
    if len({tuple(tuple(sorted(a.items())) for a in r.assumptions) for r in runs}) <= 1:
        return runs
    return [
        replace(r, variant=f"{r.variant}{FORK_LABEL}{assumption_words(r.assumptions)}") if r.assumptions else r
        for r in runs
    ]


def fold(runs: Sequence[Run]) -> tuple[Verdict, str, str, tuple[str, ...]]:
    """The verdict of a cell from its runs: the worst one, and which variants produced it."""
    worst = max(runs, key=lambda r: SEVERITY[r.verdict])
    broken_by = tuple(r.variant for r in runs if r.verdict is worst.verdict)
    if worst.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
        broken_by = ()
    return worst.verdict, worst.reason_code, worst.reason, broken_by


def aggregate(records: Iterable[RunRecord], seed: int | None, profiles: Iterable[Any] = ()) -> Results:
    """Fold run records into cells. `profiles` (SdkProfile-shaped) give row headers; records fill in any missing."""
    by_cell: dict[tuple[str, str, str], list[Run]] = {}
    scenarios: dict[str, Scenario] = {}
    known = {p.name: p for p in (profile_from(obj) for obj in profiles)}
    seen_profiles: dict[str, Profile] = {}
    apps: set[str] = set()
    for record in sorted(records, key=_record_order):
        sid, sdk, app = str(record["scenario_id"]), str(record["sdk"]["name"]), str(record["app"])
        by_cell.setdefault((sid, sdk, app), []).append(_run_from(record))
        apps.add(app)
        if sid not in scenarios:
            scenarios[sid] = Scenario(
                id=sid,
                name=str(record.get("scenario") or sid),
                feature=str(record.get("feature") or ""),
                feature_file=str(record.get("feature_file") or ""),
                feature_line=int(record.get("feature_line") or 0),
                line=int(record.get("scenario_line") or 0),
                tags=tuple(sorted(str(t) for t in record.get("tags") or ())),
                article=tuple(str(a) for a in record.get("article") or ()),
            )
        if sdk not in seen_profiles:
            info = record["sdk"]
            seen_profiles[sdk] = known.get(sdk) or Profile(
                name=sdk, platform=str(info.get("platform") or "unknown"), version=str(info.get("version") or "")
            )
    cells = []
    for (sid, sdk, app), runs in by_cell.items():
        ordered = tuple(sorted(_label_forks(runs), key=lambda r: (r.variant, r.nodeid)))
        verdict, code, reason, broken_by = fold(ordered)
        cells.append(Cell(sid, sdk, app, verdict, code, reason, broken_by, ordered))
    return _ordered(seed, seen_profiles.values(), scenarios.values(), apps, cells)


def _ordered(
    seed: int | None,
    profiles: Iterable[Profile],
    scenarios: Iterable[Scenario],
    apps: Iterable[str],
    cells: Iterable[Cell],
) -> Results:
    profile_list = sorted(profiles, key=lambda p: p.sort_key)
    scenario_list = sorted(scenarios, key=lambda s: s.sort_key)
    app_list = sorted(apps)
    prank = {p.name: i for i, p in enumerate(profile_list)}
    srank = {s.id: i for i, s in enumerate(scenario_list)}
    arank = {a: i for i, a in enumerate(app_list)}
    cell_list = sorted(cells, key=lambda c: (arank[c.app], prank[c.sdk], srank[c.scenario_id]))
    return Results(seed, tuple(profile_list), tuple(scenario_list), tuple(app_list), tuple(cell_list))


def assemble(
    seed: int | None,
    profiles: Iterable[Profile],
    scenarios: Iterable[Scenario],
    apps: Iterable[str],
    cells: Iterable[Cell],
) -> Results:
    """Results from their parts, every list in its canonical order (so equal content gives equal files)."""
    return _ordered(seed, profiles, scenarios, apps, cells)


# --- results.json ------------------------------------------------------------------------------------------------


# An evidence entry is stored once, as [kind, actor, summary, at_ms, detail] (plus an object of any other fields);
# a run lists the numbers of its entries, whose `seq` is their position in the run (1-based) unless stated.
_ENTRY_FIELDS = ("kind", "actor", "summary", "at_ms", "detail")


class _Interned:
    """Values numbered in order of first use: the shared tables of results.json."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.values: list[Any] = []

    def __call__(self, value: Any) -> int:
        key = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = len(self.values)
            self.values.append(value)
        return number


def _entry(step: Mapping[str, Any], position: int) -> list[Any]:
    entry: list[Any] = [step.get(name) for name in _ENTRY_FIELDS]
    extra = {k: v for k, v in step.items() if k not in _ENTRY_FIELDS and not (k == "seq" and v == position + 1)}
    if extra or any(name not in step for name in _ENTRY_FIELDS):
        extra["missing"] = [name for name in _ENTRY_FIELDS if name not in step]
        entry.append(dict(sorted(extra.items())))
    return entry


def _expand_entry(raw: Sequence[Any], position: int) -> dict[str, Any]:
    step: dict[str, Any] = dict(zip(_ENTRY_FIELDS, raw, strict=False))
    step["seq"] = position + 1
    if len(raw) > len(_ENTRY_FIELDS):
        extra = dict(raw[len(_ENTRY_FIELDS)])
        for name in extra.pop("missing", ()):
            step.pop(name, None)
        step.update(extra)
    return dict(sorted(step.items()))


def to_json(results: Results) -> dict[str, Any]:
    entries, step_lists, reasons = _Interned(), _Interned(), _Interned()
    variants: dict[str, dict[str, Any]] = {}
    data = _to_json(results, entries, step_lists, reasons, variants)
    data["reasons"] = reasons.values
    data["variants"] = dict(sorted(variants.items()))
    data["step_lists"] = step_lists.values
    data["evidence"] = entries.values
    return data


def _compact_label(label: str, runs: Sequence[Run]) -> str:
    """`broken_by` in the file: "close-event, if conversation_updated_callback=false" (the words are derived)."""
    for run in runs:
        if run.variant == label and run.assumptions:
            return runtime_variant(run) + FORK_LABEL + ", ".join(_assumption_text(a) for a in run.assumptions)
    return label


def runtime_variant(run: Run) -> str:
    """The runtime variant of a run, without the SDK assumption its label may name."""
    return run.variant.split(FORK_LABEL, 1)[0]


def _run_settings(run: Run, variants: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A run's runtime settings are stored once per variant name (`variants`); inline only if they differ."""
    name, settings = runtime_variant(run), dict(run.settings)
    known = variants.setdefault(name, settings)
    return {} if known == settings else {"settings": settings}


def _assumption_text(a: Mapping[str, Any]) -> str:
    value = a.get("value")
    return f"{a.get('flag')}={str(value).lower() if isinstance(value, bool) else value}"


def _assumption_of(text: str, sdk: str) -> dict[str, Any]:
    flag, _, raw = str(text).partition("=")
    value: CapabilityValue = raw == "true" if raw in ("true", "false") else int(raw) if raw.isdigit() else raw
    spec = CAPABILITIES.get(flag)
    words = spec.words(flag, value) if spec is not None else f"{flag} is {raw}"
    return {"profile": sdk, "flag": flag, "value": value, "evidence": "unknown", "words": words}


def _to_json(
    results: Results,
    entries: _Interned,
    step_lists: _Interned,
    reasons: _Interned,
    variants: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    shard = {} if results.shard is None else {"shard": {"index": results.shard[0], "total": results.shard[1]}}
    return {
        "schema": SCHEMA,
        "seed": results.seed,
        **shard,
        "pins": results.pins(),
        "apps": list(results.apps),
        "profiles": [
            {
                "name": p.name,
                "platform": p.platform,
                "version": p.version,
                "release_date": p.release_date,
                "capabilities": {
                    k: {"value": c.value, "evidence": c.evidence, "source": c.source} for k, c in p.capabilities.items()
                },
            }
            for p in results.profiles
        ],
        "scenarios": [
            {
                "id": s.id,
                "name": s.name,
                "feature": s.feature,
                "feature_file": s.feature_file,
                "feature_line": s.feature_line,
                "line": s.line,
                "tags": list(s.tags),
                "article": list(s.article),
            }
            for s in results.scenarios
        ],
        "cells": [
            {
                "scenario_id": c.scenario_id,
                "sdk": c.sdk,
                "app": c.app,
                "verdict": c.verdict.value,
                "reason_code": c.reason_code,
                "reason": reasons(c.reason),
                "recovery": c.recovery,
                "broken_by": [_compact_label(b, c.runs) for b in c.broken_by],
                "runs": [
                    {
                        "variant": runtime_variant(r),
                        **_run_settings(r, variants),
                        "verdict": r.verdict.value,
                        "reason_code": r.reason_code,
                        "reason": reasons(r.reason),
                        "seed": r.seed,
                        "nodeid": r.nodeid,
                        "recovery": r.recovery,
                        **({"assumptions": [_assumption_text(a) for a in r.assumptions]} if r.assumptions else {}),
                        "evidence": [entries(_entry(e, i)) for i, e in enumerate(r.evidence)],
                        "steps": step_lists([dict(s) for s in r.steps]),
                    }
                    for r in c.runs
                ],
            }
            for c in results.cells
        ],
    }


def dumps(results: Results) -> str:
    """results.json text: one line per profile, scenario and cell, so a diff between two runs reads cell by cell."""
    data = to_json(results)
    lines = ["{"]
    keys = list(data)
    for position, key in enumerate(keys):
        value = data[key]
        comma = "," if position < len(keys) - 1 else ""
        if isinstance(value, list) and value and (isinstance(value[0], dict | list) or key == "reasons"):
            items = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in value]
            lines.append(f" {json.dumps(key)}: [")
            lines.extend(f"  {item}," for item in items[:-1])
            lines.append(f"  {items[-1]}")
            lines.append(f" ]{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_results(results: Results, path: Path) -> None:
    path.write_text(dumps(results), encoding="utf-8")


def from_json(data: Any, where: str = "results") -> Results:
    if not isinstance(data, dict):
        raise UserError(f"{where}: not a miaw-harness results file (expected a JSON object)")
    schema = data.get("schema")
    if schema not in READABLE_SCHEMAS:
        readable = " and ".join(repr(s) for s in READABLE_SCHEMAS)
        raise UserError(f"{where}: results schema {schema!r} is not supported (this version reads {readable})")
    try:
        evidence_of, steps_of = _readers(data, schema != READABLE_SCHEMAS[0])
        tables = schema == SCHEMA  # @3: reasons, runtime settings and assumptions by reference
        reasons = [str(text) for text in data["reasons"]] if tables else []

        def reason_of(raw: Any) -> str:
            return reasons[int(raw)] if tables else str(raw)

        variants = dict(data.get("variants") or {}) if tables else {}
        profiles = [
            Profile(
                name=p["name"],
                platform=p["platform"],
                version=p["version"],
                release_date=p.get("release_date"),
                capabilities={
                    k: Capability(c["value"], c["evidence"], c.get("source", ""))
                    for k, c in p.get("capabilities", {}).items()
                },
            )
            for p in data["profiles"]
        ]
        scenarios = [
            Scenario(
                id=s["id"],
                name=s["name"],
                feature=s.get("feature", ""),
                feature_file=s.get("feature_file", ""),
                feature_line=int(s.get("feature_line", 0)),
                line=int(s.get("line", 0)),
                tags=tuple(s.get("tags", ())),
                article=tuple(s.get("article", ())),
            )
            for s in data["scenarios"]
        ]
        cells = []
        for c in data["cells"]:
            runs = [
                Run(
                    variant=r["variant"],
                    settings=r.get("settings", variants.get(r["variant"], {})),
                    verdict=Verdict(r["verdict"]),
                    reason_code=r.get("reason_code", ""),
                    reason=reason_of(r.get("reason", "")),
                    seed=r.get("seed"),
                    evidence=evidence_of(r.get("evidence", ())),
                    steps=steps_of(r.get("steps", ())),
                    nodeid=r.get("nodeid", ""),
                    recovery=_recovery_of(r.get("recovery")),
                    assumptions=tuple(
                        _assumption_of(a, c["sdk"]) if tables else dict(a) for a in r.get("assumptions", ())
                    ),
                )
                for r in c["runs"]
            ]
            broken_by = tuple(c.get("broken_by", ()))
            if tables:  # labels and broken_by are derived from the runs, as when the records were folded
                runs = sorted(_label_forks(runs), key=lambda r: (r.variant, r.nodeid))
                broken_by = fold(runs)[3]
            cells.append(
                Cell(
                    scenario_id=c["scenario_id"],
                    sdk=c["sdk"],
                    app=c["app"],
                    verdict=Verdict(c["verdict"]),
                    reason_code=c.get("reason_code", ""),
                    reason=reason_of(c.get("reason", "")),
                    broken_by=broken_by,
                    runs=tuple(runs),
                )
            )
        shard = _shard_of(data.get("shard"))
        names = {p.name for p in profiles}
        ids = {s.id for s in scenarios}
        apps = [str(a) for a in data["apps"]]
        for c in cells:
            if c.sdk not in names or c.scenario_id not in ids or c.app not in apps:
                raise UserError(f"{where}: cell {c.key} names a profile, scenario or app the file does not list")
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise UserError(f"{where}: malformed results file ({type(exc).__name__}: {exc})") from None
    seed = data.get("seed")
    ordered = _ordered(seed if isinstance(seed, int) else None, profiles, scenarios, apps, cells)
    return ordered if shard is None else replace(ordered, shard=shard)


def _readers(
    data: Mapping[str, Any], shared: bool
) -> tuple[Callable[[Any], tuple[Mapping[str, Any], ...]], Callable[[Any], tuple[Mapping[str, Any], ...]]]:
    """How a run's evidence and steps are read: inline (@1) or numbers into the shared tables (@2)."""
    if not shared:
        return (lambda raw: tuple(dict(sorted(dict(e).items())) for e in raw)), (lambda raw: tuple(raw))
    table = data["evidence"]
    lists = data["step_lists"]

    def evidence(raw: Any) -> tuple[Mapping[str, Any], ...]:
        return tuple(_expand_entry(table[int(n)], i) for i, n in enumerate(raw))

    def steps(raw: Any) -> tuple[Mapping[str, Any], ...]:
        return tuple(dict(s) for s in lists[int(raw)])

    return evidence, steps


def _shard_of(raw: Any) -> tuple[int, int] | None:
    if raw is None:
        return None
    index, total = int(raw["index"]), int(raw["total"])
    if not 1 <= index <= total:
        raise ValueError(f"shard {index}/{total} is not a slice K/N with 1 <= K <= N")
    return index, total


def read_results(path: Path) -> Results:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read results file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    return from_json(data, str(path))


def counts(cells: Iterable[Cell]) -> dict[Verdict, int]:
    tally = dict.fromkeys(Verdict, 0)
    for cell in cells:
        tally[cell.verdict] += 1
    return tally
