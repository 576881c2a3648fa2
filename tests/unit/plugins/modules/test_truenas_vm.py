# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_vm through the fake client, backed by a small in-memory TrueNAS (``FakeTrueNAS``) that
keeps VMs, embedded devices and power states like ``vm.*`` / ``vm.device.*`` do."""

import copy
import json

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError, error_from_wire
from ansible_collections.nasops.truenas.plugins.modules import truenas_vm

MAIN = truenas_vm.main
SECRET = "Sp1ce-s3cret"
GIB = 1024 ** 3

VM_DEFAULTS = {
    "description": "", "vcpus": 1, "cores": 1, "threads": 1, "min_memory": None, "cpu_mode": "CUSTOM",
    "cpu_model": None, "bootloader": "UEFI", "bootloader_ovmf": "OVMF_CODE_4M.fd", "enable_secure_boot": False,
    "trusted_platform_module": False, "autostart": True, "time": "LOCAL", "shutdown_timeout": 90, "arch_type": None,
    "machine_type": None, "command_line_args": "", "hide_from_msr": False, "ensure_display_device": True,
}
DEVICE_DEFAULTS = {
    "DISK": {"path": None, "type": "AHCI", "create_zvol": False, "zvol_name": None, "zvol_volsize": None,
             "logical_sectorsize": None, "physical_sectorsize": None, "iotype": "THREADS", "serial": None},
    "CDROM": {"path": None},
    "NIC": {"trust_guest_rx_filters": False, "type": "E1000", "nic_attach": None, "mac": None},
    "DISPLAY": {"resolution": "1024x768", "port": None, "web_port": None, "bind": "127.0.0.1", "wait": False,
                "password": None, "web": True, "type": "SPICE"},
    "RAW": {"path": None, "type": "AHCI", "exists": False, "boot": False, "size": None, "logical_sectorsize": None,
            "physical_sectorsize": None, "iotype": "THREADS", "serial": None},
}
STOPPED = {"state": "STOPPED", "pid": None, "domain_state": "SHUTOFF"}
RUNNING = {"state": "RUNNING", "pid": 4242, "domain_state": "RUNNING"}
SUSPENDED = {"state": "SUSPENDED", "pid": 4242, "domain_state": "PAUSED"}
# Files of the fake TrueNAS: path -> type ("FILE" or "DIRECTORY") and size.
FILES = {
    "/mnt/tank/isos": ("DIRECTORY", 4),
    "/mnt/tank/isos/ubuntu.iso": ("FILE", 3 * GIB),
    "/mnt/tank/isos/x.iso": ("FILE", 100 * 1024 * 1024),
    "/mnt/tank/x.iso": ("FILE", 100 * 1024 * 1024),
}
DATASETS = [
    {"id": "tank/vms", "type": "FILESYSTEM", "available": {"parsed": 100 * GIB}},
    {"id": "tank/vms/old", "type": "VOLUME", "available": {"parsed": 100 * GIB}},
    {"id": "tank/media", "type": "FILESYSTEM", "available": {"parsed": 100 * GIB}},
]


def validation_error(method, *items):
    """The TrueNASValidationError the client raises for a -32602 reply with these triples."""
    extra = [list(item) for item in items]
    reason = "".join("[EINVAL] %s: %s\n" % (a, m) for a, m, e in items)
    return error_from_wire({"code": -32602, "message": "Invalid params", "data": {
        "error": 22, "errname": "EINVAL", "reason": reason, "extra": extra,
        "trace": {"class": "ValidationErrors", "formatted": "Traceback ...", "repr": "ValidationErrors()"}}}, method)


def call_error(method, message, errno=14, errname="EFAULT"):
    return error_from_wire({"code": -32001, "message": "Method call error", "data": {
        "error": errno, "errname": errname, "reason": "[%s] %s" % (errname, message), "extra": None,
        "trace": {"class": "CallError", "formatted": "Traceback ...", "repr": "CallError()"}}}, method)


def stat_record(path, kind, size):
    """A ``filesystem.stat`` result as TrueNAS returns it."""
    mode = 0o40755 if kind == "DIRECTORY" else 0o100644
    return {"realpath": path, "type": kind, "size": size, "allocation_size": size, "mode": mode,
            "mount_id": 412, "uid": 0, "gid": 0, "atime": 1735689600.0, "mtime": 1735689600.0,
            "ctime": 1735689600.0, "btime": 1735689600.0, "dev": 71, "inode": 1187, "nlink": 1, "acl": False,
            "is_mountpoint": False, "is_ctldir": False, "attributes": [], "user": "root", "group": "root"}


class FakeTrueNAS:
    """VMs with embedded devices and a power state behind the fake client's canned responses.

    ``stop_leaves_running``: vm.stop without force_after_timeout leaves the guest running (a guest
    that ignores ACPI). ``fail``: method -> exception raised on the next call of that method.
    """

    def __init__(self, client):
        self.client = client
        self.vms = {}
        self.devices = {}
        self.power = {}
        self.next_vm = 1
        self.next_device = 1
        self.macs = ["00:a0:98:00:00:%02x" % i for i in range(1, 50)]
        self.stop_leaves_running = False
        self.fail = {}
        self.datasets = copy.deepcopy(DATASETS)
        self.files = dict(FILES)
        self.nic_choices = {"enp1s0": "enp1s0", "br0": "br0", "br1": "br1"}
        handlers = {
            "vm.query": self.vm_query, "vm.create": self.vm_create, "vm.update": self.vm_update,
            "vm.delete": self.vm_delete, "vm.start": self.vm_start, "vm.stop": self.vm_stop,
            "vm.restart": self.vm_restart, "vm.poweroff": self.vm_poweroff, "vm.resume": self.vm_resume,
            "vm.status": self.vm_status, "vm.random_mac": self.random_mac,
            "vm.device.query": self.device_query, "vm.device.create": self.device_create,
            "vm.device.update": self.device_update, "vm.device.delete": self.device_delete,
            "vm.device.nic_attach_choices": lambda: dict(self.nic_choices),
            "pool.dataset.query": self.dataset_query,
            "pool.dataset.recommended_zvol_blocksize": lambda pool: "16K",
            "filesystem.stat": self.stat,
        }
        for method, handler in handlers.items():
            client.respond(method, self._wrap(method, handler))

    def _wrap(self, method, handler):
        def answer(*params):
            if method in self.fail:
                raise self.fail.pop(method)
            return copy.deepcopy(handler(*params))
        return answer

    # ---- seeding -----------------------------------------------------------------------------

    def add_vm(self, name, status=None, devices=(), **fields):
        vm_id = self.next_vm
        self.next_vm += 1
        record = dict(VM_DEFAULTS, id=vm_id, name=name, memory=1024, uuid="uuid-%d" % vm_id)
        record.update(fields)
        self.vms[vm_id] = record
        self.power[vm_id] = dict(status or STOPPED)
        for device in devices:
            self.device_create(dict(device, vm=vm_id))
        return vm_id

    # ---- vm.* --------------------------------------------------------------------------------

    def entry(self, record):
        out = dict(record)
        out["devices"] = [self.device_entry(d) for d in sorted(self.devices.values(), key=lambda d: d["id"])
                          if d["vm"] == record["id"]]
        out["display_available"] = any(d["attributes"]["dtype"] == "DISPLAY" for d in out["devices"])
        out["status"] = dict(self.power[record["id"]])
        return out

    def vm_query(self, filters, options):
        rows = [self.entry(r) for r in sorted(self.vms.values(), key=lambda r: r["id"])]
        for field, op, value in filters:
            if op == "=":
                rows = [r for r in rows if r.get(field) == value]
            elif op == "^":
                rows = [r for r in rows if r.get(field, "").startswith(value)]
            else:
                raise AssertionError("filter %r" % op)
        return rows

    def vm_create(self, data):
        assert "devices" not in data
        fields = dict(data)
        return self.entry(self.vms[self.add_vm(fields.pop("name"), **fields)])

    def vm_update(self, vm_id, data):
        self.vms[vm_id].update(data)
        return self.entry(self.vms[vm_id])

    def vm_delete(self, vm_id, options):
        for device_id in [d["id"] for d in self.devices.values() if d["vm"] == vm_id]:
            del self.devices[device_id]
        del self.vms[vm_id]
        return True

    def vm_start(self, vm_id):
        assert self.power[vm_id]["state"] == "STOPPED"
        self.power[vm_id] = dict(RUNNING)

    def vm_stop(self, vm_id, options):
        if options.get("force") or options.get("force_after_timeout") or not self.stop_leaves_running:
            self.power[vm_id] = dict(STOPPED)

    def vm_restart(self, vm_id):
        self.power[vm_id] = dict(RUNNING, pid=5000)

    def vm_poweroff(self, vm_id):
        self.power[vm_id] = dict(STOPPED)

    def vm_resume(self, vm_id):
        self.power[vm_id] = dict(RUNNING)

    def vm_status(self, vm_id):
        return self.power[vm_id]

    def random_mac(self):
        return self.macs.pop(0)

    # ---- vm.device.* -------------------------------------------------------------------------

    def device_entry(self, record):
        attrs = dict(DEVICE_DEFAULTS.get(record["attributes"]["dtype"], {}))
        attrs.update(record["attributes"])
        order = record.get("order") or {"CDROM": 1000, "DISK": 1001, "RAW": 1001}.get(attrs["dtype"], 1002)
        return {"id": record["id"], "vm": record["vm"], "attributes": attrs, "order": order}

    def device_query(self, filters, options):
        rows = [self.device_entry(d) for d in self.devices.values()]
        return [r for r in rows if all(r.get(f) == v for f, op, v in filters)]

    def device_create(self, data):
        attrs = copy.deepcopy(data["attributes"])
        if attrs.pop("create_zvol", False):
            name = attrs.pop("zvol_name")
            attrs.pop("zvol_volsize")
            attrs["path"] = "/dev/zvol/" + name
            self.datasets.append({"id": name, "type": "VOLUME"})
        if attrs["dtype"] in ("DISK", "RAW") and not attrs.get("serial"):
            attrs["serial"] = "SER%05d" % self.next_device
        if attrs["dtype"] == "DISPLAY" and attrs.get("port") is None:
            attrs["port"], attrs["web_port"] = 5900 + 2 * self.next_device, 5901 + 2 * self.next_device
        attrs.pop("exists", None)
        record = {"id": self.next_device, "vm": data["vm"], "attributes": attrs, "order": data.get("order")}
        self.next_device += 1
        self.devices[record["id"]] = record
        return self.device_entry(record)

    def device_update(self, device_id, data):
        record = self.devices[device_id]
        record["attributes"].update(copy.deepcopy(data.get("attributes") or {}))
        if "order" in data:
            record["order"] = data["order"]
        return self.device_entry(record)

    def device_delete(self, device_id, options):
        if self.power[self.devices[device_id]["vm"]]["state"] in ("RUNNING", "SUSPENDED"):
            raise call_error("vm.device.delete", "Please stop/resume associated VM before deleting VM device.")
        record = self.devices.pop(device_id)
        if options.get("zvol"):
            name = record["attributes"]["path"][len("/dev/zvol/"):]
            self.datasets = [d for d in self.datasets if d["id"] != name]
        return True

    def dataset_query(self, filters, options):
        (field, op, names), = filters
        assert (field, op) == ("id", "in")
        return [d for d in self.datasets if d["id"] in names]

    # ---- filesystem.* ------------------------------------------------------------------------

    def stat(self, path):
        if path not in self.files:
            raise call_error("filesystem.stat", "Path %s not found" % path, errno=2, errname="ENOENT")
        kind, size = self.files[path]
        return stat_record(path, kind, size)

    # ---- helpers for tests -------------------------------------------------------------------

    def vm(self, name):
        for record in self.vms.values():
            if record["name"] == name:
                return self.entry(record)
        return None


MUTATING = ("vm.create", "vm.update", "vm.delete", "vm.start", "vm.stop", "vm.restart", "vm.poweroff", "vm.resume",
            "vm.device.create", "vm.device.update", "vm.device.delete", "vm.random_mac")


def mutations(client):
    return [c.method for c in client.calls if c.method in MUTATING]


@pytest.fixture
def nas(fake_client):
    return FakeTrueNAS(fake_client)


DISK = {"dtype": "DISK", "zvol": "tank/vms/web_root", "create_zvol": True, "size": "10G", "bus": "VIRTIO"}
CDROM = {"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso"}
NIC = {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO"}
DISPLAY = {"dtype": "DISPLAY", "type": "SPICE", "bind": "0.0.0.0", "display_password": SECRET}
WEB = {"name": "web", "memory": "2G", "cores": 2, "devices": [DISK, CDROM, NIC, DISPLAY]}


def warning_texts(result):
    """The warning messages of a module result (plain strings or ansible-core 2.19 summaries)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings") or []]


def seed_web(nas, status=None, **fields):
    fields = dict({"memory": 2048, "cores": 2}, **fields)
    return nas.add_vm("web", status=status, devices=[
        {"attributes": {"dtype": "DISK", "path": "/dev/zvol/tank/vms/web_root", "type": "VIRTIO"}},
        {"attributes": {"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso"}},
        {"attributes": {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO", "mac": "00:a0:98:aa:bb:cc"}},
        {"attributes": {"dtype": "DISPLAY", "type": "SPICE", "bind": "0.0.0.0", "password": SECRET}},
    ], **fields)


# ---- create ------------------------------------------------------------------------------------

def test_create_with_devices(run_module, nas, fake_client):
    result = run_module(MAIN, WEB)
    assert result["changed"] is True
    assert result["restart_required"] is False
    assert fake_client.calls_to("vm.create")[0].params == [{"name": "web", "memory": 2048, "cores": 2}]
    creates = [c.params[0] for c in fake_client.calls_to("vm.device.create")]
    assert creates == [
        {"vm": 1, "attributes": {"dtype": "DISK", "type": "VIRTIO", "create_zvol": True, "zvol_name": "tank/vms/web_root",
                                 "zvol_volsize": 10 * GIB}},
        {"vm": 1, "attributes": {"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso"}},
        {"vm": 1, "attributes": {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO", "mac": "00:a0:98:00:00:01"}},
        {"vm": 1, "attributes": {"dtype": "DISPLAY", "type": "SPICE", "bind": "0.0.0.0", "password": SECRET}},
    ]
    assert len(fake_client.calls_to("vm.random_mac")) == 1
    vm = result["vm"]
    assert vm["id"] == 1 and vm["memory"] == 2048 and vm["status"] == STOPPED
    assert [d["dtype"] for d in vm["devices"]] == ["DISK", "CDROM", "NIC", "DISPLAY"]
    assert vm["devices"][0]["zvol"] == "tank/vms/web_root"
    assert vm["devices"][2]["mac"] == "00:a0:98:00:00:01"
    assert vm["devices"][3]["display_password"] == "********"
    assert SECRET not in json.dumps(result)


def test_create_rounds_zvol_size_up_to_the_block_size(run_module, nas, fake_client):
    run_module(MAIN, {"name": "web", "memory": 1024, "devices": [dict(DISK, size=10 * GIB + 1)]})
    assert fake_client.calls_to("pool.dataset.recommended_zvol_blocksize")[0].params == ["tank"]
    assert fake_client.calls_to("vm.device.create")[0].params[0]["attributes"]["zvol_volsize"] == 10 * GIB + 16384


def test_rerun_costs_one_query(run_module, nas, fake_client):
    assert run_module(MAIN, WEB)["changed"] is True
    fake_client.calls.clear()
    result = run_module(MAIN, WEB)
    assert result["changed"] is False
    assert fake_client.methods == ["vm.query"]
    assert fake_client.calls[0].params == [[["name", "=", "web"]], {}]


def test_check_mode_create_predicts_without_writing(run_module, nas, fake_client):
    result = run_module(MAIN, dict(WEB, state="started"), check_mode=True, diff=True)
    assert result["changed"] is True
    assert mutations(fake_client) == []
    assert nas.vms == {}
    vm = result["vm"]
    assert vm["status"]["state"] == "RUNNING"
    assert vm["devices"] == [
        {"dtype": "DISK", "bus": "VIRTIO", "zvol": "tank/vms/web_root", "path": "/dev/zvol/tank/vms/web_root"},
        {"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso"},
        {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO"},
        {"dtype": "DISPLAY", "type": "SPICE", "bind": "0.0.0.0", "display_password": "********"},
    ]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["memory"] == 2048
    assert result["diff"]["after"]["devices"][3]["display_password"] == "********"
    assert "status" not in result["diff"]["after"]
    assert SECRET not in json.dumps(result)


def test_memory_is_required_to_create(run_module, nas, fake_client):
    result = run_module(MAIN, {"name": "web"})
    assert result["failed"] is True
    assert result["msg"] == "memory: is required to create the VM 'web'"
    assert mutations(fake_client) == []


# ---- update ------------------------------------------------------------------------------------

def test_update_stopped_vm(run_module, nas, fake_client):
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "memory": "4G", "vcpus": 2, "description": "web"}, diff=True)
    assert result["changed"] is True
    assert result["restart_required"] is False
    assert fake_client.calls_to("vm.update")[0].params == [1, {"memory": 4096, "vcpus": 2, "description": "web"}]
    assert result["vm"]["memory"] == 4096
    assert result["diff"]["before"]["memory"] == 2048
    assert result["diff"]["after"]["memory"] == 4096
    assert result["diff"]["after"]["devices"][3]["display_password"] == "********"


def test_update_running_vm_reports_restart_required(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, {"name": "web", "memory": 4096})
    assert result["changed"] is True
    assert result["restart_required"] is True
    assert "vm.restart" not in fake_client.methods
    assert result["vm"]["status"] == RUNNING


def test_update_running_vm_with_restart_if_needed(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, {"name": "web", "memory": 4096, "restart_if_needed": True, "wait_timeout": 30})
    assert result["changed"] is True
    assert result["restart_required"] is False
    restart = fake_client.calls_to("vm.restart")[0]
    assert restart.params == [1]
    assert restart.job is True
    assert fake_client.calls_to("vm.status")[0].params == [1]
    assert result["vm"]["status"]["pid"] == 5000


def test_unchanged_running_vm_needs_no_restart(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, {"name": "web", "memory": 2048, "state": "started"})
    assert result["changed"] is False
    assert result["restart_required"] is False
    assert fake_client.methods == ["vm.query"]


def test_secure_boot_is_create_only_from_25_10(run_module, nas, fake_client):
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "enable_secure_boot": True})
    assert result["failed"] is True
    assert result["msg"] == (
        "enable_secure_boot: cannot be changed on the existing VM 'web' on TrueNAS 25.10.5 (current False, requested "
        "True); from TrueNAS 25.10 on it is set only when the VM is created")
    assert mutations(fake_client) == []


def test_secure_boot_is_updatable_on_25_04(run_module, nas, fake_client):
    fake_client.set_version("25.04.2.6")
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "bootloader_ovmf": "OVMF_CODE_4M.secboot.fd"})
    assert result["changed"] is True
    assert fake_client.calls_to("vm.update")[0].params == [1, {"bootloader_ovmf": "OVMF_CODE_4M.secboot.fd"}]


def test_vms_need_25_04_2(run_module, nas, fake_client):
    fake_client.set_version("25.04.1")
    result = run_module(MAIN, {"name": "web", "memory": 1024})
    assert result["failed"] is True
    assert result["msg"] == ("virtual machines need TrueNAS 25.04.2 or later (25.04.0 and 25.04.1 have none); this "
                             "server runs 25.04.1")
    assert fake_client.methods == []


# ---- devices -----------------------------------------------------------------------------------

def test_devices_converge_by_identity(run_module, nas, fake_client):
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "devices": [
        {"dtype": "DISK", "path": "/dev/zvol/tank/vms/web_root", "bus": "AHCI"},
        {"dtype": "NIC", "mac": "00-A0-98-AA-BB-CC", "nic_attach": "br1"},
        {"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso", "state": "absent"},
        {"dtype": "DISPLAY", "display_password": SECRET, "display_port": 5999},
    ]})
    assert result["changed"] is True
    assert [(c.method, c.params) for c in fake_client.calls if c.method.startswith("vm.device.")] == [
        ("vm.device.nic_attach_choices", []),
        ("vm.device.delete", [2, {"zvol": False, "raw_file": False, "force": False}]),
        ("vm.device.update", [1, {"attributes": {"type": "AHCI"}}]),
        ("vm.device.update", [3, {"attributes": {"nic_attach": "br1"}}]),
        ("vm.device.update", [4, {"attributes": {"port": 5999}}]),
    ]
    assert [d["dtype"] for d in result["vm"]["devices"]] == ["DISK", "NIC", "DISPLAY"]


def test_purge_devices_removes_unlisted(run_module, nas, fake_client):
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "purge_devices": True, "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/web_root"}, {"dtype": "NIC", "nic_attach": "br0"}]})
    assert result["changed"] is True
    deleted = [c.params[0] for c in fake_client.calls_to("vm.device.delete")]
    assert deleted == [2, 4]
    assert [d["dtype"] for d in result["vm"]["devices"]] == ["DISK", "NIC"]


# ---- devices of a running VM -------------------------------------------------------------------

DROP_ISO = {"name": "web", "memory": 2048, "devices": [
    {"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso", "state": "absent"}]}


@pytest.mark.parametrize("check_mode", [False, True])
def test_removing_a_device_of_a_running_vm_fails_before_any_change(run_module, nas, fake_client, check_mode):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, dict(DROP_ISO, memory=4096), check_mode=check_mode)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == (
        "restart_if_needed: is needed to remove CDROM '/mnt/tank/isos/ubuntu.iso' of VM 'web', which is RUNNING: "
        "TrueNAS removes and changes devices only while the VM is stopped. Set restart_if_needed: true to stop the VM, "
        "make the change and start it again, or stop the VM first")
    assert mutations(fake_client) == []
    assert nas.vms[1]["memory"] == 2048


def test_removing_a_device_of_a_running_vm_with_restart_if_needed(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    args = dict(DROP_ISO, memory=4096, restart_if_needed=True, wait_timeout=30)
    result = run_module(MAIN, args)
    assert not result.get("failed"), result["msg"]
    assert result["changed"] is True
    assert result["power_cycled"] is True
    assert result["restart_required"] is False
    assert mutations(fake_client) == ["vm.update", "vm.stop", "vm.device.delete", "vm.start"]
    assert fake_client.calls_to("vm.stop")[0].params == [1, {"force": False, "force_after_timeout": False}]
    assert result["vm"]["status"]["state"] == "RUNNING"
    assert [d["dtype"] for d in result["vm"]["devices"]] == ["DISK", "NIC", "DISPLAY"]
    fake_client.calls.clear()
    again = run_module(MAIN, args)
    assert again["changed"] is False
    assert again["power_cycled"] is False
    assert mutations(fake_client) == []


def test_removing_a_device_of_a_running_vm_in_check_mode(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, dict(DROP_ISO, restart_if_needed=True), check_mode=True)
    assert result["changed"] is True
    assert result["power_cycled"] is True
    assert result["vm"]["status"]["state"] == "RUNNING"
    assert [d["dtype"] for d in result["vm"]["devices"]] == ["DISK", "NIC", "DISPLAY"]
    assert mutations(fake_client) == []


def test_changing_a_device_of_a_running_vm_needs_the_stop_too(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    args = {"name": "web", "devices": [{"dtype": "NIC", "mac": "00:a0:98:aa:bb:cc", "nic_attach": "br1"}]}
    result = run_module(MAIN, args)
    assert result["failed"] is True
    assert "change nic_attach of NIC '00:a0:98:aa:bb:cc'" in result["msg"]
    assert mutations(fake_client) == []


def test_state_stopped_stops_before_removing_devices(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, dict(DROP_ISO, state="stopped", force_after_timeout=True, wait_timeout=30))
    assert result["changed"] is True
    assert result["power_cycled"] is False
    assert mutations(fake_client) == ["vm.stop", "vm.device.delete"]
    assert nas.power[1]["state"] == "STOPPED"


def test_a_vm_stopped_for_a_failing_device_change_is_started_again(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    nas.fail["vm.device.delete"] = call_error("vm.device.delete", "device busy")
    result = run_module(MAIN, dict(DROP_ISO, restart_if_needed=True, wait_timeout=30))
    assert result["failed"] is True
    assert "device busy" in result["msg"]
    assert "started again" in result["msg"]
    assert mutations(fake_client) == ["vm.stop", "vm.device.delete", "vm.start"]
    assert nas.power[1]["state"] == "RUNNING"


# ---- devices twice, and runs racing to add them ------------------------------------------------

def seed_two_nics(nas):
    return nas.add_vm("web", devices=[
        {"attributes": {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO", "mac": "00:a0:98:aa:bb:01"}},
        {"attributes": {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO", "mac": "00:a0:98:aa:bb:02"}},
    ])


def test_a_listed_device_present_twice_is_reported(run_module, nas, fake_client):
    seed_two_nics(nas)
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "NIC", "nic_attach": "br0"}]})
    assert result["changed"] is False
    assert mutations(fake_client) == []
    assert warning_texts(result) == [
        "VM 'web' has NIC on 'br0' 2 times (device ids 1, 2), but devices lists it once; the extra one is kept. "
        "Set purge_devices: true to remove it"]


def test_a_listed_device_present_twice_is_removed_with_purge_devices(run_module, nas, fake_client):
    seed_two_nics(nas)
    args = {"name": "web", "purge_devices": True, "devices": [{"dtype": "NIC", "nic_attach": "br0"}]}
    result = run_module(MAIN, args)
    assert result["changed"] is True
    assert [c.params[0] for c in fake_client.calls_to("vm.device.delete")] == [2]
    assert [d["id"] for d in result["vm"]["devices"]] == [1]
    assert run_module(MAIN, args)["changed"] is False


def test_two_listed_alike_devices_are_not_duplicates(run_module, nas, fake_client):
    seed_two_nics(nas)
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "NIC", "nic_attach": "br0"}] * 2})
    assert result["changed"] is False
    assert warning_texts(result) == []


def other_run_adds_nic(nas, vm_id):
    nas.device_create({"vm": vm_id, "attributes": {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO",
                                                   "mac": "00:a0:98:cc:cc:cc"}})


def test_a_device_added_meanwhile_by_another_run_is_not_added_again(run_module, nas, fake_client):
    """Another run adds the NIC between this run's lookup and its add: the read right before the
    add finds it, and it is taken as it is."""
    vm_id = nas.add_vm("web")
    choices = dict(nas.nic_choices)

    def nic_attach_choices():
        other_run_adds_nic(nas, vm_id)
        return choices

    fake_client.respond("vm.device.nic_attach_choices", nic_attach_choices)
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "NIC", "nic_attach": "br0"}]})
    assert not result.get("failed"), result["msg"]
    assert result["changed"] is False
    assert fake_client.calls_to("vm.device.create") == []
    assert len(nas.devices) == 1


def test_a_failed_add_of_a_device_that_is_there_now_is_converged(run_module, nas, fake_client):
    vm_id = nas.add_vm("web")

    def create(data):
        other_run_adds_nic(nas, vm_id)
        raise validation_error("vm.device.create",
                               ("vm_device_create.attributes.NIC.mac", "MAC address is already in use", 22))

    fake_client.respond("vm.device.create", create)
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "NIC", "nic_attach": "br0"}]})
    assert not result.get("failed"), result["msg"]
    assert result["changed"] is False
    assert len(nas.devices) == 1


def test_a_device_added_twice_at_once_is_kept_once(run_module, nas, fake_client):
    """Both runs add the NIC at the same moment: the other run's NIC has the lower id, so this run
    removes its own again."""
    vm_id = nas.add_vm("web")

    def create(data):
        other_run_adds_nic(nas, vm_id)
        return copy.deepcopy(nas.device_create(data))

    fake_client.respond("vm.device.create", create)
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "NIC", "nic_attach": "br0"}]})
    assert not result.get("failed"), result["msg"]
    assert [c.params[0] for c in fake_client.calls_to("vm.device.delete")] == [2]
    assert [d["attributes"]["mac"] for d in nas.devices.values()] == ["00:a0:98:cc:cc:cc"]
    fake_client.calls.clear()
    fake_client.respond("vm.device.create", nas._wrap("vm.device.create", nas.device_create))
    again = run_module(MAIN, {"name": "web", "devices": [{"dtype": "NIC", "nic_attach": "br0"}]})
    assert again["changed"] is False
    assert warning_texts(again) == []


def test_check_mode_device_changes_are_predicted(run_module, nas, fake_client):
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "purge_devices": True, "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/web_root", "iotype": "NATIVE"},
        {"dtype": "NIC", "nic_attach": "br0"}, {"dtype": "NIC", "nic_attach": "br1"}]}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert mutations(fake_client) == []
    devices = result["vm"]["devices"]
    assert [(d["dtype"], d.get("id")) for d in devices] == [("DISK", 1), ("NIC", 3), ("NIC", None)]
    assert devices[0]["iotype"] == "NATIVE"
    assert [d["dtype"] for d in result["diff"]["before"]["devices"]] == ["DISK", "CDROM", "NIC", "DISPLAY"]
    assert [d["dtype"] for d in result["diff"]["after"]["devices"]] == ["DISK", "NIC", "NIC"]
    assert len(nas.devices) == 4


def test_display_password_compared_when_readable(run_module, nas, fake_client):
    seed_web(nas)
    display = {"dtype": "DISPLAY", "display_password": "N3w-secret"}
    result = run_module(MAIN, {"name": "web", "devices": [display]}, diff=True)
    assert result["changed"] is True
    assert fake_client.calls_to("vm.device.update")[0].params == [4, {"attributes": {"password": "N3w-secret"}}]
    assert "N3w-secret" not in json.dumps(result) and SECRET not in json.dumps(result)
    fake_client.calls.clear()
    on_create = dict(display, display_password="0ther", update_password="on_create")
    assert run_module(MAIN, {"name": "web", "devices": [on_create]})["changed"] is False
    assert fake_client.methods == ["vm.query"]


def test_masked_display_password_is_left_alone_with_a_warning(run_module, nas, fake_client):
    seed_web(nas)
    nas.devices[4]["attributes"]["password"] = "********"
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "DISPLAY", "display_password": "x"}]})
    assert result["changed"] is False
    assert warning_texts(result) == [
        "SPICE display of VM 'web': TrueNAS returned the display password masked, so it cannot be compared and was "
        "left as it is; connect as a user with the VM_DEVICE_WRITE role to manage it"]


def test_nic_without_mac_keeps_its_mac(run_module, nas, fake_client):
    nas.add_vm("web")
    args = {"name": "web", "devices": [{"dtype": "NIC", "nic_attach": "br0"}, {"dtype": "NIC", "nic_attach": "br0"}]}
    assert run_module(MAIN, args)["changed"] is True
    macs = [d["attributes"]["mac"] for d in nas.devices.values()]
    assert macs == ["00:a0:98:00:00:01", "00:a0:98:00:00:02"]
    fake_client.calls.clear()
    assert run_module(MAIN, args)["changed"] is False
    assert fake_client.methods == ["vm.query"]


def test_device_change_on_running_vm_needs_restart(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "CDROM", "path": "/mnt/tank/isos/x.iso"}]})
    assert result["changed"] is True
    assert result["restart_required"] is True


def fail_device_create(nas, fake_client, dtype, error):
    """vm.device.create raises ``error`` for devices of ``dtype`` and works for the others."""
    def create(data):
        if data["attributes"]["dtype"] == dtype:
            raise error
        return copy.deepcopy(nas.device_create(data))

    fake_client.respond("vm.device.create", create)


def test_rollback_when_a_device_of_a_new_vm_fails(run_module, nas, fake_client):
    fail_device_create(nas, fake_client, "CDROM", validation_error(
        "vm.device.create", ("attributes.path", "Unable to locate CDROM device at /x.iso", 2)))
    result = run_module(MAIN, {"name": "web", "memory": 1024, "devices": [
        DISK, {"dtype": "CDROM", "path": "/mnt/tank/x.iso"}]})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == (
        "Failed to add CDROM '/mnt/tank/x.iso' to VM 'web' (rolled back: the VM 'web' this task created was deleted "
        "again): devices[1].path: Unable to locate CDROM device at /x.iso")
    assert result["error"]["errors"][0]["option"] == "devices[1].path"
    assert fake_client.calls_to("vm.device.delete")[0].params == [1, {"zvol": True, "raw_file": False, "force": True}]
    assert fake_client.calls_to("vm.delete")[0].params == [1, {"zvols": False, "force": True}]
    assert nas.vms == {} and nas.devices == {}
    assert "tank/vms/web_root" not in [d["id"] for d in nas.datasets]
    assert "vm" not in result


def test_failure_on_an_existing_vm_reports_what_was_done(run_module, nas, fake_client):
    seed_web(nas)
    fail_device_create(nas, fake_client, "DISPLAY", validation_error(
        "vm.device.create", ("attributes.port", "Specified display port(5900) is already in use by another Display "
                             "device", 22)))
    result = run_module(MAIN, {"name": "web", "memory": 4096, "devices": [
        {"dtype": "NIC", "nic_attach": "br1"},
        {"dtype": "DISPLAY", "type": "SPICE", "display_password": SECRET, "display_port": 5900},
        {"dtype": "DISPLAY", "type": "VNC", "display_password": "short", "display_port": 5900, "web": False}]})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["msg"] == (
        "Failed to add VNC display to VM 'web' (already done: updated memory; updated SPICE display; added NIC on "
        "'br1'): devices[2].display_port: Specified display port(5900) is already in use by another Display device")
    assert result["vm"]["memory"] == 4096
    assert [d["dtype"] for d in result["vm"]["devices"]] == ["DISK", "CDROM", "NIC", "DISPLAY", "NIC"]
    assert SECRET not in json.dumps(result)


@pytest.mark.parametrize("device, message", [
    ({"dtype": "NIC", "nic_attach": "br9"},
     "devices[0].nic_attach: 'br9' is not a network interface or bridge of this TrueNAS; choose one of br0, br1, enp1s0"),
    ({"dtype": "DISPLAY"},
     "devices[0].display_password: is required to add a DISPLAY device; TrueNAS refuses display devices without one"),
    ({"dtype": "DISK", "zvol": "tank/vms/big", "create_zvol": True, "size": "90G"},
     "devices[0].size: 90 GiB is more than 80% of the 100 GiB free in tank/vms; TrueNAS refuses zvols that large"),
    ({"dtype": "DISK", "zvol": "tank/nope/disk", "create_zvol": True, "size": "1G"},
     "devices[0].zvol: cannot create tank/nope/disk: its parent dataset tank/nope does not exist"),
    ({"dtype": "RAW", "path": "/mnt/tank/vms/disk.img"},
     "devices[0].size: is required to create the RAW file /mnt/tank/vms/disk.img (or set exists: true for a file "
     "that exists already)"),
])
def test_bad_devices_fail_before_the_vm_is_created(run_module, nas, fake_client, device, message):
    result = run_module(MAIN, {"name": "web", "memory": 1024, "devices": [device]})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == message
    assert mutations(fake_client) == []


# ---- the ISO file of a CD-ROM ------------------------------------------------------------------

MISSING_ISO = ("devices[1].path: the ISO file /mnt/tank/isos/missing.iso does not exist on the TrueNAS; upload it "
               "first or correct the path")


def test_create_checks_the_iso_once(run_module, nas, fake_client):
    result = run_module(MAIN, WEB)
    assert result["changed"] is True
    assert [c.params for c in fake_client.calls_to("filesystem.stat")] == [["/mnt/tank/isos/ubuntu.iso"]]
    assert fake_client.methods.index("filesystem.stat") < fake_client.methods.index("vm.create")


@pytest.mark.parametrize("check_mode", [False, True])
def test_missing_iso_fails_before_the_vm_is_created(run_module, nas, fake_client, check_mode):
    result = run_module(MAIN, {"name": "web", "memory": 1024, "devices": [
        DISK, {"dtype": "CDROM", "path": "/mnt/tank/isos/missing.iso"}, NIC]}, check_mode=check_mode)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == MISSING_ISO
    assert mutations(fake_client) == []
    assert fake_client.methods == ["vm.query", "pool.dataset.query", "pool.dataset.recommended_zvol_blocksize",
                                   "filesystem.stat"]
    assert nas.vms == {}
    assert "vm" not in result


def test_missing_iso_on_an_existing_vm_changes_nothing(run_module, nas, fake_client):
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "memory": 4096, "purge_devices": True, "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/web_root"}, {"dtype": "CDROM", "path": "/mnt/tank/isos/missing.iso"}]})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == MISSING_ISO
    assert mutations(fake_client) == []
    assert nas.vms[1]["memory"] == 2048
    assert len(nas.devices) == 4


def test_directory_is_not_an_iso(run_module, nas, fake_client):
    result = run_module(MAIN, {"name": "web", "memory": 1024, "devices": [{"dtype": "CDROM", "path": "/mnt/tank/isos"}]})
    assert result["failed"] is True
    assert result["msg"] == "devices[0].path: /mnt/tank/isos is a directory on the TrueNAS, not an ISO file"
    assert mutations(fake_client) == []


def test_existing_cdrom_is_not_checked_again(run_module, nas, fake_client):
    seed_web(nas)
    del nas.files["/mnt/tank/isos/ubuntu.iso"]
    result = run_module(MAIN, {"name": "web", "devices": [{"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso"}]})
    assert result["changed"] is False
    assert fake_client.methods == ["vm.query"]


def test_other_stat_errors_are_reported(run_module, nas, fake_client):
    nas.fail["filesystem.stat"] = call_error("filesystem.stat", "Not authorized", errno=13, errname="EACCES")
    result = run_module(MAIN, {"name": "web", "memory": 1024, "devices": [CDROM]})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["error"]["method"] == "filesystem.stat"
    assert result["error"]["errname"] == "EACCES"
    assert result["msg"] == ("Failed to check the ISO file of CDROM '/mnt/tank/isos/ubuntu.iso': [EACCES] Not "
                             "authorized (the user lacks a role that allows this call)")
    assert mutations(fake_client) == []


def test_vnc_needs_25_10(run_module, nas, fake_client):
    fake_client.set_version("25.04.2.6")
    result = run_module(MAIN, {"name": "web", "memory": 1024, "devices": [
        {"dtype": "DISPLAY", "type": "VNC", "display_password": "pw", "web": False}]})
    assert result["msg"] == ("devices[0].type: VNC displays are not supported by TrueNAS 25.04.2.6; it supports SPICE")


def test_existing_zvol_is_attached_instead_of_created(run_module, nas, fake_client):
    nas.add_vm("web")
    result = run_module(MAIN, {"name": "web", "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/old", "create_zvol": True, "size": "5G"}]})
    assert result["changed"] is True
    assert fake_client.calls_to("vm.device.create")[0].params == [
        {"vm": 1, "attributes": {"dtype": "DISK", "path": "/dev/zvol/tank/vms/old"}}]
    assert "pool.dataset.recommended_zvol_blocksize" not in fake_client.methods


# ---- power -------------------------------------------------------------------------------------

def test_started(run_module, nas, fake_client):
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "state": "started"})
    assert result["changed"] is True
    assert fake_client.calls_to("vm.start")[0].params == [1]
    assert fake_client.calls_to("vm.status")[0].params == [1]
    assert result["vm"]["status"] == RUNNING


def test_started_resumes_a_suspended_vm(run_module, nas, fake_client):
    seed_web(nas, status=SUSPENDED)
    result = run_module(MAIN, {"name": "web", "state": "started"})
    assert mutations(fake_client) == ["vm.resume"]
    assert result["vm"]["status"]["state"] == "RUNNING"


def test_stopped_waits_for_the_stop_job(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING, shutdown_timeout=40)
    result = run_module(MAIN, {"name": "web", "state": "stopped", "force_after_timeout": True, "wait_timeout": 20})
    assert result["changed"] is True
    stop = fake_client.calls_to("vm.stop")[0]
    assert stop.params == [1, {"force": False, "force_after_timeout": True}]
    assert stop.job is True
    assert result["vm"]["status"] == STOPPED


def test_stop_job_timeout_covers_the_shutdown_timeout(monkeypatch, run_module, nas, fake_client):
    seed_web(nas, status=RUNNING, shutdown_timeout=200)
    timeouts = []
    original = fake_client.call

    def call(method, *params, **kwargs):
        if method == "vm.stop":
            timeouts.append(kwargs.get("timeout"))
        return original(method, *params, **kwargs)

    monkeypatch.setattr(fake_client, "call", call)
    run_module(MAIN, {"name": "web", "state": "stopped"})
    assert timeouts == [230]


def test_guest_ignoring_acpi_times_out_with_a_hint(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    nas.stop_leaves_running = True
    result = run_module(MAIN, {"name": "web", "state": "stopped", "wait_timeout": 0})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["msg"] == (
        "Failed to stop VM 'web': Timed out after 0 seconds waiting for VM 'web' to be STOPPED (last seen: "
        "{'state': 'RUNNING', 'pid': 4242, 'domain_state': 'RUNNING'}); the guest did not shut down after the ACPI "
        "request; set force_after_timeout: true to power it off after shutdown_timeout, or use state: poweroff")


def test_no_wait_skips_polling(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    nas.stop_leaves_running = True
    result = run_module(MAIN, {"name": "web", "state": "stopped", "wait": False})
    assert result["changed"] is True
    assert "vm.status" not in fake_client.methods


@pytest.mark.parametrize("status, state, steps, final", [
    (RUNNING, "poweroff", ["vm.poweroff"], "STOPPED"),
    (SUSPENDED, "stopped", ["vm.poweroff"], "STOPPED"),
    (STOPPED, "stopped", [], "STOPPED"),
    (STOPPED, "poweroff", [], "STOPPED"),
    (RUNNING, "restarted", ["vm.restart"], "RUNNING"),
    (STOPPED, "restarted", ["vm.start"], "RUNNING"),
    (SUSPENDED, "restarted", ["vm.poweroff", "vm.start"], "RUNNING"),
    (RUNNING, "present", [], "RUNNING"),
])
def test_power_states(run_module, nas, fake_client, status, state, steps, final):
    seed_web(nas, status=status)
    result = run_module(MAIN, {"name": "web", "state": state})
    assert mutations(fake_client) == steps
    assert result["changed"] is bool(steps)
    assert result["vm"]["status"]["state"] == final


def test_check_mode_power_is_predicted(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, {"name": "web", "state": "stopped"}, check_mode=True)
    assert result["changed"] is True
    assert result["vm"]["status"]["state"] == "STOPPED"
    assert mutations(fake_client) == []
    assert nas.power[1] == RUNNING


def test_error_state_cannot_be_started(run_module, nas, fake_client):
    seed_web(nas, status={"state": "ERROR", "pid": None, "domain_state": "ERROR"})
    result = run_module(MAIN, {"name": "web", "state": "started"})
    assert result["failed"] is True
    assert result["msg"] == ("VM 'web' is in state ERROR (TrueNAS cannot read its libvirt domain), so state started "
                             "cannot be reached")


def test_start_failure_names_the_action(run_module, nas, fake_client):
    seed_web(nas)
    nas.fail["vm.start"] = call_error("vm.start", "Cannot guarantee memory for guest web", errno=12)
    result = run_module(MAIN, {"name": "web", "state": "started"})
    assert result["failed"] is True
    assert result["msg"] == "Failed to start VM 'web': [EFAULT] Cannot guarantee memory for guest web"


# ---- delete ------------------------------------------------------------------------------------

def test_absent_stops_a_running_vm_first(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    result = run_module(MAIN, {"name": "web", "state": "absent", "delete_zvols": True}, diff=True)
    assert result["changed"] is True
    assert mutations(fake_client) == ["vm.stop", "vm.delete"]
    assert fake_client.calls_to("vm.stop")[0].params == [1, {"force": False, "force_after_timeout": True}]
    assert fake_client.calls_to("vm.delete")[0].params == [1, {"zvols": True, "force": False}]
    assert result["vm"] == {}
    assert result["diff"]["after"] == {}
    assert result["diff"]["before"]["name"] == "web"
    assert SECRET not in json.dumps(result)


def test_absent_with_force_skips_the_shutdown(run_module, nas, fake_client):
    seed_web(nas, status=RUNNING)
    run_module(MAIN, {"name": "web", "state": "absent", "force": True})
    assert mutations(fake_client) == ["vm.delete"]
    assert fake_client.calls_to("vm.delete")[0].params == [1, {"zvols": False, "force": True}]


def test_absent_when_missing_and_check_mode(run_module, nas, fake_client):
    assert run_module(MAIN, {"name": "web", "state": "absent"})["changed"] is False
    seed_web(nas)
    result = run_module(MAIN, {"name": "web", "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert mutations(fake_client) == []


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    ({"memory": 16}, "memory: must be at least 20 MiB, got 16 MiB"),
    ({"memory": "1.5K"}, "memory: '1.5K' is not a whole number of MiB"),
    ({"memory": "lots"}, "memory: 'lots' is not a valid size: use a number of MiB, or a size such as 4G or 512MiB"),
    ({"memory": 512, "min_memory": "1G"}, "min_memory: 1024 MiB is more than memory (512 MiB)"),
    ({"memory": 512, "vcpus": 16, "cores": 4, "threads": 4},
     "vcpus: vcpus x cores x threads = 16 x 4 x 4 = 256 is more than the 255 virtual CPUs TrueNAS supports"),
    ({"memory": 512, "shutdown_timeout": 3}, "shutdown_timeout: must be between 5 and 300 seconds, got 3"),
    ({"memory": 512, "command_line_args": "-a 'b"},
     "command_line_args: cannot be split like a shell command line: No closing quotation"),
    ({"memory": 512, "purge_devices": True}, "purge_devices: needs devices: the complete list of devices the VM keeps"),
    ({"memory": 512, "wait_timeout": -1}, "wait_timeout: must not be negative, got -1"),
    ({"memory": 512, "devices": [{"dtype": "NIC", "mac": "00:11:22:33:44"}]},
     "devices[0].mac: '00:11:22:33:44' is not a MAC address; write six hex pairs such as 00:a0:98:12:34:56"),
    ({"memory": 512, "devices": [{"dtype": "CDROM", "path": "/mnt/tank/a.iso", "bus": "AHCI"}]},
     "devices[0].bus: is not an option for CDROM devices; a CDROM device takes path"),
])
def test_bad_input_fails_before_connecting(run_module, nas, fake_client, args, message):
    result = run_module(MAIN, dict({"name": "web"}, **args))
    assert result["failed"] is True
    assert result["msg"] == message
    assert fake_client.calls == []


def test_bad_name(run_module, nas, fake_client):
    result = run_module(MAIN, {"name": "web-1", "memory": 512})
    assert result["msg"] == "name: 'web-1' is not a valid VM name; TrueNAS allows only letters, digits and underscores"


def test_limits_use_the_existing_vm(run_module, nas, fake_client):
    seed_web(nas, cores=16, threads=2)
    result = run_module(MAIN, {"name": "web", "vcpus": 8})
    assert result["msg"] == (
        "vcpus: vcpus x cores x threads = 8 x 16 x 2 = 256 is more than the 255 virtual CPUs TrueNAS supports")
    result = run_module(MAIN, {"name": "web", "min_memory": 4096})
    assert result["msg"] == "min_memory: 4096 MiB is more than memory (2048 MiB)"
    assert mutations(fake_client) == []


def test_server_validation_error_names_the_option(run_module, nas, fake_client):
    nas.fail["vm.create"] = validation_error("vm.create", ("vm_create.cpu_model", "Please select a valid CPU model.", 22))
    result = run_module(MAIN, {"name": "web", "memory": 512, "cpu_model": "Nonsense"})
    assert result["failed"] is True
    assert result["msg"] == "Failed to create VM 'web': cpu_model: Please select a valid CPU model."
    assert result["error"]["errors"][0]["option"] == "cpu_model"


def test_min_memory_zero_clears_it(run_module, nas, fake_client):
    seed_web(nas, min_memory=1024)
    result = run_module(MAIN, {"name": "web", "min_memory": 0, "cpu_model": ""})
    assert fake_client.calls_to("vm.update")[0].params == [1, {"min_memory": None}]
    assert result["vm"]["min_memory"] is None


def test_connection_error_is_reported(run_module, monkeypatch):
    from ansible_collections.nasops.truenas.plugins.module_utils import _module

    def refuse(self):
        raise TrueNASError("cannot connect to wss://nas.example.test/api/current: connection refused")

    monkeypatch.setattr(_module.TrueNASModule, "_build_client", refuse)
    result = run_module(MAIN, {"name": "web", "memory": 512})
    assert result["failed"] is True
    assert result["msg"] == "cannot connect to wss://nas.example.test/api/current: connection refused"
    assert result["restart_required"] is False


def test_failing_random_mac_rolls_back_too(run_module, nas, fake_client):
    nas.fail["vm.random_mac"] = call_error("vm.random_mac", "entropy exhausted")
    result = run_module(MAIN, {"name": "web", "memory": 1024, "devices": [{"dtype": "NIC", "nic_attach": "br0"}]})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == ("Failed to add NIC on 'br0' to VM 'web' (rolled back: the VM 'web' this task created was "
                             "deleted again): [EFAULT] entropy exhausted")
    assert nas.vms == {}
