# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role k8s_cluster_vms through playbooks/k8s_cluster.yml and k8s_cluster_destroy.yml,
against the simulator on every profile with VMs (25.04, which is 25.04.2, 25.10 and 26).

Every scenario runs ansible-playbook as a user would; the scenarios run at the same time, each on
its own simulator, once per module (the ``runs`` fixture). The tests then check what TrueNAS
holds (``state_dump()`` of the simulator) after each step, never what the role reports.
"""

import concurrent.futures
import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.simulator.profiles import NAMES
from tests.simulator.pytest_plugin import SHARED_OPTIONS
from tests.simulator.server import SimServer
from tests.simulator.state import DEFAULT_SEED, load_seed_file

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
BUILD = ROOT / "playbooks" / "k8s_cluster.yml"
DESTROY = ROOT / "playbooks" / "k8s_cluster_destroy.yml"
STORAGE = ROOT / "playbooks" / "storage.yml"
RECAP = re.compile(r"^localhost\s*:\s*(.*)$", re.M)
DISPLAY_PASSWORD = "Spice-Pass-4711"
GIB = 1024 ** 3
ISO = "/mnt/tank/isos/talos-1.8.iso"
CLUSTER_KINDS = ("vms", "vm_devices", "vm_runtime", "datasets")
# The defaults of the role: name -> (memory MiB, disk bytes, display port).
DEFAULT_NODES = {
    "controlplane01": (4096, 32 * GIB, 5910),
    "controlplane02": (4096, 32 * GIB, 5911),
    "controlplane03": (4096, 32 * GIB, 5912),
    "worker01": (4096, 64 * GIB, 5920),
    "worker02": (4096, 64 * GIB, 5921),
    "worker03": (4096, 64 * GIB, 5922),
}
# A VM that is not part of the cluster, with a display on 5910/5911 and a NIC MAC.
LEGACY_MAC = "00:a0:98:aa:bb:cc"
LEGACY_VM = {
    "name": "legacy",
    "memory": 1024,
    "status": "RUNNING",
    "devices": [
        {"attributes": {"dtype": "NIC", "nic_attach": "br1", "mac": LEGACY_MAC, "type": "E1000"}},
        {"attributes": {"dtype": "DISPLAY", "type": "SPICE", "port": 5910, "web_port": 5911, "bind": "127.0.0.1",
                        "password": "legacy-pass", "web": True}},
    ],
}

pytestmark = pytest.mark.timeout(600)


class Run:
    """One ansible-playbook run: return code, output and the PLAY RECAP numbers."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        found = RECAP.findall(self.output)
        self.stats = {}
        for item in (found[-1].split() if found else []):
            key, value = item.partition("=")[::2]
            if value.isdigit():
                self.stats[key] = int(value)

    @property
    def changed(self):
        return self.stats.get("changed")

    def changed_tasks(self):
        """Names of the tasks that reported a change, in order."""
        names = []
        task = None
        for line in self.output.splitlines():
            match = re.match(r"^TASK \[(.*)\] \**$", line)
            if match:
                task = match.group(1)
            elif line.startswith("changed: ") and task not in names:
                names.append(task)
        return names

    def __repr__(self):
        return "Run(rc=%r, stats=%r)\n%s" % (self.rc, self.stats, self.output[-6000:])


class Scenario:
    """A simulator of its own and a way to run playbooks against it."""

    def __init__(self, name, profile, workdir, collections, seed=None):
        self.name = name
        self.workdir = workdir
        self.workdir.mkdir(parents=True)
        self.collections = collections
        self.server = SimServer(profile, seed=seed, **SHARED_OPTIONS).start_background()
        self.steps = {}

    def stop(self):
        self.server.stop_background()

    def env(self):
        env = dict(os.environ)
        for key in list(env):
            if key.startswith(("TRUENAS_", "ANSIBLE_")):
                del env[key]
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
            "ANSIBLE_HOME": str(self.workdir / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "PATH": str(BIN) + os.pathsep + env.get("PATH", ""),
            "TRUENAS_URL": self.server.url,
            "TRUENAS_USERNAME": self.server.credentials["username"],
            "TRUENAS_API_KEY": self.server.credentials["api_key"],
            "TRUENAS_CA_PATH": self.server.ca_file,
        })
        return env

    def playbook(self, path, extra=None, check=False, verbosity=0):
        cmd = [str(BIN / "ansible-playbook"), str(path)]
        if extra is not None:
            vars_file = self.workdir / ("vars-%d.json" % len(self.steps))
            vars_file.write_text(json.dumps(extra))
            cmd += ["-e", "@%s" % vars_file]
        if check:
            cmd.append("--check")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env(), capture_output=True, text=True, timeout=500,
                              check=False)
        return Run(proc)

    def step(self, name, path, extra=None, **options):
        """Run a playbook and record its run and the simulator's state afterwards."""
        run = self.playbook(path, extra, **options)
        self.steps[name] = (run, self.server.state_dump())
        return run


def cluster_vars(inventory, **more):
    data = {"k8s_cluster_vms_display_password": DISPLAY_PASSWORD, "k8s_cluster_vms_inventory_file": str(inventory)}
    data.update(more)
    return data


def lifecycle(scenario):
    """Build the default cluster, build it again, destroy it; then the home lab storage, twice."""
    scenario.steps["seed"] = (None, scenario.server.state_dump())
    inventory = scenario.workdir / "nodes.yml"
    scenario.step("build", BUILD, cluster_vars(inventory))
    scenario.inventory = inventory.read_text() if inventory.exists() else None
    scenario.step("rebuild", BUILD, cluster_vars(inventory), verbosity=1)
    scenario.step("destroy", DESTROY)
    scenario.step("storage", STORAGE)
    scenario.step("storage_again", STORAGE)


BAD_INPUT_PLAYBOOK = r"""
- name: Bad input for the role k8s_cluster_vms
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Try each case
      ansible.builtin.include_tasks: attempt.yml
      loop: "{{ cases | dict2items }}"
      loop_control:
        loop_var: case
        label: "{{ case.key }}"

    - name: Write what each case said
      ansible.builtin.copy:
        content: "{{ outcomes | to_json }}"
        dest: "{{ outcomes_file }}"
        mode: "0600"
"""

BAD_INPUT_ATTEMPT = r"""
- name: Run the role with the case's inputs
  block:
    - name: Include the role
      ansible.builtin.include_role:
        name: nasops.truenas.k8s_cluster_vms
      vars:
        k8s_cluster_vms_display_password: "{{ case.value.password | default('Display-Pass1') }}"
        k8s_cluster_vms_controlplane: "{{ case.value.controlplane | default({}) }}"
        k8s_cluster_vms_worker: "{{ case.value.worker | default({}) }}"
        k8s_cluster_vms_storage: "{{ case.value.storage | default({}) }}"
        k8s_cluster_vms_network: "{{ case.value.network | default({}) }}"

    - name: Record that the role passed
      ansible.builtin.set_fact:
        outcomes: "{{ outcomes | default({}) | combine({case.key: {'failed': false}}) }}"
  rescue:
    - name: Record the failure
      ansible.builtin.set_fact:
        outcomes: >-
          {{ outcomes | default({}) | combine({case.key: {'failed': true, 'task': ansible_failed_task.name,
             'msg': ansible_failed_result.msg}}) }}
"""

BAD_CASES = {
    "count_negative": {"controlplane": {"count": -1}},
    "count_not_a_number": {"worker": {"count": "three"}},
    "memory_too_small": {"worker": {"memory": 512}},
    "memory_not_a_size": {"controlplane": {"memory": "lots"}},
    "prefix_with_dash": {"controlplane": {"name_prefix": "k8s-cp"}},
    "duplicate_mac": {"controlplane": {"nodes": [{"name": "controlplane01", "mac": "00:a0:98:00:00:0a"}]},
                      "worker": {"nodes": [{"name": "worker02", "mac": "00:A0:98:00:00:0A"}]}},
    "mac_of_other_vm": {"worker": {"nodes": [{"name": "worker01", "mac": LEGACY_MAC}]}},
    "override_for_unknown_node": {"worker": {"count": 2, "nodes": [{"name": "worker03", "vcpus": 4}]}},
    "no_display_password": {"password": ""},
    "bridge_unknown": {"network": {"nic_attach": "br7"}},
    "iso_missing": {"storage": {"iso_path": "/mnt/tank/isos/missing.iso"}},
    "zvol_parent_missing": {"storage": {"zvol_parent": "tank/nothing"}},
}


def legacy_seed():
    seed = copy.deepcopy(load_seed_file(DEFAULT_SEED))
    seed["vms"] = {"machines": [copy.deepcopy(LEGACY_VM)]}
    return seed


def bad_input_then_scaling(scenario):
    """Every bad input in one playbook run, then scaling a small cluster down and up."""
    scenario.steps["seed"] = (None, scenario.server.state_dump())
    (scenario.workdir / "attempt.yml").write_text(BAD_INPUT_ATTEMPT)
    playbook = scenario.workdir / "bad_input.yml"
    playbook.write_text(BAD_INPUT_PLAYBOOK)
    outcomes = scenario.workdir / "outcomes.json"
    scenario.server.reset_counters()
    scenario.step("bad_input", playbook, {"cases": BAD_CASES, "outcomes_file": str(outcomes)})
    scenario.outcomes = json.loads(outcomes.read_text()) if outcomes.exists() else {}
    scenario.bad_input_calls = scenario.server.calls()

    inventory = scenario.workdir / "nodes.yml"
    small = {
        "k8s_cluster_vms_controlplane": {"count": 1},
        "k8s_cluster_vms_worker": {"count": 2, "memory": "6GiB", "disk_size": "20G",
                                   "nodes": [{"name": "worker02", "mac": "00:A0:98:12:34:02", "vcpus": 4}]},
    }
    scenario.step("check", BUILD, cluster_vars(inventory, **small), check=True)
    scenario.step("small", BUILD, cluster_vars(inventory, **small))
    fewer = copy.deepcopy(small)
    fewer["k8s_cluster_vms_worker"]["count"] = 1
    del fewer["k8s_cluster_vms_worker"]["nodes"]
    scenario.step("fewer_kept", BUILD, cluster_vars(inventory, **fewer))
    scenario.step("fewer_pruned", BUILD, cluster_vars(inventory, k8s_cluster_vms_prune=True, **fewer))
    scenario.inventory = inventory.read_text() if inventory.exists() else None
    scenario.step("destroy", DESTROY)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("k8s_role")
    collections = base / "collections"
    link = collections / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    scenarios = {}
    try:
        for profile in NAMES:
            scenarios[profile] = Scenario(profile, profile, base / profile, collections)
        scenarios["edge"] = Scenario("edge", "26", base / "edge", collections, seed=legacy_seed())
        jobs = [(lifecycle, scenarios[p]) for p in NAMES] + [(bad_input_then_scaling, scenarios["edge"])]
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            for future in [pool.submit(fn, scenario) for fn, scenario in jobs]:
                future.result()
        yield scenarios
    finally:
        for scenario in scenarios.values():
            scenario.stop()


def vms_by_name(state):
    return {vm["name"]: vm for vm in state["vms"].values()}


def devices_of(state, vm_id):
    return {dev["attributes"]["dtype"]: dev["attributes"] for dev in state["vm_devices"].values() if dev["vm"] == vm_id}


def zvols(state):
    return sorted(name for name, rec in state["datasets"].items() if rec.get("type") == "VOLUME")


def without(state, kinds):
    """``state`` without ``kinds``; pools without their transaction group counter, which every ZFS
    change (such as creating a zvol) moves on."""
    out = {kind: copy.deepcopy(value) for kind, value in state.items() if kind not in kinds}
    for pool in out.get("pools", {}).values():
        pool.pop("txg", None)
    return out


def secrets_of(scenario):
    return [scenario.server.credentials["api_key"], scenario.server.credentials["password"], DISPLAY_PASSWORD]


# ---- the default cluster on every profile -----------------------------------------------------

@pytest.mark.parametrize("profile", NAMES)
def test_build_creates_three_control_plane_and_three_worker_vms(runs, profile):
    run, state = runs[profile].steps["build"]
    assert run.rc == 0, run
    assert run.stats["failed"] == 0 and run.changed >= 1, run
    vms = vms_by_name(state)
    assert sorted(vms) == sorted(DEFAULT_NODES)
    for name, (memory, disk, port) in DEFAULT_NODES.items():
        vm = vms[name]
        assert (vm["vcpus"], vm["cores"], vm["threads"], vm["memory"]) == (2, 1, 1, memory), name
        assert vm["autostart"] is True and vm["bootloader"] == "UEFI"
        assert vm["description"] == "Kubernetes %s node (nasops.truenas.k8s_cluster_vms)" % name.rstrip("0123456789")
        assert state["vm_runtime"][str(vm["id"])]["state"] == "RUNNING", name
        devices = devices_of(state, vm["id"])
        assert sorted(devices) == ["CDROM", "DISK", "DISPLAY", "NIC"], name
        assert devices["CDROM"]["path"] == ISO
        assert devices["DISK"]["path"] == "/dev/zvol/tank/vms/%s-disk0" % name
        assert devices["DISK"]["type"] == "VIRTIO"
        assert devices["NIC"]["nic_attach"] == "br0" and devices["NIC"]["type"] == "VIRTIO"
        assert re.match(r"^00:a0:98(:[0-9a-f]{2}){3}$", devices["NIC"]["mac"]), devices["NIC"]
        display = devices["DISPLAY"]
        assert (display["type"], display["port"], display["web_port"]) == ("SPICE", port, port + 100), name
        assert (display["bind"], display["web"], display["password"]) == ("0.0.0.0", True, DISPLAY_PASSWORD)
        zvol = state["datasets"]["tank/vms/%s-disk0" % name]
        assert zvol["type"] == "VOLUME" and int(zvol["props"]["volsize"]) == disk, name
    macs = [devices_of(state, vm["id"])["NIC"]["mac"] for vm in vms.values()]
    assert len(set(macs)) == 6


@pytest.mark.parametrize("profile", NAMES)
def test_build_changes_nothing_but_the_cluster(runs, profile):
    seed = runs[profile].steps["seed"][1]
    state = runs[profile].steps["build"][1]
    assert without(state, CLUSTER_KINDS) == without(seed, CLUSTER_KINDS)
    created = sorted(set(state["datasets"]) - set(seed["datasets"]))
    assert created == sorted("tank/vms/%s-disk0" % name for name in DEFAULT_NODES)
    for name in seed["datasets"]:
        assert state["datasets"][name]["props"] == seed["datasets"][name]["props"], name


@pytest.mark.parametrize("profile", NAMES)
def test_inventory_file_lists_the_nodes(runs, profile):
    state = runs[profile].steps["build"][1]
    inventory = yaml.safe_load(runs[profile].inventory)
    children = inventory["all"]["children"]["k8s_cluster"]["children"]
    assert sorted(children) == ["k8s_cluster_controlplane", "k8s_cluster_worker"]
    assert sorted(children["k8s_cluster_controlplane"]["hosts"]) == [
        "controlplane01", "controlplane02", "controlplane03"]
    assert sorted(children["k8s_cluster_worker"]["hosts"]) == ["worker01", "worker02", "worker03"]
    vms = vms_by_name(state)
    for group in children.values():
        for name, host in group["hosts"].items():
            vm = vms[name]
            assert host == {
                "k8s_role": "controlplane" if name.startswith("controlplane") else "worker",
                "truenas_vm_id": vm["id"],
                "truenas_vm_state": "RUNNING",
                "mac_address": devices_of(state, vm["id"])["NIC"]["mac"],
                "display_port": DEFAULT_NODES[name][2],
            }


@pytest.mark.parametrize("profile", NAMES)
def test_second_run_changes_nothing(runs, profile):
    run, state = runs[profile].steps["rebuild"]
    assert run.rc == 0, run
    assert run.changed == 0, run
    assert state == runs[profile].steps["build"][1]


@pytest.mark.parametrize("profile", NAMES)
def test_destroy_leaves_no_vm_or_zvol_and_nothing_else_changed(runs, profile):
    run, state = runs[profile].steps["destroy"]
    assert run.rc == 0, run
    assert run.changed >= 1, run
    seed = runs[profile].steps["seed"][1]
    assert state["vms"] == {} and state["vm_devices"] == {}
    assert zvols(state) == zvols(seed) == []
    assert sorted(state["datasets"]) == sorted(seed["datasets"])
    assert without(state, CLUSTER_KINDS) == without(seed, CLUSTER_KINDS)


@pytest.mark.parametrize("profile", NAMES)
def test_no_secret_in_any_output(runs, profile):
    scenario = runs[profile]
    for name, (run, _state) in scenario.steps.items():
        if run is None:
            continue
        for secret in secrets_of(scenario):
            assert secret not in run.output, (name, secret)
    assert "Show the nodes" in scenario.steps["rebuild"][0].output


# ---- playbooks/storage.yml -------------------------------------------------------------------

@pytest.mark.parametrize("profile", NAMES)
def test_storage_playbook_builds_the_home_lab_storage(runs, profile):
    run, state = runs[profile].steps["storage"]
    assert run.rc == 0, run
    before = runs[profile].steps["destroy"][1]
    datasets = state["datasets"]
    assert sorted(set(datasets) - set(before["datasets"])) == ["tank/backups", "tank/k8s"]
    media, backups, k8s = datasets["tank/media"], datasets["tank/backups"], datasets["tank/k8s"]
    assert media["props"]["compression"].lower() == "zstd"
    assert int(media["props"]["recordsize"]) == 1024 ** 2
    assert backups["props"]["compression"].lower() == "lz4" and k8s["props"]["compression"].lower() == "lz4"
    assert int(backups["props"]["quota"]) == 500 * GIB
    assert [snap["id"] for snap in state["snapshots"].values()] == ["tank/media@baseline"]
    smb = list(state["smb_shares"].values())
    assert [(share["name"], share["path"], share["comment"]) for share in smb] == [
        ("media", "/mnt/tank/media", "Media library")]
    assert smb[0]["ro" if profile == "25.04" else "readonly"] is True
    nfs = sorted(state["nfs_shares"].values(), key=lambda share: share["path"])
    assert [(share["path"], share["networks"], share["maproot_user"], share["maproot_group"]) for share in nfs] == [
        ("/mnt/tank/backups", ["192.168.1.0/24"], None, None),
        ("/mnt/tank/k8s", ["192.168.1.0/24"], "root", "wheel"),
    ]


@pytest.mark.parametrize("profile", NAMES)
def test_storage_playbook_second_run_changes_nothing(runs, profile):
    run, state = runs[profile].steps["storage_again"]
    assert run.rc == 0, run
    assert run.changed == 0, run
    assert state == runs[profile].steps["storage"][1]


# ---- bad input: refused before any VM is created -----------------------------------------------

EXPECTED_FAILURES = {
    "count_negative": ("Check the inputs",
                       "Invalid input: k8s_cluster_vms_controlplane.count: must be a whole number from 0 to 99, got -1"),
    "memory_too_small": ("Check the inputs",
                         "Invalid input: k8s_cluster_vms_worker.memory: 512 MiB is too small for a Kubernetes worker "
                         "node; give at least 1024 MiB"),
    "memory_not_a_size": ("Check the inputs",
                          "Invalid input: k8s_cluster_vms_controlplane.memory: 'lots' is not a memory size; give MiB "
                          "as a number or a size such as 4G"),
    "prefix_with_dash": ("Check the inputs",
                         "Invalid input: k8s_cluster_vms_controlplane.name_prefix: TrueNAS VM names allow only "
                         "letters, digits and underscores, got 'k8s-cp'"),
    "duplicate_mac": ("Check the inputs",
                      "Invalid input: k8s_cluster_vms_worker.nodes[worker02].mac: 00:a0:98:00:00:0a is also the MAC "
                      "address of node controlplane01; each node needs its own"),
    "mac_of_other_vm": ("Check the nodes against the other VMs",
                        "Invalid input: k8s_cluster_vms_worker.nodes[worker01].mac: 00:a0:98:aa:bb:cc is already the "
                        "MAC address of a NIC of VM legacy"),
    "override_for_unknown_node": ("Check the inputs",
                                  "Invalid input: k8s_cluster_vms_worker.nodes: worker03 is not a node of the group "
                                  "(the group has worker01, worker02)"),
    "no_display_password": ("Check the inputs",
                            "Invalid input: k8s_cluster_vms_display_password: is required while displays are enabled "
                            "(TrueNAS refuses display devices without a password); set it or set "
                            "k8s_cluster_vms_display.enabled to false"),
}
LEGEND = ("devices[0] is the CD-ROM with k8s_cluster_vms_storage.iso_path, devices[1] the NIC from "
          "k8s_cluster_vms_network and the node's mac, devices[2] the disk in k8s_cluster_vms_storage.zvol_parent "
          "with the group's disk_size, devices[3] the display from k8s_cluster_vms_display")


def test_bad_input_run_finished(runs):
    run, state = runs["edge"].steps["bad_input"]
    assert run.rc == 0, run
    assert sorted(runs["edge"].outcomes) == sorted(BAD_CASES), run


@pytest.mark.parametrize("case", sorted(EXPECTED_FAILURES))
def test_bad_input_fails_in_validation(runs, case):
    outcome = runs["edge"].outcomes[case]
    task, message = EXPECTED_FAILURES[case]
    assert outcome == {"failed": True, "task": task, "msg": message}


def test_bad_type_fails_in_argument_validation(runs):
    outcome = runs["edge"].outcomes["count_not_a_number"]
    assert outcome["failed"] is True
    assert outcome["task"].startswith("Validating arguments against arg spec 'main'")
    assert "k8s_cluster_vms_worker" in outcome["msg"] and "count" in outcome["msg"], outcome
    assert "'three'" in outcome["msg"] or "three" in outcome["msg"], outcome


def test_unknown_bridge_fails_in_the_dry_run(runs):
    outcome = runs["edge"].outcomes["bridge_unknown"]
    assert outcome == {
        "failed": True, "task": "Say which input TrueNAS refused",
        "msg": "TrueNAS refused the cluster nodes: worker01: devices[1].nic_attach: 'br7' is not a network interface "
               "or bridge of this TrueNAS; choose one of br0, br1, enp1s0 (%s)" % LEGEND,
    }


def test_missing_zvol_parent_fails_in_the_dry_run(runs):
    outcome = runs["edge"].outcomes["zvol_parent_missing"]
    assert outcome == {
        "failed": True, "task": "Say which input TrueNAS refused",
        "msg": "TrueNAS refused the cluster nodes: worker01: devices[2].zvol: cannot create tank/nothing/worker01-disk0: "
               "its parent dataset tank/nothing does not exist (%s)" % LEGEND,
    }


def test_missing_iso_fails_in_the_dry_run_before_any_vm_exists(runs):
    outcome = runs["edge"].outcomes["iso_missing"]
    assert outcome == {
        "failed": True, "task": "Say which input TrueNAS refused",
        "msg": "TrueNAS refused the cluster nodes: worker01: devices[0].path: the ISO file /mnt/tank/isos/missing.iso "
               "does not exist on the TrueNAS; upload it first or correct the path (%s)" % LEGEND,
    }
    # truenas_vm asked TrueNAS for the file in the dry run (check mode) of the first new node;
    # no VM, device or zvol was created or deleted for this case (nor for any other bad input).
    # The cases that reach the dry run, in order: bridge_unknown, iso_missing, zvol_parent_missing.
    calls = runs["edge"].bad_input_calls
    assert [c["params"] for c in calls if c["method"] == "filesystem.stat"] == [
        [ISO], ["/mnt/tank/isos/missing.iso"], [ISO]]
    writes = ("vm.create", "vm.update", "vm.delete", "vm.start", "vm.random_mac", "vm.device.create",
              "vm.device.update", "vm.device.delete", "pool.dataset.create", "pool.dataset.delete")
    assert [c["method"] for c in calls if c["method"] in writes] == []


def test_bad_input_left_truenas_as_it_was(runs):
    seed = runs["edge"].steps["seed"][1]
    state = runs["edge"].steps["bad_input"][1]
    assert sorted(vms_by_name(state)) == ["legacy"]
    assert zvols(state) == []
    assert without(state, ("vm_runtime",)) == without(seed, ("vm_runtime",))


# ---- check mode, display ports next to another VM, MAC overrides, scaling ---------------------

def test_check_mode_creates_nothing(runs):
    run, state = runs["edge"].steps["check"]
    assert run.rc == 0, run
    assert sorted(vms_by_name(state)) == ["legacy"]
    assert zvols(state) == []


def test_small_cluster_next_to_another_vm(runs):
    run, state = runs["edge"].steps["small"]
    assert run.rc == 0, run
    vms = vms_by_name(state)
    assert sorted(vms) == ["controlplane01", "legacy", "worker01", "worker02"]
    ports = {name: devices_of(state, vms[name]["id"])["DISPLAY"]["port"] for name in vms}
    # 5910 and 5911 belong to the legacy VM's display: the control plane node takes the next pair.
    assert ports == {"legacy": 5910, "controlplane01": 5912, "worker01": 5920, "worker02": 5921}
    assert devices_of(state, vms["controlplane01"]["id"])["DISPLAY"]["web_port"] == 6012
    assert devices_of(state, vms["worker02"]["id"])["NIC"]["mac"] == "00:a0:98:12:34:02"
    assert (vms["worker02"]["vcpus"], vms["worker01"]["vcpus"]) == (4, 2)
    assert vms["worker01"]["memory"] == 6144
    assert int(state["datasets"]["tank/vms/worker01-disk0"]["props"]["volsize"]) == 20 * GIB
    seed = runs["edge"].steps["seed"][1]
    legacy_id = str(vms["legacy"]["id"])
    assert state["vms"][legacy_id] == seed["vms"][legacy_id]
    assert {k: v for k, v in state["vm_devices"].items() if v["vm"] == vms["legacy"]["id"]} == \
        {k: v for k, v in seed["vm_devices"].items() if v["vm"] == vms["legacy"]["id"]}


def test_lower_count_without_prune_keeps_and_reports_the_node(runs):
    run, state = runs["edge"].steps["fewer_kept"]
    assert run.rc == 0, run
    # Only the inventory file changed: worker02 is no longer a node of the cluster.
    assert run.changed_tasks() == ["nasops.truenas.k8s_cluster_vms : Write the nodes to the inventory file"], run
    assert ("Nodes beyond the group counts: worker02. They are kept; set k8s_cluster_vms_prune to true to remove "
            "them with their zvols.") in run.output
    assert state == runs["edge"].steps["small"][1]


def test_lower_count_with_prune_removes_the_highest_node_and_its_zvol(runs):
    run, state = runs["edge"].steps["fewer_pruned"]
    assert run.rc == 0, run
    assert "Nodes beyond the group counts: worker02. They are removed with their zvols" in run.output
    before = runs["edge"].steps["fewer_kept"][1]
    assert sorted(vms_by_name(state)) == ["controlplane01", "legacy", "worker01"]
    assert zvols(state) == ["tank/vms/controlplane01-disk0", "tank/vms/worker01-disk0"]
    for name in ("controlplane01", "worker01", "legacy"):
        vm_id = str(vms_by_name(before)[name]["id"])
        assert state["vms"][vm_id] == before["vms"][vm_id], name
    inventory = yaml.safe_load(runs["edge"].inventory)
    children = inventory["all"]["children"]["k8s_cluster"]["children"]
    assert sorted(children["k8s_cluster_worker"]["hosts"]) == ["worker01"]


def test_destroy_keeps_the_other_vm(runs):
    run, state = runs["edge"].steps["destroy"]
    assert run.rc == 0, run
    seed = runs["edge"].steps["seed"][1]
    assert sorted(vms_by_name(state)) == ["legacy"]
    assert zvols(state) == []
    assert without(state, ("vm_runtime",)) == without(seed, ("vm_runtime",))
    legacy_id = str(vms_by_name(state)["legacy"]["id"])
    assert state["vm_runtime"][legacy_id]["state"] == "RUNNING"
