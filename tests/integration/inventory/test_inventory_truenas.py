# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ansible-inventory`` with the nasops.truenas.truenas plugin against the simulator.

Each simulator starts with VMs of its own: most come from the seed (the simulator's in-process
state), one (worker02) is created over JSON-RPC with vm.create / vm.device.create / vm.start, as
TrueNAS users would. The inventory sources are the example files in ``files/``; the connection
comes from the TRUENAS_* environment variables unless a test writes it into a source.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.simulator.pytest_plugin import api_key_login_calls, SHARED_OPTIONS, SimClient
from tests.simulator.server import SimServer
from tests.simulator.state import DEFAULT_SEED, load_seed_file

ROOT = Path(__file__).resolve().parents[3]
FILES = Path(__file__).resolve().parent / "files"
BIN = Path(sys.executable).parent
COLLECTIONS = ROOT / ".venv" / "collections"
DISPLAY_PASSWORD = "SpiceDisp42"
VNC_PASSWORD = "vnc4pw"
TEMPLATE_TEXT = "{{ lookup('pipe', 'id') }} control plane"

pytestmark = pytest.mark.timeout(120)


def seed_with_vms():
    seed = copy.deepcopy(load_seed_file(DEFAULT_SEED))
    seed["vms"] = {"machines": [
        {"name": "controlplane01", "memory": 4096, "vcpus": 2, "status": "RUNNING", "description": TEMPLATE_TEXT,
         "devices": [
             {"attributes": {"dtype": "NIC", "type": "VIRTIO", "nic_attach": "br0", "mac": "00:a0:98:00:00:01"}},
             {"attributes": {"dtype": "DISK", "path": "/dev/zvol/tank/vms/controlplane01", "type": "VIRTIO"},
              "order": 1001},
             {"attributes": {"dtype": "DISPLAY", "type": "SPICE", "port": 5900, "web_port": 5901,
                             "bind": "0.0.0.0", "password": DISPLAY_PASSWORD}},
         ]},
        {"name": "controlplane02", "memory": 4096, "vcpus": 2, "status": "RUNNING",
         "devices": [{"attributes": {"dtype": "NIC", "type": "VIRTIO", "nic_attach": "br0",
                                     "mac": "00:a0:98:00:00:02"}}]},
        {"name": "worker01", "memory": 8192, "vcpus": 4,
         "devices": [{"attributes": {"dtype": "NIC", "nic_attach": "br1", "mac": "00:a0:98:00:00:03"}}]},
        {"name": "scratch_01", "memory": 1024, "status": "SUSPENDED"},
        {"name": "db", "memory": 2048, "autostart": False},
    ]}
    return seed


def start_nas(profile):
    """A simulator with the VMs above plus worker02, made over JSON-RPC."""
    server = SimServer(profile, seed=seed_with_vms(), **SHARED_OPTIONS).start_background()
    client = SimClient(server.url, server.ca_file)
    try:
        client.login(server.credentials["username"], server.credentials["password"])
        vm = client.request("vm.create", {"name": "worker02", "memory": 2048, "description": "second worker"})
        client.request("vm.device.create", {"vm": vm["id"], "attributes": {
            "dtype": "NIC", "type": "VIRTIO", "nic_attach": "br1", "mac": "00:a0:98:00:00:04"}})
        display_type = "VNC" if profile != "25.04" else "SPICE"
        client.request("vm.device.create", {"vm": vm["id"], "attributes": {
            "dtype": "DISPLAY", "type": display_type, "port": 5910, "web_port": 5911, "web": display_type == "SPICE",
            "password": VNC_PASSWORD}})
        client.request("vm.start", vm["id"])
    except BaseException:
        server.stop_background()
        raise
    finally:
        client.close()
    server.reset_counters()
    return server


@pytest.fixture(scope="module", params=["25.04", "25.10", "26"])
def any_nas(request):
    server = start_nas(request.param)
    yield server
    server.stop_background()


@pytest.fixture(scope="module")
def nas():
    server = start_nas("25.10")
    yield server
    server.stop_background()


def environment(server, **extra):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("TRUENAS_", "ANSIBLE_")))
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_INVENTORY_ENABLED": "nasops.truenas.truenas",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "PATH": str(BIN) + os.pathsep + env.get("PATH", ""),
        "TRUENAS_URL": server.url,
        "TRUENAS_CA_PATH": server.ca_file,
        "TRUENAS_USERNAME": server.credentials["username"],
        "TRUENAS_API_KEY": server.credentials["api_key"],
    })
    env.update(extra)
    return dict((k, v) for k, v in env.items() if v is not None)


def ansible_inventory(source, env, *args, cwd=None):
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(source)] + list(args), env=env,
                          capture_output=True, text=True, timeout=90, check=False, cwd=cwd)
    return proc


def plain(value):
    """``--list`` output with the ``{"__ansible_unsafe": ...}`` markers taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return plain(value["__ansible_unsafe"])
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory_list(source, env, *args):
    proc = ansible_inventory(source, env, "--list", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def groups_of(listing):
    """group -> sorted hosts, for groups with hosts."""
    return dict((name, sorted(body["hosts"])) for name, body in listing.items()
                if name != "_meta" and isinstance(body, dict) and body.get("hosts"))


def secrets_of(server):
    return [server.credentials["api_key"], server.credentials["password"], DISPLAY_PASSWORD, VNC_PASSWORD]


# ---- default groups, host variables, one call --------------------------------------------------

def test_graph_of_the_default_groups(any_nas):
    proc = ansible_inventory(FILES / "all_vms.truenas.yml", environment(any_nas), "--graph")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "@all:\n"
        "  |--@ungrouped:\n"
        "  |--@truenas_running:\n"
        "  |  |--controlplane01\n"
        "  |  |--controlplane02\n"
        "  |  |--worker02\n"
        "  |--@truenas_prefix_controlplane:\n"
        "  |  |--controlplane01\n"
        "  |  |--controlplane02\n"
        "  |--@truenas_stopped:\n"
        "  |  |--worker01\n"
        "  |  |--db\n"
        "  |--@truenas_prefix_worker:\n"
        "  |  |--worker01\n"
        "  |  |--worker02\n"
        "  |--@truenas_suspended:\n"
        "  |  |--scratch_01\n"
        "  |--@truenas_prefix_scratch:\n"
        "  |  |--scratch_01\n"
        "  |--@truenas_prefix_db:\n"
        "  |  |--db\n"
    )


def test_list_has_host_variables_from_one_vm_query(any_nas):
    any_nas.reset_counters()
    listing = inventory_list(FILES / "all_vms.truenas.yml", environment(any_nas))
    methods = [c["method"] for c in any_nas.calls()]
    assert methods == api_key_login_calls(any_nas.profile) + ["system.version_short", "vm.query"]
    assert any_nas.calls("vm.query")[0]["params"] == [[], {}]

    hostvars = plain(listing["_meta"]["hostvars"])
    assert sorted(hostvars) == ["controlplane01", "controlplane02", "db", "scratch_01", "worker01", "worker02"]
    cp = hostvars["controlplane01"]
    devices = cp.pop("truenas_devices")
    assert cp == {
        "truenas_id": 1,
        "truenas_name": "controlplane01",
        "truenas_description": TEMPLATE_TEXT,
        "truenas_status": "RUNNING",
        "truenas_vcpus": 2,
        "truenas_cores": 1,
        "truenas_threads": 1,
        "truenas_cpu_count": 2,
        "truenas_memory": 4096,
        "truenas_min_memory": None,
        "truenas_autostart": True,
        "truenas_bootloader": "UEFI",
        "truenas_uuid": cp["truenas_uuid"],
        "truenas_nic_macs": ["00:a0:98:00:00:01"],
        "truenas_nic_attach": ["br0"],
        "truenas_display_ports": [{"type": "SPICE", "port": 5900, "web_port": 5901}],
        "truenas_disks": ["/dev/zvol/tank/vms/controlplane01"],
        "truenas_cdroms": [],
    }
    assert len(cp["truenas_uuid"]) == 36
    assert [(d["dtype"], d["order"]) for d in devices] == [("DISK", 1001), ("NIC", 1002), ("DISPLAY", 1002)]
    assert devices[2] == {"id": devices[2]["id"], "dtype": "DISPLAY", "order": 1002, "type": "SPICE", "port": 5900,
                          "web_port": 5901, "bind": "0.0.0.0", "web": True, "resolution": "1024x768"}
    w2 = hostvars["worker02"]
    assert (w2["truenas_status"], w2["truenas_memory"], w2["truenas_description"]) == ("RUNNING", 2048, "second worker")
    assert w2["truenas_nic_macs"] == ["00:a0:98:00:00:04"] and w2["truenas_nic_attach"] == ["br1"]
    display = "VNC" if any_nas.profile.name != "25.04" else "SPICE"
    assert w2["truenas_display_ports"] == [{"type": display, "port": 5910, "web_port": 5911}]
    assert (hostvars["db"]["truenas_status"], hostvars["db"]["truenas_autostart"]) == ("STOPPED", False)
    assert hostvars["scratch_01"]["truenas_status"] == "SUSPENDED"
    assert hostvars["worker01"]["truenas_cpu_count"] == 4

    text = json.dumps(listing)
    for secret in secrets_of(any_nas):
        assert secret not in text


def test_api_values_are_marked_unsafe(nas):
    listing = inventory_list(FILES / "all_vms.truenas.yml", environment(nas))
    cp = listing["_meta"]["hostvars"]["controlplane01"]
    assert cp["truenas_description"] == {"__ansible_unsafe": TEMPLATE_TEXT}
    assert cp["truenas_name"] == {"__ansible_unsafe": "controlplane01"}
    assert cp["truenas_nic_macs"] == [{"__ansible_unsafe": "00:a0:98:00:00:01"}]


# ---- constructed features ------------------------------------------------------------------------

def test_compose_groups_and_keyed_groups(nas):
    listing = inventory_list(FILES / "constructed.truenas.yml", environment(nas))
    assert groups_of(listing) == {
        "big_vms": ["worker01"],
        "with_display": ["controlplane01", "worker02"],
        "network_br0": ["controlplane01", "controlplane02"],
        "network_br1": ["worker01", "worker02"],
        "power_running": ["controlplane01", "controlplane02", "worker02"],
        "power_stopped": ["db", "worker01"],
        "power_suspended": ["scratch_01"],
    }
    hostvars = plain(listing["_meta"]["hostvars"])
    cp = hostvars["controlplane01"]
    assert (cp["ansible_host"], cp["first_mac"], cp["ram_gib"]) == (
        "controlplane01.lab.example.com", "00:a0:98:00:00:01", 4)
    # the description holds a template; composing it copies the text, it is never rendered
    assert cp["about"] == TEMPLATE_TEXT
    assert hostvars["db"]["first_mac"] == "none"
    assert not any(name.startswith("truenas_") for name in listing)


# ---- filters and exclude -------------------------------------------------------------------------

def test_filters_are_applied_by_truenas_and_exclude_by_the_plugin(nas):
    nas.reset_counters()
    listing = inventory_list(FILES / "running.truenas.yml", environment(nas))
    assert nas.calls("vm.query")[0]["params"] == [[["status.state", "=", "RUNNING"]], {}]
    assert sorted(listing["_meta"]["hostvars"]) == ["controlplane01", "worker02"]
    assert groups_of(listing) == {"truenas_prefix_controlplane": ["controlplane01"],
                                  "truenas_prefix_worker": ["worker02"]}


def test_filters_truenas_rejects_are_a_parser_error(nas):
    proc = ansible_inventory(FILES / "bad_filters.truenas.yml", environment(nas), "--list")
    assert proc.returncode != 0
    assert "filters: Value error, Invalid operation: ==" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- connection options --------------------------------------------------------------------------

def test_connection_options_in_the_source_file(nas, tmp_path):
    source = tmp_path / "lab.truenas.yaml"
    source.write_text(
        "plugin: nasops.truenas.truenas\n"
        "url: %s\n"
        "ca_path: %s\n"
        "username: %s\n"
        "timeout: 20\n"
        "exclude: ['*0[2-9]', scratch_01]\n"
        "default_groups: [state]\n" % (nas.url, nas.ca_file, nas.credentials["username"]))
    env = environment(nas, TRUENAS_URL=None, TRUENAS_CA_PATH=None, TRUENAS_USERNAME=None, TRUENAS_API_KEY=None,
                      TRUENAS_PASSWORD=nas.credentials["password"])
    listing = inventory_list(source, env)
    assert groups_of(listing) == {"truenas_running": ["controlplane01"], "truenas_stopped": ["db", "worker01"]}


def test_empty_truenas_variables_from_awx_count_as_unset(nas):
    env = environment(nas, TRUENAS_HOST="", TRUENAS_PORT="", TRUENAS_PASSWORD="", TRUENAS_OTP_TOKEN="",
                      TRUENAS_VALIDATE_CERTS="", TRUENAS_TIMEOUT="")
    listing = inventory_list(FILES / "all_vms.truenas.yml", env)
    assert len(listing["_meta"]["hostvars"]) == 6


def test_a_wrong_api_key_is_a_clear_parser_error_without_secrets(nas):
    wrong = "1-" + "Wr0ngKey" * 8
    proc = ansible_inventory(FILES / "all_vms.truenas.yml", environment(nas, TRUENAS_API_KEY=wrong), "--list",
                             "-vvvv")
    assert proc.returncode != 0
    assert ("auth.login_ex: authentication failed: the API key is wrong, revoked, or does not belong to user admin"
            in proc.stderr)
    # -vvvv shows the client's debug log, and still no secret
    assert "logging in with api_key (user admin)" in proc.stdout
    assert '"_meta"' not in proc.stdout
    for secret in [wrong] + secrets_of(nas):
        assert secret not in proc.stdout + proc.stderr


def test_a_wrong_password_is_a_clear_parser_error_without_secrets(nas):
    env = environment(nas, TRUENAS_API_KEY="", TRUENAS_PASSWORD="not-the-Passw0rd")
    proc = ansible_inventory(FILES / "all_vms.truenas.yml", env, "--graph")
    assert proc.returncode != 0
    assert "auth.login_ex: authentication failed: wrong username or password for user admin" in proc.stderr
    assert "not-the-Passw0rd" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_address_names_the_option(nas):
    proc = ansible_inventory(FILES / "all_vms.truenas.yml", environment(nas, TRUENAS_URL=""), "--graph")
    assert proc.returncode != 0
    assert "set host (or url) to the TrueNAS address" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- cache ---------------------------------------------------------------------------------------

def test_cache_serves_a_second_run_with_truenas_stopped(tmp_path):
    server = start_nas("25.10")
    try:
        ca_file = tmp_path / "ca.pem"
        shutil.copyfile(server.ca_file, ca_file)
        env = environment(server, ANSIBLE_INVENTORY_CACHE_CONNECTION=str(tmp_path / "cache"), TRUENAS_CA_PATH=str(ca_file))
        first = inventory_list(FILES / "cached.truenas.yml", env)
        assert len(server.calls("vm.query")) == 1
        cache_files = list((tmp_path / "cache").iterdir())
        assert len(cache_files) == 1
        for secret in secrets_of(server):
            assert secret not in cache_files[0].read_text()
    finally:
        server.stop_background()

    second = inventory_list(FILES / "cached.truenas.yml", env)
    assert second == first
    assert sorted(groups_of(second)["truenas_running"]) == ["controlplane01", "controlplane02", "worker02"]

    # --flush-cache reads TrueNAS again, which is gone now
    proc = ansible_inventory(FILES / "cached.truenas.yml", env, "--list", "--flush-cache")
    assert proc.returncode != 0
    assert "connection refused by 127.0.0.1:%d (nothing listens on that port" % server.port in proc.stderr
    assert "Traceback" not in proc.stderr
