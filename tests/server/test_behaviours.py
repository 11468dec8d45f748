"""docs/fidelity.md is generated from the behaviours table and lists every setting (miaw-api.md §11)."""

from __future__ import annotations

from pathlib import Path

from harness.server.behaviours import BEHAVIOURS, main, render, setting_names

DOC = Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"


def test_every_setting_has_exactly_one_row() -> None:
    rows = [b.setting for b in BEHAVIOURS if b.setting is not None]
    assert sorted(rows) == sorted(setting_names())


def test_committed_page_matches_the_table() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/fidelity.md is stale: run python -m harness.server.behaviours docs/fidelity.md"
    )


def test_every_row_names_evidence_and_a_source() -> None:
    levels = {"OFFICIAL-DOC", "OFFICIAL-CODE", "SDK-DECOMP", "BOOTSTRAP", "THIRD-PARTY", "TL", "OC", "OD", "INFERRED"}
    for b in BEHAVIOURS:
        assert b.evidence in levels and b.source, b


def test_the_generator_writes_the_page_and_refuses_bad_usage(tmp_path: Path) -> None:
    out = tmp_path / "fidelity.md"
    assert main([str(out)]) == 0 and out.read_text(encoding="utf-8") == render()
    assert main([]) == 2


def test_the_defaults_follow_the_evidence_of_11_1_and_11_2() -> None:
    """§11.1 (a send to a closed conversation: 403) and §11.2 (no close event when Session-Based Chat closes): the
    defaults follow the evidence, so no row lags behind it and the page has no "does not follow" section."""
    from harness.server.config import DeploymentSettings

    settings = DeploymentSettings()
    assert (settings.closed_send_status, settings.emit_close_event_on_sbc_end) == (403, False)
    assert [b for b in BEHAVIOURS if b.evidence_value is not None] == []
    assert "does not follow the evidence" not in render()
