# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator is killed and restarted in the middle of a playbook, with its state persisted
(``--state FILE``): what was created before the restart is still there afterwards, the rest of
the playbook goes on against the restarted server through the same session broker (which logs
in again once), and the rerun changes nothing and does not log in."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.bench import harness

pytestmark = pytest.mark.timeout(300)

PASSWORD = "restart-Display-pw1"


def playbook(gate, go):
    def task(name, module, args):
        return {"name": name, module: args}

    before = [
        task("Dataset a", "nasops.truenas.truenas_dataset", {"name": "tank/persist-a", "comments": "before"}),
        task("SMB share on a", "nasops.truenas.truenas_share_smb", {"name": "persist", "path": "/mnt/tank/persist-a"}),
        task("VM", "nasops.truenas.truenas_vm", {
            "name": "persist", "memory": 1024, "state": "started",
            "devices": [{"dtype": "NIC", "nic_attach": "br0"},
                        {"dtype": "DISPLAY", "type": "SPICE", "display_password": PASSWORD}]}),
    ]
    pause = [
        task("Tell the test that the first half is done", "ansible.builtin.copy",
             {"dest": gate, "content": "waiting\n", "mode": "0600"}),
        task("Wait until the simulator was restarted", "ansible.builtin.wait_for",
             {"path": go, "timeout": 120}),
    ]
    after = [
        task("Dataset b", "nasops.truenas.truenas_dataset", {"name": "tank/persist-b", "comments": "after"}),
        task("NFS share on b", "nasops.truenas.truenas_share_nfs", {"path": "/mnt/tank/persist-b"}),
        task("Snapshot of a", "nasops.truenas.truenas_snapshot", {"name": "tank/persist-a@after-restart"}),
    ]
    return [{"name": "restart in the middle", "hosts": "localhost", "gather_facts": False,
             "tasks": before + pause + after}]


def inventory(sim):
    """The objects the playbook manages, by kind, with their server ids."""
    return {
        "datasets": sorted(k for k in sim.state("datasets") if k.startswith("tank/persist")),
        "smb": sorted((r["id"], r["name"], r["path"]) for r in sim.state("smb_shares").values()),
        "nfs": sorted((r["id"], r["path"]) for r in sim.state("nfs_shares").values()),
        "vms": sorted((r["id"], r["name"]) for r in sim.state("vms").values()),
        "devices": sorted((d["id"], d["vm"], d["attributes"]["dtype"]) for d in sim.state("vm_devices").values()),
        "snapshots": sorted(sim.state("snapshots")),
    }


def wait_for_file(path, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise AssertionError("the playbook ended before the gate:\n%s" % proc.stdout.read())
        if time.monotonic() > deadline:
            raise AssertionError("the playbook did not reach the gate")
        time.sleep(0.1)


def test_restart_mid_playbook(simulator, tmp_path):
    state_file = str(tmp_path / "state.json")
    sim = simulator(state_file=state_file, job_duration=0.05)
    gate, go = str(tmp_path / "gate"), str(tmp_path / "go")
    path = harness.write_playbook(str(tmp_path / "restart.yml"), playbook(gate, go))
    env = sim.env(ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    cmd = [os.path.join(harness.VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path,
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    proc = subprocess.Popen(cmd, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        wait_for_file(gate, proc)
        before = inventory(sim)
        port = sim.port
        # A crash, not a clean shutdown: only what the server wrote as it went survives.
        sim.restart(sig=signal.SIGKILL)
        assert sim.port == port
        assert inventory(sim) == before
        with open(go, "w", encoding="utf-8") as handle:
            handle.write("go\n")
        output = proc.communicate(timeout=240)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    first = harness.PlaybookRun(proc.returncode, output, "", 0.0)
    # the counters of the restarted server: the broker logged in again once for the second half
    assert sim.counters()["logins"] == 1, output

    assert first.rc == 0, output
    assert first.stats["failed"] == 0
    assert first.changed == 7                          # 3 objects before, 3 after, the gate file
    assert len(before["datasets"]) == 1 and len(before["smb"]) == 1 and len(before["vms"]) == 1
    assert len(before["devices"]) == 2
    after = inventory(sim)
    for kind in ("smb", "vms", "devices"):
        assert after[kind] == before[kind], kind       # same objects, same ids: nothing lost or re-made
    assert after["datasets"] == ["tank/persist-a", "tank/persist-b"]
    assert [share[1] for share in after["nfs"]] == ["/mnt/tank/persist-b"]
    assert after["snapshots"] == ["tank/persist-a@after-restart"]
    vm_id = after["vms"][0][0]
    assert sim.state("vm_runtime")[str(vm_id)]["state"] == "RUNNING"

    sim.reset_counters()
    rerun = harness.run_playbook(path, sim.env(), str(tmp_path))
    assert rerun.rc == 0, rerun.output
    assert rerun.changed == 0, rerun.output
    assert sim.counters()["logins"] == 0           # the broker of the first run is still up
    assert inventory(sim) == after
