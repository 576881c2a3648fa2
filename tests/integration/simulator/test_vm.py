"""vm.* on the simulator: fields and defaults per profile, validation, status objects, memory checks,
the stop/restart jobs with a simulated guest, delete, helper methods, events and the seed sections."""
import re
import time
import uuid

import pytest

from tests.simulator.state import DEFAULT_SEED, load_seed_file

GIB = 1024 ** 3
MIB = 1024 ** 2
STOPPED = {"state": "STOPPED", "pid": None, "domain_state": "SHUTOFF"}
# Default seed: physmem 64 GiB, so guests get half of it: 34359738368 bytes.
HOST_AVAILABLE = 34359738368


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def error(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    return msg["error"]


def invalid(c, method, *params):
    err = error(c, method, *params)
    assert err["code"] == -32602, err
    return err["data"]["extra"]


def call_error(c, method, *params):
    """(errname, reason) of a -32001 reply."""
    err = error(c, method, *params)
    assert err["code"] == -32001, err
    return err["data"]["errname"], err["data"]["reason"]


def wait_job(c, job_id, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = c.request("core.get_jobs", [["id", "=", job_id]], {"get": True})
        if job["state"] in ("SUCCESS", "FAILED", "ABORTED"):
            return job
        time.sleep(0.05)
    raise AssertionError("job %s did not finish" % job_id)


def vm_entry(sim, **changes):
    out = {
        "command_line_args": "", "cpu_mode": "CUSTOM", "cpu_model": None, "name": "vm1", "description": "",
        "vcpus": 1, "cores": 1, "threads": 1, "cpuset": None, "nodeset": None, "enable_cpu_topology_extension": False,
        "pin_vcpus": False, "suspend_on_snapshot": sim.profile.name == "26", "trusted_platform_module": False,
        "memory": 1024, "min_memory": None, "hyperv_enlightenments": False, "bootloader": "UEFI",
        "bootloader_ovmf": "OVMF_CODE_4M.fd", "autostart": True, "hide_from_msr": False, "ensure_display_device": True,
        "time": "LOCAL", "shutdown_timeout": 90, "arch_type": None, "machine_type": None, "devices": [],
        "display_available": False, "id": 1, "status": STOPPED, "enable_secure_boot": False,
    }
    out.update(changes)
    return out


def without_uuid(vm):
    vm = dict(vm)
    value = vm.pop("uuid")
    assert uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value
    return vm


def create(c, name="vm1", **fields):
    return c.request("vm.create", dict({"name": name, "memory": 1024}, **fields))


# ---------------------------------------------------------------------------------------------
# create / update / validation
# ---------------------------------------------------------------------------------------------

def test_create_fills_defaults(sim, c):
    vm = create(c)
    assert without_uuid(vm) == vm_entry(sim)
    assert c.request("vm.get_instance", 1) == vm
    assert c.request("vm.query", [["name", "=", "vm1"]], {"select": ["id", "status"]}) == [
        {"id": 1, "status": STOPPED}]
    fixed = create(c, "vm2", uuid="0b7c2b4e-8a8d-4f4e-9a52-3c2d7a1f0e11", description="d", vcpus=2, cores=2,
                   threads=1, time="UTC", shutdown_timeout=30, cpu_mode="HOST-PASSTHROUGH", min_memory=512,
                   suspend_on_snapshot=False)
    assert fixed == vm_entry(sim, id=2, name="vm2", uuid="0b7c2b4e-8a8d-4f4e-9a52-3c2d7a1f0e11", description="d",
                             vcpus=2, cores=2, time="UTC", shutdown_timeout=30, cpu_mode="HOST-PASSTHROUGH",
                             min_memory=512, suspend_on_snapshot=False)


def test_secure_boot_defaults(sim, c):
    vm = create(c, enable_secure_boot=True)
    assert without_uuid(vm) == vm_entry(sim, enable_secure_boot=True, bootloader_ovmf="OVMF_CODE_4M.secboot.fd",
                                        arch_type="x86_64", machine_type="pc-q35-6.2")


def test_service_validation(c):
    assert invalid(c, "vm.create", {
        "name": "bad-name", "memory": 100, "min_memory": 200, "vcpus": 16, "cores": 16, "threads": 2,
        "pin_vcpus": True, "cpu_mode": "HOST-MODEL", "cpu_model": "EPYC", "machine_type": "q35",
        "bootloader_ovmf": "nope.fd", "command_line_args": "'abc", "uuid": "123",
    }) == [
        ["vm_create.name", "Only alphanumeric characters are allowed.", 22],
        ["vm_create.min_memory", "Minimum memory should not be greater than defined/maximum memory", 22],
        ["vm_create.vcpus", 'Maximum 255 vcpus are supported.Please ensure the product of "vm_create.vcpus", '
                            '"vm_create.threads" and "vm_create.cores" is less than or equal to 255.', 22],
        ["vm_create.cpuset", 'Must be specified when "vm_create.pin_vcpus" is set.', 22],
        ["vm_create.cpu_model", 'This attribute should not be specified when "cpu_mode" is not "CUSTOM".', 22],
        ["vm_create.arch_type", 'Must be specified when "machine_type" is specified.', 22],
        ["vm_create.bootloader_ovmf", "Invalid bootloader ovmf choice specified", 22],
        ["vm_create.command_line_args", "Parse error: No closing quotation", 22],
        ["vm_create.uuid", "Value error, Invalid UUID4 format", 22],
    ]
    assert invalid(c, "vm.create", {"name": "v", "memory": 1024, "pin_vcpus": True, "cpuset": "0-2", "vcpus": 2,
                                    "cpu_model": "Z80", "arch_type": "sparc"}) == [
        ["vm_create.pin_vcpus", 'Number of cpus in "vm_create.cpuset" must be equal to total number vcpus if '
                                'pinning is enabled.', 22],
        ["vm_create.cpu_model", "Please select a valid CPU model.", 22],
        ["vm_create.arch_type", "Specified architecture type is not supported on this system", 22],
    ]
    assert invalid(c, "vm.create", {"name": "v", "memory": 1024, "enable_secure_boot": True,
                                    "bootloader_ovmf": "OVMF_CODE_4M.fd", "arch_type": "x86_64",
                                    "machine_type": "pc-i440fx-6.2"}) == [
        ["vm_create.machine_type", "Secure boot is only available in q35 machine type", 22],
        ["vm_create.bootloader_ovmf", "Select a bootloader_ovmf that supports secure boot i.e "
                                      "OVMF_CODE_4M.secboot.fd", 22],
    ]
    create(c, "Taken")
    assert invalid(c, "vm.create", {"name": "Taken", "memory": 1024}) == [
        ["vm_create.name", "This name already exists.", 17]]
    assert invalid(c, "vm.update", 1, {"name": "Taken2", "cpuset": "x"}) == [
        ["vm_update.cpuset", "Please specify a valid cpuset", 22]]


def test_model_validation(c):
    assert invalid(c, "vm.create", {"name": "", "memory": "2048", "bootloader": "BIOS", "devices": [],
                                    "shutdown_timeout": 1}) == [
        ["vm_create.name", "String should have at least 1 character", 22],
        ["vm_create.memory", "Input should be a valid integer", 22],
        ["vm_create.bootloader", "Input should be 'UEFI_CSM' or 'UEFI'", 22],
        ["vm_create.shutdown_timeout", "Input should be greater than or equal to 5", 22],
        ["vm_create.devices", "Extra inputs are not permitted", 22],
    ]
    assert invalid(c, "vm.create", {"name": "v"}) == [["vm_create.memory", "Field required", 22]]
    create(c)
    assert invalid(c, "vm.update", 1, {"devices": [], "memory": 10}) == [
        ["vm_update.memory", "Input should be greater than or equal to 20", 22],
        ["vm_update.devices", "Extra inputs are not permitted", 22],
    ]


@pytest.mark.sim_profiles("25.04")
def test_2504_secure_boot_is_updatable(sim, c):
    create(c, enable_secure_boot=True)
    vm = c.request("vm.update", 1, {"enable_secure_boot": False, "bootloader_ovmf": "OVMF_CODE.fd"})
    assert without_uuid(vm) == vm_entry(sim, bootloader_ovmf="OVMF_CODE.fd", arch_type="x86_64",
                                        machine_type="pc-q35-6.2")


@pytest.mark.sim_profiles("25.10", "26")
def test_secure_boot_is_create_only(c):
    create(c)
    assert invalid(c, "vm.update", 1, {"enable_secure_boot": True, "bootloader_ovmf": "OVMF_CODE.fd"}) == [
        ["vm_update.enable_secure_boot", "Extra inputs are not permitted", 22],
        ["vm_update.bootloader_ovmf", "Extra inputs are not permitted", 22],
    ]


def test_update_is_partial_and_rename_needs_inactive_vm(sim, c):
    create(c, description="before")
    vm = c.request("vm.update", 1, {"memory": 2048, "autostart": False})
    assert without_uuid(vm) == vm_entry(sim, description="before", memory=2048, autostart=False)
    c.request("vm.start", 1)
    assert call_error(c, "vm.update", 1, {"name": "renamed"}) == (
        "EFAULT", "[EFAULT] VM name can only be changed when VM is inactive")
    assert c.request("vm.update", 1, {"description": "while running"})["description"] == "while running"
    assert invalid(c, "vm.update", 7, {}) == [[None, "VM 7 does not exist", 2]]


# ---------------------------------------------------------------------------------------------
# lifecycle
# ---------------------------------------------------------------------------------------------

def test_status_objects_and_state_errors(c):
    create(c)
    assert c.request("vm.status", 1) == STOPPED
    assert c.request("vm.start", 1) is None
    running = c.request("vm.status", 1)
    assert running["state"] == "RUNNING" and running["domain_state"] == "RUNNING"
    assert isinstance(running["pid"], int)
    assert call_error(c, "vm.start", 1) == ("EFAULT", "[EFAULT] 'vm1' is already running")
    assert c.request("vm.suspend", 1) is None
    assert c.request("vm.status", 1) == {"state": "SUSPENDED", "pid": running["pid"], "domain_state": "PAUSED"}
    assert call_error(c, "vm.start", 1) == (
        "EFAULT", "[EFAULT] 'vm1' VM is suspended and can only be resumed/powered off")
    assert c.request("vm.resume", 1) is None
    assert call_error(c, "vm.resume", 1) == ("EFAULT", "[EFAULT] 1_vm1 domain is not paused")
    assert c.request("vm.poweroff", 1) is None
    assert c.request("vm.status", 1) == STOPPED
    assert call_error(c, "vm.poweroff", 1) == ("EFAULT", "[EFAULT] 1_vm1 domain is not active")
    assert call_error(c, "vm.suspend", 1) == ("EFAULT", "[EFAULT] 1_vm1 domain is not active")
    assert invalid(c, "vm.status", 9) == [[None, "VM 9 does not exist", 2]]


def test_memory_checks_on_start(c):
    assert c.request("vm.get_available_memory") == int(HOST_AVAILABLE * 0.9)
    create(c, "big", memory=20000)
    create(c, "second", memory=12000)
    c.request("vm.start", 1)
    assert c.request("vm.get_available_memory") == int((HOST_AVAILABLE - 20000 * MIB) * 0.9)
    assert call_error(c, "vm.start", 2) == ("ENOMEM", "[ENOMEM] Cannot guarantee memory for guest second")
    assert c.request("vm.start", 2, {"overcommit": True}) is None
    assert c.request("vm.get_available_memory", True) == int((HOST_AVAILABLE - 32000 * MIB) * 0.9) == 724775731
    c.request("vm.update", 2, {"min_memory": 1024})
    c.request("vm.poweroff", 2)
    assert c.request("vm.start", 2) is None


def test_stop_waits_for_a_cooperative_guest(c):
    create(c)
    c.request("vm.start", 1)
    assert c.request("test.vm_guest_behaviour", 1, {"shutdown_seconds": 0.2}) == {
        "ignores_acpi": False, "shutdown_seconds": 0.2, "error": False}
    job = wait_job(c, c.request("vm.stop", 1))
    assert (job["state"], job["result"], job["method"], job["arguments"]) == ("SUCCESS", None, "vm.stop", [1])
    assert c.request("vm.status", 1) == STOPPED
    failed = wait_job(c, c.request("vm.stop", 1))
    assert (failed["state"], failed["error"]) == ("FAILED", "[EFAULT] 1_vm1 domain is not active")


def test_stop_with_force_powers_off_at_once(c):
    create(c)
    c.request("vm.start", 1)
    c.request("test.vm_guest_behaviour", 1, {"ignores_acpi": True})
    started = time.monotonic()
    job = wait_job(c, c.request("vm.stop", 1, {"force": True}))
    assert job["state"] == "SUCCESS"
    assert time.monotonic() - started < 2
    assert c.request("vm.status", 1) == STOPPED


@pytest.mark.sim_profiles("25.10")
def test_stop_without_force_after_timeout_can_leave_the_vm_running(c):
    create(c, shutdown_timeout=5)
    c.request("vm.start", 1)
    c.request("test.vm_guest_behaviour", 1, {"ignores_acpi": True})
    started = time.monotonic()
    job = wait_job(c, c.request("vm.stop", 1))
    assert job["state"] == "SUCCESS"
    assert time.monotonic() - started >= 5
    assert c.request("vm.status", 1)["state"] == "RUNNING"


@pytest.mark.sim_profiles("25.10")
def test_stop_force_after_timeout(c):
    create(c, shutdown_timeout=5)
    c.request("vm.start", 1)
    c.request("test.vm_guest_behaviour", 1, {"ignores_acpi": True})
    job = wait_job(c, c.request("vm.stop", 1, {"force_after_timeout": True}))
    assert (job["state"], job["progress"]["description"]) == ("SUCCESS", "Powering off after timeout")
    assert c.request("vm.status", 1) == STOPPED


def test_restart_starts_again_with_overcommit(c):
    create(c, "huge", memory=40000)
    assert call_error(c, "vm.start", 1) == ("ENOMEM", "[ENOMEM] Cannot guarantee memory for guest huge")
    c.request("vm.start", 1, {"overcommit": True})
    pid = c.request("vm.status", 1)["pid"]
    c.request("test.vm_guest_behaviour", 1, {"shutdown_seconds": 0.1})
    job = wait_job(c, c.request("vm.restart", 1))
    assert job["state"] == "SUCCESS"
    status = c.request("vm.status", 1)
    assert status["state"] == "RUNNING" and status["pid"] != pid
    c.request("vm.poweroff", 1)
    failed = wait_job(c, c.request("vm.restart", 1))
    assert (failed["state"], failed["error"]) == (
        "FAILED", "[EFAULT] Failed to stop 'huge' vm: 1_huge domain is not active")


def test_delete_powers_off_and_destroys_zvols(sim, c):
    create(c)
    c.request("vm.device.create", {"vm": 1, "attributes": {
        "dtype": "DISK", "create_zvol": True, "zvol_name": "tank/vms/vm1-disk0", "zvol_volsize": GIB}})
    c.request("vm.device.create", {"vm": 1, "attributes": {"dtype": "NIC", "nic_attach": "br0"}})
    c.request("vm.start", 1)
    result = c.request("vm.delete", 1, {"zvols": True})
    assert result is (None if sim.profile.name == "26" else True)
    assert c.request("vm.query") == []
    assert c.request("vm.device.query") == []
    assert c.request("pool.dataset.query", [["id", "=", "tank/vms/vm1-disk0"]]) == []


def test_delete_keeps_zvols_by_default_and_error_state_needs_force(sim, c):
    create(c)
    c.request("vm.device.create", {"vm": 1, "attributes": {
        "dtype": "DISK", "create_zvol": True, "zvol_name": "tank/vms/keep", "zvol_volsize": GIB}})
    c.request("test.vm_guest_behaviour", 1, {"error": True})
    assert c.request("vm.status", 1) == {"state": "ERROR", "pid": None, "domain_state": "ERROR"}
    assert call_error(c, "vm.delete", 1) == ("EFAULT", "[EFAULT] Unable to retrieve VM status. Failed to destroy VM")
    c.request("vm.delete", 1, {"force": True})
    assert c.request("pool.dataset.query", [["id", "=", "tank/vms/keep"]], {"select": ["id"]}) == [
        {"id": "tank/vms/keep"}]


# ---------------------------------------------------------------------------------------------
# helpers, secrets, events
# ---------------------------------------------------------------------------------------------

def test_choice_helpers(c):
    assert re.fullmatch(r"00:a0:98(:[0-9a-f]{2}){3}", c.request("vm.random_mac"))
    assert c.request("vm.maximum_supported_vcpus") == 255
    assert c.request("vm.bootloader_options") == {"UEFI": "UEFI", "UEFI_CSM": "Legacy BIOS"}
    assert c.request("vm.bootloader_ovmf_choices") == {
        "OVMF_CODE.fd": "OVMF_CODE.fd", "OVMF_CODE_4M.fd": "OVMF_CODE_4M.fd",
        "OVMF_CODE_4M.secboot.fd": "OVMF_CODE_4M.secboot.fd"}
    assert c.request("vm.resolution_choices") == {r: r for r in [
        "1920x1200", "1920x1080", "1600x1200", "1600x900", "1400x1050", "1280x1024", "1280x720", "1024x768",
        "800x600", "640x480"]}
    models = c.request("vm.cpu_model_choices")
    assert models["EPYC-Rome"] == "EPYC-Rome" and models["Skylake-Server"] == "Skylake-Server"
    arches = c.request("vm.guest_architecture_and_machine_choices")
    assert sorted(arches) == ["i686", "x86_64"] and "pc-q35-6.2" in arches["x86_64"]
    assert c.request("vm.flags") == {"intel_vmx": True, "unrestricted_guest": True, "amd_rvi": False,
                                     "amd_asids": False}
    assert c.request("vm.supports_virtualization") is True
    assert c.request("vm.port_wizard") == {"port": 5900, "web": 5901}


def test_display_devices_and_secrets(sim, c, sim_client):
    create(c)
    c.request("core.subscribe", "vm.device.query")
    display = c.request("vm.device.create", {"vm": 1, "attributes": {"dtype": "DISPLAY", "password": "s3cret"}})
    assert display["attributes"]["password"] == "s3cret"
    event = c.wait_event(lambda e: e["params"]["collection"] == "vm.device.query")
    assert event["params"]["fields"]["attributes"] == dict(display["attributes"], password="********")
    assert c.request("vm.port_wizard") == {"port": 5902, "web": 5903}
    shown = c.request("vm.get_display_devices", 1)
    assert shown == [{"id": 1, "vm": 1, "order": 1002, "attributes": dict(
        display["attributes"], password_configured=True)}]
    viewer = sim_client(sim)
    viewer.login("viewer", "sim-viewer-Passw0rd")
    masked = viewer.request("vm.get_display_devices", 1)
    assert masked[0]["attributes"]["password"] == "********"
    assert masked[0]["attributes"]["password_configured"] is True
    assert viewer.request("vm.query")[0]["devices"][0]["attributes"]["password"] == "********"
    assert viewer.request("vm.device.query")[0]["attributes"]["password"] == "********"
    assert viewer.call("vm.start", 1)["error"]["data"]["reason"] == "[EACCES] Not authorized"


def test_events(sim, c):
    c.request("core.subscribe", "vm.query")
    vm = create(c)
    added = c.wait_event(lambda e: e["params"]["msg"] == "added")
    assert added["params"] == {"msg": "added", "collection": "vm.query", "id": 1, "fields": vm}
    c.request("vm.start", 1)
    changed = c.wait_event(lambda e: e["params"]["msg"] == "changed")
    assert changed["params"]["id"] == 1 and changed["params"]["fields"]["status"]["state"] == "RUNNING"
    c.request("vm.delete", 1)
    removed = c.wait_event(lambda e: e["params"]["msg"] == "removed")
    assert removed["params"] == {"msg": "removed", "collection": "vm.query", "id": 1}


# ---------------------------------------------------------------------------------------------
# seed sections
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["25.04", "26"])
def test_seeded_vms_and_network(profile, sim_factory, sim_client):
    seed = load_seed_file(DEFAULT_SEED)
    seed["network"] = {"interfaces": [{"name": "eno1", "addresses": ["10.1.1.5/24"]}, "eno2"],
                       "bridges": [{"name": "br5", "members": ["eno2"]}],
                       "bind_addresses": ["0.0.0.0", "127.0.0.1"]}
    seed["vms"] = {
        "host": {"memory_available": 8 * GIB, "arc_shrinkable": GIB},
        "machines": [
            {"name": "cp1", "memory": 2048, "vcpus": 2, "status": "RUNNING", "ignores_acpi": True,
             "devices": [{"attributes": {"dtype": "NIC", "nic_attach": "br5", "mac": "00:a0:98:11:22:33"}},
                         {"attributes": {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"}, "order": 1000}]},
            {"name": "wk1", "memory": 4096},
        ],
    }
    server = sim_factory(profile, seed=seed)
    c = sim_client(server, login=True)
    vms = c.request("vm.query", [], {"order_by": ["id"]})
    assert [(v["id"], v["name"], v["status"]["state"], v["suspend_on_snapshot"]) for v in vms] == [
        (1, "cp1", "RUNNING", profile == "26"), (2, "wk1", "STOPPED", profile == "26")]
    assert vms[0]["devices"] == [
        {"id": 1, "vm": 1, "order": 1002, "attributes": {"dtype": "NIC", "trust_guest_rx_filters": False,
                                                         "type": "E1000", "nic_attach": "br5",
                                                         "mac": "00:a0:98:11:22:33"}},
        {"id": 2, "vm": 1, "order": 1000, "attributes": {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"}},
    ]
    assert c.request("vm.get_available_memory") == int((8 * GIB - 2048 * MIB) * 0.9) + GIB
    assert c.request("test.vm_guest_behaviour", 1) == {
        "ignores_acpi": True, "shutdown_seconds": 0.5, "error": False}
    if profile == "26":
        assert c.request("vm.device.nic_attach_choices") == {"BRIDGE": ["br5"], "MACVLAN": ["eno1", "eno2"]}
    else:
        assert c.request("vm.device.nic_attach_choices") == {"eno1": "eno1", "eno2": "eno2", "br5": "br5"}
    assert c.request("vm.device.bind_choices") == {"0.0.0.0": "0.0.0.0", "127.0.0.1": "127.0.0.1",
                                                   "10.1.1.5": "10.1.1.5"}


@pytest.mark.parametrize("section, value, message", [
    ("vms", [{"name": "x"}], "seed section vms: machine 0 needs a name and an integer memory (MiB)"),
    ("vms", {"machines": [{"name": "x", "memory": 64, "status": "PAUSED"}]},
     "seed section vms: machine x has status 'PAUSED' (STOPPED, RUNNING or SUSPENDED)"),
    ("vms", {"host": {"memory_available": "8G"}},
     "seed section vms: host.memory_available must be a number of bytes, got '8G'"),
    ("network", {"bind_addresses": ["nope"]}, "seed section network: 'nope' in bind_addresses is not an IP address"),
    ("network", {"bridges": [{"members": []}]}, "seed section network: every entry of bridges needs a name, got "
                                                "{'members': []}"),
])
def test_seed_errors_name_the_section(section, value, message):
    from tests.simulator import services
    from tests.simulator.state import State

    services.load_all()
    seed = load_seed_file(DEFAULT_SEED)
    seed[section] = value
    with pytest.raises(ValueError) as exc:
        State().load_seed(seed)
    assert str(exc.value) == message
