"""Publishing in a real JupyterLab: the editor's Publish dialog (saving unsaved edits first,
the server's refusal shown under the field it names, a new and an existing endpoint), the
Pipelines sidebar's published pipelines by endpoint (URLs to copy, the default marked), a
Submit with a parameter that runs, a disabled version whose Submit is refused, and the
sidebar's schedules (the trigger in words, the next fire, the last run, disable).

The lab's scheduler ticks every second here (``JUPYTER_PIPELINES_SCHEDULER_TICK``), so that a
schedule's first fire comes within the test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.scenarios import (
    LONG,
    accept_dialog,
    by_testid,
    expect,
    expect_status,
    open_editor,
    open_sidebar,
    step_node,
)
from tests.browser.support import Lab, LabError, open_lab, save_flow_pipeline, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

PUBLISH_DIALOG = '[data-testid="publish-dialog"]'
TICK_ENV = "JUPYTER_PIPELINES_SCHEDULER_TICK"


@pytest.fixture(scope="module", autouse=True)
def fast_scheduler() -> Iterator[None]:
    """The module's lab checks its schedules every second (set before ``lab`` starts)."""
    before = os.environ.get(TICK_ENV)
    os.environ[TICK_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(TICK_ENV, None)
        else:
            os.environ[TICK_ENV] = before


def publish_dialog(page: Any, editor: Any) -> Any:
    """tb-publish, then the Publish dialog."""
    by_testid(editor, "tb-publish").click()
    dialog = page.locator(PUBLISH_DIALOG)
    expect(dialog, "tb-publish opened no publish-dialog").to_be_visible()
    return dialog


def endpoint_group(sidebar: Any, name: str) -> Any:
    return sidebar.locator(f'[data-testid="endpoint"][data-endpoint="{name}"]')


def version_row(group: Any, version: str) -> Any:
    return group.locator(f'[data-testid="endpoint-version"][data-version="{version}"]')


def clipboard_text(page: Any) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


def test_publish_from_the_editor_then_submit_and_disable_from_the_sidebar(
    lab: Lab, page: Any, shot: Any
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.url)
    path = save_flow_pipeline(lab.root, "publish_flow.pipeline.yaml")
    editor = open_editor(page, lab, path.name, "make_data")

    # 1. An unsaved edit (rows' default 5 -> 4): Publish saves it first.
    params = by_testid(editor, "pipeline-parameters")
    default_field = params.locator(
        '[data-testid="parameter-row"][data-param="rows"] [data-field="param-default"]'
    )
    default_field.fill("4")
    default_field.press("Enter")
    dirty = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty")
    expect(dirty, "editing rows' default left the tab clean").to_have_count(1)

    # 2. The server's refusal (no name) shows under the Name field, and the dialog stays.
    dialog = publish_dialog(page, editor)
    expect(dialog.locator('[data-field="name"]')).to_have_value("publish_flow")
    shot(page, "publish-dialog")
    dialog.locator('[data-field="name"]').fill("")
    accept_dialog(page)
    issue = page.locator(f'{PUBLISH_DIALOG} [data-testid="field-issue"][data-field-issue="name"]')
    expect(issue, "a publish without a name showed no field-issue under Name").to_contain_text(
        "'name' must be"
    )
    shot(page, "publish-refused-name")
    assert lab.api("published")["published"] == [], "a refused publish recorded something"

    # 3. Publish to a new endpoint: the result shows the id and URLs with copy buttons.
    dialog = page.locator(PUBLISH_DIALOG)
    dialog.locator('[data-field="name"]').fill("nightly")
    dialog.locator('[data-field="version"]').fill("1.0")
    dialog.locator('[data-field="endpoint-new"]').fill("scoring")
    expect(dialog.locator('[data-field="endpoint-mode"][value="new"]')).to_be_checked()
    shot(page, "publish-new-endpoint")
    accept_dialog(page)
    result = page.locator('[data-testid="publish-result"]')
    expect(result, "publishing showed no publish-result").to_be_visible(timeout=60_000)
    expect(dirty, "Publish did not save the unsaved edit first").to_have_count(0)
    (first,) = lab.api("published")["published"]
    assert first["name"] == "nightly" and first["version"] == "1.0", first
    assert first["parameters"]["rows"]["default"] == 4, first["parameters"]
    (scoring,) = lab.api("pipeline-endpoints")["endpoints"]
    assert scoring["name"] == "scoring" and scoring["default_version"] == "0", scoring
    expect(by_testid(result, "published-id")).to_have_text(first["id"])
    expect(by_testid(result, "published-url")).to_have_text(first["endpoint"])
    expect(by_testid(result, "endpoint-url")).to_have_text(scoring["endpoint"])
    result.locator('[data-testid="copy-value"]').first.click()
    assert clipboard_text(page) == first["id"]
    shot(page, "published-result")

    # 4. "Show in sidebar": the endpoint with its URL and version 0 as the default.
    page.locator(".jp-Dialog-button", has_text=re.compile("^Show in sidebar$")).click()
    sidebar = open_sidebar(page)
    group = endpoint_group(sidebar, "scoring")
    expect(group, "the sidebar lists no endpoint 'scoring'").to_be_visible(timeout=15_000)
    expect(by_testid(group, "endpoint-url")).to_have_text(scoring["endpoint"])
    v0 = version_row(group, "0")
    expect(v0).to_have_attribute("data-default", "true")
    expect(by_testid(v0, "default-mark")).to_be_visible()
    by_testid(group, "copy-url").first.click()
    assert clipboard_text(page) == scoring["endpoint"]
    expect(by_testid(v0, "copy-url")).to_have_attribute(
        "data-url", scoring["versions"][0]["endpoint"]
    )

    # 5. A second version into the existing endpoint, not made default.
    dialog = publish_dialog(page, editor)
    dialog.locator('[data-field="endpoint-mode"][value="existing"]').check()
    dialog.locator('[data-field="endpoint-existing"]').select_option("scoring")
    dialog.locator('[data-field="version"]').fill("2.0")
    dialog.locator('[data-field="default"]').uncheck()
    accept_dialog(page)
    result = page.locator('[data-testid="publish-result"]')
    expect(by_testid(result, "published-endpoint")).to_contain_text("version 1")
    expect(by_testid(result, "published-endpoint")).to_contain_text("default stays v0")
    accept_dialog(page)
    v1 = version_row(group, "1")
    expect(v1, "the sidebar shows no version 1 of scoring").to_be_visible(timeout=15_000)
    expect(v1).to_have_attribute("data-default", "false")
    expect(v0).to_have_attribute("data-default", "true")
    shot(page, "sidebar-endpoint-versions")

    # 6. Submit the endpoint (its default) from the sidebar: a wrong value is refused under
    # its field; rows=3 runs, and the run view opens.
    by_testid(group, "submit-published").first.click()
    submit = by_testid(page, "submit-dialog")
    expect(submit, "Submit opened no submit-dialog").to_be_visible()
    expect(submit.locator('[data-param="rows"]')).to_have_value("4")
    submit.locator('[data-param="rows"]').fill("many")
    accept_dialog(page)
    refused = by_testid(page, "submit-dialog").locator('[data-field-issue="rows"]')
    expect(refused, "a wrong rows value showed no field-issue under rows").to_contain_text(
        "ParameterAssignments.rows"
    )
    shot(page, "submit-refused")
    by_testid(page, "submit-dialog").locator('[data-param="rows"]').fill("3")
    accept_dialog(page)
    view = page.locator('[data-testid="run-view"]')
    expect(view, "submitting opened no run view").to_be_visible(timeout=30_000)
    run_id = str(view.get_attribute("data-run-id"))
    run = lab.api(f"runs/{run_id}")
    assert run["parameters"]["rows"] == 3, run["parameters"]
    assert run["experiment"] == "scoring", run
    for name in ("make_data", "train"):
        expect_status(step_node(view, name), "finished", lab, timeout=LONG)
    assert lab.wait_run(run_id)["status"] == "Finished"
    row = sidebar.locator(f'[data-testid="run-row"][data-run-id="{run_id}"]')
    expect(row, "the sidebar lists no row for the submitted run").to_be_visible(timeout=15_000)
    shot(page, "submitted-run")

    # 7. Disable version 0 (the default): its Submit and the endpoint's are refused, and so
    # is a POST to its URL.
    by_testid(v0, "toggle-status").click()
    expect(v0).to_have_attribute("data-status", "Disabled", timeout=15_000)
    expect(by_testid(v0, "submit-published")).to_be_disabled()
    expect(by_testid(group, "submit-published").first).to_be_disabled()
    expect(by_testid(group, "submit-published").first).to_have_attribute(
        "title", re.compile("Disabled")
    )
    expect(by_testid(v1, "submit-published")).to_be_enabled()
    assert lab.api(f"published/{first['id']}")["status"] == "Disabled"
    refusal = page.evaluate(
        """async url => {
            const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
            const r = await fetch(url, {method: 'POST', headers: {'X-XSRFToken': xsrf,
                'Content-Type': 'application/json'}, body: JSON.stringify({ExperimentName: 'x'})});
            return {status: r.status, body: await r.json()};
        }""",
        scoring["endpoint"],
    )
    assert refusal["status"] == 409, refusal
    shot(page, "disabled-version")

    # 8. Enable it again: Submit comes back.
    by_testid(v0, "toggle-status").click()
    expect(v0).to_have_attribute("data-status", "Active", timeout=15_000)
    expect(by_testid(group, "submit-published").first).to_be_enabled()
    wait_for(
        lambda: lab.api(f"published/{first['id']}")["status"] == "Active", 10, "enable to apply"
    )

    # 9. Published elsewhere (the REST API, as the CLI does) with no endpoint: the sidebar
    # shows it on its next poll, apart from the endpoints, with its own URL.
    adhoc = lab.api("published", {"path": path.name, "name": "adhoc"})
    row = sidebar.locator(f'[data-testid="published-row"][data-pipeline-id="{adhoc["id"]}"]')
    expect(row, "a pipeline published over REST did not show in the sidebar").to_be_visible(
        timeout=15_000
    )
    expect(by_testid(row, "published-url")).to_have_text(adhoc["endpoint"])
    shot(page, "standalone-published")


def schedules_route(lab: Lab) -> dict[str, Any]:
    """The ``schedules`` resource, or a skip naming what is missing."""
    try:
        return dict(lab.api("schedules"))
    except LabError as exc:
        if " 404" in str(exc):
            pytest.skip("the server has no schedules route yet (server/routes.py)")
        raise


def test_schedules_in_the_sidebar_in_words_with_next_fire_last_run_and_disable(
    lab: Lab, page: Any, shot: Any
) -> None:
    schedules_route(lab)
    path = save_flow_pipeline(lab.root, "scheduled_flow.pipeline.yaml")
    published = lab.api("published", {"path": path.name, "name": "scheduled"})
    # Without a start time a schedule fires at once (v1), then every 2 hours.
    soon = lab.api(
        "schedules",
        {
            "name": "every-2-hours",
            "pipeline_id": published["id"],
            "experiment_name": "scheduled",
            "recurrence": {"frequency": "Hour", "interval": 2},
        },
    )
    weekly = lab.api(
        "schedules",
        {
            "name": "weekly-report",
            "pipeline_id": published["id"],
            "experiment_name": "scheduled",
            "pipeline_parameters": {"rows": 2},
            "recurrence": {
                "frequency": "Week",
                "interval": 1,
                "week_days": ["Monday", "Friday"],
                "time_of_day": "09:30",
                "start_time": "2024-01-01T00:00:00",
            },
        },
    )
    fired = wait_for(
        lambda: (lab.api(f"schedules/{soon['id']}").get("last_run") or {}).get("run_id"),
        60,
        "the schedule's first fire (the lab's scheduler)",
    )

    # 1. Each schedule with its trigger in the server's words and its next fire.
    open_lab(page, lab)
    sidebar = open_sidebar(page)
    section = by_testid(sidebar, "schedules-section")
    expect(section, "the sidebar has no schedules-section").to_be_visible()
    rows = {}
    for schedule in (soon, weekly):
        row = section.locator(f'[data-testid="schedule-row"][data-schedule-id="{schedule["id"]}"]')
        expect(row, f"no schedule-row for {schedule['name']}").to_be_visible(timeout=15_000)
        expect(by_testid(row, "schedule-recurrence")).to_have_text(schedule["trigger_text"])
        rows[schedule["name"]] = row
    assert soon["trigger_text"] == "every 2 hours", soon["trigger_text"]
    assert "Monday, Friday" in weekly["trigger_text"], weekly["trigger_text"]
    expect(by_testid(rows["every-2-hours"], "schedule-next")).to_contain_text(
        re.compile(r"\(in 2 h\)")
    )
    expect(by_testid(rows["weekly-report"], "schedule-next")).to_contain_text(
        re.compile(r"\(in \d+ (min|h|days)\)")
    )
    expect(by_testid(rows["weekly-report"], "schedule-last-run")).to_have_count(0)

    # 2. The last run of the schedule that fired: a click opens its run view.
    last = by_testid(rows["every-2-hours"], "schedule-last-run")
    expect(last, "the fired schedule shows no schedule-last-run").to_have_attribute(
        "data-run-id", fired, timeout=15_000
    )
    shot(page, "schedules")
    last.click()
    view = page.locator(f'[data-testid="run-view"][data-run-id="{fired}"]')
    expect(view, "clicking the last run opened no run view of it").to_be_visible()
    for name in ("make_data", "train"):
        expect_status(step_node(view, name), "finished", lab, timeout=LONG)
    assert lab.api(f"runs/{fired}")["experiment"] == "scheduled"
    shot(page, "schedule-last-run-view")

    # 3. Disable: the row says so, has no next fire, and the server has it Disabled.
    by_testid(rows["every-2-hours"], "toggle-status").click()
    expect(rows["every-2-hours"]).to_have_attribute("data-status", "Disabled", timeout=15_000)
    expect(by_testid(rows["every-2-hours"], "schedule-next")).to_contain_text("none while disabled")
    assert lab.api(f"schedules/{soon['id']}")["status"] == "Disabled"
    shot(page, "schedule-disabled")

    # 4. Enable it again.
    by_testid(rows["every-2-hours"], "toggle-status").click()
    expect(rows["every-2-hours"]).to_have_attribute("data-status", "Active", timeout=15_000)
    assert lab.api(f"schedules/{soon['id']}")["status"] == "Active"
