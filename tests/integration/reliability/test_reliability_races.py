# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two playbooks converge the same dataset, SMB share and VM at the same time.

Both playbooks wait at a gate before each step; the test opens the gate for both at once and
holds back the replies of the first two lookups of that step (fault ``delay``), so that both
runs see the object missing and both decide to create it: the worst interleaving, every time.

What must hold: exactly one object of each kind exists afterwards, both runs succeed (the create
the server refuses because the other run has just made the object is followed by a lookup, and
the run converges the object it finds), exactly one run reports the creation, and a rerun of
both playbooks changes nothing.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.bench import harness

pytestmark = pytest.mark.timeout(400)

STEPS = [
    ("dataset", "nasops.truenas.truenas_dataset", {"name": "tank/race", "comments": "race"}, "pool.dataset.query"),
    ("share", "nasops.truenas.truenas_share_smb", {"name": "race", "path": "/mnt/tank/race", "comment": "race"},
     "sharing.smb.query"),
    ("vm", "nasops.truenas.truenas_vm", {"name": "race", "memory": 1024, "description": "race"}, "vm.query"),
]
DELAY = 3.0


def race_playbook(workdir, who):
    tasks = []
    for step, module, args, dummy in STEPS:
        tasks += [
            {"name": "%s: ready" % step, "ansible.builtin.copy": {
                "dest": os.path.join(workdir, "ready-%s-%s" % (who, step)), "content": "ready\n", "mode": "0600"}},
            {"name": "%s: wait for the gate" % step, "ansible.builtin.wait_for": {
                "path": os.path.join(workdir, "go-%s" % step), "timeout": 180, "sleep": 1}},
            {"name": "%s: converge" % step, module: args, "register": "result_%s" % step, "ignore_errors": True},
        ]
    tasks.append({"name": "Write the outcomes", "changed_when": False, "ansible.builtin.copy": {
        "dest": os.path.join(workdir, "outcome-%s.json" % who), "mode": "0600",
        "content": "{{ {%s} | to_json }}" % ", ".join("'%s': result_%s" % (s[0], s[0]) for s in STEPS)}})
    return [{"name": "race %s" % who, "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def wait_for_files(paths, procs, timeout=180):
    deadline = time.monotonic() + timeout
    while not all(os.path.exists(p) for p in paths):
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError("a playbook ended early:\n%s" % proc.stdout.read())
        if time.monotonic() > deadline:
            raise AssertionError("the playbooks did not reach %s" % paths)
        time.sleep(0.05)


def start(path, env, workdir):
    cmd = [os.path.join(harness.VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path,
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    return subprocess.Popen(cmd, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def race(tmp_path_factory):
    """Run the race once; ``(sim, outcomes, runs, playbooks)`` for the tests below."""
    workdir = str(tmp_path_factory.mktemp("race"))
    sim = harness.Simulator(os.path.join(workdir, "sim"), job_duration=0.05).start()
    procs = {}
    try:
        playbooks = {}
        for who in ("a", "b"):
            playbooks[who] = harness.write_playbook(os.path.join(workdir, "race-%s.yml" % who),
                                                    race_playbook(workdir, who))
            env = sim.env(ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp-" + who),
                          ANSIBLE_HOME=os.path.join(workdir, "home-" + who))
            procs[who] = start(playbooks[who], env, workdir)
        for step, query in [(s[0], s[3]) for s in STEPS]:
            wait_for_files([os.path.join(workdir, "ready-%s-%s" % (who, step)) for who in procs], procs.values())
            sim.fault("delay", seconds=DELAY, method=query, count=2)
            with open(os.path.join(workdir, "go-%s" % step), "w", encoding="utf-8") as handle:
                handle.write("go\n")
        runs = {}
        for who, proc in procs.items():
            output = proc.communicate(timeout=300)[0]
            runs[who] = harness.PlaybookRun(proc.returncode, output, "", 0.0)
        outcomes = {}
        for who in procs:
            with open(os.path.join(workdir, "outcome-%s.json" % who), encoding="utf-8") as handle:
                outcomes[who] = json.load(handle)
        yield sim, outcomes, runs, playbooks, workdir
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        sim.stop()


def test_exactly_one_object_each(race):
    sim, outcomes, runs, playbooks, workdir = race
    for who, run in runs.items():
        assert run.rc == 0, run.output                 # failures are ignored, the outcome file is written
    assert len(sim.objects("datasets", name="tank/race")) == 1
    assert len(sim.objects("smb_shares", name="race")) == 1
    assert len(sim.objects("vms", name="race")) == 1
    # Both runs did look and decide to create: the race really happened.
    assert len(sim.calls("pool.dataset.create")) == 2
    assert len(sim.calls("sharing.smb.create")) == 2
    assert len(sim.calls("vm.create")) == 2


def test_rerun_converges(race):
    sim, outcomes, runs, playbooks, workdir = race
    for who in ("a", "b"):
        rerun = harness.run_playbook(playbooks[who], sim.env(), workdir)
        assert rerun.rc == 0, rerun.output
        assert rerun.stats.get("ignored", 0) == 0, rerun.output
        assert rerun.changed == 0, rerun.output
        with open(os.path.join(workdir, "outcome-%s.json" % who), encoding="utf-8") as handle:
            outcome = json.load(handle)
        assert sorted(outcome) == ["dataset", "share", "vm"]
        assert all(r["changed"] is False and not r.get("failed") for r in outcome.values()), outcome
    assert len(sim.objects("datasets", name="tank/race")) == 1
    assert len(sim.objects("smb_shares", name="race")) == 1
    assert len(sim.objects("vms", name="race")) == 1


def test_both_runs_succeed(race):
    sim, outcomes, runs, playbooks, workdir = race
    failures = dict(((who, step), r["msg"]) for who in outcomes for step, r in outcomes[who].items() if r.get("failed"))
    assert failures == {}
    for step in ("dataset", "share", "vm"):
        changed = sorted(who for who in outcomes if outcomes[who][step]["changed"])
        assert len(changed) == 1, (step, changed)     # one created it, the other found it as requested
    dataset = outcomes["a"]["dataset"]["dataset"]
    assert dataset["name"] == "tank/race" and dataset["comments"] == "race"
    assert outcomes["b"]["vm"]["vm"]["description"] == "race"
    assert outcomes["a"]["share"]["smb_share"]["comment"] == "race"
