"""Virtual machines and their devices: ``vm.*`` and ``vm.device.*`` (methods.md sections 6 and 7).

Profiles: ``25.04`` is 25.04.2 (VMs present, ``dtype`` inside ``attributes``, DISPLAY SPICE only,
``bootloader_ovmf``/``enable_secure_boot`` updatable); ``25.10`` (those two are create-only, VNC
allowed); ``26`` (``suspend_on_snapshot`` defaults to true, ``vm.delete`` returns null).

Guests are simulated: ``vm.start`` checks memory against the seeded host memory, ``vm.stop`` sends an
"ACPI shutdown" that the guest honours after ``shutdown_seconds`` unless it ``ignores_acpi`` (set per VM
with the test hook ``test.vm_guest_behaviour``), so a stop without ``force_after_timeout`` can leave the
VM RUNNING, as the real one does.

Seed sections
-------------

``network`` (host networking the device choices come from)::

    network:
      interfaces: [enp1s0]                 # names, or {name: enp1s0, addresses: [192.168.1.10]}
      bridges:                             # names, or {name: br0, members: [enp1s0], addresses: [...]}
        - {name: br0, members: [enp1s0]}
        - br1
      bind_addresses: [0.0.0.0, "::", 127.0.0.1, 192.168.1.10]   # vm.device.bind_choices

  Missing keys default to interface ``enp1s0``, bridges ``br0`` (member enp1s0) and ``br1``, and bind
  addresses ``0.0.0.0``, ``::`` and ``127.0.0.1`` plus every interface/bridge address.

``vms`` (optional pre-existing VMs; either a list of machines or a mapping)::

    vms:
      host:
        memory_available: 17179869184      # bytes free for guests; default: half of system physmem
        arc_shrinkable: 0                  # ARC bytes that can be given to guests
        pci_devices:                       # vm.device.passthrough_device_choices (default: one GPU)
          pci_0000_01_00_0: {description: "NVIDIA GPU", available: true}
      machines:
        - name: k8s_cp1                    # any vm.create field; defaults as vm.create
          memory: 4096
          status: RUNNING                  # STOPPED (default), RUNNING or SUSPENDED
          ignores_acpi: false              # guest behaviour (see test.vm_guest_behaviour)
          shutdown_seconds: 0.5
          devices:                         # vm.device entries without id/vm
            - {attributes: {dtype: NIC, nic_attach: br0, mac: "00:a0:98:11:22:33"}}
            - {attributes: {dtype: DISK, path: /dev/zvol/tank/vms/k8s_cp1, type: VIRTIO}, order: 1001}

Events (``vm.query``, ``vm.device.query``) go to every subscriber, so display passwords are masked
in them; replies show them in clear to full admins and VM writers only.

State kinds: ``vms`` and ``vm_devices`` (records keyed by id), ``vm_runtime`` (per-VM status and guest
behaviour, keyed by VM id), ``network`` and ``vm_host`` (one record under ``"config"``).
"""
import copy
import errno
import hashlib
import ipaddress
import random
import shlex
import string
import time
import uuid

from .. import schema as sim_schema
from ..errors import CallError, InstanceNotFound, SimError, ValidationErrors
from ..registry import method, seed_loader
from . import dataset as storage
from .sharing import (
    BOOT_POOLS, add_file, dataset_for_path, dataset_type, datasets, emit, file_record, in_pool, is_full_admin,
    get_instance, path_exists, query_items, remove_file, save, session_roles,
)

VM_KIND = "vms"
DEV_KIND = "vm_devices"
RUNTIME_KIND = "vm_runtime"
NETWORK_KIND = "network"
HOST_KIND = "vm_host"

MIB = 1024 * 1024
MAX_VCPUS = 255
POLL_SECONDS = 0.1
DEFAULT_SHUTDOWN_SECONDS = 0.5
SECRET_MASK = "********"

OVMF_CHOICES = ["OVMF_CODE.fd", "OVMF_CODE_4M.fd", "OVMF_CODE_4M.secboot.fd"]
RESOLUTIONS = ["1920x1200", "1920x1080", "1600x1200", "1600x900", "1400x1050", "1280x1024", "1280x720",
               "1024x768", "800x600", "640x480"]
CPU_MODELS = [
    "486", "pentium", "pentium2", "pentium3", "pentiumpro", "coreduo", "n270", "core2duo", "qemu32", "kvm32",
    "cpu64-rhel5", "cpu64-rhel6", "qemu64", "kvm64", "Conroe", "Penryn", "Nehalem", "Nehalem-IBRS", "Westmere",
    "Westmere-IBRS", "SandyBridge", "SandyBridge-IBRS", "IvyBridge", "IvyBridge-IBRS", "Haswell", "Haswell-IBRS",
    "Broadwell", "Broadwell-IBRS", "Skylake-Client", "Skylake-Client-IBRS", "Skylake-Server", "Skylake-Server-IBRS",
    "Cascadelake-Server", "Icelake-Server", "Cooperlake", "SapphireRapids", "athlon", "phenom", "Opteron_G1",
    "Opteron_G2", "Opteron_G3", "Opteron_G4", "Opteron_G5", "EPYC", "EPYC-IBPB", "EPYC-Rome", "EPYC-Milan",
    "EPYC-Genoa", "Dhyana", "POWER6", "POWER7", "POWER8", "POWER9", "POWERPC_e5500", "POWERPC_e6500",
]
ARCH_MACHINES = {
    "x86_64": ["pc-i440fx-6.2", "pc", "pc-q35-6.2", "q35", "pc-i440fx-7.2", "pc-q35-7.2", "pc-i440fx-8.2",
               "pc-q35-8.2", "microvm"],
    "i686": ["pc-i440fx-6.2", "pc", "pc-q35-6.2", "q35", "pc-i440fx-8.2", "pc-q35-8.2"],
}
USB_CONTROLLERS = ["piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1", "vt82c686b-uhci", "pci-ohci", "nec-xhci",
                   "qemu-xhci"]
IOTYPES = ["NATIVE", "THREADS", "IO_URING"]
DTYPE_MODELS = {
    "CDROM": "VMCDROMDevice", "DISPLAY": "VMDisplayDevice", "NIC": "VMNICDevice", "PCI": "VMPCIDevice",
    "RAW": "VMRAWDevice", "DISK": "VMDiskDevice", "USB": "VMUSBDevice",
}
DEFAULT_PCI_DEVICES = {
    "pci_0000_01_00_0": {
        "capability": {"class": "0x030000", "domain": "0", "bus": "1", "slot": "0", "function": "0",
                       "product": "GA106 [GeForce RTX 3060]", "vendor": "NVIDIA Corporation",
                       "product_id": "0x2503", "vendor_id": "0x10de"},
        "controller_type": "VGA compatible controller",
        "critical": False,
        "iommu_group": {"number": 14, "addresses": [
            {"domain": "0x0000", "bus": "0x01", "slot": "0x00", "function": "0x0"}]},
        "available": True,
        "drivers": ["vfio-pci"],
        "error": None,
        "device_path": "/sys/bus/pci/devices/0000:01:00.0",
        "reset_mechanism_defined": True,
        "description": "VGA compatible controller: NVIDIA Corporation GA106 [GeForce RTX 3060]",
    },
}

VM_FIELD_ORDER = [
    "command_line_args", "cpu_mode", "cpu_model", "name", "description", "vcpus", "cores", "threads", "cpuset",
    "nodeset", "enable_cpu_topology_extension", "pin_vcpus", "suspend_on_snapshot", "trusted_platform_module",
    "memory", "min_memory", "hyperv_enlightenments", "bootloader", "bootloader_ovmf", "autostart",
    "hide_from_msr", "ensure_display_device", "time", "shutdown_timeout", "arch_type", "machine_type", "uuid",
    "enable_secure_boot",
]
VM_CREATE_DEFAULTS = {
    "command_line_args": "", "cpu_mode": "CUSTOM", "cpu_model": None, "description": "", "vcpus": 1,
    "cores": 1, "threads": 1, "cpuset": None, "nodeset": None, "enable_cpu_topology_extension": False,
    "pin_vcpus": False, "suspend_on_snapshot": False, "trusted_platform_module": False, "min_memory": None,
    "hyperv_enlightenments": False, "bootloader": "UEFI", "bootloader_ovmf": None, "autostart": True,
    "hide_from_msr": False, "ensure_display_device": True, "time": "LOCAL", "shutdown_timeout": 90,
    "arch_type": None, "machine_type": None, "uuid": None, "enable_secure_boot": False,
}
# Entry-model defaults used when a stored record lacks a key (the result model fills them).
VM_ENTRY_DEFAULTS = dict(VM_CREATE_DEFAULTS, bootloader_ovmf="OVMF_CODE.fd")

DEVICE_DEFAULTS = {
    "DISK": {"path": None, "type": "AHCI", "create_zvol": False, "zvol_name": None, "zvol_volsize": None,
             "logical_sectorsize": None, "physical_sectorsize": None, "iotype": "THREADS", "serial": None},
    "RAW": {"path": None, "type": "AHCI", "exists": False, "boot": False, "size": None, "logical_sectorsize": None,
            "physical_sectorsize": None, "iotype": "THREADS", "serial": None},
    "CDROM": {"path": None},
    "NIC": {"trust_guest_rx_filters": False, "type": "E1000", "nic_attach": None, "mac": None},
    "DISPLAY": {"resolution": "1024x768", "port": None, "web_port": None, "bind": "127.0.0.1", "wait": False,
                "password": None, "web": True, "type": "SPICE"},
    "PCI": {"pptdev": None},
    "USB": {"usb": None, "controller_type": "nec-xhci", "device": None},
}
# Keys that the service drops before storing (the result model reports their defaults).
DEVICE_TRANSIENT = {"DISK": ("create_zvol", "zvol_name", "zvol_volsize"), "RAW": ("exists",)}


# ---------------------------------------------------------------------------------------------
# Argument validation (the 25.04.2 models differ from the shipped 25.10 schemas in a few places)
# ---------------------------------------------------------------------------------------------

_SCHEMAS_2504 = {}


def _patch_2504(name, accepts):
    defs = accepts.get("$defs", {})
    if name == "vm.update":
        props = defs["VMUpdate"]["properties"]
        props["bootloader_ovmf"] = {"anyOf": [{"type": "string", "maxLength": 1024}, {"type": "null"}],
                                    "title": "Bootloader Ovmf"}
        props["enable_secure_boot"] = {"type": "boolean", "title": "Enable Secure Boot"}
    for model in ("VMDisplayDevice", "GetDisplayDevice"):
        if model in defs:
            defs[model]["properties"]["type"]["enum"] = ["SPICE"]
    if "VMCDROMDevice" in defs:
        defs["VMCDROMDevice"]["properties"]["path"]["pattern"] = "^/mnt/[^{}]*$"
    return accepts


def method_schema(ctx, name):
    """The argument schema of ``name`` as this profile's models define it (None when there is none)."""
    base = sim_schema.get(name, getattr(ctx.profile, "schema_set", sim_schema.DEFAULT_SET))
    if base is None or ctx.profile.at_least("25.10"):
        return base
    if name not in _SCHEMAS_2504:
        accepts = _patch_2504(name, copy.deepcopy(base.accepts))
        _SCHEMAS_2504[name] = sim_schema.MethodSchema(name, base.positional, accepts, base.returns, base.job)
    return _SCHEMAS_2504[name]


def validate_params(ctx, name, params):
    """Validate where the server does not (the 25.04 profile has no schema pass of its own)."""
    if getattr(ctx.profile, "validate_schemas", True):
        return
    entry = method_schema(ctx, name)
    if entry is not None:
        entry.validate(list(params))


def unpack(params, count, defaults=()):
    """``params`` padded with ``defaults`` (deep copies) to ``count`` values."""
    values = list(params[:count])
    defaults = list(defaults)
    start = count - len(defaults)
    while len(values) < count:
        i = len(values)
        values.append(copy.deepcopy(defaults[i - start]) if i >= start else None)
    return values


def attribute_errors(ctx, dtype, attrs, loc=()):
    """Per-dtype model errors for ``attrs`` (``loc=()`` gives the bare field names of vm.device.update)."""
    entry = method_schema(ctx, "vm.device.create")
    model = entry.defs.get(DTYPE_MODELS[dtype])
    found = []
    entry.walk(attrs, model, tuple(loc), found)
    return [(".".join(p), m) for p, m in found]


def disk_model_error(attrs):
    """The DISK model validator: path xor create_zvol."""
    if attrs.get("create_zvol"):
        if attrs.get("path"):
            return "Value error, Path should not be provided if create_zvol is set"
    elif not attrs.get("path"):
        return "Value error, Path must be specified if create_zvol is not set"
    return None


def _parse_numeric_set(text):
    out = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            lo, hi = int(lo), int(hi)
            if lo > hi or lo < 0:
                raise ValueError(text)
            out.update(range(lo, hi + 1))
        else:
            value = int(part)
            if value < 0:
                raise ValueError(text)
            out.add(value)
    return out


def _uuid4(seed_text=None):
    if seed_text is None:
        return str(uuid.uuid4())
    digest = hashlib.md5(seed_text.encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def _is_uuid4(text):
    try:
        value = uuid.UUID(text)
    except (TypeError, ValueError, AttributeError):
        return False
    return value.version == 4 and str(value) == text.lower()


def random_mac():
    return "00:a0:98:%02x:%02x:%02x" % (random.randint(0, 255), random.randint(0, 255), random.randint(0, 255))


def generate_serial():
    return "".join(random.choices(string.ascii_letters + string.digits, k=8))


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool)


def zvol_name_from_path(path):
    return path[len("/dev/zvol/"):].replace("+", " ")


zvol_path = storage.zvol_path


# ---------------------------------------------------------------------------------------------
# Host facts
# ---------------------------------------------------------------------------------------------

def network_config(state):
    return state.data.setdefault(NETWORK_KIND, {}).setdefault("config", _network_from_seed({}))


def host_config(state):
    return state.data.setdefault(HOST_KIND, {}).setdefault("config", _host_from_seed(state, {}))


def nic_attach_names(state):
    """Interfaces and bridges a NIC may attach to."""
    cfg = network_config(state)
    return [i["name"] for i in cfg["interfaces"]] + [b["name"] for b in cfg["bridges"]]


def nic_attach_choices(state, profile=None):
    """``{name: name}`` up to 25.10; on 26 ``{"BRIDGE": [bridges], "MACVLAN": [parent interfaces]}``."""
    if profile is not None and profile.at_least("26"):
        cfg = network_config(state)
        return {"BRIDGE": [b["name"] for b in cfg["bridges"]], "MACVLAN": [i["name"] for i in cfg["interfaces"]]}
    return {n: n for n in nic_attach_names(state)}


def bind_choices(state):
    return {ip: ip for ip in network_config(state)["bind_addresses"]}


def is_bridge(state, name):
    return any(b["name"] == name for b in network_config(state)["bridges"]) or (name or "").startswith("br")


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------

class VmService:
    """VM records, runtime status and devices for one call context."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.state = ctx.state
        self.profile = ctx.profile

    # --- storage ---

    def vms(self):
        return self.state.data.setdefault(VM_KIND, {})

    def devices(self):
        return self.state.data.setdefault(DEV_KIND, {})

    def get_vm(self, vm_id):
        rec = self.vms().get(str(vm_id)) if _is_id(vm_id) else None
        if rec is None:
            raise InstanceNotFound("VM", vm_id)
        return rec

    def get_device(self, dev_id):
        rec = self.devices().get(str(dev_id)) if _is_id(dev_id) else None
        if rec is None:
            raise InstanceNotFound("VMDevice", dev_id)
        return rec

    def vm_devices(self, vm_id):
        return [d for _k, d in sorted(self.devices().items(), key=lambda kv: int(kv[0])) if d["vm"] == vm_id]

    # --- runtime ---

    def runtime(self, vm_id):
        table = self.state.data.setdefault(RUNTIME_KIND, {})
        rt = table.get(str(vm_id))
        if rt is None:
            rt = table[str(vm_id)] = new_runtime()
        return rt

    def status(self, vm_id):
        """``{state, pid, domain_state}``; a pending ACPI shutdown completes here when its time has come."""
        rt = self.runtime(vm_id)
        if rt["state"] == "RUNNING" and rt.get("acpi_deadline") is not None and time.time() >= rt["acpi_deadline"]:
            self.set_state(vm_id, "STOPPED")
            rt = self.runtime(vm_id)
        if rt.get("error"):
            return {"state": "ERROR", "pid": None, "domain_state": "ERROR"}
        domain = {"RUNNING": "RUNNING", "SUSPENDED": "PAUSED", "STOPPED": "SHUTOFF"}[rt["state"]]
        return {"state": rt["state"], "pid": rt["pid"] if rt["state"] != "STOPPED" else None,
                "domain_state": domain}

    def set_state(self, vm_id, new_state):
        rt = self.runtime(vm_id)
        old = rt["state"]
        rt["state"] = new_state
        if new_state == "STOPPED":
            rt["pid"] = None
            rt["acpi_deadline"] = None
        elif new_state == "RUNNING" and old == "STOPPED":
            rt["starts"] = rt.get("starts", 0) + 1
            rt["pid"] = 4000 + int(vm_id) * 97 + rt["starts"]
            rt["acpi_deadline"] = None
        save(self.ctx)
        if old != new_state and str(vm_id) in self.vms():
            emit(self.ctx, "vm.query", "CHANGED", int(vm_id), self.vm_entry(self.vms()[str(vm_id)], secrets=False))

    def domain_name(self, vm):
        return "%s_%s" % (vm["id"], vm["name"])

    def active(self, vm_id):
        return self.status(vm_id)["state"] in ("RUNNING", "SUSPENDED")

    # --- entries ---

    def show_secrets(self):
        """Display passwords are shown to full admins and VM writers, masked for everyone else."""
        if is_full_admin(self.ctx):
            return True
        return bool({"VM_WRITE", "VM_DEVICE_WRITE"} & set(session_roles(self.ctx)))

    def device_entry(self, rec, secrets=None):
        attrs = rec["attributes"]
        dtype = attrs.get("dtype")
        out_attrs = {"dtype": dtype}
        for key, default in DEVICE_DEFAULTS.get(dtype, {}).items():
            out_attrs[key] = copy.deepcopy(attrs.get(key, default))
        for key, value in attrs.items():
            if key not in out_attrs:
                out_attrs[key] = copy.deepcopy(value)
        if dtype == "DISPLAY" and out_attrs.get("password") is not None:
            if secrets is None:
                secrets = self.show_secrets()
            if not secrets:
                out_attrs["password"] = SECRET_MASK
        order = rec.get("order")
        if not order:
            order = 1000 if dtype == "CDROM" else 1001 if dtype in ("DISK", "RAW") else 1002
        return {"id": rec["id"], "attributes": out_attrs, "vm": rec["vm"], "order": order}

    def vm_entry(self, rec, secrets=None):
        if secrets is None:
            secrets = self.show_secrets()
        out = {}
        for key in VM_FIELD_ORDER:
            if key in ("enable_secure_boot",):
                continue
            default = VM_ENTRY_DEFAULTS.get(key)
            if key == "suspend_on_snapshot" and self.profile.at_least("26"):
                default = True
            out[key] = copy.deepcopy(rec.get(key, default))
        devices = [self.device_entry(d, secrets) for d in self.vm_devices(rec["id"])]
        out["devices"] = devices
        out["display_available"] = any(d["attributes"]["dtype"] == "DISPLAY" for d in devices)
        out["id"] = rec["id"]
        out["status"] = self.status(rec["id"])
        out["enable_secure_boot"] = rec.get("enable_secure_boot", False)
        return out

    def vm_entries(self):
        secrets = self.show_secrets()
        return [self.vm_entry(rec, secrets) for _k, rec in sorted(self.vms().items(), key=lambda kv: int(kv[0]))]

    def device_entries(self):
        secrets = self.show_secrets()
        return [self.device_entry(rec, secrets)
                for _k, rec in sorted(self.devices().items(), key=lambda kv: int(kv[0]))]

    # --- memory ---

    def available_memory(self, overcommit=False):
        """Bytes: 90 % of the host memory guests have not taken, plus the shrinkable ARC."""
        host = host_config(self.state)
        used = 0
        for rec in self.vms().values():
            if self.runtime(rec["id"])["state"] in ("RUNNING", "SUSPENDED"):
                used += rec["memory"] * MIB
        free = max(0, host["memory_available"] - used)
        return max(0, int(free * 0.9) + int(host.get("arc_shrinkable", 0)))

    # --- VM validation ---

    def validate_vm(self, data, old, schema_name):
        verrors = ValidationErrors()
        name = data["name"]
        for rec in self.vms().values():
            if rec["name"] == name and (old is None or rec["id"] != old["id"]):
                verrors.add("%s.name" % schema_name, "This name already exists.", errno.EEXIST)
                break
        if not name or any(not (ch.isascii() and (ch.isalnum() or ch == "_")) for ch in name):
            verrors.add("%s.name" % schema_name, "Only alphanumeric characters are allowed.")
        if data.get("min_memory") is not None and data["min_memory"] > data["memory"]:
            verrors.add("%s.min_memory" % schema_name,
                        "Minimum memory should not be greater than defined/maximum memory")
        if data["vcpus"] * data["cores"] * data["threads"] > MAX_VCPUS:
            verrors.add("%s.vcpus" % schema_name, (
                'Maximum %d vcpus are supported.Please ensure the product of "%s.vcpus", "%s.threads" and '
                '"%s.cores" is less than or equal to %d.'
                % (MAX_VCPUS, schema_name, schema_name, schema_name, MAX_VCPUS)))
        cpus = None
        for key in ("cpuset", "nodeset"):
            if data.get(key):
                try:
                    parsed = _parse_numeric_set(data[key])
                except ValueError:
                    verrors.add("%s.%s" % (schema_name, key), "Please specify a valid %s" % key)
                    continue
                if key == "cpuset":
                    cpus = parsed
        if data.get("pin_vcpus"):
            if not data.get("cpuset"):
                verrors.add("%s.cpuset" % schema_name, 'Must be specified when "%s.pin_vcpus" is set.' % schema_name)
            elif cpus is not None and len(cpus) != data["vcpus"] * data["cores"] * data["threads"]:
                verrors.add("%s.pin_vcpus" % schema_name, 'Number of cpus in "%s.cpuset" must be equal to total '
                                                          'number vcpus if pinning is enabled.' % schema_name)
        if data.get("cpu_model"):
            if data["cpu_mode"] != "CUSTOM":
                verrors.add("%s.cpu_model" % schema_name,
                            'This attribute should not be specified when "cpu_mode" is not "CUSTOM".')
            elif data["cpu_model"] not in CPU_MODELS:
                verrors.add("%s.cpu_model" % schema_name, "Please select a valid CPU model.")
        if data.get("machine_type") and not data.get("arch_type"):
            verrors.add("%s.arch_type" % schema_name, 'Must be specified when "machine_type" is specified.')
        if data.get("arch_type"):
            if data["arch_type"] not in ARCH_MACHINES:
                verrors.add("%s.arch_type" % schema_name, "Specified architecture type is not supported on this "
                                                          "system")
            elif data.get("machine_type") and data["machine_type"] not in ARCH_MACHINES[data["arch_type"]]:
                verrors.add("%s.machine_type" % schema_name, "Specified machine type is not supported for %s "
                                                             "architecture type" % data["arch_type"])
        if data.get("bootloader_ovmf") is not None and data["bootloader_ovmf"] not in OVMF_CHOICES:
            verrors.add("%s.bootloader_ovmf" % schema_name, "Invalid bootloader ovmf choice specified")
        elif data.get("enable_secure_boot"):
            if "q35" not in (data.get("machine_type") or ""):
                verrors.add("%s.machine_type" % schema_name, "Secure boot is only available in q35 machine type")
            if "secboot" not in (data.get("bootloader_ovmf") or ""):
                verrors.add("%s.bootloader_ovmf" % schema_name, "Select a bootloader_ovmf that supports secure "
                                                                "boot i.e OVMF_CODE_4M.secboot.fd")
        if data.get("command_line_args"):
            try:
                shlex.split(data["command_line_args"])
            except ValueError as exc:
                verrors.add("%s.command_line_args" % schema_name, "Parse error: %s" % exc)
        if data.get("uuid") is not None and not _is_uuid4(data["uuid"]):
            verrors.add("%s.uuid" % schema_name, "Value error, Invalid UUID4 format")
        verrors.raise_if_any()

    def fill_vm_defaults(self, data):
        out = copy.deepcopy(VM_CREATE_DEFAULTS)
        if self.profile.at_least("26"):
            out["suspend_on_snapshot"] = True
        out.update(data)
        if out["enable_secure_boot"]:
            if not out.get("arch_type") and not out.get("machine_type"):
                out["arch_type"] = "x86_64"
                out["machine_type"] = "pc-q35-6.2"
        if out.get("bootloader_ovmf") is None:
            out["bootloader_ovmf"] = "OVMF_CODE_4M.secboot.fd" if out["enable_secure_boot"] else "OVMF_CODE_4M.fd"
        return out

    def store_vm(self, data, vm_id=None, seed_text=None):
        rec = {key: data[key] for key in VM_FIELD_ORDER if key in data}
        if rec.get("uuid") is None:
            rec["uuid"] = _uuid4(seed_text)
        rec["id"] = vm_id if vm_id is not None else self.state.next_id(VM_KIND)
        self.vms()[str(rec["id"])] = rec
        self.runtime(rec["id"])
        return rec

    # --- devices ---

    def fill_device(self, attrs):
        dtype = attrs["dtype"]
        out = {"dtype": dtype}
        out.update(copy.deepcopy(DEVICE_DEFAULTS[dtype]))
        out.update(copy.deepcopy(attrs))
        return out

    def used_display_ports(self, exclude_id=None):
        ports = {}
        for rec in self.devices().values():
            if rec["id"] == exclude_id or rec["attributes"].get("dtype") != "DISPLAY":
                continue
            for key in ("port", "web_port"):
                if rec["attributes"].get(key):
                    ports[rec["attributes"][key]] = rec["id"]
        return ports

    def port_wizard(self, exclude_id=None):
        used = set(self.used_display_ports(exclude_id))
        free = (p for p in range(5900, 65536) if p not in used)
        return {"port": next(free), "web": next(free)}

    def validate_device(self, device, old, vm):
        """Service-level checks (``attributes.<field>``); ``device['attributes']`` as sent/merged."""
        verrors = ValidationErrors()
        attrs = device["attributes"]
        dtype = attrs["dtype"]
        dev_id = old["id"] if old else None
        if dtype == "DISK":
            self._validate_disk(verrors, attrs, old)
        elif dtype == "RAW":
            self._validate_raw(verrors, attrs, old)
        elif dtype == "CDROM":
            self._validate_cdrom(verrors, attrs)
        elif dtype == "NIC":
            self._validate_nic(verrors, attrs)
        elif dtype == "DISPLAY":
            self._validate_display(verrors, attrs, vm, dev_id)
        elif dtype == "PCI":
            choices = host_config(self.state)["pci_devices"]
            info = choices.get(attrs.get("pptdev"))
            if info is None or not info.get("available", True) or info.get("critical"):
                verrors.add("attributes.pptdev", "Not a valid choice. The PCI device is not available for passthru.")
        elif dtype == "USB":
            if attrs.get("usb") is None and not attrs.get("device"):
                verrors.add("attributes.usb", "Either device or attributes.usb must be specified")
            elif attrs.get("usb") is not None and attrs.get("device"):
                verrors.add("attributes.device", "Device should be null if attributes.usb is specified")
        if dtype in ("DISK", "RAW") and old is not None:
            old_serial = old["attributes"].get("serial")
            if old_serial and attrs.get("serial") != old_serial:
                verrors.add("attributes.serial", "This field is read-only.")
        if dtype in ("DISK", "RAW", "CDROM") and attrs.get("path"):
            for other in self.vm_devices(vm["id"]):
                if other["id"] == dev_id or other["attributes"].get("dtype") not in ("DISK", "RAW", "CDROM"):
                    continue
                if other["attributes"].get("path") == attrs["path"]:
                    verrors.add("attributes.path", '%s has "%s" already configured' % (vm["name"], attrs["path"]))
                    break
        verrors.raise_if_any()

    def _sector_sizes(self, verrors, attrs):
        if attrs.get("physical_sectorsize") and not attrs.get("logical_sectorsize"):
            verrors.add("attributes.logical_sectorsize",
                        "This field must be provided when physical_sectorsize is specified.")

    def _validate_disk(self, verrors, attrs, old):
        self._sector_sizes(verrors, attrs)
        all_ds = datasets(self.state)
        if attrs.get("create_zvol"):
            for key in ("zvol_name", "zvol_volsize"):
                if not attrs.get(key):
                    verrors.add("attributes.%s" % key, "This field is required.")
            name = attrs.get("zvol_name")
            if name:
                parent = name.rsplit("/", 1)[0] if "/" in name else ""
                if parent and parent not in all_ds:
                    verrors.add("attributes.zvol_name", "Parent dataset %s does not exist." % parent, errno.ENOENT)
                elif name in all_ds:
                    verrors.add("attributes.zvol_name", "'%s' already exists." % name)
            return
        if attrs.get("zvol_name") is not None or attrs.get("zvol_volsize") is not None:
            verrors.add("attributes.zvol_name", 'This field should not be specified when "create_zvol" is unset.')
        path = attrs.get("path")
        if not path:
            return
        if not path.startswith("/dev/zvol/"):
            verrors.add("attributes.path", 'Disk path must start with "/dev/zvol/"')
            return
        name = zvol_name_from_path(path)
        rec = all_ds.get(name)
        if name.split("/", 1)[0] in BOOT_POOLS:
            verrors.add("attributes.path", "Disk residing in boot pool cannot be consumed and is not supported")
        elif rec is None:
            verrors.add("attributes.path", "Zvol referenced by path does not exist", errno.ENOENT)
        elif dataset_type(rec) != "VOLUME":
            verrors.add("attributes.path", "Path specified does not reference to a VOLUME")

    def _validate_raw(self, verrors, attrs, old):
        self._sector_sizes(verrors, attrs)
        path = attrs.get("path")
        if not in_pool(self.state, path):
            verrors.add("attributes.path", "The path must reside within a pool mount point")
            return
        exists = attrs.get("exists", True)
        present = path_exists(self.state, path)
        if exists and not present:
            verrors.add("attributes.path", 'Path must exist when "exists" is set.')
        elif not exists:
            if present:
                verrors.add("attributes.path", 'Path must not exist when "exists" is unset.')
            elif not attrs.get("size"):
                verrors.add("attributes.size", "Please provide a valid size for the raw file.")
        if old is not None and old["attributes"].get("size") != attrs.get("size") and not attrs.get("size"):
            verrors.add("attributes.size", "Please provide a valid size for the raw file.")

    def _validate_cdrom(self, verrors, attrs):
        path = attrs.get("path")
        if not in_pool(self.state, path):
            verrors.add("attributes.path", "The path must reside within a pool mount point")
        elif dataset_for_path(self.state, path) is None:
            verrors.add("attributes.path", "The path must be a dataset or a directory within a dataset.")
        elif not path_exists(self.state, path):
            verrors.add("attributes.path", "Unable to locate CDROM device at %s" % path)

    def _validate_nic(self, verrors, attrs):
        nic = attrs.get("nic_attach")
        if nic is not None and nic not in nic_attach_names(self.state):
            verrors.add("attributes.nic_attach", "Not a valid choice.")
        if attrs.get("trust_guest_rx_filters"):
            if attrs.get("type") != "VIRTIO":
                verrors.add("attributes.trust_guest_rx_filters",
                            'This can only be set when "type" of NIC device is "VIRTIO"')
            elif nic and is_bridge(self.state, nic):
                verrors.add("attributes.trust_guest_rx_filters",
                            'This can only be set when "nic_attach" is not a bridge device')
        mac = attrs.get("mac")
        if mac and mac.lower().startswith("ff"):
            verrors.add("attributes.mac", "MAC address must not start with `ff`")

    def _validate_display(self, verrors, attrs, vm, dev_id):
        kind = attrs.get("type", "SPICE")
        for other in self.vm_devices(vm["id"]):
            oattrs = other["attributes"]
            if other["id"] != dev_id and oattrs.get("dtype") == "DISPLAY" and oattrs.get("type", "SPICE") == kind:
                verrors.add("attributes.type", "Only one %s Display device is supported" % kind)
                break
        password = attrs.get("password")
        if not password or not str(password).strip():
            verrors.add("attributes.password", "Password is required for display devices")
        if kind == "VNC":
            if attrs.get("web"):
                verrors.add("attributes.web",
                            "Web access is not supported for VNC display devices, please use SPICE instead")
            if password and len(password) > 8:
                verrors.add("attributes.password", "Password for VNC display devices must be 8 characters or less")
        used = self.used_display_ports(dev_id)
        for key in ("port", "web_port"):
            port = attrs.get(key)
            if port is None:
                continue
            if key == "web_port" and not 5900 <= port <= 65535:
                verrors.add("attributes.web_port", "Web port must be between 5900 and 65535")
            elif port in used:
                verrors.add("attributes.%s" % key,
                            "Specified display port(%d) is already in use by another Display device" % port)
        if attrs.get("port") is not None and attrs.get("port") == attrs.get("web_port"):
            verrors.add("attributes.web_port",
                        "Specified display port(%d) is already in use by another Display device" % attrs["port"])
        if attrs.get("bind") not in bind_choices(self.state):
            verrors.add("attributes.bind", "Requested bind address is not valid")

    def apply_device(self, attrs, old, dev_id=None):
        """Side effects before storing (``update_device``): zvol/raw file creation, ports, serial."""
        dtype = attrs["dtype"]
        if dtype == "DISK" and attrs.get("create_zvol"):
            name = attrs["zvol_name"]
            pool = name.split("/", 1)[0]
            blocksize = self.ctx.call("pool.dataset.recommended_zvol_blocksize", pool)
            self.ctx.call("pool.dataset.create", {
                "name": name, "type": "VOLUME", "volsize": attrs["zvol_volsize"], "volblocksize": blocksize,
            })
            attrs["path"] = zvol_path(name)
        elif dtype == "RAW":
            exists = attrs.get("exists", True)
            size_changed = old is not None and old["attributes"].get("size") != attrs.get("size")
            if not exists or size_changed:
                add_file(self.state, attrs["path"], attrs.get("size") or 0)
        elif dtype == "DISPLAY":
            if attrs.get("port") is None or attrs.get("web_port") is None:
                wizard = self.port_wizard(dev_id)
                if attrs.get("port") is None and attrs.get("web_port") is None:
                    attrs["port"], attrs["web_port"] = wizard["port"], wizard["web"]
                elif attrs.get("port") is None:
                    attrs["port"] = next(p for p in (wizard["port"], wizard["web"]) if p != attrs["web_port"])
                else:
                    attrs["web_port"] = next(p for p in (wizard["port"], wizard["web"]) if p != attrs["port"])
        if dtype in ("DISK", "RAW") and not attrs.get("serial"):
            attrs["serial"] = generate_serial()
        for key in DEVICE_TRANSIENT.get(dtype, ()):
            attrs.pop(key, None)
        return attrs

    def effective_order(self, rec):
        return self.device_entry(rec, secrets=True)["order"]

    def reorder(self, dev_id, vm_id, order):
        """Shift the devices of ``vm_id`` whose order collides with ``order``."""
        if order is None:
            return
        others = [d for d in self.vm_devices(vm_id) if d["id"] != dev_id]
        if not any(self.effective_order(d) == order for d in others):
            return
        used = [order]
        for dev in sorted(others, key=lambda d: (self.effective_order(d), d["id"])):
            current = self.effective_order(dev)
            if current not in used:
                used.append(current)
                continue
            new = current + 1
            while new in used:
                new += 1
            used.append(new)
            dev["order"] = new
            emit(self.ctx, "vm.device.query", "CHANGED", dev["id"], self.device_entry(dev, secrets=False))

    def delete_zvol(self, name, recursive):
        try:
            self.ctx.call("pool.dataset.delete", name, {"recursive": recursive, "force": False})
        except CallError:
            raise
        except SimError as exc:
            raise CallError("Failed to delete zvol %s: %s" % (name, str(exc).strip())) from None

    # --- lifecycle primitives ---

    def start(self, vm, overcommit):
        state = self.status(vm["id"])["state"]
        if state == "RUNNING":
            raise CallError("%r is already running" % vm["name"])
        if state == "SUSPENDED":
            raise CallError("%r VM is suspended and can only be resumed/powered off" % vm["name"])
        if state == "ERROR":
            raise CallError("Unable to retrieve %s domain status" % self.domain_name(vm))
        needed = (vm.get("min_memory") or vm["memory"]) * MIB
        if not overcommit and needed > self.available_memory():
            raise CallError("Cannot guarantee memory for guest %s" % vm["name"], errno.ENOMEM)
        self.set_state(vm["id"], "RUNNING")

    def poweroff(self, vm):
        if not self.active(vm["id"]):
            raise CallError("%s domain is not active" % self.domain_name(vm))
        self.set_state(vm["id"], "STOPPED")

    def send_acpi_shutdown(self, vm):
        if not self.active(vm["id"]):
            raise CallError("%s domain is not active" % self.domain_name(vm))
        rt = self.runtime(vm["id"])
        if rt["state"] == "RUNNING" and not rt.get("ignores_acpi") and rt.get("acpi_deadline") is None:
            rt["acpi_deadline"] = time.time() + float(rt.get("shutdown_seconds", DEFAULT_SHUTDOWN_SECONDS))
            save(self.ctx)

    async def stop_flow(self, job, vm, force, force_after_timeout, base=0, span=100):
        if force:
            job.set_progress(base + span // 2, "Powering off")
            self.poweroff(vm)
        else:
            self.send_acpi_shutdown(vm)
            job.set_progress(base + 10 * span // 100, "Waiting for the guest to shut down")
            timeout = float(vm["shutdown_timeout"])
            waited = 0.0
            while waited < timeout and self.status(vm["id"])["state"] == "RUNNING":
                step = min(POLL_SECONDS, timeout - waited)
                await job.sleep(step)
                waited += step
        if force_after_timeout and self.status(vm["id"])["state"] == "RUNNING":
            job.set_progress(base + 90 * span // 100, "Powering off after timeout")
            self.poweroff(vm)


def new_runtime(state="STOPPED", ignores_acpi=False, shutdown_seconds=DEFAULT_SHUTDOWN_SECONDS):
    return {"state": state, "pid": None, "starts": 0, "acpi_deadline": None, "ignores_acpi": ignores_acpi,
            "shutdown_seconds": shutdown_seconds, "error": False}


def _v(ctx):
    return VmService(ctx)


# ---------------------------------------------------------------------------------------------
# vm.*
# ---------------------------------------------------------------------------------------------

@method("vm.query")
def vm_query(ctx, filters=None, options=None):
    return query_items(ctx, _v(ctx).vm_entries(), filters, options)


@method("vm.get_instance")
def vm_get_instance(ctx, id_, options=None):
    return get_instance(ctx, _v(ctx).vm_entries(), id_, "VM", options)


@method("vm.create", schema=True)
def vm_create(ctx, *params):
    validate_params(ctx, "vm.create", params)
    (data,) = unpack(params, 1)
    svc = _v(ctx)
    data = svc.fill_vm_defaults(data)
    svc.validate_vm(data, None, "vm_create")
    rec = svc.store_vm(data)
    save(ctx)
    entry = svc.vm_entry(rec)
    emit(ctx, "vm.query", "ADDED", rec["id"], svc.vm_entry(rec, secrets=False))
    return entry


@method("vm.update", schema=True)
def vm_update(ctx, *params):
    validate_params(ctx, "vm.update", params)
    vm_id, data = unpack(params, 2, [{}])
    svc = _v(ctx)
    old = svc.get_vm(vm_id)
    new = copy.deepcopy(old)
    new.update(data)
    for key, default in VM_ENTRY_DEFAULTS.items():
        if key == "suspend_on_snapshot" and ctx.profile.at_least("26"):
            default = True
        new.setdefault(key, default)
    if new.get("bootloader_ovmf") is None:
        new["bootloader_ovmf"] = "OVMF_CODE_4M.secboot.fd" if new["enable_secure_boot"] else "OVMF_CODE_4M.fd"
    if new["name"] != old["name"] and svc.active(vm_id):
        raise CallError("VM name can only be changed when VM is inactive")
    svc.validate_vm(new, old, "vm_update")
    svc.vms()[str(old["id"])] = new
    save(ctx)
    entry = svc.vm_entry(new)
    emit(ctx, "vm.query", "CHANGED", old["id"], svc.vm_entry(new, secrets=False))
    return entry


@method("vm.delete", schema=True)
def vm_delete(ctx, *params):
    validate_params(ctx, "vm.delete", params)
    vm_id, options = unpack(params, 2, [{"zvols": False, "force": False}])
    options = dict({"zvols": False, "force": False}, **options)
    svc = _v(ctx)
    vm = svc.get_vm(vm_id)
    status = svc.status(vm_id)
    if status["state"] == "ERROR" and not options["force"]:
        raise CallError("Unable to retrieve VM status. Failed to destroy VM")
    if status["state"] in ("RUNNING", "SUSPENDED"):
        svc.set_state(vm_id, "STOPPED")
    devices = svc.vm_devices(vm["id"])
    if options["zvols"]:
        for dev in devices:
            attrs = dev["attributes"]
            if attrs.get("dtype") != "DISK" or not (attrs.get("path") or "").startswith("/dev/zvol/"):
                continue
            try:
                svc.delete_zvol(zvol_name_from_path(attrs["path"]), recursive=True)
            except CallError:
                if not options["force"]:
                    raise
    for dev in devices:
        svc.devices().pop(str(dev["id"]), None)
    svc.vms().pop(str(vm["id"]), None)
    ctx.state.data.setdefault(RUNTIME_KIND, {}).pop(str(vm["id"]), None)
    save(ctx)
    emit(ctx, "vm.query", "REMOVED", vm["id"])
    return None if ctx.profile.at_least("26") else True


@method("vm.start", schema=True)
def vm_start(ctx, *params):
    validate_params(ctx, "vm.start", params)
    vm_id, options = unpack(params, 2, [{"overcommit": False}])
    svc = _v(ctx)
    svc.start(svc.get_vm(vm_id), bool(options.get("overcommit", False)))
    return None


@method("vm.stop", job=True, schema=True)
async def vm_stop(ctx, job, *params):
    validate_params(ctx, "vm.stop", params)
    vm_id, options = unpack(params, 2, [{"force": False, "force_after_timeout": False}])
    svc = _v(ctx)
    vm = svc.get_vm(vm_id)
    await svc.stop_flow(job, vm, bool(options.get("force")), bool(options.get("force_after_timeout")))
    return None


@method("vm.restart", job=True, schema=True)
async def vm_restart(ctx, job, *params):
    validate_params(ctx, "vm.restart", params)
    (vm_id,) = unpack(params, 1)
    svc = _v(ctx)
    vm = svc.get_vm(vm_id)
    try:
        await svc.stop_flow(job, vm, False, True, base=0, span=80)
    except CallError as exc:
        raise CallError("Failed to stop %r vm: %s" % (vm["name"], exc.message)) from None
    job.set_progress(90, "Starting")
    svc.start(vm, overcommit=True)
    return None


@method("vm.poweroff", schema=True)
def vm_poweroff(ctx, *params):
    validate_params(ctx, "vm.poweroff", params)
    (vm_id,) = unpack(params, 1)
    svc = _v(ctx)
    svc.poweroff(svc.get_vm(vm_id))
    return None


@method("vm.suspend", schema=True)
def vm_suspend(ctx, *params):
    validate_params(ctx, "vm.suspend", params)
    (vm_id,) = unpack(params, 1)
    svc = _v(ctx)
    vm = svc.get_vm(vm_id)
    state = svc.status(vm_id)["state"]
    if state not in ("RUNNING", "SUSPENDED"):
        raise CallError("%s domain is not active" % svc.domain_name(vm))
    svc.set_state(vm_id, "SUSPENDED")
    return None


@method("vm.resume", schema=True)
def vm_resume(ctx, *params):
    validate_params(ctx, "vm.resume", params)
    (vm_id,) = unpack(params, 1)
    svc = _v(ctx)
    vm = svc.get_vm(vm_id)
    if svc.status(vm_id)["state"] != "SUSPENDED":
        raise CallError("%s domain is not paused" % svc.domain_name(vm))
    svc.set_state(vm_id, "RUNNING")
    return None


@method("vm.status", schema=True)
def vm_status(ctx, *params):
    validate_params(ctx, "vm.status", params)
    (vm_id,) = unpack(params, 1)
    svc = _v(ctx)
    svc.get_vm(vm_id)
    return svc.status(vm_id)


@method("vm.random_mac")
def vm_random_mac(ctx):
    return random_mac()


@method("vm.port_wizard")
def vm_port_wizard(ctx):
    return _v(ctx).port_wizard()


@method("vm.get_available_memory", schema=True)
def vm_get_available_memory(ctx, *params):
    validate_params(ctx, "vm.get_available_memory", params)
    (overcommit,) = unpack(params, 1, [False])
    return _v(ctx).available_memory(overcommit)


@method("vm.maximum_supported_vcpus")
def vm_maximum_supported_vcpus(ctx):
    return MAX_VCPUS


@method("vm.bootloader_options")
def vm_bootloader_options(ctx):
    return {"UEFI": "UEFI", "UEFI_CSM": "Legacy BIOS"}


@method("vm.bootloader_ovmf_choices")
def vm_bootloader_ovmf_choices(ctx):
    return {name: name for name in OVMF_CHOICES}


@method("vm.cpu_model_choices")
def vm_cpu_model_choices(ctx):
    return {name: name for name in CPU_MODELS}


@method("vm.resolution_choices")
def vm_resolution_choices(ctx):
    return {res: res for res in RESOLUTIONS}


@method("vm.guest_architecture_and_machine_choices")
def vm_guest_architecture_and_machine_choices(ctx):
    return copy.deepcopy(ARCH_MACHINES)


@method("vm.get_display_devices", schema=True)
def vm_get_display_devices(ctx, *params):
    validate_params(ctx, "vm.get_display_devices", params)
    (vm_id,) = unpack(params, 1)
    svc = _v(ctx)
    svc.get_vm(vm_id)
    out = []
    for dev in svc.vm_devices(vm_id):
        if dev["attributes"].get("dtype") != "DISPLAY":
            continue
        entry = svc.device_entry(dev)
        entry["attributes"]["password_configured"] = bool(dev["attributes"].get("password"))
        out.append(entry)
    return out


@method("vm.flags")
def vm_flags(ctx):
    return {"intel_vmx": True, "unrestricted_guest": True, "amd_rvi": False, "amd_asids": False}


@method("vm.supports_virtualization")
def vm_supports_virtualization(ctx):
    return True


@method("vm.virtualization_details")
def vm_virtualization_details(ctx):
    return {"supported": True, "error": None}


# ---------------------------------------------------------------------------------------------
# vm.device.*
# ---------------------------------------------------------------------------------------------

@method("vm.device.query")
def device_query(ctx, filters=None, options=None):
    return query_items(ctx, _v(ctx).device_entries(), filters, options)


@method("vm.device.get_instance")
def device_get_instance(ctx, id_, options=None):
    return get_instance(ctx, _v(ctx).device_entries(), id_, "VMDevice", options)


@method("vm.device.create", schema=True)
def device_create(ctx, *params):
    validate_params(ctx, "vm.device.create", params)
    (data,) = unpack(params, 1)
    svc = _v(ctx)
    attrs = svc.fill_device(data["attributes"])
    if attrs["dtype"] == "DISK":
        problem = disk_model_error(attrs)
        if problem:
            raise ValidationErrors([("vm_device_create.attributes.DISK", problem, errno.EINVAL)])
    vm = svc.get_vm(data["vm"])
    order = data.get("order")
    svc.validate_device({"vm": vm["id"], "attributes": attrs, "order": order}, None, vm)
    attrs = svc.apply_device(attrs, None)
    dev_id = ctx.state.next_id(DEV_KIND)
    rec = {"id": dev_id, "vm": vm["id"], "attributes": attrs, "order": order}
    svc.devices()[str(dev_id)] = rec
    svc.reorder(dev_id, vm["id"], order)
    save(ctx)
    entry = svc.device_entry(rec)
    emit(ctx, "vm.device.query", "ADDED", dev_id, svc.device_entry(rec, secrets=False))
    return entry


@method("vm.device.update", schema=True)
def device_update(ctx, *params):
    validate_params(ctx, "vm.device.update", params)
    dev_id, data = unpack(params, 2, [{}])
    svc = _v(ctx)
    old = svc.get_device(dev_id)
    new = copy.deepcopy(old)
    new_attrs = new["attributes"]
    sent = copy.deepcopy(data.get("attributes") or {})
    if "attributes" in data and not ctx.profile.at_least("25.10"):
        # 25.04.2: `attributes` is the union chosen by `attributes.dtype`, and the chosen model fills
        # every attribute not sent with its default, which then overwrites the stored value.
        if "dtype" not in sent:
            raise ValidationErrors([("vm_device_update.attributes.dtype", "Field required", errno.EINVAL)])
        if sent["dtype"] in DTYPE_MODELS:
            # RAW `exists` defaults to false too: a RAW update must say exists: true for its file.
            sent = svc.fill_device(sent)
    new_attrs.update(sent)
    if "vm" in data:
        new["vm"] = data["vm"]
    if "order" in data:
        new["order"] = data["order"]
    dtype = new_attrs.get("dtype")
    if not isinstance(dtype, str) or dtype not in DTYPE_MODELS:
        tags = ", ".join("'%s'" % t for t in DTYPE_MODELS)
        raise ValidationErrors([("dtype", "Input tag %r found using 'dtype' does not match any of the expected "
                                          "tags: %s" % (dtype, tags), errno.EINVAL)])
    errors = attribute_errors(ctx, dtype, new_attrs)
    if not errors and dtype == "DISK":
        problem = disk_model_error(svc.fill_device(new_attrs))
        if problem:
            errors.append(("", problem))
    if errors:
        raise ValidationErrors([(a, m, errno.EINVAL) for a, m in errors])
    vm = svc.get_vm(new["vm"])
    svc.validate_device(new, old, vm)
    new["attributes"] = svc.apply_device(new_attrs, old, dev_id=old["id"])
    svc.devices()[str(old["id"])] = new
    if "order" in data:
        svc.reorder(old["id"], new["vm"], new["order"])
    save(ctx)
    entry = svc.device_entry(new)
    emit(ctx, "vm.device.query", "CHANGED", old["id"], svc.device_entry(new, secrets=False))
    return entry


@method("vm.device.delete", schema=True)
def device_delete(ctx, *params):
    validate_params(ctx, "vm.device.delete", params)
    dev_id, options = unpack(params, 2, [{"force": False, "raw_file": False, "zvol": False}])
    options = dict({"force": False, "raw_file": False, "zvol": False}, **options)
    svc = _v(ctx)
    dev = svc.get_device(dev_id)
    if dev["vm"] is not None and str(dev["vm"]) in svc.vms() and svc.active(dev["vm"]):
        raise CallError("Please stop/resume associated VM before deleting VM device.")
    attrs = dev["attributes"]
    try:
        if options["zvol"]:
            if attrs.get("dtype") != "DISK" or not (attrs.get("path") or "").startswith("/dev/zvol/"):
                raise CallError("The device is not a disk and has no zvol to destroy.")
            svc.delete_zvol(zvol_name_from_path(attrs["path"]), recursive=False)
        if options["raw_file"]:
            if attrs.get("dtype") != "RAW":
                raise CallError("Device is not of RAW type.")
            if file_record(ctx.state, attrs["path"]) is not None:
                remove_file(ctx.state, attrs["path"])
    except CallError:
        if not options["force"]:
            raise
    svc.devices().pop(str(dev["id"]), None)
    save(ctx)
    emit(ctx, "vm.device.query", "REMOVED", dev["id"])
    return True


@method("vm.device.nic_attach_choices")
def device_nic_attach_choices(ctx):
    return nic_attach_choices(ctx.state, ctx.profile)


@method("vm.device.bind_choices")
def device_bind_choices(ctx):
    return bind_choices(ctx.state)


@method("vm.device.disk_choices")
def device_disk_choices(ctx):
    svc = _v(ctx)
    attached = {zvol_name_from_path(d["attributes"]["path"]) for d in svc.devices().values()
                if d["attributes"].get("dtype") == "DISK" and (d["attributes"].get("path") or "").startswith(
                    "/dev/zvol/")}
    out = {}
    for name, rec in sorted(datasets(ctx.state).items()):
        if dataset_type(rec) != "VOLUME" or name in attached or name.split("/", 1)[0] in BOOT_POOLS:
            continue
        if storage.effective_property(ctx.state, name, "readonly")[0] == "on":
            continue
        out[zvol_path(name)] = name
    return out


@method("vm.device.iotype_choices")
def device_iotype_choices(ctx):
    return {name: name for name in IOTYPES}


@method("vm.device.usb_controller_choices")
def device_usb_controller_choices(ctx):
    return {name: name for name in USB_CONTROLLERS}


@method("vm.device.passthrough_device_choices")
def device_passthrough_device_choices(ctx):
    return copy.deepcopy(host_config(ctx.state)["pci_devices"])


# ---------------------------------------------------------------------------------------------
# Test hook
# ---------------------------------------------------------------------------------------------

GUEST_KEYS = {"ignores_acpi": bool, "shutdown_seconds": (int, float), "error": bool}


@method("test.vm_guest_behaviour", test_hook=True, schema=False)
def hook_vm_guest_behaviour(ctx, vm_id=None, behaviour=None):
    """Set how the simulated guest of ``vm_id`` reacts: ``{ignores_acpi, shutdown_seconds, error}``.

    ``ignores_acpi``: ACPI shutdowns (``vm.stop`` without force) are ignored. ``shutdown_seconds``:
    time the guest takes to shut down after an ACPI request. ``error``: libvirt cannot read the
    domain (status ``ERROR``). Returns the VM's behaviour after the change.
    """
    svc = _v(ctx)
    if not _is_id(vm_id):
        raise ValidationErrors([("vm_id", "Input should be a valid integer", errno.EINVAL)])
    svc.get_vm(vm_id)
    behaviour = behaviour or {}
    if not isinstance(behaviour, dict):
        raise ValidationErrors([("behaviour", "Input should be a valid dictionary", errno.EINVAL)])
    errors = []
    for key, value in behaviour.items():
        kind = GUEST_KEYS.get(key)
        if kind is None:
            errors.append(("behaviour.%s" % key, "Extra inputs are not permitted", errno.EINVAL))
        elif isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            errors.append(("behaviour.%s" % key, "Input should be a valid %s" % (
                "boolean" if kind is bool else "number"), errno.EINVAL))
        elif key == "shutdown_seconds" and value < 0:
            errors.append(("behaviour.%s" % key, "Input should be greater than or equal to 0", errno.EINVAL))
    if errors:
        raise ValidationErrors(errors)
    rt = svc.runtime(vm_id)
    rt.update(behaviour)
    if rt.get("ignores_acpi"):
        rt["acpi_deadline"] = None
    save(ctx)
    return {key: rt[key] for key in GUEST_KEYS}


# ---------------------------------------------------------------------------------------------
# Seed loaders
# ---------------------------------------------------------------------------------------------

def _named(items, what, defaults_key=None):
    if not isinstance(items, list):
        raise ValueError("seed section network: %s must be a list" % what)
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError("seed section network: every entry of %s needs a name, got %r" % (what, item))
        item = dict(item)
        item.setdefault("addresses", [])
        if defaults_key:
            item.setdefault(defaults_key, [])
        out.append(item)
    return out


def _ip(text, what):
    try:
        return str(ipaddress.ip_interface(str(text)).ip)
    except ValueError:
        raise ValueError("seed section network: %r in %s is not an IP address" % (text, what)) from None


def _network_from_seed(section):
    if section is not None and not isinstance(section, dict):
        raise ValueError("seed section network must be a mapping")
    section = section or {}
    interfaces = _named(section.get("interfaces", ["enp1s0"]), "interfaces")
    bridges = _named(section.get("bridges", [{"name": "br0", "members": ["enp1s0"]}, "br1"]), "bridges", "members")
    binds = []
    for ip in section.get("bind_addresses", ["0.0.0.0", "::", "127.0.0.1"]):
        ip = _ip(ip, "bind_addresses")
        if ip not in binds:
            binds.append(ip)
    for item in interfaces + bridges:
        for addr in item["addresses"]:
            ip = _ip(addr, item["name"])
            if ip not in binds:
                binds.append(ip)
    return {"interfaces": interfaces, "bridges": bridges, "bind_addresses": binds}


def _host_from_seed(state, section):
    section = section if isinstance(section, dict) else {}
    physmem = None
    system = state.data.get("system")
    if isinstance(system, dict):
        cfg = system.get("config", system)
        if isinstance(cfg, dict):
            physmem = cfg.get("physmem")
    default_avail = physmem // 2 if isinstance(physmem, int) and physmem > 0 else 16 * 1024 * MIB
    out = {
        "memory_available": section.get("memory_available", default_avail),
        "arc_shrinkable": section.get("arc_shrinkable", 0),
        "pci_devices": copy.deepcopy(section.get("pci_devices", DEFAULT_PCI_DEVICES)),
    }
    for key in ("memory_available", "arc_shrinkable"):
        if not _is_id(out[key]) or out[key] < 0:
            raise ValueError("seed section vms: host.%s must be a number of bytes, got %r" % (key, out[key]))
    if not isinstance(out["pci_devices"], dict):
        raise ValueError("seed section vms: host.pci_devices must be a mapping")
    return out


@seed_loader
def load_network_seed(state, seed):
    """Seed section ``network`` (see the module docstring)."""
    state.data[NETWORK_KIND] = {"config": _network_from_seed((seed or {}).get("network"))}


class _SeedContext:
    """What VmService needs while the state is being seeded (no connection, no events)."""

    def __init__(self, state, profile):
        self.state = state
        self.profile = profile
        self.session = None

    def emit(self, *args, **kwargs):
        return None

    def call(self, name, *params):
        raise CallError("%s is not available while seeding" % name)


class _SeedProfile:
    name = "25.10"
    validate_schemas = True

    @staticmethod
    def at_least(version):
        return tuple(int(p) for p in version.split(".")) <= (25, 10)


@seed_loader
def load_vms_seed(state, seed):
    """Seed section ``vms`` (see the module docstring): host memory and pre-existing VMs."""
    section = (seed or {}).get("vms")
    if isinstance(section, list):
        section = {"machines": section}
    elif not isinstance(section, dict):
        section = {}
    state.data[HOST_KIND] = {"config": _host_from_seed(state, section.get("host"))}
    state.data.setdefault(VM_KIND, {})
    state.data.setdefault(DEV_KIND, {})
    state.data.setdefault(RUNTIME_KIND, {})
    svc = VmService(_SeedContext(state, _SeedProfile()))
    for index, machine in enumerate(section.get("machines") or []):
        if not isinstance(machine, dict) or not machine.get("name") or not isinstance(machine.get("memory"), int):
            raise ValueError("seed section vms: machine %d needs a name and an integer memory (MiB)" % index)
        machine = dict(machine)
        devices = machine.pop("devices", []) or []
        status = str(machine.pop("status", "STOPPED")).upper()
        if status not in ("STOPPED", "RUNNING", "SUSPENDED"):
            raise ValueError("seed section vms: machine %s has status %r (STOPPED, RUNNING or SUSPENDED)" % (
                machine["name"], status))
        behaviour = {key: machine.pop(key) for key in ("ignores_acpi", "shutdown_seconds") if key in machine}
        data = svc.fill_vm_defaults(machine)
        if "suspend_on_snapshot" not in machine:
            del data["suspend_on_snapshot"]  # reported with the profile's default
        rec = svc.store_vm(data, seed_text=data["name"])
        rt = new_runtime(**behaviour)
        state.data[RUNTIME_KIND][str(rec["id"])] = rt
        if status != "STOPPED":
            rt["starts"] = 1
            rt["pid"] = 4000 + rec["id"] * 97 + 1
            rt["state"] = status
        for dev in devices:
            attrs = dict(dev.get("attributes") or {})
            if attrs.get("dtype") not in DTYPE_MODELS:
                raise ValueError("seed section vms: device of %s has no valid attributes.dtype" % machine["name"])
            attrs = svc.fill_device(attrs)
            if attrs["dtype"] in ("DISK", "RAW") and not attrs.get("serial"):
                attrs["serial"] = hashlib.md5(("%s:%s" % (rec["name"], attrs.get("path"))).encode()).hexdigest()[:8]
            for key in DEVICE_TRANSIENT.get(attrs["dtype"], ()):
                attrs.pop(key, None)
            dev_id = state.next_id(DEV_KIND)
            state.data[DEV_KIND][str(dev_id)] = {"id": dev_id, "vm": rec["id"], "attributes": attrs,
                                                 "order": dev.get("order")}
