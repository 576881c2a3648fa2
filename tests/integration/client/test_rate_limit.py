# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The TrueNAS limit of 20 unauthenticated calls per method, address and minute, against the
simulator with a shortened window: a rate-limited login waits for the next window."""

import pytest

from tests.simulator import server as sim_server

from ansible_collections.nasops.truenas.plugins.module_utils import _client
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASBusyError


@pytest.fixture
def short_window(monkeypatch):
    monkeypatch.setattr(sim_server, "RATE_LIMIT_WINDOW", 2.0)
    monkeypatch.setattr(_client, "LOGIN_RATE_LIMIT_RETRY", 0.5)


def test_the_21st_login_in_a_window_waits_and_succeeds(sim_factory, connect_to, short_window):
    server = sim_factory("25.10", rate_limit=True, rate_limit_delay=(0.01, 0.02))
    for _login in range(20):
        client = connect_to(server)
        client.connect()
        assert client.warnings == []
        client.close()
    late = connect_to(server, login_rate_limit_wait=10.0)
    late.connect()
    assert late.version == (25, 10, 5)
    assert any("20 logins per minute" in w for w in late.warnings)
    # Each login asks auth.mechanism_choices first; the 21st was refused there, then retried.
    probes = [c for c in server.calls() if c["method"] == "auth.mechanism_choices"]
    logins = [c for c in server.calls() if c["method"] == "auth.login_ex"]
    assert len(probes) >= 22 and len(logins) >= 21


def test_without_time_to_wait_the_rate_limit_is_reported(sim_factory, connect_to, short_window, guard):
    server = sim_factory("25.10", rate_limit=True, rate_limit_delay=(0.01, 0.02))
    for _login in range(20):
        connect_to(server).connect()
    late = connect_to(server, login_rate_limit_wait=0)
    exc = guard.error(TrueNASBusyError, late.connect)
    assert "Rate Limit Exceeded" in exc.message
