# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_dataset against the simulator on every profile (25.04, 25.10, 26).

Each lifecycle runs create -> check-mode rerun -> rerun -> update -> delete and reads the
simulator's own state between the steps (out of band, never through the module under test).
Bad input must fail with a message naming the option and leave the simulator's state as it was.

The first create of each lifecycle runs the module as Ansible does (a subprocess); the other steps
run ``main()`` in this process with the same arguments, against the same server, to stay fast.
"""

import json
import os
import subprocess
import sys

import pytest
from tests.integration.conftest import module_calls


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
pytestmark = pytest.mark.timeout(120)


GiB = 1024 ** 3
MUTATIONS = ("pool.dataset.create", "pool.dataset.update", "pool.dataset.delete")
PASSPHRASE = "integration-passphrase-42"


def datasets(sim):
    return sim.state_dump("datasets")


def mutations(sim):
    return [c["method"] for c in sim.calls() if c["method"] in MUTATIONS]


def methods(sim):
    return module_calls(sim)


@pytest.fixture
def run(run_inproc):
    return lambda args, **kwargs: run_inproc("truenas_dataset", args, **kwargs)


def test_filesystem_lifecycle(sim, run, run_module):
    name = "tank/apps/web"
    create = {"name": name, "create_ancestors": True, "compression": "zstd", "atime": False, "quota": "10G",
              "recordsize": "1M", "comments": "Web", "user_properties": {"org.example:owner": "web"}}
    before = datasets(sim)

    check = run(create, check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"]["before"] == {}
    assert check["diff"]["after"]["quota"] == 10 * GiB
    assert datasets(sim) == before

    created = run_module("truenas_dataset", create, diff=True)
    assert created["changed"] is True, created
    assert created.get("warnings") in (None, [])
    state = datasets(sim)
    assert "tank/apps" in state
    record = state[name]
    assert record["type"] == "FILESYSTEM"
    assert record["props"]["compression"] == "zstd"
    assert record["props"]["atime"] == "off"
    assert record["props"]["quota"] == str(10 * GiB)
    assert record["props"]["recordsize"] == str(1024 ** 2)
    assert record["user_props"] == {"org.freenas:description": "Web", "org.example:owner": "web"}
    assert created["dataset"]["comments"] == "Web"
    assert created["dataset"]["source"]["compression"] == "LOCAL"

    sim.reset_counters()
    assert run(create, check=True)["changed"] is False
    again = run(create)
    assert again["changed"] is False
    assert again["dataset"] == created["dataset"]
    assert mutations(sim) == []
    sim.reset_counters()
    run(create)
    assert methods(sim) == ["pool.dataset.query"]
    query = sim.calls("pool.dataset.query")[0]["params"]
    assert query[0] == [["id", "=", name]]
    assert query[1]["extra"]["retrieve_children"] is False
    assert "compression" in query[1]["extra"]["properties"]

    update = {"name": name, "compression": "inherit", "quota": 0, "readonly": True, "comments": "Web tier",
              "user_properties": {"org.example:owner": None, "org.example:tier": "gold"}}
    check = run(update, check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"]["before"]["quota"] == 10 * GiB and check["diff"]["after"]["quota"] == 0
    assert datasets(sim)[name] == record
    updated = run(update)
    assert updated["changed"] is True
    record = datasets(sim)[name]
    assert "compression" not in record["props"]
    assert "quota" not in record["props"]
    assert record["props"]["readonly"] == "on"
    assert record["user_props"] == {"org.freenas:description": "Web tier", "org.example:tier": "gold"}
    assert updated["dataset"]["compression"] == "LZ4"
    assert updated["dataset"]["source"]["compression"] == "INHERITED"
    assert updated.get("warnings") in (None, [])
    sim.reset_counters()
    assert run(update, check=True)["changed"] is False
    assert run(update)["changed"] is False
    assert mutations(sim) == []

    delete = {"name": name, "state": "absent"}
    assert run(delete, check=True)["changed"] is True
    assert name in datasets(sim)
    deleted = run(delete)
    assert deleted["changed"] is True and deleted["dataset"] == {}
    assert name not in datasets(sim)
    assert run(delete, check=True)["changed"] is False
    assert run(delete)["changed"] is False


def test_volume_lifecycle(sim, run, run_module):
    name = "tank/vms/disk0"
    create = {"name": name, "volsize": 10000000}
    check = run(create, check=True)
    assert check["changed"] is True
    assert check["dataset"]["volsize"] == 10010624
    assert name not in datasets(sim)

    created = run_module("truenas_dataset", create)
    assert created["changed"] is True, created
    assert created.get("warnings") in (None, [])
    record = datasets(sim)[name]
    assert record["type"] == "VOLUME"
    assert record["props"]["volsize"] == "10010624"
    assert record["props"]["volblocksize"] == "16384"
    assert int(record["props"]["refreservation"]) >= 10010624
    assert created["dataset"]["sparse"] is False

    assert run(create, check=True)["changed"] is False
    assert run(create)["changed"] is False

    grow = {"name": name, "volsize": "20MiB"}
    assert run(grow, check=True)["changed"] is True
    assert datasets(sim)[name]["props"]["volsize"] == "10010624"
    grown = run(grow)
    assert grown["changed"] is True
    assert datasets(sim)[name]["props"]["volsize"] == str(20 * 1024 ** 2)
    assert run(grow)["changed"] is False

    state = datasets(sim)
    sim.reset_counters()
    shrink = run({"name": name, "volsize": "10M"})
    assert shrink["failed"] is True
    assert "volsize: cannot shrink volume 'tank/vms/disk0' from 20 MiB to 10 MiB" in shrink["msg"]
    assert datasets(sim) == state and mutations(sim) == []

    assert run({"name": name, "state": "absent"})["changed"] is True
    assert name not in datasets(sim)


def test_sparse_volume_with_its_own_block_size(sim, run):
    created = run({"name": "backup/thin", "volsize": "1G", "volblocksize": "64K", "sparse": True})
    assert created["changed"] is True, created
    record = datasets(sim)["backup/thin"]
    assert record["props"]["volblocksize"] == str(64 * 1024)
    assert record["sparse"] is True
    assert "refreservation" not in record["props"]
    assert created["dataset"]["sparse"] is True
    assert run({"name": "backup/thin", "volsize": "1G", "volblocksize": "64K", "sparse": True})["changed"] is False


def test_inherited_values_and_the_version_specific_comments(sim, run):
    state = datasets(sim)
    sim.reset_counters()
    same = run({"name": "tank/vms", "compression": "LZ4", "comments": "VM disks", "acltype": "posix"})
    assert same["changed"] is False
    assert same["dataset"]["source"]["compression"] == "INHERITED"
    assert datasets(sim) == state and mutations(sim) == []
    properties = sim.calls("pool.dataset.query")[0]["params"][1]["extra"]["properties"]
    assert ("comments" in properties) == (sim.profile.name == "25.04")

    changed = run({"name": "tank/vms", "comments": "Virtual machines"})
    assert changed["changed"] is True
    assert datasets(sim)["tank/vms"]["user_props"]["org.freenas:description"] == "Virtual machines"


def test_encrypted_dataset(sim, run):
    if sim.profile.at_least("26"):
        # 26: no algorithm (AES-256-GCM) and at least 1300000 iterations.
        args = {"name": "tank/secret", "encryption": True,
                "encryption_options": {"passphrase": PASSPHRASE, "pbkdf2iters": 1300000}}
        algorithm, iters = "aes-256-gcm", 1300000
    else:
        args = {"name": "tank/secret", "encryption": True,
                "encryption_options": {"passphrase": PASSPHRASE, "algorithm": "aes-128-gcm"}}
        algorithm, iters = "aes-128-gcm", 350000
    check = run(args, check=True, diff=True)
    created = run(args, diff=True)
    assert created["changed"] is True, created
    encryption = datasets(sim)["tank/secret"]["encryption"]
    assert encryption["root"] == "tank/secret"
    assert encryption["key_format"] == "passphrase"
    assert encryption["algorithm"] == algorithm
    assert created["dataset"]["encryption_options"] == {"algorithm": algorithm.upper(), "pbkdf2iters": iters}
    again = run(args)
    assert again["changed"] is False
    for result in (check, created, again):
        assert PASSPHRASE not in json.dumps(result)
    assert PASSPHRASE not in json.dumps(sim.calls())

    child = run({"name": "tank/secret/child"})
    assert child["dataset"]["encrypted"] is True and child["dataset"]["encryption"] is False
    assert datasets(sim)["tank/secret/child"]["encryption"]["root"] == "tank/secret"


@pytest.mark.sim_profiles("26")
def test_encryption_rules_of_26(sim, run):
    before = datasets(sim)
    low = {"name": "tank/secret", "encryption": True,
           "encryption_options": {"passphrase": PASSPHRASE, "pbkdf2iters": 350000}}
    for check in (True, False):
        refused = run(low, check=check)
        assert refused["failed"] is True and refused["changed"] is False
        assert refused["msg"] == ("Failed to create dataset 'tank/secret': encryption_options.pbkdf2iters: must be at "
                                  "least 1300000 on TrueNAS 26.0.0, got 350000")
    assert mutations(sim) == [] and datasets(sim) == before

    with_algorithm = {"name": "tank/secret", "encryption": True,
                      "encryption_options": {"passphrase": PASSPHRASE, "algorithm": "AES-256-GCM"}}
    refused = run(with_algorithm)
    assert refused["failed"] is True and refused["changed"] is False
    assert refused["msg"] == (
        "Failed to create dataset 'tank/secret': encryption_options.algorithm (TrueNAS 26.0.0 no longer takes an "
        "encryption algorithm and always uses AES-256-GCM; remove the option): Extra inputs are not permitted")
    assert datasets(sim) == before and PASSPHRASE not in json.dumps(refused)

    # Without algorithm and pbkdf2iters the server's defaults apply.
    created = run({"name": "tank/secret", "encryption": True, "encryption_options": {"passphrase": PASSPHRASE}})
    assert created["changed"] is True, created
    assert created["dataset"]["encryption_options"] == {"algorithm": "AES-256-GCM", "pbkdf2iters": 1300000}
    sent = sim.calls("pool.dataset.create")[-1]["params"][0]["encryption_options"]
    assert sent == {"passphrase": "********"}


def test_recursive_delete(sim, run):
    assert run({"name": "tank/tree/a/b", "create_ancestors": True})["changed"] is True
    state = datasets(sim)
    refused = run({"name": "tank/tree", "state": "absent"})
    assert refused["failed"] is True
    assert refused["msg"] == ("Failed to delete dataset 'tank/tree': recursive: dataset 'tank/tree' has child datasets "
                              "(tank/tree/a); set recursive: true to delete them with it")
    assert datasets(sim) == state
    deleted = run({"name": "tank/tree", "state": "absent", "recursive": True})
    assert deleted["changed"] is True
    assert not [n for n in datasets(sim) if n.startswith("tank/tree")]


@pytest.mark.parametrize("args, message", [
    ({"name": "nopool/data"}, "Failed to create dataset 'nopool/data': name: pool 'nopool' does not exist"),
    ({"name": "tank/missing/data"}, "Failed to create dataset 'tank/missing/data': name: parent dataset 'tank/missing' "
                                    "does not exist; set create_ancestors: true to create it"),
    ({"name": "tank/new", "quota": "12 parsecs"}, "quota: '12 parsecs' is not a valid size"),
    ({"name": "tank/new", "volsize": "-1G"}, "volsize: size must not be negative"),
    ({"name": "tank/vms", "volsize": "1G"}, "Failed to update dataset 'tank/vms': volsize: only applies to volumes (zvols), "
                                            "and 'tank/vms' is a filesystem"),
    ({"name": "tank/new", "compression": "lz5"}, "compression: 'lz5' is not a valid choice"),
    ({"name": "tank/new", "snapdir": "shown"}, "snapdir: 'shown' is not a valid choice; use one of disabled, visible, hidden, "
                                               "inherit (case-insensitive)"),
    ({"name": "tank/media", "casesensitivity": "insensitive"}, "casesensitivity: cannot be changed on the existing dataset "
                                                               "'tank/media' (current 'SENSITIVE', requested 'INSENSITIVE')"),
    ({"name": "tank/new", "quota": "100M"}, "quota: '100M' is below the TrueNAS minimum of 1 GiB"),
    ({"name": "tank/new", "volsize": "64T"}, "Failed to create dataset 'tank/new': volsize: It is not recommended to use "
                                             "more than 80% of your available space for VOLUME"),
])
def test_bad_input_names_the_option_and_changes_nothing(sim, run, args, message):
    state = datasets(sim)
    sim.reset_counters()
    result = run(args)
    assert result["failed"] is True
    assert result["msg"].startswith(message), result["msg"]
    assert result["changed"] is False
    assert datasets(sim) == state
    assert [m for m in mutations(sim) if m != "pool.dataset.create"] == []
    assert "tank/new" not in datasets(sim)


# ---- the storage playbooks, as ansible-playbook runs them ----------------------------------------

# Each playbook runs on any profile; to keep the suite fast each runs on a different one here (the
# module tests above cover every module on every profile).
PLAYBOOK_PROFILES = (("dataset.yml", "25.04"), ("snapshot.yml", "25.10"), ("storage_info.yml", "26"))


def start_playbook(playbook, profile, server, state_file, work, collections):
    """ansible-playbook on ``playbook`` against ``server``; the Popen."""
    from tests.simulator.profiles import PROFILES

    work.mkdir()
    extra = work / "vars.json"
    extra.write_text(json.dumps({
        "sim_url": server.url, "sim_api_key": server.credentials["api_key"],
        "sim_username": server.credentials["username"], "sim_ca": server.ca_file, "state_file": str(state_file),
        "truenas_version": profile, "truenas_product_version": PROFILES[profile].product_version,
    }))
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("TRUENAS_", "ANSIBLE_")):
            del env[name]
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_HOME=str(work / "ansible-home"),
               ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_PIPELINING="1", XDG_CACHE_HOME=str(work / "cache"))
    env.pop("NASOPS_TRUENAS_CODE_CACHE", None)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               os.path.join(ROOT, "tests", "integration", "playbooks", playbook), "-e", "@%s" % extra]
    return subprocess.Popen(command, cwd=str(work), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def changes(server):
    return [c["method"] for c in server.calls()
            if c["method"].rsplit(".", 1)[-1] in ("create", "update", "delete", "clone", "rollback")]


@pytest.mark.timeout(300)
def test_storage_playbooks(sim_factory, tmp_path):
    """dataset.yml, snapshot.yml and storage_info.yml at the same time, each against its own
    simulator; afterwards each call log shows exactly which changes reached TrueNAS."""
    collections = tmp_path / "collections"
    link = collections / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    runs = {}
    for playbook, profile in PLAYBOOK_PROFILES:
        state_file = tmp_path / ("state-%s.json" % profile)
        server = sim_factory(profile, state_file=str(state_file))
        runs[playbook] = (server, start_playbook(playbook, profile, server, state_file, tmp_path / profile, collections))
    outputs = {}
    for playbook, (server, proc) in runs.items():
        try:
            outputs[playbook] = (proc.communicate(timeout=280)[0], proc.returncode)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for playbook, (server, _proc) in runs.items():
        output, returncode = outputs[playbook]
        assert returncode == 0, "%s:\n%s" % (playbook, output)
        assert "failed=0" in output
        assert server.credentials["api_key"] not in output

    dataset_server = runs["dataset.yml"][0]
    assert changes(dataset_server) == ["pool.dataset.create", "pool.dataset.update", "pool.dataset.delete"]
    sent = dataset_server.calls("pool.dataset.create")[0]["params"][0]
    assert [item["value"] for item in sent.pop("user_properties")] == ["ops"]  # the call log masks "key" fields
    assert sent == {"name": "tank/playbook/data", "type": "FILESYSTEM", "compression": "ZSTD", "atime": "OFF",
                    "quota": 2 * GiB, "comments": "Playbook data", "create_ancestors": True}
    assert not [n for n in dataset_server.state_dump("datasets") if n.startswith("tank/playbook")]

    snapshot_server = runs["snapshot.yml"][0]
    assert changes(snapshot_server) == ["pool.snapshot.create", "pool.snapshot.clone", "pool.dataset.delete",
                                        "pool.snapshot.delete"]
    assert snapshot_server.state_dump("snapshots") == {}
    assert "tank/isos-copy" not in snapshot_server.state_dump("datasets")

    assert changes(runs["storage_info.yml"][0]) == []

    # The modules ran from their zip payloads through the compiled-code cache of module_utils, and
    # through the session broker: none of them imported the WebSocket transport
    for playbook, profile, used in (("dataset.yml", "25.04", "_resources.dataset"),
                                    ("snapshot.yml", "25.10", "_resources.snapshot"),
                                    ("storage_info.yml", "26", "_resources.pool")):
        cache = tmp_path / profile / "cache" / "nasops.truenas" / "code"
        cached = set(entry.partition(".%s-" % sys.implementation.cache_tag)[0] for entry in os.listdir(str(cache)))
        assert {"_client", "_broker", "_resource", used} <= cached, (playbook, cached)
        assert "_transport" not in cached, (playbook, cached)
