"""vm.device.* on the simulator: dtype inside attributes, per-dtype defaults, order defaults and
reordering, update merging, every validation rule of the device table, zvol and raw-file side
effects, delete rules and the choice helpers."""
import re

import pytest

from tests.simulator.state import DEFAULT_SEED, load_seed_file

GIB = 1024 ** 3
SERIAL = re.compile(r"^[A-Za-z0-9]{8}$")


@pytest.fixture
def c(sim, sim_client):
    client = sim_client(sim, login=True)
    client.request("vm.create", {"name": "vm1", "memory": 1024})
    client.request("vm.create", {"name": "vm2", "memory": 1024})
    return client


def invalid(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    assert msg["error"]["code"] == -32602, msg
    return msg["error"]["data"]["extra"]


def call_error(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    assert msg["error"]["code"] == -32001, msg
    return msg["error"]["data"]["reason"]


def update_attrs(sim, c, dev_id, attributes):
    """vm.device.update of ``attributes``: as sent on 25.10+; on 25.04 (whose model needs dtype and
    resets unsent attributes to defaults) the stored attributes merged with them."""
    if sim.profile.at_least("25.10"):
        return c.request("vm.device.update", dev_id, {"attributes": attributes})
    stored = c.request("vm.device.get_instance", dev_id)["attributes"]
    if stored["dtype"] == "RAW":
        stored["exists"] = True  # the model's default (false) would say the file is still to be made
    return c.request("vm.device.update", dev_id, {"attributes": dict(stored, **attributes)})


def add(c, attributes, vm=1, **extra):
    return c.request("vm.device.create", dict({"vm": vm, "attributes": attributes}, **extra))


def new_zvol(c, name="tank/vms/d0", size=GIB, vm=1, **attrs):
    return add(c, dict({"dtype": "DISK", "create_zvol": True, "zvol_name": name, "zvol_volsize": size}, **attrs), vm)


def disk_attrs(path, serial, **changes):
    out = {"dtype": "DISK", "path": path, "type": "AHCI", "create_zvol": False, "zvol_name": None,
           "zvol_volsize": None, "logical_sectorsize": None, "physical_sectorsize": None, "iotype": "THREADS",
           "serial": serial}
    out.update(changes)
    return out


# ---------------------------------------------------------------------------------------------
# shapes and defaults
# ---------------------------------------------------------------------------------------------

def test_defaults_per_dtype(c):
    nic = add(c, {"dtype": "NIC"})
    assert nic == {"id": 1, "vm": 1, "order": 1002, "attributes": {
        "dtype": "NIC", "trust_guest_rx_filters": False, "type": "E1000", "nic_attach": None, "mac": None}}
    disk = new_zvol(c, type="VIRTIO")
    serial = disk["attributes"]["serial"]
    assert SERIAL.match(serial)
    assert disk == {"id": 2, "vm": 1, "order": 1001,
                    "attributes": disk_attrs("/dev/zvol/tank/vms/d0", serial, type="VIRTIO")}
    raw = add(c, {"dtype": "RAW", "path": "/mnt/tank/vms/vm1.img", "size": GIB})
    assert raw == {"id": 3, "vm": 1, "order": 1001, "attributes": {
        "dtype": "RAW", "path": "/mnt/tank/vms/vm1.img", "type": "AHCI", "exists": False, "boot": False,
        "size": GIB, "logical_sectorsize": None, "physical_sectorsize": None, "iotype": "THREADS",
        "serial": raw["attributes"]["serial"]}}
    cdrom = add(c, {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"})
    assert cdrom == {"id": 4, "vm": 1, "order": 1000,
                     "attributes": {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"}}
    display = add(c, {"dtype": "DISPLAY", "password": "pw"})
    assert display == {"id": 5, "vm": 1, "order": 1002, "attributes": {
        "dtype": "DISPLAY", "resolution": "1024x768", "port": 5900, "web_port": 5901, "bind": "127.0.0.1",
        "wait": False, "password": "pw", "web": True, "type": "SPICE"}}
    pci = add(c, {"dtype": "PCI", "pptdev": "pci_0000_01_00_0"})
    assert pci == {"id": 6, "vm": 1, "order": 1002, "attributes": {"dtype": "PCI", "pptdev": "pci_0000_01_00_0"}}
    usb = add(c, {"dtype": "USB", "usb": {"vendor_id": "0x1d6b", "product_id": "0x0002"}})
    assert usb == {"id": 7, "vm": 1, "order": 1002, "attributes": {
        "dtype": "USB", "usb": {"vendor_id": "0x1d6b", "product_id": "0x0002"}, "controller_type": "nec-xhci",
        "device": None}}
    assert c.request("vm.device.get_instance", 2) == disk
    assert c.request("vm.device.query", [["attributes.dtype", "=", "DISK"]]) == [disk]
    assert [d["id"] for d in c.request("vm.get_instance", 1)["devices"]] == [1, 2, 3, 4, 5, 6, 7]
    assert c.request("vm.get_instance", 1)["display_available"] is True
    assert invalid(c, "vm.device.get_instance", 99) == [[None, "VMDevice 99 does not exist", 2]]


def test_mac_is_not_persisted_when_null(sim, c):
    add(c, {"dtype": "NIC", "nic_attach": "br0"})
    c.request("vm.start", 1)
    assert c.request("vm.device.get_instance", 1)["attributes"]["mac"] is None
    assert sim.state_dump("vm_devices")["1"]["attributes"]["mac"] is None


def test_order_defaults_and_reordering(c):
    add(c, {"dtype": "NIC"})
    new_zvol(c)
    add(c, {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"}, order=1001)
    orders = c.request("vm.device.query", [["vm", "=", 1]], {"select": ["id", "order"]})
    assert orders == [{"id": 1, "order": 1003}, {"id": 2, "order": 1002}, {"id": 3, "order": 1001}]
    c.request("vm.device.update", 1, {"order": 1001})
    orders = c.request("vm.device.query", [["vm", "=", 1]], {"select": ["id", "order"]})
    assert orders == [{"id": 1, "order": 1001}, {"id": 2, "order": 1003}, {"id": 3, "order": 1002}]


def test_model_errors_on_create(sim, c):
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {}}) == [
        ["vm_device_create.attributes.dtype", "Field required", 22]]
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {"dtype": "FOO"}}) == [
        ["vm_device_create.attributes", "Input tag 'FOO' found using 'dtype' does not match any of the expected "
                                        "tags: 'CDROM', 'DISPLAY', 'NIC', 'PCI', 'RAW', 'DISK', 'USB'", 22]]
    # 26 checks the NIC mac with a validator of its own (no schema pattern).
    mac_error = [] if sim.profile.schema_set == "schemas-26" else [
        ["vm_device_create.attributes.NIC.mac",
         "String should match pattern '^([0-9A-Fa-f]{2}[:-]?){5}([0-9A-Fa-f]{2})$'", 22]]
    assert invalid(c, "vm.device.create", {"vm": 1, "dtype": "NIC", "attributes": {"dtype": "NIC", "mac": "zz"}}) == \
        mac_error + [["vm_device_create.dtype", "Extra inputs are not permitted", 22]]
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {"dtype": "DISPLAY", "port": 100,
                                                                   "resolution": "1x1"}}) == [
        ["vm_device_create.attributes.DISPLAY.resolution",
         "Input should be '1920x1200', '1920x1080', '1600x1200', '1600x900', '1400x1050', '1280x1024', '1280x720', "
         "'1024x768', '800x600' or '640x480'", 22],
        ["vm_device_create.attributes.DISPLAY.port", "Input should be greater than or equal to 5900", 22]]
    assert invalid(c, "vm.device.create", {"vm": 77, "attributes": {"dtype": "NIC"}}) == [
        [None, "VM 77 does not exist", 2]]


# ---------------------------------------------------------------------------------------------
# DISK
# ---------------------------------------------------------------------------------------------

def test_disk_rules(c):
    def disk(**attrs):
        return invalid(c, "vm.device.create", {"vm": 1, "attributes": dict({"dtype": "DISK"}, **attrs)})

    assert disk(path="/dev/zvol/tank/x", create_zvol=True) == [
        ["vm_device_create.attributes.DISK", "Value error, Path should not be provided if create_zvol is set", 22]]
    assert disk() == [
        ["vm_device_create.attributes.DISK", "Value error, Path must be specified if create_zvol is not set", 22]]
    assert disk(create_zvol=True) == [["attributes.zvol_name", "This field is required.", 22],
                                      ["attributes.zvol_volsize", "This field is required.", 22]]
    assert disk(create_zvol=True, zvol_name="tank/nope/x", zvol_volsize=GIB) == [
        ["attributes.zvol_name", "Parent dataset tank/nope does not exist.", 2]]
    assert disk(create_zvol=True, zvol_name="tank/vms", zvol_volsize=GIB) == [
        ["attributes.zvol_name", "'tank/vms' already exists.", 22]]
    assert disk(path="/mnt/tank/x.img", zvol_volsize=GIB, physical_sectorsize=4096) == [
        ["attributes.logical_sectorsize", "This field must be provided when physical_sectorsize is specified.", 22],
        ["attributes.zvol_name", 'This field should not be specified when "create_zvol" is unset.', 22],
        ["attributes.path", 'Disk path must start with "/dev/zvol/"', 22]]
    assert disk(path="/dev/zvol/tank/vms") == [
        ["attributes.path", "Path specified does not reference to a VOLUME", 22]]
    assert disk(path="/dev/zvol/tank/ghost") == [["attributes.path", "Zvol referenced by path does not exist", 2]]
    assert disk(path="/dev/zvol/boot-pool/x") == [
        ["attributes.path", "Disk residing in boot pool cannot be consumed and is not supported", 22]]


def test_disk_zvol_creation_goes_through_pool_dataset_create(c):
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "DISK", "create_zvol": True, "zvol_name": "tank/vms/d0", "zvol_volsize": GIB + 512}}) == [
        ["pool_dataset_create.volsize", "Volume size should be a multiple of volume block size", 22]]
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "DISK", "create_zvol": True, "zvol_name": "tank/vms/d0", "zvol_volsize": 2 ** 50}}) == [
        ["pool_dataset_create.volsize", "It is not recommended to use more than 80% of your available space for "
                                        "VOLUME", 22]]
    assert c.request("vm.device.query") == []
    disk = new_zvol(c, name="tank/vms/my disk", size=4 * GIB)
    assert disk["attributes"]["path"] == "/dev/zvol/tank/vms/my+disk"
    zvol = c.request("pool.dataset.get_instance", "tank/vms/my disk")
    assert (zvol["type"], zvol["volsize"]["parsed"], zvol["volblocksize"]["parsed"]) == ("VOLUME", 4 * GIB, 16384)
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {"dtype": "DISK",
                                                                   "path": "/dev/zvol/tank/vms/my+disk"}}) == [
        ["attributes.path", 'vm1 has "/dev/zvol/tank/vms/my+disk" already configured', 22]]


@pytest.mark.parametrize("profile", ["25.10"])
def test_zvol_block_size_is_the_recommended_one(profile, sim_factory, sim_client):
    seed = load_seed_file(DEFAULT_SEED)
    seed["pools"].append({"name": "wide", "topology": {"data": [
        {"type": "RAIDZ1", "disks": ["sde", "sdf", "sdg", "sdh", "sdi", "sdj"]}]}})
    seed["disks"] += [dict(seed["disks"][4], name=n, serial="S-%s" % n) for n in ("sdg", "sdh", "sdi", "sdj")]
    seed["pools"] = [p for p in seed["pools"] if p["name"] != "backup"]
    server = sim_factory(profile, seed=seed)
    c = sim_client(server, login=True)
    assert c.request("pool.dataset.recommended_zvol_blocksize", "wide") == "32K"
    c.request("vm.create", {"name": "vm1", "memory": 1024})
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "DISK", "create_zvol": True, "zvol_name": "wide/d0", "zvol_volsize": GIB + 16384}}) == [
        ["pool_dataset_create.volsize", "Volume size should be a multiple of volume block size", 22]]
    new_zvol(c, name="wide/d0", size=GIB)
    assert c.request("pool.dataset.get_instance", "wide/d0")["volblocksize"]["value"] == "32K"


@pytest.mark.sim_profiles("25.04")
def test_update_needs_dtype_and_resets_unsent_attributes_25_04(sim, c):
    disk = new_zvol(c)
    serial = disk["attributes"]["serial"]
    assert invalid(c, "vm.device.update", 1, {"attributes": {"iotype": "IO_URING"}}) == [
        ["vm_device_update.attributes.dtype", "Field required", 22]]
    # Unsent attributes take the model's defaults: path None and serial None are refused here.
    assert invalid(c, "vm.device.update", 1, {"attributes": {"dtype": "DISK", "iotype": "IO_URING"}}) == [
        ["", "Value error, Path must be specified if create_zvol is not set", 22]]
    nic = add(c, {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO", "mac": "00:a0:98:00:00:01"})
    reset = c.request("vm.device.update", nic["id"], {"attributes": {"dtype": "NIC", "type": "E1000"}})
    assert reset["attributes"] == {"dtype": "NIC", "trust_guest_rx_filters": False, "type": "E1000",
                                   "nic_attach": None, "mac": None}
    # The whole set plus dtype changes only what differs.
    stored = c.request("vm.device.get_instance", 1)["attributes"]
    updated = c.request("vm.device.update", 1, {"attributes": dict(stored, iotype="IO_URING")})
    assert updated["attributes"] == disk_attrs("/dev/zvol/tank/vms/d0", serial, iotype="IO_URING")
    assert c.request("vm.device.update", 1, {"order": 1005})["order"] == 1005


@pytest.mark.sim_profiles("25.10", "26")
def test_update_merges_then_validates(c):
    disk = new_zvol(c)
    serial = disk["attributes"]["serial"]
    updated = c.request("vm.device.update", 1, {"attributes": {"iotype": "IO_URING", "logical_sectorsize": 4096}})
    assert updated["attributes"] == disk_attrs("/dev/zvol/tank/vms/d0", serial, iotype="IO_URING",
                                               logical_sectorsize=4096)
    assert invalid(c, "vm.device.update", 1, {"attributes": {"serial": "changed"}}) == [
        ["attributes.serial", "This field is read-only.", 22]]
    assert invalid(c, "vm.device.update", 1, {"attributes": {"iotype": "BAD", "bogus": 1}}) == [
        ["iotype", "Input should be 'NATIVE', 'THREADS' or 'IO_URING'", 22],
        ["bogus", "Extra inputs are not permitted", 22]]
    assert invalid(c, "vm.device.update", 1, {"attributes": {"path": None}}) == [
        ["", "Value error, Path must be specified if create_zvol is not set", 22]]
    assert invalid(c, "vm.device.update", 1, {"vm": 42}) == [[None, "VM 42 does not exist", 2]]
    moved = c.request("vm.device.update", 1, {"vm": 2, "attributes": {"serial": serial}})
    assert moved["vm"] == 2
    assert invalid(c, "vm.device.update", 99, {}) == [[None, "VMDevice 99 does not exist", 2]]


# ---------------------------------------------------------------------------------------------
# RAW, CDROM, NIC, DISPLAY, PCI, USB
# ---------------------------------------------------------------------------------------------

def test_raw_rules_and_file_side_effects(sim, c):
    def raw(**attrs):
        return invalid(c, "vm.device.create", {"vm": 1, "attributes": dict({"dtype": "RAW"}, **attrs)})

    assert raw(path="/mnt/tank/vms/a.img") == [
        ["attributes.size", "Please provide a valid size for the raw file.", 22]]
    assert raw(path="/mnt/tank/vms/a.img", exists=True) == [
        ["attributes.path", 'Path must exist when "exists" is set.', 22]]
    assert raw(path="/mnt/tank/isos/talos-1.8.iso", size=GIB) == [
        ["attributes.path", 'Path must not exist when "exists" is unset.', 22]]
    assert raw(path="/srv/a.img", size=GIB) == [
        ["attributes.path", "The path must reside within a pool mount point", 22]]
    assert raw(path="/mnt/tank/{a}.img", size=GIB) == [
        ["vm_device_create.attributes.RAW.path", "String should match pattern '^[^{}]*$'", 22]]
    add(c, {"dtype": "RAW", "path": "/mnt/tank/vms/a.img", "size": GIB, "boot": True})
    assert sim.state_dump("files")["/mnt/tank/vms/a.img"] == {"path": "/mnt/tank/vms/a.img", "type": "FILE",
                                                              "size": GIB}
    resized = update_attrs(sim, c, 1, {"size": 2 * GIB})
    assert resized["attributes"]["size"] == 2 * GIB and resized["attributes"]["exists"] is False
    assert sim.state_dump("files")["/mnt/tank/vms/a.img"]["size"] == 2 * GIB
    stored = c.request("vm.device.get_instance", 1)["attributes"] if sim.profile.name == "25.04" else {}
    if stored:
        assert invalid(c, "vm.device.update", 1, {"attributes": dict(stored, size=3 * GIB)}) == [
            ["attributes.path", 'Path must not exist when "exists" is unset.', 22]]
        stored["exists"] = True
    assert invalid(c, "vm.device.update", 1, {"attributes": dict(stored, size=None)}) == [
        ["attributes.size", "Please provide a valid size for the raw file.", 22]]
    assert c.request("vm.device.delete", 1, {"raw_file": True}) is True
    assert "/mnt/tank/vms/a.img" not in sim.state_dump("files")


def test_cdrom_rules(sim, c):
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "CDROM", "path": "/mnt/tank/isos/missing.iso"}}) == [
        ["attributes.path", "Unable to locate CDROM device at /mnt/tank/isos/missing.iso", 22]]
    outside = invalid(c, "vm.device.create", {"vm": 1, "attributes": {"dtype": "CDROM", "path": "/tmp/x.iso"}})
    if sim.profile.name == "25.04":
        assert outside == [["vm_device_create.attributes.CDROM.path", "String should match pattern '^/mnt/[^{}]*$'",
                            22]]
    else:
        assert outside == [["attributes.path", "The path must reside within a pool mount point", 22]]
    add(c, {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"})
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"}}) == [
        ["attributes.path", 'vm1 has "/mnt/tank/isos/talos-1.8.iso" already configured', 22]]
    assert add(c, {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"}, vm=2)["vm"] == 2


def test_nic_rules(c):
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "NIC", "nic_attach": "eth9", "mac": "FF:00:00:00:00:01", "trust_guest_rx_filters": True}}) == [
        ["attributes.nic_attach", "Not a valid choice.", 22],
        ["attributes.trust_guest_rx_filters", 'This can only be set when "type" of NIC device is "VIRTIO"', 22],
        ["attributes.mac", "MAC address must not start with `ff`", 22]]
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO", "trust_guest_rx_filters": True}}) == [
        ["attributes.trust_guest_rx_filters", 'This can only be set when "nic_attach" is not a bridge device', 22]]
    nic = add(c, {"dtype": "NIC", "nic_attach": "enp1s0", "type": "VIRTIO", "trust_guest_rx_filters": True,
                  "mac": "00:a0:98:00:00:01"})
    assert nic["attributes"] == {"dtype": "NIC", "trust_guest_rx_filters": True, "type": "VIRTIO",
                                 "nic_attach": "enp1s0", "mac": "00:a0:98:00:00:01"}


def test_display_rules(sim, c):
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "DISPLAY", "password": " ", "bind": "10.9.9.9"}}) == [
        ["attributes.password", "Password is required for display devices", 22],
        ["attributes.bind", "Requested bind address is not valid", 22]]
    add(c, {"dtype": "DISPLAY", "password": "pw", "port": 5950, "bind": "192.168.1.10"})
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {"dtype": "DISPLAY", "password": "pw"}}) == [
        ["attributes.type", "Only one SPICE Display device is supported", 22]]
    assert invalid(c, "vm.device.create", {"vm": 2, "attributes": {
        "dtype": "DISPLAY", "password": "pw", "port": 5950, "web_port": 5900}}) == [
        ["attributes.port", "Specified display port(5950) is already in use by another Display device", 22],
        ["attributes.web_port", "Specified display port(5900) is already in use by another Display device", 22]]
    assert invalid(c, "vm.device.create", {"vm": 2, "attributes": {
        "dtype": "DISPLAY", "password": "pw", "web_port": 80}}) == [
        ["attributes.web_port", "Web port must be between 5900 and 65535", 22]]
    dtype = {"dtype": "DISPLAY"} if sim.profile.name == "25.04" else {}
    assert invalid(c, "vm.device.update", 1, {"attributes": dict(dtype, port=10)}) == [
        ["port", "Input should be greater than or equal to 5900", 22]]
    vnc = {"dtype": "DISPLAY", "type": "VNC", "password": "123456789"}
    if sim.profile.name == "25.04":
        assert invalid(c, "vm.device.create", {"vm": 1, "attributes": vnc}) == [
            ["vm_device_create.attributes.DISPLAY.type", "Input should be 'SPICE'", 22]]
        assert invalid(c, "vm.device.update", 1, {"attributes": {"dtype": "DISPLAY", "type": "VNC"}}) == [
            ["type", "Input should be 'SPICE'", 22]]
    else:
        assert invalid(c, "vm.device.create", {"vm": 1, "attributes": vnc}) == [
            ["attributes.web", "Web access is not supported for VNC display devices, please use SPICE instead", 22],
            ["attributes.password", "Password for VNC display devices must be 8 characters or less", 22]]
        second = add(c, dict(vnc, password="12345678", web=False))
        assert second["attributes"] == {"dtype": "DISPLAY", "resolution": "1024x768", "port": 5901, "web_port": 5902,
                                        "bind": "127.0.0.1", "wait": False, "password": "12345678", "web": False,
                                        "type": "VNC"}


def test_pci_and_usb_rules(c):
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {"dtype": "PCI", "pptdev": "pci_0000_09_00_0"}}) == [
        ["attributes.pptdev", "Not a valid choice. The PCI device is not available for passthru.", 22]]
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {"dtype": "USB"}}) == [
        ["attributes.usb", "Either device or attributes.usb must be specified", 22]]
    assert invalid(c, "vm.device.create", {"vm": 1, "attributes": {
        "dtype": "USB", "device": "usb_0_1", "usb": {"vendor_id": "0x1", "product_id": "0x2"}}}) == [
        ["attributes.device", "Device should be null if attributes.usb is specified", 22]]
    usb = add(c, {"dtype": "USB", "device": "usb_0_1", "controller_type": "qemu-xhci"})
    assert usb["attributes"] == {"dtype": "USB", "usb": None, "controller_type": "qemu-xhci", "device": "usb_0_1"}


# ---------------------------------------------------------------------------------------------
# delete and helpers
# ---------------------------------------------------------------------------------------------

def test_delete_rules(c):
    new_zvol(c)
    add(c, {"dtype": "NIC"})
    c.request("vm.start", 1)
    assert call_error(c, "vm.device.delete", 2) == (
        "[EFAULT] Please stop/resume associated VM before deleting VM device.")
    c.request("vm.suspend", 1)
    assert call_error(c, "vm.device.delete", 2) == (
        "[EFAULT] Please stop/resume associated VM before deleting VM device.")
    c.request("vm.poweroff", 1)
    assert call_error(c, "vm.device.delete", 2, {"zvol": True}) == (
        "[EFAULT] The device is not a disk and has no zvol to destroy.")
    assert call_error(c, "vm.device.delete", 1, {"raw_file": True}) == "[EFAULT] Device is not of RAW type."
    assert c.request("vm.device.delete", 2, {"zvol": True, "force": True}) is True
    assert c.request("vm.device.delete", 1, {"zvol": True}) is True
    assert c.request("pool.dataset.query", [["id", "=", "tank/vms/d0"]]) == []
    assert c.request("vm.device.query") == []
    assert invalid(c, "vm.device.delete", 1) == [[None, "VMDevice 1 does not exist", 2]]


def test_device_events(sim, c):
    c.request("core.subscribe", "vm.device.query")
    nic = add(c, {"dtype": "NIC"})
    added = c.wait_event(lambda e: e["params"]["msg"] == "added")
    assert added["params"] == {"msg": "added", "collection": "vm.device.query", "id": 1, "fields": nic}
    changed = update_attrs(sim, c, 1, {"type": "VIRTIO"})
    event = c.wait_event(lambda e: e["params"]["msg"] == "changed")
    assert event["params"]["fields"] == changed
    c.request("vm.device.delete", 1)
    removed = c.wait_event(lambda e: e["params"]["msg"] == "removed")
    assert removed["params"] == {"msg": "removed", "collection": "vm.device.query", "id": 1}


def test_choice_helpers(sim, c):
    new_zvol(c, name="tank/vms/used")

    def add_free_zvols():
        from tests.simulator.services import dataset as storage
        for name, props in (("tank/vms/free", {}), ("tank/vms/ro", {"readonly": "on"})):
            rec = storage.new_record(sim.state, name, storage.VOL, props=dict(props, volsize=str(GIB)))
            storage.insert_record(sim.state, rec)

    sim.run(add_free_zvols)
    assert c.request("vm.device.disk_choices") == {"/dev/zvol/tank/vms/free": "tank/vms/free"}
    if sim.profile.at_least("26"):
        assert c.request("vm.device.nic_attach_choices") == {"BRIDGE": ["br0", "br1"], "MACVLAN": ["enp1s0"]}
    else:
        assert c.request("vm.device.nic_attach_choices") == {"enp1s0": "enp1s0", "br0": "br0", "br1": "br1"}
    assert c.request("vm.device.bind_choices") == {"0.0.0.0": "0.0.0.0", "::": "::", "127.0.0.1": "127.0.0.1",
                                                   "192.168.1.10": "192.168.1.10"}
    assert c.request("vm.device.iotype_choices") == {"NATIVE": "NATIVE", "THREADS": "THREADS",
                                                     "IO_URING": "IO_URING"}
    assert c.request("vm.device.usb_controller_choices") == {n: n for n in [
        "piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1", "vt82c686b-uhci", "pci-ohci", "nec-xhci", "qemu-xhci"]}
    pci = c.request("vm.device.passthrough_device_choices")
    assert list(pci) == ["pci_0000_01_00_0"]
    assert (pci["pci_0000_01_00_0"]["available"], pci["pci_0000_01_00_0"]["critical"]) == (True, False)
