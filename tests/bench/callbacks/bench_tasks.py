# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counts task executions for the benchmark (loop items one by one, skipped ones not) and writes
them as JSON to the file named by ``NASOPS_BENCH_TASKS_FILE``."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_tasks
type: aggregate
short_description: count task executions for the nasops.truenas benchmark
description:
  - "Writes the counts of executed, changed and failed tasks as JSON to the file named by E(NASOPS_BENCH_TASKS_FILE)."
requirements:
  - enabled in the benchmark's environment only
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.counts = {"executed": 0, "changed": 0, "failed": 0}

    def _count(self, result, failed=False):
        if isinstance(result._result.get("results"), list):
            return
        self.counts["executed"] += 1
        if result._result.get("changed"):
            self.counts["changed"] += 1
        if failed:
            self.counts["failed"] += 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._count(result, failed=True)

    def v2_runner_item_on_ok(self, result):
        self._count(result)

    def v2_runner_item_on_failed(self, result):
        self._count(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("NASOPS_BENCH_TASKS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.counts, handle)
