"""index.html checked in headless Chromium: the matrix, the readiness verdict and a drill-down into one cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.report.directory import write_report
from harness.report.html import render_html
from harness.report.readiness import InstallRow, assess
from harness.report.results import Results, aggregate, dumps, from_json

from .report_browser import Browser
from .report_records import fake_profiles, make_run, matrix_records

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, Path]:
    results = aggregate(matrix_records(), 42, fake_profiles())
    out = write_report(results, tmp_path_factory.mktemp("html") / "report", [InstallRow("ios", "1.9.1", 10)])
    return results, out / "index.html"


def test_the_page_is_self_contained(report: tuple[Results, Path]) -> None:
    text = report[1].read_text(encoding="utf-8")
    for needle in ("http://", "https://", "<link", "src="):
        hits = [line for line in text.splitlines() if needle in line and "xmlns" not in line]
        assert not hits, hits[:3]


def test_matrix_and_drill_down_in_chromium(report: tuple[Results, Path]) -> None:
    results, page = report
    with Browser() as browser:
        browser.open(page)
        assert browser.evaluate("[...document.querySelectorAll('#safe-for li')].map(li => li.textContent)") == [
            "persist-forever on ios 1.10.0+ (with degraded recovery)",
            "persist-forever on android 1.10.0+ (with degraded recovery)",
            "persist-forever on web 1.0.0+ (with degraded recovery)",
            "persist-until-closed-event on ios 1.9.0+",
            "persist-until-closed-event on android 1.8.0+",
            "persist-until-closed-event on web 1.0.0+",
        ]
        assert browser.evaluate("document.querySelector('ul.install-lines li').textContent") == (
            "persist-forever: 100.0% of your active users would be blocked"
        )
        visible = "[...document.querySelectorAll('section.app')].filter(s => !s.hidden).map(s => s.dataset.appName)"
        assert browser.evaluate(visible) == ["persist-forever"]
        rows = browser.evaluate(
            "[...document.querySelectorAll('#app-0 tbody tr')].map(r => r.dataset.profile || "
            "r.querySelector('th').textContent)"
        )
        assert rows == ["ios", "ios-1.9", "ios-1.10", "android", "android-1.8", "android-1.10", "web", "web"]
        colours = browser.evaluate(
            "[...document.querySelectorAll('#app-0 td.cell')].map(td => [td.dataset.verdict, "
            "getComputedStyle(td).backgroundColor])"
        )
        assert len(colours) == len(results.cells_for("persist-forever"))
        by_verdict = {verdict: colour for verdict, colour in colours}
        assert len(set(by_verdict.values())) == len(by_verdict) >= 3
        assert by_verdict["blocked"] == "rgb(255, 129, 130)"
        buttons = browser.evaluate(
            "[...document.querySelectorAll('td.cell')].map(td => [td.getAttribute('role'), td.title, td.tabIndex])"
        )
        assert len(buttons) == len(results.cells)
        assert all(role == "button" and title and tab == 0 for role, title, tab in buttons), buttons[:3]
        assert browser.evaluate("document.querySelectorAll('svg, template').length") == 0
        assert browser.evaluate("document.querySelector('details.caps summary').textContent") == (
            "1 documented, 1 inferred"
        )
        browser.screenshot(ARTIFACTS / "report-matrix.png", full_page=True)

        browser.click("#app-0 td.cell[data-verdict='blocked']")
        assert browser.evaluate("document.getElementById('drill').hidden") is False
        heading = browser.evaluate("document.querySelector('#drill h2').textContent")
        assert heading == "A rep ends the session · ios-1.9 · persist-forever"
        assert (
            "blocked: the app kept sending to a conversation the runtime had closed. blocked because"
            in browser.evaluate("document.querySelector('#drill .reason').textContent.replace(/\\s+/g, ' ')")
        )
        assert browser.evaluate("document.querySelector('#drill .broken-by').textContent") == (
            "Broken by runtime variant: close-event"
        )
        lanes = browser.evaluate("[...document.querySelectorAll('#drill svg text.lane')].map(t => t.textContent)")
        assert lanes == ["user", "app", "server", "rep / bot / admin / clock"]
        assert browser.evaluate("document.querySelectorAll('#drill svg g.step').length") == 6
        assert browser.evaluate("document.querySelector('#drill svg').getBoundingClientRect().width") > 500
        browser.evaluate("document.getElementById('drill').scrollIntoView()")
        browser.screenshot(ARTIFACTS / "report-drilldown.png")

        runs = browser.evaluate(
            "[...document.querySelectorAll('#drill table.runs tr')].map(r => [...r.cells].map(c => c.textContent))"
        )
        cell = next(c for c in results.cells if c.sdk == "ios-1.9" and c.verdict.value == "blocked")
        assert runs == [["Variant", "Settings", "Verdict", "Reason", "Seed"]] + [
            [r.variant, "".join(f"{k}={v} " for k, v in r.settings.items()), r.verdict.value, r.reason, str(r.seed)]
            for r in cell.runs
        ]
        assert browser.evaluate("document.querySelector('#drill h3').textContent") == "Evidence (close-event)"

        browser.click("#tab-1")
        assert browser.evaluate(visible) == ["persist-until-closed-event"]
        # the keyboard opens a cell too: focus it, press Enter
        target = browser.evaluate(
            "(() => { const td = document.querySelector('#app-1 td.cell'); td.focus(); return td.dataset.cell; })()"
        )
        for kind in ("keyDown", "keyUp"):
            browser.send(
                "Input.dispatchKeyEvent", session=True, type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13
            )
        assert browser.evaluate("document.getElementById('drill').dataset.cell") == target
        assert browser.evaluate("document.querySelector('#drill h2').textContent").endswith(
            "persist-until-closed-event"
        )
    assert (ARTIFACTS / "report-matrix.png").stat().st_size > 10_000
    assert (ARTIFACTS / "report-drilldown.png").read_bytes().startswith(b"\x89PNG")


def test_identical_results_give_an_identical_page(report: tuple[Results, Path]) -> None:
    results, page = report
    again = from_json(json.loads(dumps(results)))
    readiness = assess(again, [InstallRow("ios", "1.9.1", 10)])
    assert render_html(again, readiness).encode() == page.read_bytes()


def test_org_level_checks_are_listed_apart_from_the_sdk_matrix() -> None:
    org = make_run("setup/after-publishing", sdk="org-settings", app="-", variant="default")
    org["sdk"] = {"name": "org-settings", "platform": "org", "version": "-"}
    results = aggregate([make_run(), org], 1)
    text = render_html(results, assess(results))
    assert results.matrix_apps() == ["persist-forever"]
    assert text.count('role="tab"') == 1
    assert text.count('<th class="scenario"') == 1
    assert 'id="org-checks"' in text
    assert text.count('data-profile="') == 1
    readiness = assess(results)
    assert [m.platform for m in readiness.minimums] == ["android"]
