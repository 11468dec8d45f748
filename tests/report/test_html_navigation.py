"""index.html in headless Chromium: a clicked cell scrolls into view and gets a link; a link opens its cell; the
timeline folds the setup, marks where the run went wrong and switches between the runtime variants' runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from harness.report.directory import write_report
from harness.report.readiness import InstallRow
from harness.report.results import Results, aggregate

from .report_browser import Browser
from .report_records import fake_profiles, make_run

SCENARIO = "session-based-chat/a-rep-ends-the-session"


def _step(seq: int, kind: str, actor: str, summary: str, **detail: Any) -> dict[str, Any]:
    return {"seq": seq, "kind": kind, "actor": actor, "summary": summary, "detail": detail, "at_ms": None}


SETUP = [_step(1, "control", "admin", "save channel settings"), _step(2, "control", "admin", "publish the deployment")]
STUCK = [
    *SETUP,
    _step(3, "action", "user", "type and send 'hello'"),
    _step(4, "request", "app", "POST /conversation/c1/message", status=202),
    _step(5, "control", "rep", "the rep ends the session"),
    _step(6, "request", "app", "POST /conversation/c1/message", status=400),
    _step(7, "note", "harness", "message did not reach a rep " + "and the user was never told so " * 3),
]
FINE = [*SETUP, _step(3, "action", "user", "type and send 'hello'"), _step(4, "ui", "app", "new conversation")]


def _records() -> list[dict[str, Any]]:
    records = []
    for sdk in ("ios-1.9", "ios-1.10", "android-1.8", "android-1.10"):
        for app in ("persist-forever", "persist-until-closed-event"):
            old = sdk in ("ios-1.9", "android-1.8") and app == "persist-forever"
            for variant, stuck in (("close-event", old), ("no-close-event", False)):
                verdict = "blocked" if stuck else "pass"
                code = "reused_closed_id" if stuck else "recovered"
                records.append(make_run(SCENARIO, sdk, app, verdict, code, variant, evidence=STUCK if stuck else FINE))
    return records


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, Path]:
    results = aggregate(_records(), 5, fake_profiles())
    base = [InstallRow("ios", "1.9.2", 30), InstallRow("ios", "1.10.0", 10), InstallRow("android", "1.10.1", 5)]
    out = write_report(results, tmp_path_factory.mktemp("nav") / "report", base)
    return results, out / "index.html"


@pytest.fixture(scope="module")
def browser(report: tuple[Results, Path]) -> Iterator[Browser]:
    with Browser(width=1200, height=420) as chromium:  # a short window: the drill-down starts below the fold
        chromium.open(report[1])
        yield chromium


def _key(app: str, sdk: str, scenario: str = SCENARIO) -> str:
    return f"{quote(app, safe='')}/{quote(sdk, safe='')}/{quote(scenario, safe='')}"


def test_a_clicked_cell_scrolls_its_drill_down_into_view_and_gets_a_link(browser: Browser) -> None:
    browser.evaluate("window.scrollTo(0, 0)")
    browser.click("#app-0 td.cell[data-verdict='blocked']")
    top = browser.evaluate("document.getElementById('drill').getBoundingClientRect().top")
    assert -2 <= top <= 5
    assert browser.evaluate("window.scrollY") > 0
    key = _key("persist-forever", "ios-1.9")
    assert browser.evaluate("location.hash") == f"#cell={key}"
    assert browser.evaluate("document.querySelector('#drill a.permalink').getAttribute('href')") == f"#cell={key}"


def test_a_cell_link_opens_that_cell_on_its_tab(browser: Browser) -> None:
    browser.evaluate(f"location.hash = '#cell={_key('persist-until-closed-event', 'android-1.10')}'")
    heading = browser.evaluate("document.querySelector('#drill h2').textContent")
    assert heading == "A rep ends the session · android-1.10 · persist-until-closed-event"
    visible = "[...document.querySelectorAll('section.app')].filter(s => !s.hidden).map(s => s.dataset.appName)"
    assert browser.evaluate(visible) == ["persist-until-closed-event"]
    assert browser.evaluate("document.querySelector('td.cell.selected').closest('section').id") == "app-1"


def test_a_fresh_page_opened_on_a_cell_link_shows_it(report: tuple[Results, Path]) -> None:
    with Browser(width=1200, height=420) as fresh:
        url = report[1].resolve().as_uri() + f"#cell={_key('persist-forever', 'android-1.8')}"
        fresh.send("Page.navigate", session=True, url=url)
        fresh.wait_for_event("Page.loadEventFired")
        assert fresh.evaluate("document.getElementById('drill').hidden") is False
        assert fresh.evaluate("document.querySelector('#drill h2').textContent").endswith(
            "android-1.8 · persist-forever"
        )


def test_the_timeline_folds_the_setup_and_marks_where_it_went_wrong(browser: Browser) -> None:
    browser.evaluate(f"location.hash = '#cell={_key('persist-forever', 'ios-1.9')}'")
    assert browser.evaluate("document.querySelector('#drill details.setup summary').textContent") == (
        "Setup: 2 steps before the scenario starts"
    )
    assert browser.evaluate("document.querySelector('#drill details.setup').open") is False
    seqs = browser.evaluate("[...document.querySelectorAll('#drill svg g.step')].map(g => g.dataset.seq)")
    assert seqs == ["3", "4", "5", "6", "7"]  # the diagram starts where the scenario starts
    assert browser.evaluate("[...document.querySelectorAll('#drill svg g.step.wrong')].map(g => g.dataset.seq)") == [
        "6"
    ]  # the first refused send
    assert browser.evaluate("document.querySelector('#drill .wrong-at').textContent").startswith(
        "Went wrong at step 6: POST /conversation/c1/message"
    )
    # a label too long to draw in full carries the whole text as its tooltip (every step has one)
    titles = browser.evaluate("[...document.querySelectorAll('#drill svg g.step > title')].map(t => t.textContent)")
    assert len(titles) == 5
    assert "and the user was never told so and the user was never told so" in titles[-1]


def test_the_reader_switches_between_the_variants_timelines(browser: Browser) -> None:
    browser.evaluate(f"location.hash = '#cell={_key('persist-forever', 'android-1.8')}'")
    buttons = browser.evaluate("[...document.querySelectorAll('#drill .variants button')].map(b => b.textContent)")
    assert buttons == ["close-event (blocked)", "no-close-event (pass)"]
    assert browser.evaluate("document.querySelector('#drill .timeline h3').textContent") == "Evidence (close-event)"
    browser.click("#drill .variants button[data-run='1']")
    assert browser.evaluate("document.querySelector('#drill .timeline h3').textContent") == "Evidence (no-close-event)"
    assert browser.evaluate("document.querySelectorAll('#drill svg g.step').length") == 2
    assert browser.evaluate("document.querySelectorAll('#drill svg g.step.wrong').length") == 0
    pressed = "[...document.querySelectorAll('#drill .variants button')].map(b => b.getAttribute('aria-pressed'))"
    assert browser.evaluate(pressed) == ["false", "true"]


def test_reasons_strategies_headers_headline_and_the_blocked_chart(
    browser: Browser, report: tuple[Results, Path]
) -> None:
    browser.evaluate(f"location.hash = '#cell={_key('persist-forever', 'ios-1.9')}'")
    reason = browser.evaluate("document.querySelector('#drill .reason').textContent")
    assert "the app kept sending to a conversation the runtime had closed" in reason
    assert browser.evaluate("document.querySelector('#app-0 .strategy').textContent").startswith(
        "The id is created once"
    )
    headers = browser.evaluate("[...document.querySelectorAll('#app-0 th.scenario')].map(t => t.textContent)")
    assert headers == ["1 A rep ends the session"]
    assert browser.evaluate("[...document.querySelectorAll('#blocks li')].map(li => li.textContent)") == [
        "persist-forever on ios 1.9.0, android 1.8.0 (1 scenario blocked)"
    ]
    # ios: 30 of 40 users are on 1.9 (blocked with persist-forever); android: every user is on 1.10 (safe)
    rows = browser.evaluate(
        "[...document.querySelectorAll('#blocked-chart tr[data-app]')]"
        ".map(r => [r.dataset.app, r.dataset.platform, r.querySelector('.blocked-pct').textContent])"
    )
    assert ["persist-forever", "ios", "75.0%"] in rows
    assert ["persist-forever", "android", "0.0%"] in rows
    assert ["persist-until-closed-event", "ios", "0.0%"] in rows
    changes = browser.evaluate(
        "[...document.querySelectorAll('#version-steps details')]"
        ".map(d => [d.open, d.querySelector('summary').textContent])"
    )
    assert changes and all(not opened for opened, _ in changes)
    assert changes[0][1] == "ios-1.9 → ios-1.10: 1 better"
