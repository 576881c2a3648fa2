# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TrueNAS's rate limit for unauthenticated calls (protocol reference 3.6): the 21st call of a
method from one address within a fixed 60 s window is refused with EBUSY after a delay.
``auth.login_ex`` is such a call. With the session broker turned off every module run logs in
once, so a playbook with more than 20 TrueNAS tasks a minute runs into it; the client then waits
for the next window and says so.

Time is scaled down, keeping the mechanism: the simulator's window is 3 s instead of 60 and its
refusal delay 0.05 s instead of 1-10; the client retries every 0.5 s instead of every 10. The
modules run in this process against an in-process simulator (that is what allows the scaling).
"""

import json
import time

import pytest

from tests.bench import harness

pytestmark = pytest.mark.timeout(180)

WINDOW = 3.0
TASKS = 24
ARGS = {"name": "tank/media", "comments": "rate limit"}


class Endpoint:
    """What ``harness.run_module_quick`` needs of a simulator."""

    def __init__(self, server):
        self.server = server

    def connection_args(self):
        return {"url": self.server.url, "ca_path": self.server.ca_file,
                "username": self.server.credentials["username"], "api_key": self.server.credentials["api_key"]}


@pytest.fixture
def limited(sim_factory, monkeypatch):
    from ansible_collections.nasops.truenas.plugins.module_utils import _client
    from tests.simulator import server as sim_server

    monkeypatch.setattr(sim_server, "RATE_LIMIT_WINDOW", WINDOW)
    monkeypatch.setattr(_client, "LOGIN_RATE_LIMIT_RETRY", 0.5)
    return sim_factory("25.10", rate_limit=True, rate_limit_delay=(0.05, 0.05))


def test_more_than_20_tasks_a_minute(limited):
    # The direct path, the session broker turned off: every module run logs in itself. Through the
    # broker these tasks log in once (tests/integration/broker, and `make bench`).
    endpoint = Endpoint(limited)
    started = time.monotonic()
    args = dict(ARGS, broker_idle_timeout=0)
    results = [harness.run_module_quick(endpoint, "truenas_dataset", args) for dummy in range(TASKS)]
    elapsed = time.monotonic() - started

    assert [r.result.get("msg") for r in results if r.failed] == []
    assert [r.changed for r in results] == [True] + [False] * (TASKS - 1)
    warned = [index for index, r in enumerate(results) if "20 logins per minute" in json.dumps(r.result.get("warnings"))]
    assert warned and warned[0] == 20                  # the 21st waited for the next window, and said so
    assert all(index >= 20 for index in warned)
    assert elapsed >= WINDOW                           # it really waited
    counters = limited.counters_snapshot()
    assert counters["logins"] == TASKS
    assert counters["calls"]["pool.dataset.update"] == 1
    assert limited.credentials["api_key"] not in json.dumps([r.result for r in results])
