# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's own machinery: ``python -m tests.bench --tiny`` end to end (every measurement
on the smallest sizes, one repetition), the structure of ``bench-results.json`` and of the
performance page, the command line's refusals, and the report helpers. Nothing here asserts a
time: only structure, consistency and the call counts, which do not depend on the machine."""

import json
import os
import subprocess
import sys

import pytest

from tests.bench import harness, report, scenarios

pytestmark = pytest.mark.timeout(600)

FIGURE_IDS = ["task_overhead", "loop_overhead", "user_overhead", "direct_overhead", "logins_per_playbook", "parallel_playbooks",
              "calls_dataset_noop", "calls_vm_noop", "scale_datasets", "role_converge", "role_noop",
              "sim_ping_rate", "sim_query_latency"]


def bench(*args, cwd=harness.ROOT):
    return subprocess.run([sys.executable, "-m", "tests.bench"] + list(args), cwd=cwd, env=harness.ansible_env(),
                          capture_output=True, text=True, timeout=580, check=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    output, doc = work / "results.json", work / "performance.md"
    proc = bench("--tiny", "--output", str(output), "--write-doc", str(doc))
    return proc, json.loads(output.read_text()) if output.exists() else None, doc


def by_id(data):
    return dict((item["id"], item) for item in data["figures"])


def test_tiny_run_succeeds(tiny):
    proc, data, doc = tiny
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert data is not None
    assert [item["id"] for item in data["figures"]] == FIGURE_IDS
    assert all(item["error"] is None for item in data["figures"]), [i["error"] for i in data["figures"]]


def test_results_document_structure(tiny):
    proc, data, doc = tiny
    assert data["version"] == report.RESULTS_VERSION == 1
    assert data["config"] == "tiny"
    assert data["sizes"] == {"overhead_tasks": 2, "overhead_reps": 1, "parallel_playbooks": 2, "parallel_tasks": 2,
                             "scale_small": 3, "scale_large": 60, "scale_reps": 1, "role_reps": 1, "ping_calls": 20,
                             "query_calls": 5, "sim_reps": 1}
    assert sorted(data["environment"]) == ["ansible_core", "cpus", "loadavg", "platform", "python"]
    assert data["environment"]["ansible_core"].startswith("2.")
    assert isinstance(data["seconds"], float) and data["seconds"] > 0
    for item in data["figures"]:
        assert sorted(item) == sorted(report.FIGURE_KEYS)
        assert isinstance(item["value"], (int, float)) and not isinstance(item["value"], bool)
        assert item["passed"] in (True, False, None)
        assert (item["target"] is None) == (item["passed"] is None), item["id"]
        assert isinstance(item["details"]["seconds_spent"], float)
    counts = report.summary(data["figures"])
    assert data["summary"] == counts
    assert sum(counts.values()) == len(FIGURE_IDS)
    assert counts["errors"] == 0 and counts["no_target"] == 5


def test_ratios_follow_from_their_samples(tiny):
    proc, data, doc = tiny
    figures = by_id(data)
    overhead = figures["task_overhead"]
    details = overhead["details"]
    assert details["tasks"] == 2 and len(details["dataset_seconds"]) == len(details["ping_seconds"]) == 1
    assert overhead["value"] == pytest.approx(details["dataset_median"] / details["ping_median"], abs=0.01)
    assert overhead["passed"] == (overhead["value"] <= 1.1)
    assert details["rate_limit"] == "on"
    assert details["logins_per_run"] == [0]                           # the broker was up since the warm-up
    user = figures["user_overhead"]
    assert user["value"] == pytest.approx(user["details"]["user_median"] / details["ping_median"], abs=0.01)
    assert user["passed"] == (user["value"] <= 1.1)
    loop = figures["loop_overhead"]
    assert loop["value"] == pytest.approx(loop["details"]["loop_median"] / details["ping_median"], abs=0.01)
    assert loop["passed"] == (loop["value"] <= 1.0)
    assert figures["direct_overhead"]["details"]["logins"] == 2       # every task logged in itself
    assert len(details["uncached_seconds"]) == len(details["ratio_per_rep"]) == 1
    assert details["uncached_ratio"] == pytest.approx(details["uncached_median"] / details["ping_median"], abs=0.01)
    assert details["code_cache_saves_ms_per_task"] == pytest.approx(
        (details["uncached_median"] - details["dataset_median"]) * 1000 / details["tasks"], abs=1.0)  # from medians rounded to 1 ms
    scale = figures["scale_datasets"]
    assert scale["value"] == pytest.approx(scale["details"]["large_median"] / scale["details"]["small_median"], abs=0.01)
    assert scale["passed"] == (scale["value"] <= 1.1)
    role = figures["role_converge"]["details"]
    assert role["vms"] == 6
    assert role["task_executions"]["converge_changed"] >= 6          # at least one change per VM
    assert role["task_executions"]["noop_changed"] == 0
    assert role["task_executions"]["noop_logins"] == 0                # the broker of the converging run


def test_call_counts_of_noop_tasks(tiny):
    """Not a timing: the number of calls of an unchanged task is a property of the modules."""
    proc, data, doc = tiny
    figures = by_id(data)
    dataset = figures["calls_dataset_noop"]
    assert dataset["details"]["calls"] == {"pool.dataset.query": 1}
    assert dataset["value"] == 1 and dataset["details"]["connections"] == 0 and dataset["passed"] is True
    vm = figures["calls_vm_noop"]
    assert vm["details"]["calls"] == {"vm.query": 1}
    assert vm["value"] == 1 and vm["details"]["connections"] == 0 and vm["passed"] is True


def test_logins_with_the_rate_limit_on(tiny):
    """One login for a playbook, none for the next, one for playbooks started together."""
    proc, data, doc = tiny
    figures = by_id(data)
    logins = figures["logins_per_playbook"]
    assert (logins["value"], logins["details"]["second"], logins["passed"]) == (1, 0, True)
    parallel = figures["parallel_playbooks"]
    assert parallel["value"] == 1 and parallel["details"]["rate_limit_answers"] == 0 and parallel["passed"] is True


def test_table_and_page(tiny):
    proc, data, doc = tiny
    for item in data["figures"]:
        assert item["title"] in proc.stdout
    assert "results: " in proc.stdout
    page = doc.read_text()
    assert page.startswith("# Performance\n")
    for item in data["figures"]:
        assert "| %s | %s |" % (item["title"], report.show_value(item)) in page
    assert "make bench" in page and "--quick" in page


@pytest.mark.parametrize("args, message", [
    (["--only", "bogus"], "--only: unknown measurement bogus"),
    (["--reps", "0"], "--reps: must be at least 1"),
    (["--quick", "--tiny"], "not allowed with argument"),
])
def test_command_line_refusals(args, message, tmp_path):
    proc = bench(*(args + ["--output", str(tmp_path / "r.json")]))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_report_helpers():
    figures = [
        scenarios.figure("a", "first", 1.234, "ratio", "<= 1.25", True),
        scenarios.figure("calls_x", "second", 3, "calls", "1 connection, <= 3 calls", False, {"connections": 2}),
        scenarios.figure("c", "third", 12.5, "ms"),
        scenarios.figure("d", "fourth", passed=False, error="MeasurementError: it broke\nmore"),
    ]
    assert report.summary(figures) == {"passed": 1, "missed": 1, "no_target": 1, "errors": 1}
    assert report.table(figures).splitlines() == [
        "figure  value        target                    result",
        "------  -----------  ------------------------  ------",
        "first   1.23         <= 1.25                   pass",
        "second  3 (2 conn.)  1 connection, <= 3 calls  MISS",
        "third   12.5 ms      -                         -",
        "fourth  -            -                         ERROR",
        "",
        "d: MeasurementError: it broke",
    ]


def test_scenario_configs_are_ordered_by_size():
    for field in ("overhead_tasks", "scale_large", "ping_calls", "query_calls"):
        assert getattr(scenarios.TINY, field) < getattr(scenarios.QUICK, field) <= getattr(scenarios.FULL, field)
    assert scenarios.FULL.overhead_tasks == 100 and scenarios.FULL.scale_large == 10000
    assert (scenarios.FULL.parallel_playbooks, scenarios.FULL.parallel_tasks) == (5, 50)
    assert scenarios.FULL.scale_small == 10
    assert os.path.exists(scenarios.ROLE_PLAYBOOK)
