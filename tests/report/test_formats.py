"""report.md, junit.xml and cucumber.json parsed back, checked against their schemas, stable across renders."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from harness.report.cucumber import render_cucumber, to_cucumber
from harness.report.directory import render_files
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.readiness import InstallRow, assess
from harness.report.results import Results, aggregate, dumps, from_json, load_runs

from .report_records import fake_profiles, make_run, matrix_records, write_records

SCHEMAS = Path(__file__).with_name("schemas")


def _results() -> Results:
    return aggregate(matrix_records(), 42, fake_profiles())


def _junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "junit.xsd")))


@pytest.mark.parametrize(
    ("fail_on", "failures", "skipped", "warnings"),
    [("blocked", 4, 2, 6), ("degraded", 10, 2, 0), ("never", 0, 2, 10)],
)
def test_junit_has_one_testcase_per_cell_and_matches_the_schema(
    fail_on: str, failures: int, skipped: int, warnings: int
) -> None:
    results = _results()
    text = render_junit(results, fail_on)
    document = etree.fromstring(text.encode())
    _junit_schema().assertValid(document)
    root = ET.fromstring(text)
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(results.cells)
    assert len({(c.get("classname"), c.get("name")) for c in cases}) == len(cases)
    assert int(root.get("tests", "0")) == len(results.cells)
    assert int(root.get("failures", "0")) == failures == len(root.findall("testsuite/testcase/failure"))
    assert int(root.get("skipped", "0")) == skipped
    assert len(root.findall("testsuite/testcase/properties/property[@name='warning']")) == warnings
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names[:2] == ["ios SDK 1.9.0 · app persist-forever", "ios SDK 1.10.0 · app persist-forever"]
    assert len(names) == len(set(names)) == len(results.apps) * len(results.profiles)


def test_junit_testcases_carry_readable_names_and_their_time() -> None:
    root = ET.fromstring(render_junit(_results()))
    case = root.find("testsuite/testcase[@name='A rep ends the session [ios-1.9, persist-forever]']")
    assert case is not None
    assert case.get("classname") == "session_based_chat.session_end"
    assert case.get("time") == "0.006"  # two runtime variants of 3.1 ms each
    suite = root.find("testsuite")
    assert suite is not None and suite.get("time") == "0.019"  # 3 scenarios x 2 variants x 3.1 ms
    assert root.get("time") == f"{0.0062 * 30:.3f}"


def test_junit_rendered_from_results_json_has_no_made_up_times() -> None:
    results = from_json(json.loads(dumps(_results())))
    root = ET.fromstring(render_junit(results))
    _junit_schema().assertValid(etree.fromstring(render_junit(results).encode()))
    assert all(e.get("time") is None for e in root.iter() if e.tag in ("testcase", "testsuite", "testsuites"))


def test_junit_degraded_is_a_pass_with_a_warning_property() -> None:
    results = aggregate([make_run(verdict="degraded", reason_code="ui_lied")], 1)
    root = ET.fromstring(render_junit(results, "blocked"))
    case = root.find("testsuite/testcase")
    assert case is not None
    assert [child.tag for child in case] == ["properties", "system-out"]
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["verdict"] == "degraded"
    assert properties["warning"] == "degraded (ui_lied): degraded because ui_lied"
    assert root.get("failures") == root.get("errors") == root.get("skipped") == "0"


def test_junit_failure_carries_reason_variant_and_evidence() -> None:
    root = ET.fromstring(render_junit(_results(), "blocked"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("type") == "reused_closed_id"
    assert failure.get("message") == "blocked (reused_closed_id): blocked because reused_closed_id"
    assert "broken by runtime variant(s): close-event" in (failure.text or "")
    assert "1. action/user: tap send 'hello'" in (failure.text or "")


def test_junit_reports_harness_errors_as_errors() -> None:
    results = aggregate([make_run(verdict="error", reason_code="harness_error")], 1)
    root = ET.fromstring(render_junit(results))
    _junit_schema().assertValid(etree.fromstring(render_junit(results).encode()))
    assert root.get("errors") == "1"
    assert root.find("testsuite/testcase/error") is not None


def test_cucumber_json_matches_the_schema_and_has_one_element_per_cell() -> None:
    results = _results()
    schema = json.loads((SCHEMAS / "cucumber.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(render_cucumber(results))
    jsonschema.validate(data, schema)
    elements = [e for f in data for e in f["elements"]]
    assert len(elements) == len(results.cells) < len(matrix_records())
    assert len({e["id"] for e in elements}) == len(elements)
    assert [f["uri"] for f in data] == sorted(f["uri"] for f in data)
    assert all("after" not in e for e in elements)
    blocked = [e for e in elements if any(s["result"]["status"] == "failed" for s in e["steps"])]
    assert len(blocked) == 4
    assert all(e["steps"][2]["result"]["error_message"].startswith("blocked (reused_closed_id)") for e in blocked)
    assert elements[0]["tags"][0]["name"] == "@closing"
    [rep_ends] = [e for e in elements if e["name"] == "A rep ends the session [ios-1.9, persist-forever]"]
    assert re.fullmatch(
        r"runtime variants: close-event: blocked \(reused_closed_id\), seed \d+; "
        r"no-close-event: degraded \(ui_lied\), seed \d+\. Steps of close-event\.",
        rep_ends["description"],
    )


def test_cucumber_not_applicable_is_a_skipped_step_with_the_reason() -> None:
    run = make_run(verdict="not_applicable", reason_code="not_applicable")
    run["reason"] = "ios-1.7 offers no End Chat"
    run["steps"][1] |= {"status": "failed", "error": "NotApplicable: ios-1.7 offers no End Chat"}
    run["steps"][2] |= {"status": "skipped", "error": None}
    [feature] = to_cucumber(aggregate([run], 1))
    [element] = feature["elements"]
    statuses = [s["result"]["status"] for s in element["steps"]]
    assert statuses == ["passed", "skipped", "skipped"]
    assert element["steps"][1]["result"]["error_message"] == "not applicable: ios-1.7 offers no End Chat"


def test_an_org_level_check_is_named_by_its_scenario_alone() -> None:
    run = make_run("rollout/old-sdk-blocks", sdk="org-settings", app="-", variant="default")
    run["sdk"] = {"name": "org-settings", "platform": "org", "version": "-"}
    results = aggregate([run], 1)
    case = ET.fromstring(render_junit(results)).find("testsuite/testcase")
    assert case is not None and case.get("name") == "rollout/old-sdk-blocks"
    assert ET.fromstring(render_junit(results)).find("testsuite[@name='org-settings']") is not None
    [feature] = to_cucumber(results)
    assert feature["elements"][0]["name"] == "rollout/old-sdk-blocks"


def test_cucumber_degraded_passes_with_a_warning_on_the_step_that_showed_it() -> None:
    run = make_run(verdict="degraded", reason_code="ui_lied")
    for step, so_far in zip(run["steps"], ("pass", "degraded", "degraded"), strict=True):
        step |= {"status": "passed", "error": None, "verdict": so_far}
    [feature] = to_cucumber(aggregate([run], 1), "blocked")
    steps = feature["elements"][0]["steps"]
    assert [s["result"]["status"] for s in steps] == ["passed", "passed", "passed"]
    warning = "warning: degraded (ui_lied): degraded because ui_lied (broken by runtime variant(s): close-event)"
    assert [s.get("output") for s in steps] == [None, [warning], None]
    [strict] = to_cucumber(aggregate([run], 1), "degraded")
    assert [s["result"]["status"] for s in strict["elements"][0]["steps"]] == ["passed", "failed", "passed"]


def test_cucumber_json_is_not_empty_under_parallel_records(tmp_path: Path) -> None:
    write_records(tmp_path, matrix_records(), workers=2, shuffle_seed=8)
    assert to_cucumber(aggregate(load_runs(tmp_path), 42, fake_profiles()))


def test_markdown_has_the_readiness_and_a_row_per_profile_and_app() -> None:
    results = _results()
    readiness = assess(results, [InstallRow("ios", "1.9.0", 3), InstallRow("android", "1.10.0", 1)])
    text = render_markdown(results, readiness)
    lines = text.splitlines()
    assert f"**{readiness.headline}**" in lines
    assert f"**{readiness.blocks_line}**" in lines
    assert "| persist-forever | 1.10.0+ (degraded) | 1.10.0+ (degraded) | 1.0.0+ (degraded) |" in lines
    assert "| persist-forever | 75.0% | 25.0% | 0.0% | 0.0% |" in lines
    assert "| persist-forever | ios-1.9 | 1 | 0 | 2 | 0 | 0 | 0 |" in lines
    for app in results.apps:
        for profile in results.profiles:
            assert any(line.startswith(f"| {app} | {profile.name} | ") for line in lines), (app, profile.name)
    assert "- ios-1.9 → ios-1.10: 2 cells better, 0 worse" in lines
    # identical findings fold into one row: 4 blocked cells, 2 SDK versions, 2 scenarios
    assert "4 cells in 1 findings (cells of one app strategy that fail the same way)." in lines
    rows = [line for line in lines if line.startswith("| persist-forever | ⛔ blocked")]
    assert rows == [
        "| persist-forever | ⛔ blocked (4 cells) | blocked because reused_closed_id | ios 1.9.0, android 1.8.0 | "
        "2: A rep ends the session; The user ends the chat | close-event |"
    ]


def test_markdown_findings_differ_by_reason_and_list_version_ranges() -> None:
    records = [
        make_run(scenario, sdk, verdict="blocked", reason_code=code)
        for sdk in ("ios-1.9", "ios-1.10")
        for scenario, code in (
            ("session-based-chat/a-rep-ends-the-session", "reused_closed_id"),
            ("session-based-chat/the-user-ends-the-chat", "no_way_out"),
        )
    ]
    results = aggregate(records, 1, fake_profiles())
    text = render_markdown(results, assess(results))
    assert "4 cells in 2 findings" in text
    assert "| ios 1.9.0 to 1.10.0 (2 versions) |" in text


def test_every_file_is_byte_identical_across_shuffled_parallel_records(tmp_path: Path) -> None:
    renders = []
    for workers, shuffle in ((1, None), (2, 11), (2, 12)):
        directory = tmp_path / f"{workers}-{shuffle}"
        write_records(directory, matrix_records(), workers=workers, shuffle_seed=shuffle)
        renders.append(render_files(aggregate(load_runs(directory), 42, fake_profiles())))
    assert renders[0] == renders[1] == renders[2]
    assert set(renders[0]) == {"index.html", "report.md", "results.json", "junit.xml", "cucumber.json"}
