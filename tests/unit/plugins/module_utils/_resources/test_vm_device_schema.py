# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-dtype VM device schema of ``_resources/vm_device.py``: parsing, identity, normalising,
comparing, payloads and error translation."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASAuthError, error_from_wire
from ansible_collections.nasops.truenas.plugins.module_utils._resources import vm_device as vd
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities

GIB = 1024 ** 3


def params(**values):
    """Argspec-shaped device params: every option present, unset ones None."""
    out = dict((name, None) for name in vd.device_argument_spec())
    out["update_password"] = "always"
    out.update(values)
    return out


def parse(**values):
    return vd.parse_device(params(**values))


@pytest.mark.parametrize("text, mac", [
    ("00:A0:98:12:34:56", "00:a0:98:12:34:56"),
    ("00-a0-98-12-34-56", "00:a0:98:12:34:56"),
    ("00a098123456", "00:a0:98:12:34:56"),
    (" 00:a0:98:12:34:56 ", "00:a0:98:12:34:56"),
    ("00:a0:98:12:34", None),
    ("00:a0:98:12:34:5g", None),
    (None, None),
])
def test_canonical_mac(text, mac):
    assert vd.canonical_mac(text) == mac


def test_multicast_mac_refused():
    with pytest.raises(ValueError) as err:
        vd.parse_mac("01:00:5e:00:00:01")
    assert str(err.value) == "01:00:5e:00:00:01 is a multicast address (the lowest bit of its first byte is set)"


def test_zvol_path_round_trip():
    assert vd.zvol_path("tank/vm disks/a") == "/dev/zvol/tank/vm+disks/a"
    assert vd.zvol_name("/dev/zvol/tank/vm+disks/a") == "tank/vm disks/a"
    assert vd.zvol_name("/mnt/tank/a") is None
    assert vd.zvol_name("/dev/zvol/") is None


@pytest.mark.parametrize("value, message", [
    ("/dev/zvol/tank/a", "give the zvol name (such as tank/vms/web), not its path; or use path: /dev/zvol/tank/a"),
    ("tank", "'tank' is not a zvol name; write pool/dataset/name such as tank/vms/web"),
    ("/tank/a", "'/tank/a' is not a zvol name; write pool/dataset/name such as tank/vms/web"),
    ("tank//a", "'tank//a' is not a zvol name; write pool/dataset/name such as tank/vms/web"),
])
def test_bad_zvol_names(value, message):
    with pytest.raises(ValueError) as err:
        vd.parse_zvol(value)
    assert str(err.value) == message


def test_disk_spec():
    spec = parse(dtype="DISK", zvol="tank/vms/a", create_zvol=True, size="1.5G", bus="VIRTIO")
    assert spec.desired == {"dtype": "DISK", "zvol": "tank/vms/a", "path": "/dev/zvol/tank/vms/a", "bus": "VIRTIO"}
    assert spec.extras == {"create_zvol": True, "zvol_size": 3 * GIB // 2}
    assert spec.identity == ("path", "/dev/zvol/tank/vms/a")
    assert spec.describe() == "DISK '/dev/zvol/tank/vms/a'"
    by_path = parse(dtype="DISK", path="/dev/zvol/tank/vms/a")
    assert by_path.desired == {"dtype": "DISK", "path": "/dev/zvol/tank/vms/a", "zvol": "tank/vms/a"}


@pytest.mark.parametrize("values, identity, text", [
    ({"dtype": "NIC", "mac": "00:A0:98:00:00:01", "nic_attach": "br0"}, ("mac", "00:a0:98:00:00:01"),
     "NIC '00:a0:98:00:00:01'"),
    ({"dtype": "NIC", "nic_attach": "br0"}, ("nic_attach", "br0"), "NIC on 'br0'"),
    ({"dtype": "NIC"}, ("nic_attach", None), "NIC on the default interface"),
    ({"dtype": "DISPLAY"}, ("type", "SPICE"), "SPICE display"),
    ({"dtype": "DISPLAY", "type": "VNC"}, ("type", "VNC"), "VNC display"),
    ({"dtype": "PCI", "pptdev": "pci_0000_01_00_0"}, ("pptdev", "pci_0000_01_00_0"), "PCI 'pci_0000_01_00_0'"),
    ({"dtype": "USB", "device": "usb_1_2"}, ("device", "usb_1_2"), "USB 'usb_1_2'"),
    ({"dtype": "USB", "usb": {"vendor_id": "0x046D", "product_id": "0xc52b"}},
     ("usb", {"vendor_id": "0x046d", "product_id": "0xc52b"}), "USB '0x046d:0xc52b'"),
    ({"dtype": "CDROM", "path": "/mnt/tank/a.iso"}, ("path", "/mnt/tank/a.iso"), "CDROM '/mnt/tank/a.iso'"),
])
def test_identities(values, identity, text):
    spec = parse(**values)
    assert spec.identity == identity
    assert spec.describe() == text


@pytest.mark.parametrize("values, option, reason", [
    ({"dtype": "DISK", "zvol": "tank/a", "path": "/dev/zvol/tank/a"}, "devices[3].zvol",
     "cannot be combined with path; give one of them"),
    ({"dtype": "DISK"}, "devices[3].zvol", "a DISK device needs zvol (a zvol name) or path (/dev/zvol/...)"),
    ({"dtype": "DISK", "path": "/dev/zvol/tank/a", "create_zvol": True}, "devices[3].create_zvol",
     "needs zvol (the name of the zvol to create), not path"),
    ({"dtype": "DISK", "zvol": "tank/a", "create_zvol": True, "size": 0}, "devices[3].size",
     "must be more than 0 bytes, got 0"),
    ({"dtype": "DISK", "zvol": "tank/a", "physical_sectorsize": 4096}, "devices[3].logical_sectorsize",
     "is required when physical_sectorsize is set"),
    ({"dtype": "RAW"}, "devices[3].path", "is required for a RAW device"),
    ({"dtype": "RAW", "path": "/mnt/tank/{x}.img"}, "devices[3].path",
     "must be a file inside a pool, such as /mnt/tank/vms/disk.img, got '/mnt/tank/{x}.img'"),
    ({"dtype": "DISPLAY", "display_password": "  "}, "devices[3].display_password",
     "must not be empty; TrueNAS requires a password for display devices"),
    ({"dtype": "DISPLAY", "type": "VNC", "display_password": "123456789"}, "devices[3].display_password",
     "a VNC display password has at most 8 characters, got 9"),
    ({"dtype": "DISPLAY", "type": "VNC", "web": True}, "devices[3].web",
     "must be false for a VNC display; web access works with SPICE only"),
    ({"dtype": "DISPLAY", "display_port": 5910, "web_port": 5910}, "devices[3].web_port",
     "must differ from display_port (5910)"),
    ({"dtype": "DISPLAY", "web_port": 70000}, "devices[3].web_port", "must be between 5900 and 65535, got 70000"),
    ({"dtype": "DISPLAY", "type": "E1000"}, "devices[3].type",
     "a DISPLAY device's type is one of SPICE, VNC, got E1000"),
    ({"dtype": "USB"}, "devices[3].usb", "give either usb (vendor_id and product_id) or device, and not both"),
    ({"dtype": "USB", "device": "x", "usb": {"vendor_id": "0x1", "product_id": "0x2"}}, "devices[3].usb",
     "give either usb (vendor_id and product_id) or device, and not both"),
    ({"dtype": "USB", "usb": {"vendor_id": "046d", "product_id": "0x2"}}, "devices[3].usb.vendor_id",
     "'046d' is not a USB id; write it in hex such as 0x046d"),
    ({"dtype": "NIC", "order": -1}, "devices[3].order", "must not be negative, got -1"),
    ({"dtype": "FLOPPY"}, "devices[3].dtype", "must be one of DISK, CDROM, NIC, DISPLAY, RAW, PCI, USB, got 'FLOPPY'"),
])
def test_bad_specs_name_the_option(values, option, reason):
    with pytest.raises(OptionError) as err:
        vd.parse_device(params(**values), "devices[3].")
    assert (err.value.option, err.value.reason) == (option, reason)


def test_raw_exists_is_create_only():
    spec = parse(dtype="RAW", path="/mnt/tank/a.img", exists=True, boot=True)
    assert spec.desired == {"dtype": "RAW", "path": "/mnt/tank/a.img", "boot": True}
    assert spec.extras == {"exists": True}
    caps = Capabilities("25.10.5")
    assert vd.create_payload(spec, 4, caps) == {
        "vm": 4, "attributes": {"dtype": "RAW", "path": "/mnt/tank/a.img", "boot": True, "exists": True}}


def test_normalize_each_dtype():
    record = {"id": 3, "vm": 1, "order": 1002, "attributes": {
        "dtype": "NIC", "type": "VIRTIO", "nic_attach": "br0", "mac": "00:A0:98:00:00:0A",
        "trust_guest_rx_filters": False, "unknown_future_key": 1}}
    assert vd.normalize_device(record) == {"id": 3, "dtype": "NIC", "order": 1002, "type": "VIRTIO",
                                           "nic_attach": "br0", "mac": "00:a0:98:00:00:0a",
                                           "trust_guest_rx_filters": False}
    disk = {"id": 1, "vm": 1, "order": 1001, "attributes": {
        "dtype": "DISK", "path": "/dev/zvol/tank/a", "type": "AHCI", "create_zvol": False, "zvol_name": None,
        "zvol_volsize": None, "logical_sectorsize": None, "physical_sectorsize": None, "iotype": "THREADS",
        "serial": "abc"}}
    assert vd.normalize_device(disk) == {"id": 1, "dtype": "DISK", "order": 1001, "path": "/dev/zvol/tank/a",
                                         "zvol": "tank/a", "bus": "AHCI", "logical_sectorsize": None,
                                         "physical_sectorsize": None, "iotype": "THREADS", "serial": "abc"}
    top_level = {"id": 9, "vm": 1, "dtype": "DISPLAY", "order": None, "attributes": {"port": 5900}}
    assert vd.normalize_device(top_level) == {"id": 9, "dtype": "DISPLAY", "order": None, "display_port": 5900,
                                              "type": "SPICE"}


def test_dtype_placement_follows_the_capability():
    spec = parse(dtype="CDROM", path="/mnt/tank/a.iso", order=1000)
    assert vd.create_payload(spec, 2, Capabilities("26.0.0")) == {
        "vm": 2, "order": 1000, "attributes": {"dtype": "CDROM", "path": "/mnt/tank/a.iso"}}

    class TopLevelCaps:
        vm_device_dtype = "top"

    assert vd.create_payload(spec, 2, TopLevelCaps()) == {
        "vm": 2, "order": 1000, "dtype": "CDROM", "attributes": {"path": "/mnt/tank/a.iso"}}


def test_update_payload():
    assert vd.update_payload("DISPLAY", {"display_port": 5990, "display_password": "x", "order": 3}) == {
        "attributes": {"port": 5990, "password": "x"}, "order": 3}
    assert vd.update_payload("DISK", {"bus": "VIRTIO"}) == {"attributes": {"type": "VIRTIO"}}
    assert vd.update_payload("NIC", {"order": 5}) == {"order": 5}


def test_find_device_with_claims():
    spec = parse(dtype="NIC", nic_attach="br0")
    devices = [{"id": 1, "dtype": "NIC", "nic_attach": "br0"}, {"id": 2, "dtype": "NIC", "nic_attach": "br0"},
               {"id": 3, "dtype": "DISK", "path": "/dev/zvol/tank/a"}]
    assert vd.find_device(spec, devices, claimed=set())["id"] == 1
    assert vd.find_device(spec, devices, claimed={1})["id"] == 2
    assert vd.find_device(spec, devices, claimed={1, 2}) is None
    with pytest.raises(OptionError) as err:
        vd.find_device(spec, devices, vm_name="web")
    assert str(err.value) == "nic_attach: 2 NIC devices of VM 'web' match nic_attach='br0'; give mac to say which NIC"


def test_device_changes():
    spec = vd.parse_device(params(dtype="RAW", path="/mnt/tank/a.img", size="2G", serial="S1", boot=False), "d.")
    current = {"id": 1, "dtype": "RAW", "path": "/mnt/tank/a.img", "size": 2 * GIB, "serial": "S1", "boot": True}
    assert vd.device_changes(spec, current, "RAW") == {"boot": False}
    with pytest.raises(OptionError) as err:
        vd.device_changes(spec, dict(current, serial="S0"), "RAW '/mnt/tank/a.img'")
    assert str(err.value) == ("d.serial: cannot be changed on the existing RAW '/mnt/tank/a.img' (current 'S0', requested "
                              "'S1'); TrueNAS sets it only when the device is created")


def test_adjust_password():
    warnings = []
    clear = {"display_password": "old"}
    spec = parse(dtype="DISPLAY", display_password="new")
    vd.adjust_password(spec, clear, warnings.append, "d")
    assert spec.desired["display_password"] == "new"
    on_create = parse(dtype="DISPLAY", display_password="new", update_password="on_create")
    vd.adjust_password(on_create, clear, warnings.append, "d")
    assert "display_password" not in on_create.desired
    vd.adjust_password(on_create, None, warnings.append, "d")
    masked = parse(dtype="DISPLAY", display_password="new")
    vd.adjust_password(masked, {"display_password": "********"}, warnings.append, "SPICE display")
    assert "display_password" not in masked.desired
    assert len(warnings) == 1 and warnings[0].startswith("SPICE display: TrueNAS returned the display password masked")


@pytest.mark.parametrize("attribute, dtype, where, option", [
    ("vm_device_create.attributes.DISPLAY.port", "DISPLAY", "", "display_port"),
    ("attributes.port", "DISPLAY", "devices[2].", "devices[2].display_port"),
    ("web_port", "DISPLAY", "", "web_port"),
    ("attributes.password", "DISPLAY", "", "display_password"),
    ("attributes.type", "DISK", "", "bus"),
    ("attributes.type", "NIC", "", "type"),
    ("attributes.zvol_name", "DISK", "", "zvol"),
    ("attributes.zvol_volsize", "DISK", "", "size"),
    ("pool_dataset_create.volsize", "DISK", "devices[0].", "devices[0].size"),
    ("pool_dataset_create.name", "DISK", "", "zvol"),
    ("vm_device_create.attributes.DISK", "DISK", "", "path"),
    ("vm_device_create.attributes.NIC.mac", "NIC", "", "mac"),
    ("attribute.pptdev", "PCI", "", "pptdev"),
    ("attributes.usb.vendor_id", "USB", "", "usb.vendor_id"),
    ("vm_device_create.vm", "NIC", "", "vm"),
    (None, "NIC", "", None),
])
def test_option_for_attribute(attribute, dtype, where, option):
    assert vd.option_for_attribute(attribute, dtype, where) == option


class Reads:
    """A client answering the reads of plan_zvol."""

    def __init__(self, rows, block="16K"):
        self.rows = rows
        self.block = block
        self.calls = []

    def query(self, method, filters=None, options=None):
        self.calls.append(method)
        return self.rows

    def call(self, method, *params):
        self.calls.append(method)
        return self.block


def test_plan_zvol_rounds_up():
    spec = parse(dtype="DISK", zvol="tank/vms/a", create_zvol=True, size=1000)
    client = Reads([{"id": "tank/vms", "type": "FILESYSTEM", "available": {"parsed": GIB}}], block="64K")
    vd.plan_zvol(client, spec)
    assert spec.extras["zvol_size"] == 65536
    assert client.calls == ["pool.dataset.query", "pool.dataset.recommended_zvol_blocksize"]


def test_plan_zvol_refuses_a_filesystem():
    spec = parse(dtype="DISK", zvol="tank/vms/a", create_zvol=True, size="1G")
    with pytest.raises(OptionError) as err:
        vd.plan_zvol(Reads([{"id": "tank/vms/a", "type": "FILESYSTEM"}]), spec)
    assert str(err.value) == "zvol: tank/vms/a exists and is a filesystem dataset, not a zvol"


def test_plan_zvol_without_create_reads_nothing():
    client = Reads([])
    vd.plan_zvol(client, parse(dtype="DISK", zvol="tank/vms/a"))
    assert client.calls == []


def test_check_nic_attach_and_display_type():
    class Choices:
        def call(self, method):
            assert method == "vm.device.nic_attach_choices"
            return {}

    with pytest.raises(OptionError) as err:
        vd.check_nic_attach(Choices(), parse(dtype="NIC", nic_attach="br0"))
    assert str(err.value) == "nic_attach: 'br0' is not a network interface or bridge of this TrueNAS; choose one of (none)"
    vd.check_nic_attach(None, parse(dtype="NIC"))
    vd.check_display_type(Capabilities("25.10.5"), parse(dtype="DISPLAY", type="VNC"))
    with pytest.raises(OptionError):
        vd.check_display_type(Capabilities("25.04.2"), parse(dtype="DISPLAY", type="VNC"))


class StatContext:
    """The parts of the engine's context that check_cdrom_path uses: the client and the action."""

    def __init__(self, client):
        self.client = client
        self.action = "look up VM 'web'"


def stat_error(errno, errname, reason):
    return error_from_wire({"code": -32001, "message": "Method call error", "data": {
        "error": errno, "errname": errname, "reason": "[%s] %s" % (errname, reason), "extra": None,
        "trace": {"class": "CallError", "formatted": "Traceback ...", "repr": "CallError()"}}}, "filesystem.stat")


ISO_STAT = {"realpath": "/mnt/tank/isos/a.iso", "type": "FILE", "size": 104857600, "allocation_size": 104857600,
            "mode": 0o100644, "mount_id": 412, "uid": 0, "gid": 0, "atime": 1735689600.0, "mtime": 1735689600.0,
            "ctime": 1735689600.0, "btime": 1735689600.0, "dev": 71, "inode": 1187, "nlink": 1, "acl": False,
            "is_mountpoint": False, "is_ctldir": False, "attributes": [], "user": "root", "group": "root"}


def test_check_cdrom_path_reads_the_file(fake_client):
    fake_client.respond("filesystem.stat", ISO_STAT)
    ctx = StatContext(fake_client)
    vd.check_cdrom_path(ctx, parse(dtype="CDROM", path="/mnt/tank/isos/a.iso"))
    assert [(c.method, c.params) for c in fake_client.calls] == [("filesystem.stat", ["/mnt/tank/isos/a.iso"])]
    assert ctx.action == "look up VM 'web'"
    fake_client.assert_no_mutation()


@pytest.mark.parametrize("stat, reason", [
    (stat_error(2, "ENOENT", "Path /mnt/tank/isos/a.iso not found"),
     "the ISO file /mnt/tank/isos/a.iso does not exist on the TrueNAS; upload it first or correct the path"),
    (dict(ISO_STAT, type="DIRECTORY", mode=0o40755),
     "/mnt/tank/isos/a.iso is a directory on the TrueNAS, not an ISO file"),
])
def test_check_cdrom_path_refuses_a_missing_file_or_a_directory(fake_client, stat, reason):
    fake_client.respond("filesystem.stat", stat)
    ctx = StatContext(fake_client)
    with pytest.raises(OptionError) as err:
        vd.check_cdrom_path(ctx, vd.parse_device(params(dtype="CDROM", path="/mnt/tank/isos/a.iso"), "devices[2]."))
    assert (err.value.option, err.value.reason) == ("devices[2].path", reason)
    assert ctx.action == "look up VM 'web'"


def test_check_cdrom_path_passes_other_errors_with_the_action(fake_client):
    fake_client.respond("filesystem.stat", stat_error(13, "EACCES", "Not authorized"))
    ctx = StatContext(fake_client)
    with pytest.raises(TrueNASAuthError):
        vd.check_cdrom_path(ctx, parse(dtype="CDROM", path="/mnt/tank/isos/a.iso"))
    assert ctx.action == "check the ISO file of CDROM '/mnt/tank/isos/a.iso'"


@pytest.mark.parametrize("values", [
    dict(dtype="RAW", path="/mnt/tank/vms/a.img", exists=True),
    dict(dtype="DISK", zvol="tank/vms/a"),
    dict(dtype="NIC", nic_attach="br0"),
])
def test_check_cdrom_path_ignores_other_devices(fake_client, values):
    vd.check_cdrom_path(StatContext(fake_client), parse(**values))
    assert fake_client.calls == []


@pytest.mark.parametrize("answer", [
    {"enp1s0": "enp1s0", "br0": "br0"},                    # 25.04, 25.10
    {"BRIDGE": ["br0"], "MACVLAN": ["enp1s0"]},             # 26
])
def test_check_nic_attach_reads_both_shapes(answer):
    class Choices:
        def call(self, method):
            return answer

    assert vd.nic_attach_names(answer) == {"enp1s0", "br0"}
    vd.check_nic_attach(Choices(), parse(dtype="NIC", nic_attach="br0"))
    vd.check_nic_attach(Choices(), parse(dtype="NIC", nic_attach="enp1s0"))
    with pytest.raises(OptionError) as err:
        vd.check_nic_attach(Choices(), parse(dtype="NIC", nic_attach="BRIDGE"))
    assert str(err.value) == ("nic_attach: 'BRIDGE' is not a network interface or bridge of this TrueNAS; choose one "
                              "of br0, enp1s0")


def test_update_payload_sends_the_full_set_on_25_04():
    stored = {"dtype": "NIC", "type": "E1000", "nic_attach": "br0", "mac": "00:a0:98:12:34:56",
              "trust_guest_rx_filters": False}
    assert vd.update_payload("NIC", {"type": "VIRTIO"}, Capabilities("25.10.5"), stored) == {
        "attributes": {"type": "VIRTIO"}}
    assert vd.update_payload("NIC", {"type": "VIRTIO"}, Capabilities("25.04.2.6"), stored) == {
        "attributes": dict(stored, type="VIRTIO")}
    disk = {"dtype": "DISK", "path": "/dev/zvol/tank/d", "type": "AHCI", "create_zvol": False, "zvol_name": None,
            "zvol_volsize": None, "iotype": "THREADS", "serial": "abc"}
    assert vd.update_payload("DISK", {"bus": "VIRTIO", "order": 4}, Capabilities("25.04.2.6"), disk) == {
        "attributes": {"dtype": "DISK", "path": "/dev/zvol/tank/d", "type": "VIRTIO", "iotype": "THREADS",
                       "serial": "abc"}, "order": 4}
    raw = {"dtype": "RAW", "path": "/mnt/tank/a.img", "size": 10, "exists": False}
    assert vd.update_payload("RAW", {"size": 20}, Capabilities("25.04.2.6"), raw)["attributes"] == {
        "dtype": "RAW", "path": "/mnt/tank/a.img", "size": 20, "exists": True}
    # Only the order: no attributes at all, on every release.
    assert vd.update_payload("NIC", {"order": 5}, Capabilities("25.04.2.6"), stored) == {"order": 5}


def test_update_payload_refuses_to_lose_a_masked_password_on_25_04():
    display = {"dtype": "DISPLAY", "type": "SPICE", "password": vd.MASK, "resolution": "1024x768"}
    with pytest.raises(OptionError) as err:
        vd.update_payload("DISPLAY", {"resolution": "1920x1080"}, Capabilities("25.04.2.6"), display)
    assert str(err.value).startswith("display_password: TrueNAS 25.04.2.6 resets every display attribute")
    sent = vd.update_payload("DISPLAY", {"resolution": "1920x1080", "display_password": "new"},
                             Capabilities("25.04.2.6"), display)
    assert sent["attributes"]["password"] == "new"
