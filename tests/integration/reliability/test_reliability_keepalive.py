# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An idle-dropping proxy in front of TrueNAS (nginx on 25.x: 60 s without server traffic) during
a long wait: a VM whose guest takes 6 s to shut down, behind a simulator that drops connections
after 2 s without traffic.

The client's keepalive interval is scaled by the same factor as the proxy timeout (2 s / 60 s),
so the test keeps the real ratio between the two: the task must finish on its first connection,
with ``core.ping`` calls keeping it alive. Without the scaling the client survives by
reconnecting and following the job, still without stopping the VM twice.
"""

import functools
import inspect
import time

import pytest

from tests.bench import harness

pytestmark = pytest.mark.timeout(180)

IDLE_DROP = 2.0
PROXY_TIMEOUT = 60.0   # nginx's default proxy_read_timeout on TrueNAS 25.04 and 25.10
SHUTDOWN = 6.0
SEED = {"vms": [{"name": "slow", "memory": 1024, "status": "RUNNING", "shutdown_seconds": SHUTDOWN,
                 "shutdown_timeout": 30}]}


def default_keepalive():
    from ansible_collections.nasops.truenas.plugins.module_utils._client import TrueNASClient

    return inspect.signature(TrueNASClient.__init__).parameters["keepalive_interval"].default


@pytest.fixture(scope="module")
def idle_sim(tmp_path_factory):
    sim = harness.Simulator(str(tmp_path_factory.mktemp("idle")), seed_extra=SEED, idle_drop=IDLE_DROP,
                            job_duration=0.05)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def isim(idle_sim):
    idle_sim.reset()
    idle_sim.reset_counters()
    return idle_sim


def stop_slow_vm(sim, monkeypatch, keepalive=None):
    """The module's own connection (the session broker off): the direct client's keepalive. The
    broker's keepalive is tested in tests/integration/broker."""
    from ansible_collections.nasops.truenas.plugins.module_utils import _broker

    if keepalive is not None:
        monkeypatch.setattr(_broker, "TrueNASClient", functools.partial(_broker.TrueNASClient,
                                                                        keepalive_interval=keepalive))
    started = time.monotonic()
    result = harness.run_module_inprocess("truenas_vm", dict(sim.connection_args(), name="slow", state="stopped",
                                                             broker_idle_timeout=0))
    return result, time.monotonic() - started


def runtime(sim):
    vm = sim.objects("vms", name="slow")[0]
    return sim.state("vm_runtime")[str(vm["id"])]


def test_the_keepalive_interval_beats_the_proxy_timeout():
    """The premise of the scaling below: the shipped interval is well inside nginx's 60 s."""
    assert 0 < default_keepalive() <= PROXY_TIMEOUT / 2


def test_long_wait_survives_idle_drop_on_one_connection(isim, monkeypatch):
    scaled = default_keepalive() * IDLE_DROP / PROXY_TIMEOUT
    result, seconds = stop_slow_vm(isim, monkeypatch, keepalive=scaled)

    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert result["vm"]["status"]["state"] == "STOPPED"
    assert runtime(isim)["state"] == "STOPPED"
    assert seconds >= SHUTDOWN                          # the wait really was three times the idle timeout
    conns = isim.connections()
    assert len(conns) == 1, conns                       # never dropped
    methods = list(conns.values())[0]
    assert methods.count("vm.stop") == 1
    assert methods.count("core.ping") >= int(SHUTDOWN / scaled) - 2


def test_long_wait_survives_idle_drop_by_reconnecting(isim, monkeypatch):
    result, seconds = stop_slow_vm(isim, monkeypatch)

    assert not result["failed"], result["msg"]
    assert result["changed"] is True
    assert runtime(isim)["state"] == "STOPPED"
    conns = isim.connections()
    assert len(conns) >= 2, conns                       # the proxy did drop the connection
    assert [m for methods in conns.values() for m in methods].count("vm.stop") == 1
