# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connections dropped at the worst moments: while a job runs, while a VM shuts down, and between
a create and its re-read. The simulator runs in its own process; the job-wait drops run the
module as Ansible does (a subprocess), the others run its ``main()`` in this process, which is
the same code without the start-up time. The simulator's own state and call log say what really
happened.

The drop is aimed with a rehearsal: the same task runs once without a fault, its connection's
call sequence shows which message to drop, and the fault ``drop_after_messages`` then drops the
TCP connection (no close frame) when that message arrives, without answering it.

Every module run here starts a session broker of its own (a runtime directory per run), so that
the connection the broker opens is the "next connection" the fault is armed for; the broker runs
the same client code as a direct connection, and the module gets its errors unchanged.
"""

import os
import shutil
import tempfile

import pytest

pytestmark = pytest.mark.timeout(300)

WEB = {"name": "web", "memory": 1024, "status": "RUNNING", "shutdown_seconds": 2.5}
SEED = {"vms": [WEB]}
ISO = "/mnt/tank/isos/talos-1.8.iso"


@pytest.fixture(scope="module")
def fault_sim(tmp_path_factory):
    from tests.bench import harness

    sim = harness.Simulator(str(tmp_path_factory.mktemp("faults")), seed_extra=SEED, job_duration=0.05)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def fsim(fault_sim):
    fault_sim.reset()
    fault_sim.reset_counters()
    return fault_sim


def _own_broker(run, made):
    def wrapped(*args, **kwargs):
        made.append(tempfile.mkdtemp(prefix="nb-", dir="/tmp"))
        saved = os.environ.get("XDG_RUNTIME_DIR")
        os.environ["XDG_RUNTIME_DIR"] = made[-1]
        try:
            return run(*args, **kwargs)
        finally:
            os.environ["XDG_RUNTIME_DIR"] = saved
    return wrapped


@pytest.fixture
def module_quick(module_quick):
    made = []
    yield _own_broker(module_quick, made)
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def module_run(module_run):
    made = []
    yield _own_broker(module_run, made)
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


def runtime(sim, name="web"):
    vm = sim.objects("vms", name=name)[0]
    return sim.state("vm_runtime")[str(vm["id"])]


def message_number(sequence, method, after=None):
    """1-based position of the first ``method`` call (after the first ``after`` call, if given)."""
    start = sequence.index(after) + 1 if after else 0
    return sequence.index(method, start) + 1


def rehearse(sim, run_module, module, args):
    """Run the task once without a fault; the call sequence of its only connection. Resets after."""
    run = run_module(sim, module, args)
    assert not run.failed, run.result
    conns = sim.connections()
    assert len(conns) == 1, conns
    sim.reset()
    sim.reset_counters()
    return list(conns.values())[0]


# ---- job waits -------------------------------------------------------------------------------

@pytest.mark.parametrize("state, job, final, starts", [
    ("stopped", "vm.stop", "STOPPED", 1),
    ("restarted", "vm.restart", "RUNNING", 2),
])
def test_drop_during_job_wait(fsim, module_run, state, job, final, starts):
    """The connection that started the job is dropped right after the job id was sent: the
    client reconnects, follows the same job to its end and never starts it again."""
    fsim.fault("drop_during_job_wait")
    run = module_run(fsim, "truenas_vm", {"name": "web", "state": state})

    assert not run.failed, run.result
    assert run.changed is True
    assert run.result["vm"]["status"]["state"] == final
    assert runtime(fsim)["state"] == final
    assert runtime(fsim)["starts"] == starts
    assert len(fsim.calls(job)) == 1
    conns = fsim.connections()
    assert len(conns) == 2, conns                     # the fault struck: one reconnect
    assert job not in list(conns.values())[1]         # the job was followed, not repeated


@pytest.mark.parametrize("target", ["core.get_jobs", "vm.status"])
def test_drop_during_vm_stop(fsim, module_quick, target):
    """The guest takes 2.5 s to shut down; the connection drops while the task polls the job
    (``core.get_jobs``) or the VM's status (``vm.status``, after the job). The task must report
    the VM stopped, as it is, and must not send a second ``vm.stop``."""
    args = {"name": "web", "state": "stopped"}
    sequence = rehearse(fsim, module_quick, "truenas_vm", args)
    fsim.fault("drop_after_messages", count=message_number(sequence, target, after="vm.stop"))
    run = module_quick(fsim, "truenas_vm", args)

    assert runtime(fsim)["state"] == "STOPPED"
    assert len(fsim.calls("vm.stop")) == 1
    assert len(fsim.connections()) == 2                # the drop happened
    assert not run.failed, run.result["msg"]
    assert run.changed is True
    assert run.result["vm"]["status"]["state"] == "STOPPED"


# ---- create, then the connection drops ---------------------------------------------------------

CREATES = [
    pytest.param("truenas_dataset", {"name": "tank/rel", "comments": "reliability", "quota": "1G"},
                 "pool.dataset.create", "datasets", {"name": "tank/rel"}, id="dataset"),
    pytest.param("truenas_share_smb", {"name": "rel", "path": "/mnt/tank/media", "comment": "reliability"},
                 "sharing.smb.create", "smb_shares", {"name": "rel"}, id="smb"),
    pytest.param("truenas_share_nfs", {"path": "/mnt/tank/media", "comment": "reliability"},
                 "sharing.nfs.create", "nfs_shares", {"path": "/mnt/tank/media"}, id="nfs"),
    pytest.param("truenas_vm", {"name": "rel", "memory": 1024}, "vm.create", "vms", {"name": "rel"}, id="vm"),
    pytest.param("truenas_vm", {"name": "rel", "memory": 1024, "devices": [
        {"dtype": "NIC", "nic_attach": "br0"}, {"dtype": "CDROM", "path": ISO}]},
        "vm.create", "vms", {"name": "rel"}, id="vm-with-devices"),
    pytest.param("truenas_snapshot", {"name": "tank/media@rel"}, "pool.snapshot.create", "snapshots",
                 {"id": "tank/media@rel"}, id="snapshot"),
]


@pytest.mark.parametrize("module, args, create, kind, identity", CREATES)
def test_drop_between_create_and_reread(fsim, module_quick, module, args, create, kind, identity):
    """The create is answered, then the connection drops on the next message (the re-read, or
    the first device of a VM). The task ends with what exists, and nothing is created twice:
    not by this run, and not by the rerun, which changes nothing more."""
    sequence = rehearse(fsim, module_quick, module, args)
    fsim.fault("drop_after_messages", count=message_number(sequence, create) + 1)
    run = module_quick(fsim, module, args)

    assert len(fsim.calls(create)) == 1
    assert len(fsim.connections()) == 2                # the drop happened, the client reconnected
    assert len(fsim.objects(kind, **identity)) == 1
    assert not run.failed, run.result["msg"]
    assert run.changed is True

    rerun = module_quick(fsim, module, args)
    assert not rerun.failed, rerun.result
    assert rerun.changed is False
    assert len(fsim.objects(kind, **identity)) == 1
    assert len(fsim.calls(create)) == 1


@pytest.mark.parametrize("module, args, create, kind, identity", CREATES)
def test_drop_of_the_create_itself(fsim, module_quick, module, args, create, kind, identity):
    """The create request is read and never answered (the server did not run it): the task
    fails with a clear message, says nothing changed, and leaves nothing behind; the rerun
    creates the object once."""
    sequence = rehearse(fsim, module_quick, module, args)
    fsim.fault("drop_after_messages", count=message_number(sequence, create))
    run = module_quick(fsim, module, args)

    assert run.failed
    assert run.changed is False
    assert "dropped the connection" in run.result["msg"]
    assert "Traceback" not in run.result["msg"]
    assert fsim.calls(create) == []
    assert fsim.objects(kind, **identity) == []

    rerun = module_quick(fsim, module, args)
    assert not rerun.failed, rerun.result
    assert rerun.changed is True
    assert len(fsim.objects(kind, **identity)) == 1


@pytest.mark.parametrize("position", [1, 2])
def test_drop_while_adding_vm_devices(fsim, module_quick, position):
    """A new VM's devices are added one by one after ``vm.create``; the connection drops when
    device ``position`` is sent (never answered). The task fails, rolls back the VM it created
    (so no half-built VM is left), and the rerun builds it completely."""
    args = {"name": "rel", "memory": 1024,
            "devices": [{"dtype": "NIC", "nic_attach": "br0"}, {"dtype": "CDROM", "path": ISO}]}
    sequence = rehearse(fsim, module_quick, "truenas_vm", args)
    creates = [number for number, method in enumerate(sequence, 1) if method == "vm.device.create"]
    fsim.fault("drop_after_messages", count=creates[position - 1])
    run = module_quick(fsim, "truenas_vm", args)

    assert run.failed
    assert "rolled back" in run.result["msg"]
    assert run.changed is False
    assert fsim.objects("vms", name="rel") == []
    assert fsim.state("vm_devices") == {}

    rerun = module_quick(fsim, "truenas_vm", args)
    assert not rerun.failed, rerun.result
    vm = fsim.objects("vms", name="rel")
    assert len(vm) == 1
    devices = sorted(d["attributes"]["dtype"] for d in fsim.state("vm_devices").values() if d["vm"] == vm[0]["id"])
    assert devices == ["CDROM", "NIC"]
