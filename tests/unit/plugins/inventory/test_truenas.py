# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nasops.truenas.truenas inventory plugin with a fake client in place of the network.

The plugin is configured the way the plugin loader does it (its documentation, with the doc
fragments merged, registered as its option definitions), so options, environment variables and
defaults behave as under ansible-inventory. The fake replaces only ``TrueNASClient``: option
checks of ``ConnectionSettings`` run for real.
"""

import copy
import json

import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.doc_fragments import constructed as constructed_fragment
from ansible.plugins.doc_fragments import inventory_cache as cache_fragment

from ansible_collections.nasops.truenas.plugins.doc_fragments import connection as connection_fragment
from ansible_collections.nasops.truenas.plugins.inventory import truenas
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASConnectionError,
    TrueNASValidationError,
    error_from_wire,
)
from ansible_collections.nasops.truenas.plugins.module_utils._module import TrueNASModule
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities
from ansible_collections.nasops.truenas.plugins.plugin_utils import _client as plugin_client

from tests.unit.conftest import CONNECTION_ARGS, patch_module_args

try:
    from ansible.module_utils import _internal as module_utils_internal
except ImportError:  # ansible-core before data tagging
    module_utils_internal = None

# Importing controller code (the plugin, InventoryData) marks the whole process as the Ansible
# controller (ansible-core 2.19+), which makes AnsibleModule hand its warnings to the controller's
# display instead of returning them. Module tests share this process, so the mark is taken off
# again and set only while the tests of this file run.
if module_utils_internal is not None and hasattr(module_utils_internal, "is_controller"):
    module_utils_internal.is_controller = False


@pytest.fixture(autouse=True)
def _controller_process(monkeypatch):
    if module_utils_internal is not None and hasattr(module_utils_internal, "is_controller"):
        monkeypatch.setattr(module_utils_internal, "is_controller", True)


NAME = "nasops.truenas.truenas"
API_KEY = "1-" + "S3cretKey" * 7
DISPLAY_PASSWORD = "dispPW42x"


# ---- the VMs vm.query returns --------------------------------------------------------------------

def nic(dev_id, vm_id, mac, attach, order=1002):
    return {"id": dev_id, "vm": vm_id, "order": order,
            "attributes": {"dtype": "NIC", "type": "VIRTIO", "mac": mac, "nic_attach": attach,
                           "trust_guest_rx_filters": False}}


def vm_entry(vm_id, name, state="STOPPED", memory=2048, devices=(), description="", **extra):
    entry = {
        "id": vm_id, "name": name, "description": description, "vcpus": 2, "cores": 1, "threads": 2,
        "cpu_mode": "CUSTOM", "cpu_model": None, "memory": memory, "min_memory": None, "autostart": True,
        "bootloader": "UEFI", "bootloader_ovmf": "OVMF_CODE_4M.fd", "uuid": "00000000-0000-4000-8000-%012d" % vm_id,
        "devices": list(devices), "display_available": False,
        "status": {"state": state, "pid": 4100 if state == "RUNNING" else None,
                   "domain_state": {"RUNNING": "RUNNING", "STOPPED": "SHUTOFF", "SUSPENDED": "PAUSED"}.get(state, "ERROR")},
    }
    entry.update(extra)
    return entry


CONTROLPLANE01 = vm_entry(1, "controlplane01", "RUNNING", 4096, devices=[
    {"id": 3, "vm": 1, "order": 1001,
     "attributes": {"dtype": "DISK", "path": "/dev/zvol/tank/vms/cp01", "type": "VIRTIO", "iotype": "THREADS",
                    "serial": "a1b2c3d4", "create_zvol": False, "zvol_name": None, "zvol_volsize": None,
                    "logical_sectorsize": None, "physical_sectorsize": None}},
    nic(1, 1, "00:a0:98:00:00:01", "br0"),
    {"id": 2, "vm": 1, "order": 1002,
     "attributes": {"dtype": "DISPLAY", "type": "SPICE", "port": 5900, "web_port": 5901, "bind": "0.0.0.0",
                    "wait": False, "web": True, "resolution": "1024x768", "password": DISPLAY_PASSWORD}},
    {"id": 4, "vm": 1, "order": 1000, "attributes": {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"}},
    nic(5, 1, None, "br1", order=1003),
], description="control plane {{ lookup('pipe', 'id') }}")
CONTROLPLANE02 = vm_entry(2, "controlplane02", "RUNNING", 4096, devices=[nic(6, 2, "00:a0:98:00:00:02", "br0")])
WORKER01 = vm_entry(3, "worker01", "STOPPED", 8192, devices=[nic(7, 3, "00:a0:98:00:00:03", "br1")])
WORKER02_TEST = vm_entry(4, "worker02_test", "SUSPENDED", 8192)
DB = vm_entry(5, "db", "ERROR", 1024)
ALL_VMS = [CONTROLPLANE01, CONTROLPLANE02, WORKER01, WORKER02_TEST, DB]


# ---- the fake client -----------------------------------------------------------------------------

class FakeTrueNAS:
    """Builds fake clients for ``plugin_utils._client.TrueNASClient`` and records what they did."""

    def __init__(self, vms=None, version="25.10.5"):
        self.vms = copy.deepcopy(ALL_VMS if vms is None else vms)
        self.version = version
        self.connect_error = None
        self.query_error = None
        self.clients = []

    def __call__(self, settings, log=None):
        client = FakeClient(self, settings)
        self.clients.append(client)
        return client

    @property
    def calls(self):
        return [call for client in self.clients for call in client.calls]


def _field(record, path):
    for part in path.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


class FakeClient:
    def __init__(self, server, settings):
        self.server = server
        self.settings = settings
        self.calls = []
        self.warnings = []
        self.closed = False
        self.caps = None

    def connect(self):
        self.calls.append(("connect",))
        if self.server.connect_error is not None:
            raise self.server.connect_error
        self.caps = Capabilities(self.server.version)
        return self

    def query(self, method, filters=None, options=None):
        self.calls.append((method, copy.deepcopy(filters)))
        if self.server.query_error is not None:
            raise self.server.query_error
        assert method == "vm.query"
        rows = self.server.vms
        for field, op, value in filters or []:
            assert op in ("=", "^")
            rows = [r for r in rows if (_field(r, field) == value if op == "=" else
                                        str(_field(r, field)).startswith(value))]
        return copy.deepcopy(rows)

    def close(self):
        self.closed = True


@pytest.fixture
def server(monkeypatch):
    fake = FakeTrueNAS()
    monkeypatch.setattr(plugin_client, "TrueNASClient", fake)
    # the fake stands for a direct connection; the session broker is tested against the simulator
    monkeypatch.setenv("TRUENAS_BROKER_IDLE_TIMEOUT", "0")
    return fake


# ---- running the plugin --------------------------------------------------------------------------

def _fragment_options(text):
    return yaml.safe_load(text).get("options") or {}


def _register_option_definitions():
    doc = yaml.safe_load(truenas.DOCUMENTATION)
    fragments = {
        "nasops.truenas.connection.plugins": connection_fragment.ModuleDocFragment.PLUGINS,
        "ansible.builtin.constructed": constructed_fragment.ModuleDocFragment.DOCUMENTATION,
        "ansible.builtin.inventory_cache": cache_fragment.ModuleDocFragment.DOCUMENTATION,
    }
    assert doc["extends_documentation_fragment"] == list(fragments)
    options = {}
    for name in doc["extends_documentation_fragment"]:
        options.update(copy.deepcopy(_fragment_options(fragments[name])))
    options.update(doc["options"])
    C.config.initialize_plugin_configuration_definitions("inventory", NAME, options)


class Run:
    """One parse of an inventory source: the InventoryData and the plugin."""

    def __init__(self, inventory, plugin):
        self.inventory = inventory
        self.plugin = plugin

    def hosts(self):
        return sorted(self.inventory.hosts)

    def group(self, name):
        group = self.inventory.groups.get(name)
        return None if group is None else sorted(h.name for h in group.get_hosts())

    def truenas_groups(self):
        return sorted(g for g in self.inventory.groups if g.startswith("truenas_"))

    def hostvars(self, host):
        return dict(self.inventory.get_host(host).get_vars())


@pytest.fixture
def run_inventory(tmp_path):
    """``run_inventory(config, name="vms.truenas.yml", cache=True)`` -> Run; writes the source and
    parses it with a freshly loaded plugin, as ansible-inventory does."""
    _register_option_definitions()

    def run(config, name="vms.truenas.yml", cache=True):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": NAME}, **config)))
        plugin = truenas.InventoryModule()
        plugin._load_name = NAME
        plugin.ansible_name = NAME
        plugin._redirected_names = [NAME]
        inventory = InventoryData()
        assert plugin.verify_file(str(path))
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        if getattr(plugin, "_cache", None) is not None and hasattr(plugin._cache, "update_cache_if_changed"):
            plugin.update_cache_if_changed()
        return Run(inventory, plugin)

    return run


CONNECTION = {"host": "nas.example.test", "username": "admin", "api_key": API_KEY}


def module_message(exc, capsys):
    """The ``msg`` a module shows when it fails with ``exc`` (TrueNASModule.fail_from_error)."""
    with patch_module_args(dict(CONNECTION_ARGS)):
        module = TrueNASModule(argument_spec={})
        with pytest.raises(SystemExit):
            module.fail_from_error(exc)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["msg"]


# ---- pure helpers --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, prefix", [
    ("controlplane01", "controlplane"),
    ("controlplane2", "controlplane"),
    ("web_01", "web"),
    ("k8s_worker_3", "k8s_worker"),
    ("db", "db"),
    ("2024", ""),
])
def test_name_prefix_drops_trailing_digits_and_underscores(name, prefix):
    assert truenas.name_prefix(name) == prefix


def test_host_vars_summarise_the_vm_and_its_devices_without_secrets():
    values = truenas.host_vars(CONTROLPLANE01)
    assert values == {
        "truenas_id": 1,
        "truenas_name": "controlplane01",
        "truenas_description": "control plane {{ lookup('pipe', 'id') }}",
        "truenas_status": "RUNNING",
        "truenas_vcpus": 2,
        "truenas_cores": 1,
        "truenas_threads": 2,
        "truenas_cpu_count": 4,
        "truenas_memory": 4096,
        "truenas_min_memory": None,
        "truenas_autostart": True,
        "truenas_bootloader": "UEFI",
        "truenas_uuid": "00000000-0000-4000-8000-000000000001",
        "truenas_nic_macs": ["00:a0:98:00:00:01", None],
        "truenas_nic_attach": ["br0", "br1"],
        "truenas_display_ports": [{"type": "SPICE", "port": 5900, "web_port": 5901}],
        "truenas_disks": ["/dev/zvol/tank/vms/cp01"],
        "truenas_cdroms": ["/mnt/tank/isos/talos-1.8.iso"],
        "truenas_devices": [
            {"id": 4, "dtype": "CDROM", "order": 1000, "path": "/mnt/tank/isos/talos-1.8.iso"},
            {"id": 3, "dtype": "DISK", "order": 1001, "path": "/dev/zvol/tank/vms/cp01", "type": "VIRTIO",
             "iotype": "THREADS"},
            {"id": 1, "dtype": "NIC", "order": 1002, "type": "VIRTIO", "mac": "00:a0:98:00:00:01", "nic_attach": "br0",
             "trust_guest_rx_filters": False},
            {"id": 2, "dtype": "DISPLAY", "order": 1002, "type": "SPICE", "port": 5900, "web_port": 5901,
             "bind": "0.0.0.0", "web": True, "resolution": "1024x768"},
            {"id": 5, "dtype": "NIC", "order": 1003, "type": "VIRTIO", "mac": None, "nic_attach": "br1",
             "trust_guest_rx_filters": False},
        ],
    }
    assert DISPLAY_PASSWORD not in json.dumps(values)


def test_device_summary_of_unknown_or_partial_devices_keeps_only_known_keys():
    unknown = {"id": 9, "order": 1005, "attributes": {"dtype": "TPM", "secret": "x"}}
    assert truenas.device_summary(unknown) == {"id": 9, "dtype": "TPM", "order": 1005}
    partial = {"id": 8, "order": None, "attributes": {"dtype": "DISPLAY", "port": 5950, "password": "hidden1"}}
    assert truenas.device_summary(partial) == {"id": 8, "dtype": "DISPLAY", "order": None, "port": 5950}


def test_host_vars_of_a_sparse_record():
    values = truenas.host_vars({"id": 7, "name": "bare"})
    assert values["truenas_status"] == "UNKNOWN"
    assert values["truenas_description"] == ""
    assert values["truenas_cpu_count"] is None
    assert values["truenas_devices"] == [] and values["truenas_nic_macs"] == [] and values["truenas_display_ports"] == []


@pytest.mark.parametrize("filters", [
    [],
    [["name", "^", "k8s"]],
    [["status.state", "=", "RUNNING"], ["OR", [["memory", ">", 1024], ["name", "=", "db"]]]],
])
def test_check_filters_accepts_query_filters(filters):
    assert truenas.check_filters(filters) == filters


@pytest.mark.parametrize("filters, reason", [
    ("name = db", "must be a list of conditions such as [[\"name\", \"^\", \"k8s\"]], got str"),
    ([["name", "="]], "item 1 must be a condition [field, operator, value] or [\"OR\", [conditions]], got [\"name\", \"=\"]"),
    ([["name", "=", "a"], {"name": "b"}],
     "item 2 must be a condition [field, operator, value] or [\"OR\", [conditions]], got {\"name\": \"b\"}"),
    ([["OR", "name"]], "item 1 must be a condition [field, operator, value] or [\"OR\", [conditions]], got [\"OR\", \"name\"]"),
])
def test_check_filters_rejects_other_shapes(filters, reason):
    with pytest.raises(ValueError) as info:
        truenas.check_filters(filters)
    assert str(info.value) == reason


def test_verify_file_wants_a_truenas_yml_suffix(tmp_path):
    plugin = truenas.InventoryModule()
    for name in ("vms.truenas.yml", "vms.truenas.yaml", "truenas.yml", "lab-truenas.yaml"):
        (tmp_path / name).write_text("plugin: %s\n" % NAME)
        assert plugin.verify_file(str(tmp_path / name)) is True, name
    for name in ("vms.yml", "truenas.yml.bak", "truenas.json", "vms.truenas.ini"):
        (tmp_path / name).write_text("plugin: %s\n" % NAME)
        assert plugin.verify_file(str(tmp_path / name)) is False, name
    assert plugin.verify_file(str(tmp_path / "missing.truenas.yml")) is False


# ---- parse: hosts, variables and groups ----------------------------------------------------------

def test_every_vm_becomes_a_host_with_default_groups_from_one_query(server, run_inventory):
    run = run_inventory(CONNECTION)
    assert run.hosts() == ["controlplane01", "controlplane02", "db", "worker01", "worker02_test"]
    assert run.truenas_groups() == ["truenas_error", "truenas_prefix_controlplane", "truenas_prefix_db",
                                    "truenas_prefix_worker", "truenas_prefix_worker02_test", "truenas_running",
                                    "truenas_stopped", "truenas_suspended"]
    assert run.group("truenas_running") == ["controlplane01", "controlplane02"]
    assert run.group("truenas_stopped") == ["worker01"]
    assert run.group("truenas_suspended") == ["worker02_test"]
    assert run.group("truenas_error") == ["db"]
    assert run.group("truenas_prefix_controlplane") == ["controlplane01", "controlplane02"]
    assert run.group("truenas_prefix_worker") == ["worker01"]
    vars_cp = run.hostvars("controlplane01")
    assert {k: v for k, v in vars_cp.items() if k.startswith("truenas_")} == truenas.host_vars(CONTROLPLANE01)
    assert run.hostvars("worker01")["truenas_nic_macs"] == ["00:a0:98:00:00:03"]
    # one connection, one vm.query, no per-VM call; the connection is closed
    assert server.calls == [("connect",), ("vm.query", [])]
    assert len(server.clients) == 1 and server.clients[0].closed
    settings = server.clients[0].settings
    assert settings.endpoint == "wss://nas.example.test/api/current"
    assert settings.validate_certs is True and settings.timeout == 60.0


def test_no_display_password_reaches_the_inventory(server, run_inventory):
    run = run_inventory(CONNECTION)
    dumped = json.dumps({h: run.hostvars(h) for h in run.hosts()}, default=str)
    assert DISPLAY_PASSWORD not in dumped
    assert "password" not in dumped


def test_default_groups_can_be_switched_off(server, run_inventory):
    assert run_inventory(dict(CONNECTION, default_groups=[])).truenas_groups() == []
    assert run_inventory(dict(CONNECTION, default_groups=["state"])).truenas_groups() == [
        "truenas_error", "truenas_running", "truenas_stopped", "truenas_suspended"]
    assert run_inventory(dict(CONNECTION, default_groups=["prefix"])).truenas_groups() == [
        "truenas_prefix_controlplane", "truenas_prefix_db", "truenas_prefix_worker", "truenas_prefix_worker02_test"]


def test_unknown_default_group_kind_is_refused(server, run_inventory):
    with pytest.raises(AnsibleError) as info:
        run_inventory(dict(CONNECTION, default_groups=["state", "color"]))
    assert "default_groups" in str(info.value) and "color" in str(info.value)


def test_filters_go_to_vm_query_unchanged(server, run_inventory):
    run = run_inventory(dict(CONNECTION, filters=[["name", "^", "controlplane"], ["status.state", "=", "RUNNING"]]))
    assert server.calls == [("connect",), ("vm.query", [["name", "^", "controlplane"], ["status.state", "=", "RUNNING"]])]
    assert run.hosts() == ["controlplane01", "controlplane02"]


def test_filters_select_hosts(server, run_inventory):
    run = run_inventory(dict(CONNECTION, filters=[["name", "^", "controlplane"]]))
    assert run.hosts() == ["controlplane01", "controlplane02"]


def test_bad_filters_fail_before_connecting(server, run_inventory):
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(dict(CONNECTION, filters=[["name", "="]]))
    assert str(info.value).startswith("filters: item 1 must be a condition [field, operator, value]")
    assert server.clients == []


def test_exclude_patterns(server, run_inventory):
    run = run_inventory(dict(CONNECTION, exclude=["*_test", "db"]))
    assert run.hosts() == ["controlplane01", "controlplane02", "worker01"]
    assert run.group("truenas_error") is None
    run = run_inventory(dict(CONNECTION, exclude=["controlplane0[2-9]", "WORKER*"]))
    assert run.hosts() == ["controlplane01", "db", "worker01", "worker02_test"]


def test_compose_groups_and_keyed_groups(server, run_inventory):
    run = run_inventory(dict(
        CONNECTION,
        compose={"ansible_host": "truenas_name ~ '.lab.example.com'", "first_mac": "truenas_nic_macs | first",
                 "ram_gib": "truenas_memory // 1024"},
        groups={"big": "truenas_memory >= 8192", "has_display": "truenas_display_ports | length > 0"},
        keyed_groups=[{"key": "truenas_nic_attach", "prefix": "net"},
                      {"key": "truenas_status | lower", "prefix": "power", "separator": "_"}],
        strict=True,
        exclude=["db", "worker02_test"],
    ))
    cp = run.hostvars("controlplane01")
    assert cp["ansible_host"] == "controlplane01.lab.example.com"
    assert cp["first_mac"] == "00:a0:98:00:00:01"
    assert cp["ram_gib"] == 4
    assert run.group("big") == ["worker01"]
    assert run.group("has_display") == ["controlplane01"]
    assert run.group("net_br0") == ["controlplane01", "controlplane02"]
    assert run.group("net_br1") == ["controlplane01", "worker01"]
    assert run.group("power_running") == ["controlplane01", "controlplane02"]
    assert run.group("power_stopped") == ["worker01"]


def test_strict_makes_a_bad_compose_expression_an_error(server, run_inventory):
    config = dict(CONNECTION, compose={"x": "truenas_no_such_var + 1"})
    run = run_inventory(config)
    assert "x" not in run.hostvars("worker01")
    with pytest.raises(AnsibleError) as info:
        run_inventory(dict(config, strict=True))
    assert "Could not set x for host" in str(info.value)


def test_api_text_is_never_templated(server, run_inventory):
    run = run_inventory(dict(CONNECTION, compose={"about": "truenas_description", "first_disk": "truenas_disks[0]"}))
    cp = run.hostvars("controlplane01")
    assert cp["about"] == "control plane {{ lookup('pipe', 'id') }}"
    assert cp["first_disk"] == "/dev/zvol/tank/vms/cp01"


# ---- connection options and environment variables ------------------------------------------------

def test_connection_from_environment_variables(server, run_inventory, monkeypatch):
    monkeypatch.setenv("TRUENAS_URL", "wss://10.0.0.5:8443/api/current")
    monkeypatch.setenv("TRUENAS_USERNAME", "inventory")
    monkeypatch.setenv("TRUENAS_PASSWORD", "pw-from-env")
    monkeypatch.setenv("TRUENAS_VALIDATE_CERTS", "false")
    monkeypatch.setenv("TRUENAS_TIMEOUT", "15")
    run_inventory({})
    settings = server.clients[0].settings
    assert settings.endpoint == "wss://10.0.0.5:8443/api/current"
    assert (settings.username, settings.password, settings.api_key) == ("inventory", "pw-from-env", None)
    assert settings.validate_certs is False
    assert settings.timeout == 15.0


def test_empty_environment_variables_count_as_unset(server, run_inventory, monkeypatch):
    # AWX injects every variable of the credential type, empty when the credential leaves it out
    for name in ("TRUENAS_HOST", "TRUENAS_PORT", "TRUENAS_PASSWORD", "TRUENAS_OTP_TOKEN", "TRUENAS_VALIDATE_CERTS",
                 "TRUENAS_CA_PATH", "TRUENAS_TIMEOUT"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("TRUENAS_URL", "wss://nas.lab.test/api/current")
    monkeypatch.setenv("TRUENAS_USERNAME", "admin")
    monkeypatch.setenv("TRUENAS_API_KEY", API_KEY)
    run_inventory({})
    settings = server.clients[0].settings
    assert settings.endpoint == "wss://nas.lab.test/api/current"
    assert settings.host is None and settings.port is None and settings.password is None
    assert settings.otp_token is None and settings.ca_path is None
    assert settings.validate_certs is True
    assert settings.timeout == 60.0
    assert settings.api_key == API_KEY


def test_blank_environment_variables_count_as_unset_too(server, run_inventory, monkeypatch):
    monkeypatch.setenv("TRUENAS_HOST", "   ")
    monkeypatch.setenv("TRUENAS_VALIDATE_CERTS", " ")
    run_inventory(dict(CONNECTION, host=None, url="wss://nas.lab.test/api/current"))
    settings = server.clients[0].settings
    assert settings.host is None and settings.validate_certs is True


def test_options_in_the_file_win_over_the_environment(server, run_inventory, monkeypatch):
    monkeypatch.setenv("TRUENAS_HOST", "env.example.test")
    monkeypatch.setenv("TRUENAS_VALIDATE_CERTS", "")
    monkeypatch.setenv("TRUENAS_PORT", "")
    run_inventory(dict(CONNECTION, validate_certs=False, port=8443))
    settings = server.clients[0].settings
    assert settings.endpoint == "wss://nas.example.test:8443/api/current"
    assert settings.validate_certs is False


def test_connection_options_helper_reads_given_options_and_environment():
    values = {"host": "h", "url": None, "port": None, "api_key": "k" * 10, "username": "u", "password": None,
              "otp_token": None, "validate_certs": False, "ca_path": "/cwd", "timeout": 60}
    environ = {"TRUENAS_VALIDATE_CERTS": "", "TRUENAS_CA_PATH": "", "TRUENAS_HOST": ""}
    assert plugin_client.connection_options(values.get, given={"host": "h"}, environ=environ,
                                            config_path="/nonexistent") == dict(
        values, api_key=None, username=None, validate_certs=True, ca_path=None,
        broker_idle_timeout=60, broker_lifetime=3600)


def test_inventory_source_wins_over_the_environment_per_group():
    values = {"host": "file-nas", "api_key": "k" * 10}
    environ = {"TRUENAS_URL": "wss://env-nas/api/current", "TRUENAS_PORT": "8443", "TRUENAS_PASSWORD": "pw",
               "TRUENAS_USERNAME": "env-user", "TRUENAS_TIMEOUT": "15"}
    options = plugin_client.connection_options(values.get, given={"host", "api_key"}, environ=environ,
                                               config_path="/nonexistent")
    assert (options["host"], options["url"], options["port"]) == ("file-nas", None, "8443")
    assert (options["api_key"], options["username"], options["password"]) == ("k" * 10, "env-user", None)
    assert options["timeout"] == "15"


# ---- errors --------------------------------------------------------------------------------------

def test_bad_credentials_are_a_parser_error_without_the_secret(server, run_inventory, capsys):
    error = TrueNASAuthError("auth.login_ex: authentication failed: the API key is wrong, revoked, or does not "
                             "belong to user admin", method="auth.login_ex")
    server.connect_error = error
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(CONNECTION)
    assert str(info.value) == ("auth.login_ex: authentication failed: the API key is wrong, revoked, or does not "
                               "belong to user admin")
    assert str(info.value) == module_message(error, capsys)
    assert API_KEY not in str(info.value)
    assert server.clients[0].closed


def test_a_secret_inside_an_error_text_is_masked(server, run_inventory):
    server.connect_error = TrueNASConnectionError("handshake failed near %s" % API_KEY)
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(CONNECTION)
    assert str(info.value) == "handshake failed near ********"


def test_connection_failure_message(server, run_inventory):
    server.connect_error = TrueNASConnectionError("cannot connect to wss://nas.example.test/api/current: connection "
                                                  "refused (is TrueNAS running and is the port right?)")
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(CONNECTION)
    assert "connection refused" in str(info.value)


def test_server_rejected_filters_read_like_the_module_message(server, run_inventory, capsys):
    error = error_from_wire({"code": -32602, "message": "Invalid params", "data": {
        "error": 22, "errname": "EINVAL", "reason": "Invalid params",
        "extra": [["filters", "Value error, Invalid operation: ==", 22]]}}, "vm.query")
    assert isinstance(error, TrueNASValidationError)
    server.query_error = error
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(dict(CONNECTION, filters=[["name", "==", "x"]]))
    assert str(info.value) == "filters: Value error, Invalid operation: =="
    assert str(info.value) == module_message(error, capsys)
    assert server.clients[0].closed


@pytest.mark.parametrize("config, message", [
    ({"host": "a.example.test", "url": "wss://b.example.test/api/current", "api_key": API_KEY, "username": "u"},
     "host and url are mutually exclusive: give one of them"),
    ({"api_key": API_KEY}, "set host (or url) to the TrueNAS address"),
    ({"url": "https://nas.example.test", "api_key": API_KEY},
     "url must start with ws:// or wss://, got 'https://nas.example.test' (use wss:// for https://)"),
])
def test_bad_connection_options_name_the_option(server, run_inventory, config, message):
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(config)
    assert str(info.value) == message
    assert server.clients == []


def test_api_key_over_plain_ws_to_a_remote_host_is_refused_without_leaking_it(server, run_inventory):
    with pytest.raises(AnsibleParserError) as info:
        run_inventory({"url": "ws://nas.example.test/api/current", "api_key": API_KEY, "username": "admin"})
    assert str(info.value).startswith("refusing to send api_key over unencrypted ws:// to nas.example.test")
    assert API_KEY not in str(info.value)
    assert server.clients == []


def test_truenas_without_vm_support_is_a_clear_error(server, run_inventory):
    server.version = "25.04.1"
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(CONNECTION)
    assert str(info.value) == "'vms' needs TrueNAS 25.04.2 or later (this server runs 25.04.1)"
    assert [c for c in server.calls if c[0] == "vm.query"] == []


def test_missing_websocket_library(server, run_inventory, monkeypatch):
    monkeypatch.setattr(plugin_client, "websocket_import_error",
                        lambda: "ModuleNotFoundError: No module named 'websocket'")
    with pytest.raises(AnsibleParserError) as info:
        run_inventory(CONNECTION)
    assert str(info.value) == (
        "the websocket-client Python library (1.6.0 or later) is required on the Ansible controller to connect to "
        "TrueNAS: install it with 'pip install websocket-client' (ModuleNotFoundError: No module named 'websocket')")


def test_error_message_masks_secrets_of_three_characters_or_more():
    options = {"api_key": None, "password": "pw1", "otp_token": "12"}
    assert plugin_client.scrub("user pw1 code 12", options) == "user ******** code 12"
    assert plugin_client.error_message(TrueNASValidationError("x", errors=[(None, "bad pw1", 22), ("a.b", "c", 22)]),
                                       options) == "bad ********; a.b: c"


# ---- cache ---------------------------------------------------------------------------------------

def cache_config(tmp_path, **extra):
    config = dict(CONNECTION, cache=True, cache_plugin="jsonfile",
                  cache_connection=str(tmp_path / "cache"), cache_timeout=600)
    config.update(extra)
    return config


def test_a_cache_hit_makes_no_connection(server, run_inventory, tmp_path):
    first = run_inventory(cache_config(tmp_path, compose={"ram": "truenas_memory"}))
    assert len(server.clients) == 1
    cached = list((tmp_path / "cache").iterdir())
    assert len(cached) == 1
    assert API_KEY not in cached[0].read_text() and DISPLAY_PASSWORD not in cached[0].read_text()
    server.connect_error = TrueNASConnectionError("the server is down")
    second = run_inventory(cache_config(tmp_path, compose={"ram": "truenas_memory"}))
    assert len(server.clients) == 1
    assert second.hosts() == first.hosts()
    assert second.group("truenas_running") == ["controlplane01", "controlplane02"]
    assert second.hostvars("controlplane01") == first.hostvars("controlplane01")
    assert second.hostvars("controlplane01")["ram"] == 4096


def test_flushing_the_cache_reads_truenas_again(server, run_inventory, tmp_path):
    run_inventory(cache_config(tmp_path))
    server.vms = server.vms[:1]
    run = run_inventory(cache_config(tmp_path), cache=False)
    assert len(server.clients) == 2
    assert run.hosts() == ["controlplane01"]
    run = run_inventory(cache_config(tmp_path))
    assert len(server.clients) == 2
    assert run.hosts() == ["controlplane01"]


def test_other_filters_or_another_address_miss_the_cache(server, run_inventory, tmp_path):
    run_inventory(cache_config(tmp_path))
    run = run_inventory(cache_config(tmp_path, filters=[["name", "=", "db"]]))
    assert len(server.clients) == 2
    assert run.hosts() == ["db"]
    run_inventory(cache_config(tmp_path, filters=[["name", "=", "db"]], host="other.example.test"))
    assert len(server.clients) == 3


def test_exclude_applies_to_cached_hosts(server, run_inventory, tmp_path):
    run_inventory(cache_config(tmp_path))
    run = run_inventory(cache_config(tmp_path, exclude=["controlplane*"]))
    assert len(server.clients) == 1
    assert run.hosts() == ["db", "worker01", "worker02_test"]


def test_without_the_cache_option_every_run_reads_truenas(server, run_inventory):
    run_inventory(CONNECTION)
    run_inventory(CONNECTION)
    assert len(server.clients) == 2
