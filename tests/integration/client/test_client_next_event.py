# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TrueNASClient.next_event against the simulator: one event of an event source, then the
subscription is gone; a timeout when nothing comes; the job collection is refused."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError, TrueNASTimeoutError

pytestmark = pytest.mark.timeout(60)


def subscriptions(sim):
    def read():
        return [name for conn in sim.connections for name in conn.subscriptions.values()]
    return sim.run(read)


def test_one_realtime_event_then_unsubscribed(sim, connect_to):
    sim.run(lambda: sim.state.data.__setitem__("realtime_interval", 0.05))
    client = connect_to(sim)
    event = client.next_event("reporting.realtime", timeout=10)
    assert (event["collection"], event["msg"]) == ("reporting.realtime", "added")
    assert "cpu" in event["fields"] and "memory" in event["fields"]
    assert "reporting.realtime" not in subscriptions(sim)
    # the connection is still usable, and a second event can be taken
    assert client.call("system.version_short")
    assert client.next_event("reporting.realtime", timeout=10)["fields"]["disks"]["busy"] >= 0


def test_timeout_when_no_event_comes(sim, connect_to):
    client = connect_to(sim)
    with pytest.raises(TrueNASTimeoutError, match="no pool.snapshottask.query event within 0.3 s"):
        client.next_event("pool.snapshottask.query", timeout=0.3)
    assert "pool.snapshottask.query" not in subscriptions(sim)


def test_jobs_collection_is_refused(sim, connect_to):
    with pytest.raises(TrueNASError, match="followed by the client itself"):
        connect_to(sim).next_event("core.get_jobs", timeout=1)
