# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Eight ``ansible`` ad-hoc runs of ``truenas_vm`` for the same new VM with three devices, at once.

The replies to the first lookups are held back (fault ``delay``), so the runs all see the VM
missing and race to create it; the replies to device adds are held back too, so the runs that
find the VM made by another one see it half-built and race to add the same devices. What must hold: every run succeeds, the VM
exists once with exactly the three devices listed (no second NIC, CD-ROM or disk), and a rerun
changes nothing and warns about nothing.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.bench import harness

pytestmark = pytest.mark.timeout(600)

RUNS = 8
ARGS = {"name": "racevm", "memory": 512, "devices": [
    {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"},
    {"dtype": "NIC", "nic_attach": "br0"},
    {"dtype": "DISK", "zvol": "tank/vms/racevm-disk", "create_zvol": True, "size": "1G"},
]}


def adhoc(sim, workdir, index):
    env = sim.env(ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp-%d" % index),
                  ANSIBLE_HOME=os.path.join(workdir, "home-%d" % index))
    cmd = [os.path.join(harness.VENV_BIN, "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-o",
           "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-m", "nasops.truenas.truenas_vm", "-a", json.dumps(ARGS)]
    return subprocess.Popen(cmd, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outcome(proc):
    """``(rc, result)`` of an ad-hoc run; its one-line output is ``localhost | STATUS => {json}``."""
    out, err = proc.communicate(timeout=400)
    for line in out.splitlines():
        if line.startswith("localhost | ") and " => " in line:
            try:
                return proc.returncode, json.loads(line.split(" => ", 1)[1])
            except ValueError:
                break
    raise AssertionError("no result (rc %s):\n%s\n%s" % (proc.returncode, out, err))


def warnings_of(result):
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings") or []]


@pytest.fixture(scope="module")
def race(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("vmrace"))
    sim = harness.Simulator(os.path.join(workdir, "sim"), job_duration=0.05).start()
    try:
        sim.fault("delay", seconds=3.0, method="vm.query", count=RUNS)
        sim.fault("delay", seconds=1.5, method="vm.device.create")
        procs = [adhoc(sim, workdir, index) for index in range(RUNS)]
        results = [outcome(proc) for proc in procs]
        sim.fault("clear")
        yield sim, workdir, results
    finally:
        sim.stop()


def devices_of(sim, name):
    (vm,) = sim.objects("vms", name=name)
    return sorted(d["attributes"]["dtype"] for d in sim.state("vm_devices").values() if d["vm"] == vm["id"])


def test_every_run_succeeds(race):
    sim, workdir, results = race
    failures = [(rc, result.get("msg")) for rc, result in results if rc != 0 or result.get("failed")]
    assert failures == []
    assert len(sim.calls("vm.create")) >= 2            # the runs did race to create the VM


def test_the_vm_has_each_device_once(race):
    sim, workdir, results = race
    assert len(sim.objects("vms", name="racevm")) == 1
    assert devices_of(sim, "racevm") == ["CDROM", "DISK", "NIC"]
    # Each run reports the devices it read last. A run may read the VM in the instant between another
    # run's concurrent add and that run removing it again (the lowest id is kept), and then lists that
    # device too; what counts is that no run leaves it behind (above) and that each run saw every
    # device of the list.
    final = set(d["id"] for d in sim.state("vm_devices").values())
    for rc, result in results:
        kinds = sorted(set(d["dtype"] for d in result["vm"]["devices"]))
        assert kinds == ["CDROM", "DISK", "NIC"], result
        transient = [d for d in result["vm"]["devices"] if d["id"] not in final]
        assert len(result["vm"]["devices"]) - len(transient) == 3, result


def test_a_rerun_changes_nothing(race):
    sim, workdir, results = race
    rc, result = outcome(adhoc(sim, workdir, RUNS))
    assert rc == 0, result.get("msg")
    assert result["changed"] is False
    assert warnings_of(result) == []
    assert devices_of(sim, "racevm") == ["CDROM", "DISK", "NIC"]
