# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of VM devices (``vm.device``) and the per-dtype device schema.

The schema (options per dtype, parsing, identity, normalising, payloads) is shared by
``truenas_vm_device`` and the inline ``devices`` list of ``truenas_vm``, so both converge a device
the same way.

Device records look like ``{"id", "vm", "attributes": {"dtype": "NIC", ...}, "order"}`` on every
supported release (capability ``vm_device_dtype`` = ``"attributes"``); a top-level ``dtype`` is
read too. Devices come embedded in ``vm.query`` entries, so one query finds a VM and its devices.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    ENOENT,
    TrueNASError,
    TrueNASTimeoutError,
    TrueNASUnsupportedError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource, get_path
from ansible_collections.nasops.truenas.plugins.module_utils._sizes import human, round_up, to_bytes

MASK = "********"
DTYPES = ("DISK", "CDROM", "NIC", "DISPLAY", "RAW", "PCI", "USB")
DISK_BUSES = ("AHCI", "VIRTIO")
SECTOR_SIZES = (512, 4096)
IOTYPES = ("NATIVE", "THREADS", "IO_URING")
NIC_TYPES = ("E1000", "VIRTIO")
DISPLAY_TYPES = ("SPICE", "VNC")
RESOLUTIONS = ("1920x1200", "1920x1080", "1600x1200", "1600x900", "1400x1050", "1280x1024", "1280x720", "1024x768",
               "800x600", "640x480")
USB_CONTROLLERS = ("piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1", "vt82c686b-uhci", "pci-ohci", "nec-xhci",
                   "qemu-xhci")
ZVOL_PREFIX = "/dev/zvol/"
MIN_DISPLAY_PORT = 5900
MAX_PORT = 65535
VNC_PASSWORD_MAX = 8
ZVOL_SPACE_SHARE = 0.8

# Per dtype: (option, attribute key) pairs stored on the server and compared.
ATTRIBUTES = {
    "DISK": (("path", "path"), ("bus", "type"), ("logical_sectorsize", "logical_sectorsize"),
             ("physical_sectorsize", "physical_sectorsize"), ("iotype", "iotype"), ("serial", "serial")),
    "RAW": (("path", "path"), ("bus", "type"), ("size", "size"), ("boot", "boot"),
            ("logical_sectorsize", "logical_sectorsize"), ("physical_sectorsize", "physical_sectorsize"),
            ("iotype", "iotype"), ("serial", "serial")),
    "CDROM": (("path", "path"),),
    "NIC": (("type", "type"), ("nic_attach", "nic_attach"), ("mac", "mac"),
            ("trust_guest_rx_filters", "trust_guest_rx_filters")),
    "DISPLAY": (("type", "type"), ("display_port", "port"), ("web_port", "web_port"), ("bind", "bind"),
                ("display_password", "password"), ("web", "web"), ("resolution", "resolution"), ("wait", "wait")),
    "PCI": (("pptdev", "pptdev"),),
    "USB": (("usb", "usb"), ("device", "device"), ("controller_type", "controller_type")),
}
# Options each dtype accepts (besides dtype and order); create-only helpers included.
DTYPE_OPTIONS = {
    "DISK": ("path", "zvol", "create_zvol", "size", "bus", "logical_sectorsize", "physical_sectorsize", "iotype",
             "serial"),
    "RAW": ("path", "size", "exists", "boot", "bus", "logical_sectorsize", "physical_sectorsize", "iotype", "serial"),
    "CDROM": ("path",),
    "NIC": ("nic_attach", "mac", "type", "trust_guest_rx_filters"),
    "DISPLAY": ("type", "display_port", "web_port", "bind", "display_password", "update_password", "web", "resolution",
                "wait"),
    "PCI": ("pptdev",),
    "USB": ("usb", "device", "controller_type"),
}
# Options with a default that only some dtypes take: "set" means "differs from the default".
OPTION_DEFAULTS = {"update_password": "always"}
DEVICE_OPTION_NAMES = ("path", "zvol", "create_zvol", "size", "exists", "boot", "bus", "logical_sectorsize",
                       "physical_sectorsize", "iotype", "serial", "nic_attach", "mac", "type",
                       "trust_guest_rx_filters", "display_port", "web_port", "bind", "display_password",
                       "update_password", "web",
                       "resolution", "wait", "pptdev", "usb", "device", "controller_type")
# Validation attribute keys that are not option names.
ATTRIBUTE_OPTIONS = {"zvol_name": "zvol", "zvol_volsize": "size", "create_zvol": "create_zvol", "exists": "exists"}

_MAC_RE = re.compile(r"^([0-9A-Fa-f]{2}[:-]?){5}([0-9A-Fa-f]{2})$")
_USB_ID_RE = re.compile(r"^0x[0-9a-f]{1,4}$")


def device_argument_spec():
    """Argument spec of one device: the options of ``truenas_vm_device`` without ``vm``/``state``,
    also the suboptions of ``truenas_vm``'s ``devices``."""
    return dict(
        dtype=dict(type="str", required=True, choices=list(DTYPES)),
        order=dict(type="int"),
        path=dict(type="str"),
        zvol=dict(type="str"),
        create_zvol=dict(type="bool"),
        size=dict(type="raw"),
        exists=dict(type="bool"),
        boot=dict(type="bool"),
        bus=dict(type="str", choices=list(DISK_BUSES)),
        logical_sectorsize=dict(type="int", choices=list(SECTOR_SIZES)),
        physical_sectorsize=dict(type="int", choices=list(SECTOR_SIZES)),
        iotype=dict(type="str", choices=list(IOTYPES)),
        serial=dict(type="str"),
        nic_attach=dict(type="str"),
        mac=dict(type="str"),
        type=dict(type="str", choices=list(NIC_TYPES + DISPLAY_TYPES)),
        trust_guest_rx_filters=dict(type="bool"),
        display_port=dict(type="int"),
        web_port=dict(type="int"),
        bind=dict(type="str"),
        display_password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="always", choices=["always", "on_create"], no_log=False),
        web=dict(type="bool"),
        resolution=dict(type="str", choices=list(RESOLUTIONS)),
        wait=dict(type="bool"),
        pptdev=dict(type="str"),
        usb=dict(type="dict", options=dict(vendor_id=dict(type="str", required=True),
                                           product_id=dict(type="str", required=True))),
        device=dict(type="str"),
        controller_type=dict(type="str", choices=list(USB_CONTROLLERS)),
    )


# ---- values ------------------------------------------------------------------------------------

def canonical_mac(value):
    """``00-A0-98-11-22-33`` / ``00a098112233`` -> ``00:a0:98:11:22:33``; None for anything else."""
    if not isinstance(value, str) or not _MAC_RE.match(value.strip()):
        return None
    digits = re.sub(r"[:-]", "", value.strip()).lower()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def parse_mac(value):
    mac = canonical_mac(value)
    if mac is None:
        raise ValueError("%r is not a MAC address; write six hex pairs such as 00:a0:98:12:34:56" % (value,))
    if mac.startswith("ff"):
        raise ValueError("%s starts with ff (a broadcast/multicast prefix), which TrueNAS refuses" % mac)
    if int(mac[:2], 16) & 1:
        raise ValueError("%s is a multicast address (the lowest bit of its first byte is set)" % mac)
    return mac


def mac_from_api(value):
    return canonical_mac(value) or value


def zvol_path(name):
    """``tank/vms/web`` -> ``/dev/zvol/tank/vms/web`` (spaces written as ``+``, as TrueNAS does)."""
    return ZVOL_PREFIX + name.replace(" ", "+")


def zvol_name(path):
    """The zvol name of a ``/dev/zvol/...`` path, or None."""
    if isinstance(path, str) and path.startswith(ZVOL_PREFIX) and len(path) > len(ZVOL_PREFIX):
        return path[len(ZVOL_PREFIX):].replace("+", " ")
    return None


def parse_zvol(value):
    name = value.strip()
    if name.startswith(ZVOL_PREFIX):
        raise ValueError("give the zvol name (such as tank/vms/web), not its path; or use path: %s" % name)
    if name.startswith("/") or name.endswith("/") or "/" not in name or "//" in name:
        raise ValueError("%r is not a zvol name; write pool/dataset/name such as tank/vms/web" % value)
    if any(part in (".", "..") for part in name.split("/")):
        raise ValueError("%r is not a valid zvol name: '.' and '..' are not dataset names; write pool/dataset/name "
                         "such as tank/vms/web" % value)
    return name


def parse_usb(value):
    out = {}
    for key in ("vendor_id", "product_id"):
        text = str(value.get(key) or "").strip().lower()
        if not _USB_ID_RE.match(text):
            raise OptionError("usb.%s" % key, "%r is not a USB id; write it in hex such as 0x046d" % (value.get(key),))
        out[key] = text
    return out


def usb_from_api(value):
    if isinstance(value, dict):
        return dict((k, v.lower() if isinstance(v, str) else v) for k, v in value.items())
    return value


def _port(value):
    if not MIN_DISPLAY_PORT <= value <= MAX_PORT:
        raise ValueError("must be between %d and %d, got %d" % (MIN_DISPLAY_PORT, MAX_PORT, value))
    return value


def _size(value):
    size = to_bytes(value)
    if size <= 0:
        raise ValueError("must be more than 0 bytes, got %r" % (value,))
    return size


# Fields of a device in option vocabulary: what the engine compares, diffs and masks.
DEVICE_FIELDS = (
    Field("vm"),
    Field("dtype", api="attributes.dtype", api_aliases=("dtype",)),
    Field("order", api="order"),
    Field("path", api="attributes.path"),
    Field("zvol"),
    Field("bus", api="attributes.type"),
    Field("logical_sectorsize", api="attributes.logical_sectorsize"),
    Field("physical_sectorsize", api="attributes.physical_sectorsize"),
    Field("iotype", api="attributes.iotype"),
    Field("serial", api="attributes.serial", create_only=True),
    Field("size", api="attributes.size", compare="size"),
    Field("boot", api="attributes.boot"),
    Field("nic_attach", api="attributes.nic_attach"),
    Field("mac", api="attributes.mac", from_api=mac_from_api),
    Field("type", api="attributes.type"),
    Field("trust_guest_rx_filters", api="attributes.trust_guest_rx_filters"),
    Field("display_port", api="attributes.port"),
    Field("web_port", api="attributes.web_port"),
    Field("bind", api="attributes.bind"),
    Field("display_password", api="attributes.password", no_log=True),
    Field("web", api="attributes.web"),
    Field("resolution", api="attributes.resolution"),
    Field("wait", api="attributes.wait"),
    Field("pptdev", api="attributes.pptdev"),
    Field("usb", api="attributes.usb", from_api=usb_from_api),
    Field("device", api="attributes.device"),
    Field("controller_type", api="attributes.controller_type"),
    Field("vm_id", api="vm", output_only=True),
)
FIELDS_BY_OPTION = dict((field.option, field) for field in DEVICE_FIELDS)


# ---- one device spec ---------------------------------------------------------------------------

class DeviceSpec:
    """One requested device, parsed: ``desired`` (options compared with the server), ``extras``
    (create-only helpers never compared: create_zvol, zvol size, exists), ``identity``
    (``(option, value)``) and ``where`` (the option prefix used in messages, ``devices[1].``)."""

    def __init__(self, dtype, desired, extras, identity, where="", update_password="always", state="present"):
        self.dtype = dtype
        self.desired = desired
        self.extras = extras
        self.identity = identity
        self.where = where
        self.update_password = update_password
        self.state = state
        self.created_id = None

    def option(self, name):
        return self.where + name

    def describe(self):
        """``DISK '/dev/zvol/tank/vms/web'``, ``NIC on 'br0'``, ``SPICE display``."""
        return describe(self.dtype, self.identity)


def describe(dtype, identity):
    key, value = identity
    if dtype == "DISPLAY":
        return "%s display" % value
    if dtype == "NIC" and key == "nic_attach":
        return "NIC on '%s'" % value if value else "NIC on the default interface"
    if key == "usb" and isinstance(value, dict):
        value = "%s:%s" % (value.get("vendor_id"), value.get("product_id"))
    return "%s '%s'" % (dtype, value)


def _is_set(params, name):
    value = params.get(name)
    if value is None:
        return False
    return name not in OPTION_DEFAULTS or value != OPTION_DEFAULTS[name]


def parse_device(params, where=""):
    """Validate one device's options (``params``: argspec-shaped) and return a :class:`DeviceSpec`.

    Raises OptionError naming the option (prefixed with ``where``) for options that do not belong
    to the dtype and for bad values; nothing here needs the server.
    """
    def fail(option, reason):
        return OptionError(where + option, reason)

    dtype = params.get("dtype")
    if dtype not in DTYPES:
        raise fail("dtype", "must be one of %s, got %r" % (", ".join(DTYPES), dtype))
    allowed = DTYPE_OPTIONS[dtype]
    stray = [name for name in DEVICE_OPTION_NAMES if name not in allowed and _is_set(params, name)]
    if stray:
        raise OptionError(", ".join(where + name for name in stray), "%s for %s devices; a %s device takes %s" % (
            "is not an option" if len(stray) == 1 else "are not options", dtype, dtype, ", ".join(allowed)))

    desired = {"dtype": dtype}
    extras = {}
    if params.get("order") is not None:
        if params["order"] < 0:
            raise fail("order", "must not be negative, got %d" % params["order"])
        desired["order"] = params["order"]

    def take(name, parse=None):
        value = params.get(name)
        if value is None:
            return None
        if parse is not None:
            try:
                value = parse(value)
            except OptionError as exc:
                raise OptionError(where + exc.option, exc.reason)
            except (TypeError, ValueError) as exc:
                raise fail(name, str(exc))
        desired[name] = value
        return value

    for name in ("bus", "logical_sectorsize", "physical_sectorsize", "iotype", "serial", "boot", "nic_attach",
                 "trust_guest_rx_filters", "bind", "web", "resolution", "wait", "pptdev", "device",
                 "controller_type"):
        if name in allowed:
            take(name)
    if "type" in allowed:
        kind = take("type")
        choices = NIC_TYPES if dtype == "NIC" else DISPLAY_TYPES
        if kind is not None and kind not in choices:
            raise fail("type", "a %s device's type is one of %s, got %s" % (dtype, ", ".join(choices), kind))

    if dtype == "DISK":
        _parse_disk(params, desired, extras, fail, take)
    elif dtype in ("RAW", "CDROM"):
        path = take("path")
        if not path:
            raise fail("path", "is required for a %s device" % dtype)
        if not path.startswith("/mnt/") or "{" in path or "}" in path:
            raise fail("path", "must be a file inside a pool, such as /mnt/tank/%s, got %r" % (
                "isos/installer.iso" if dtype == "CDROM" else "vms/disk.img", path))
        if dtype == "RAW":
            take("size", _size)
            if params.get("exists") is not None:
                extras["exists"] = params["exists"]
    elif dtype == "NIC":
        take("mac", parse_mac)
    elif dtype == "DISPLAY":
        _parse_display(params, desired, fail, take)
    elif dtype == "PCI":
        if not desired.get("pptdev"):
            raise fail("pptdev", "is required for a PCI device (a passthrough device id such as pci_0000_01_00_0)")
    elif dtype == "USB":
        take("usb", parse_usb)
        if ("usb" in desired) == bool(desired.get("device")):
            raise fail("usb", "give either usb (vendor_id and product_id) or device, and not both")

    if desired.get("physical_sectorsize") and not desired.get("logical_sectorsize"):
        raise fail("logical_sectorsize", "is required when physical_sectorsize is set")
    return DeviceSpec(dtype, desired, extras, identity_of(dtype, desired), where,
                      params.get("update_password") or "always", params.get("state") or "present")


def _parse_disk(params, desired, extras, fail, take):
    path, zvol = params.get("path"), params.get("zvol")
    if path is not None and zvol is not None:
        raise fail("zvol", "cannot be combined with path; give one of them")
    if zvol is not None:
        name = take("zvol", parse_zvol)
        desired["path"] = zvol_path(name)
    elif path is not None:
        path = take("path")
        if zvol_name(path) is None:
            raise fail("path", "a DISK device uses a zvol: the path must start with /dev/zvol/, got %r; "
                               "use a RAW device for image files" % path)
        desired["zvol"] = zvol_name(path)
    else:
        raise fail("zvol", "a DISK device needs zvol (a zvol name) or path (/dev/zvol/...)")
    if params.get("create_zvol"):
        if zvol is None:
            raise fail("create_zvol", "needs zvol (the name of the zvol to create), not path")
        if params.get("size") is None:
            raise fail("size", "is required with create_zvol: true (the size of the new zvol, such as 20G)")
        try:
            extras["zvol_size"] = _size(params["size"])
        except (TypeError, ValueError) as exc:
            raise fail("size", str(exc))
        extras["create_zvol"] = True
    elif params.get("size") is not None:
        raise fail("size", "is only used with create_zvol: true; the size of an existing zvol is managed with "
                           "its dataset")


def _parse_display(params, desired, fail, take):
    take("display_port", _port)
    take("web_port", _port)
    if desired.get("display_port") is not None and desired.get("display_port") == desired.get("web_port"):
        raise fail("web_port", "must differ from display_port (%d)" % desired["display_port"])
    password = params.get("display_password")
    if password is not None:
        if not password.strip():
            raise fail("display_password", "must not be empty; TrueNAS requires a password for display devices")
        desired["display_password"] = password
    if desired.get("type") == "VNC":
        if password is not None and len(password) > VNC_PASSWORD_MAX:
            raise fail("display_password", "a VNC display password has at most %d characters, got %d" % (
                VNC_PASSWORD_MAX, len(password)))
        if desired.get("web"):
            raise fail("web", "must be false for a VNC display; web access works with SPICE only")


def identity_of(dtype, desired):
    """``(option, value)`` that identifies a device of ``dtype`` among a VM's devices."""
    if dtype in ("DISK", "RAW", "CDROM"):
        return ("path", desired.get("path"))
    if dtype == "NIC":
        if desired.get("mac"):
            return ("mac", desired["mac"])
        return ("nic_attach", desired.get("nic_attach"))
    if dtype == "DISPLAY":
        return ("type", desired.get("type") or "SPICE")
    if dtype == "PCI":
        return ("pptdev", desired.get("pptdev"))
    if desired.get("device"):
        return ("device", desired["device"])
    return ("usb", desired.get("usb"))


# ---- reading -----------------------------------------------------------------------------------

def device_dtype(record):
    return get_path(record, "attributes.dtype") or record.get("dtype")


def normalize_device(record):
    """A ``vm.device`` record in option vocabulary: id, dtype, order and the dtype's options."""
    attrs = record.get("attributes") if isinstance(record.get("attributes"), dict) else {}
    dtype = device_dtype(record)
    out = {"id": record.get("id"), "dtype": dtype, "order": record.get("order")}
    for option, key in ATTRIBUTES.get(dtype, ()):
        if key not in attrs:
            continue
        value = attrs[key]
        field = FIELDS_BY_OPTION[option]
        if field.from_api and value is not None:
            value = field.from_api(value)
        out[option] = value
    if dtype == "DISK":
        out["zvol"] = zvol_name(out.get("path"))
    if dtype == "DISPLAY" and not out.get("type"):
        out["type"] = "SPICE"
    return out


def matches(spec, device):
    """Does the normalised ``device`` have the dtype and identity of ``spec``?"""
    if device.get("dtype") != spec.dtype:
        return False
    key, value = spec.identity
    if key == "usb":
        return usb_from_api(device.get("usb")) == value
    return device.get(key) == value


def find_device(spec, devices, claimed=None, vm_name=None):
    """The normalised device of ``devices`` that ``spec`` identifies, or None.

    Several matches are an OptionError naming the identity option, unless ``claimed`` is given
    (a set of device ids already matched by other entries of a list): then the first unclaimed
    match is taken, so two list entries can stand for two alike devices.
    """
    found = [d for d in devices if matches(spec, d) and (claimed is None or d.get("id") not in claimed)]
    if len(found) > 1 and claimed is None:
        key, value = spec.identity
        hint = "give mac to say which NIC" if spec.dtype == "NIC" else "remove the duplicates"
        raise OptionError(spec.option(key), "%d %s devices of VM '%s' match %s=%r; %s" % (
            len(found), spec.dtype, vm_name, key, value, hint))
    return found[0] if found else None


# ---- comparing ---------------------------------------------------------------------------------

def adjust_password(spec, current, warn, what):
    """Drop the display password from ``spec.desired`` when it must not be compared: the device
    exists and ``update_password`` is ``on_create``, or TrueNAS returned it masked (the connecting
    user may not read it), in which case a warning says so."""
    if "display_password" not in spec.desired or current is None:
        return
    if spec.update_password == "on_create":
        del spec.desired["display_password"]
    elif current.get("display_password") == MASK:
        del spec.desired["display_password"]
        warn("%s: TrueNAS returned the display password masked, so it cannot be compared and was left as it is; "
             "connect as a user with the VM_DEVICE_WRITE role to manage it" % what)


def device_changes(spec, current, what):
    """Options of ``spec`` whose value differs from the normalised ``current`` device, mapped to
    the merged new value; a different create-only value (serial) is an OptionError."""
    changes = {}
    for option, value in spec.desired.items():
        if option == "dtype":
            continue
        field = FIELDS_BY_OPTION[option]
        before = current.get(option)
        if field.comparator.equal(value, before):
            continue
        if field.create_only:
            raise OptionError(spec.option(option), "cannot be changed on the existing %s (current %r, requested %r); "
                                                   "TrueNAS sets it only when the device is created" % (what, before, value))
        changes[option] = field.comparator.merge(before, value)
    return changes


# ---- writing -----------------------------------------------------------------------------------

def attribute_payload(dtype, values):
    """``attributes`` dict of option ``values`` for ``dtype`` (options without an attribute skipped)."""
    keys = dict(ATTRIBUTES[dtype])
    return dict((keys[option], value) for option, value in values.items() if option in keys)


def create_payload(spec, vm_id, caps, mac=None):
    """Argument of ``vm.device.create`` for ``spec`` on VM ``vm_id``."""
    attrs = attribute_payload(spec.dtype, spec.desired)
    if spec.extras.get("create_zvol"):
        attrs.pop("path", None)
        attrs.update(create_zvol=True, zvol_name=spec.desired["zvol"], zvol_volsize=spec.extras["zvol_size"])
    if "exists" in spec.extras:
        attrs["exists"] = spec.extras["exists"]
    if mac is not None:
        attrs["mac"] = mac
    data = {"vm": vm_id, "attributes": attrs}
    if caps is not None and getattr(caps, "vm_device_dtype", "attributes") != "attributes":
        data["dtype"] = spec.dtype
    else:
        attrs["dtype"] = spec.dtype
    if spec.desired.get("order") is not None:
        data["order"] = spec.desired["order"]
    return data


# Attributes of a stored device that are not sent back in a full 25.04 update: write-only helpers
# and values the server derives.
NOT_SENT_BACK = ("create_zvol", "zvol_name", "zvol_volsize", "password_configured")


def update_payload(dtype, changes, caps=None, stored=None):
    """Argument of ``vm.device.update`` (after the id): changed attributes and order.

    On 25.04 (capability ``vm_device_update_full``) ``attributes`` is validated as the whole model
    chosen by ``attributes.dtype``, whose defaults overwrite every attribute not sent; there the
    stored attributes (``stored``, as read from ``vm.query``) merged with the change are sent, with
    ``dtype`` (and ``exists: true`` for a RAW file, which exists once its device does).
    """
    data = {}
    attrs = attribute_payload(dtype, changes)
    if attrs and caps is not None and getattr(caps, "vm_device_update_full", False):
        full = dict((key, value) for key, value in (stored or {}).items() if key not in NOT_SENT_BACK)
        if full.get("password") == MASK and "password" not in attrs:
            raise OptionError("display_password", "TrueNAS %s resets every display attribute that an update does not "
                                                  "send, and it returned the password masked, so this change would "
                                                  "lose it; set display_password too, or connect as a user with the "
                                                  "VM_DEVICE_WRITE role" % caps.version_string)
        full.update(attrs)
        full["dtype"] = dtype
        if dtype == "RAW":
            full["exists"] = True
        attrs = full
    if attrs:
        data["attributes"] = attrs
    if "order" in changes:
        data["order"] = changes["order"]
    return data


def predicted_device(spec, current=None, changes=None):
    """The device as it will read after a change made in check mode."""
    if current is None:
        return dict(spec.desired)
    device = dict(current)
    device.update(changes or {})
    return device


# ---- server-side checks that only read ---------------------------------------------------------

def require_vms(caps):
    """TrueNASUnsupportedError unless the server has libvirt VMs (capability ``vms``)."""
    if not caps.vms:
        raise TrueNASUnsupportedError("virtual machines need TrueNAS 25.04.2 or later (25.04.0 and 25.04.1 have none); "
                                      "this server runs %s" % caps.version_string)


def nic_attach_names(choices):
    """The names of ``vm.device.nic_attach_choices``: ``{name: name}`` (25.04, 25.10) or lists per
    kind, ``{"BRIDGE": [...], "MACVLAN": [...]}`` (26)."""
    if not isinstance(choices, dict):
        return set()
    names = set()
    for key, value in choices.items():
        if isinstance(value, list):
            names.update(item for item in value if isinstance(item, str))
        else:
            names.add(key)
    return names


def check_nic_attach(client, spec):
    """An unknown interface or bridge in ``nic_attach`` is an OptionError listing the choices."""
    wanted = spec.desired.get("nic_attach")
    if spec.dtype != "NIC" or not wanted:
        return
    choices = nic_attach_names(client.call("vm.device.nic_attach_choices"))
    if wanted not in choices:
        raise OptionError(spec.option("nic_attach"), "'%s' is not a network interface or bridge of this TrueNAS; "
                                                     "choose one of %s" % (wanted, ", ".join(sorted(choices)) or "(none)"))


def check_cdrom_path(ctx, spec):
    """The ISO file of a CDROM device must exist on the TrueNAS (``filesystem.stat``, a read).

    TrueNAS itself finds a missing file only when the device is added, which for a new VM is after
    the VM was created; this check runs before any change (in check mode too). A missing file or a
    directory is an OptionError naming the path option; other errors name the check as the action.
    """
    if spec.dtype != "CDROM":
        return
    path = spec.desired["path"]
    previous, ctx.action = ctx.action, "check the ISO file of %s" % spec.describe()
    try:
        found = ctx.client.call("filesystem.stat", path)
    except TrueNASError as exc:
        if exc.errno != ENOENT and exc.errname != "ENOENT":
            raise
        found = None
    ctx.action = previous
    if found is None:
        raise OptionError(spec.option("path"), "the ISO file %s does not exist on the TrueNAS; upload it first or "
                                               "correct the path" % path)
    if isinstance(found, dict) and found.get("type") == "DIRECTORY":
        raise OptionError(spec.option("path"), "%s is a directory on the TrueNAS, not an ISO file" % path)


def check_display_type(caps, spec):
    kind = spec.desired.get("type")
    if spec.dtype == "DISPLAY" and kind and kind not in caps.display_types:
        raise OptionError(spec.option("type"), "%s displays are not supported by TrueNAS %s; it supports %s" % (
            kind, caps.version_string, ", ".join(caps.display_types)))


def plan_zvol(client, spec):
    """Prepare ``create_zvol`` before a DISK device is created (reads only).

    A zvol that already exists is attached as it is (``create_zvol`` dropped). Otherwise the size
    is rounded up to the block size TrueNAS will use, and a parent that does not exist or a size
    over 80 % of the parent's free space (which TrueNAS refuses) is an OptionError.
    """
    if not spec.extras.get("create_zvol"):
        return
    name = spec.desired["zvol"]
    parent = name.rsplit("/", 1)[0]
    options = {"extra": {"retrieve_children": False, "properties": ["available", "volsize"]}}
    rows = client.query("pool.dataset.query", [["id", "in", [name, parent]]], options) or []
    by_id = dict((row.get("id"), row) for row in rows if isinstance(row, dict))
    if name in by_id:
        if by_id[name].get("type") != "VOLUME":
            raise OptionError(spec.option("zvol"), "%s exists and is a filesystem dataset, not a zvol" % name)
        spec.extras.pop("create_zvol")
        spec.extras.pop("zvol_size", None)
        return
    if parent not in by_id:
        raise OptionError(spec.option("zvol"), "cannot create %s: its parent dataset %s does not exist" % (name, parent))
    block = to_bytes(client.call("pool.dataset.recommended_zvol_blocksize", name.split("/", 1)[0]))
    size = round_up(spec.extras["zvol_size"], block)
    spec.extras["zvol_size"] = size
    available = get_path(by_id[parent], "available.parsed")
    if isinstance(available, int) and size > available * ZVOL_SPACE_SHARE:
        raise OptionError(spec.option("size"), "%s is more than 80%% of the %s free in %s; TrueNAS refuses zvols that "
                                               "large" % (human(size), human(available), parent))


def option_for_attribute(attribute, dtype, where=""):
    """A validation attribute of ``vm.device.*`` (``vm_device_create.attributes.DISPLAY.port``,
    ``attributes.port``, bare ``port``, nested ``pool_dataset_create.volsize``) -> option name."""
    if not attribute:
        return attribute
    parts = attribute.split(".")
    if parts[0] in ("vm_device_create", "vm_device_update"):
        parts = parts[1:]
    if parts and parts[0] in ("attributes", "attribute"):
        parts = parts[1:]
        if parts and parts[0] in DTYPES:
            parts = parts[1:]
    if parts and parts[0].startswith("pool_dataset_"):
        return where + ("size" if parts[1:] == ["volsize"] else "zvol")
    if not parts:
        return where + ("path" if dtype == "DISK" else "dtype")
    key = parts[0]
    option = ATTRIBUTE_OPTIONS.get(key)
    if option is None:
        reverse = dict((k, o) for o, k in ATTRIBUTES.get(dtype, ()))
        option = reverse.get(key, key)
    return where + ".".join([option] + parts[1:])


# ---- devices of a running VM -------------------------------------------------------------------

ACTIVE_STATES = ("RUNNING", "SUSPENDED")
DEFAULT_SHUTDOWN_TIMEOUT = 90
STOP_JOB_MARGIN = 30
STATUS_POLL_INTERVAL = 1.0


def vm_state(record):
    """``status.state`` of a ``vm.query`` entry (None when absent)."""
    status = record.get("status") if isinstance(record, dict) else None
    return status.get("state") if isinstance(status, dict) else None


def needs_stopped_vm(vm_label, state, steps, restart_if_needed):
    """Whether the device ``steps`` (descriptions of removals and changes, empty for none) of a VM
    in ``state`` need the VM stopped first. TrueNAS refuses to remove a device of a running VM and
    applies changed devices only at the next start. Without ``restart_if_needed`` that is an
    OptionError, raised before anything is changed (in check mode too)."""
    if not steps or state not in ACTIVE_STATES:
        return False
    if not restart_if_needed:
        raise OptionError("restart_if_needed", "is needed to %s of %s, which is %s: TrueNAS removes and changes devices "
                                               "only while the VM is stopped. Set restart_if_needed: true to stop the "
                                               "VM, make the change and start it again, or stop the VM first"
                          % ("; ".join(steps), vm_label, state))
    return True


def stop_for_devices(ctx, vm, force_after_timeout, wait_timeout):
    """Stop the VM ``vm`` (a ``vm.query`` entry) so its devices can be changed, and wait until it
    reads STOPPED: a clean shutdown (ACPI), powered off after its shutdown_timeout when
    ``force_after_timeout``; a suspended VM is powered off."""
    what = "VM '%s'" % vm.get("name")
    if vm_state(vm) == "SUSPENDED":
        ctx.write("vm.poweroff", vm["id"], action="power off %s to change its devices" % what)
        hint = ""
    else:
        shutdown = vm.get("shutdown_timeout") or DEFAULT_SHUTDOWN_TIMEOUT
        ctx.write("vm.stop", vm["id"], {"force": False, "force_after_timeout": bool(force_after_timeout)},
                  action="stop %s to change its devices" % what,
                  timeout=max(wait_timeout or 0, shutdown + STOP_JOB_MARGIN))
        hint = "" if force_after_timeout else (
            "; the guest did not shut down after the ACPI request: set force_after_timeout: true to power it off "
            "after its shutdown_timeout")
    _wait_for_state(ctx, vm, "STOPPED", wait_timeout, hint)


def start_after_devices(ctx, vm, wait_timeout):
    """Start the VM again after its devices were changed, and wait until it reads RUNNING."""
    ctx.write("vm.start", vm["id"], action="start VM '%s' again after changing its devices" % vm.get("name"))
    _wait_for_state(ctx, vm, "RUNNING", wait_timeout, "")


def start_after_failure(ctx, start):
    """A change failed after its VM was stopped for it: ``start()`` the VM again and say in
    ``ctx.action`` (the failed step) whether that worked. The failure itself is raised by the caller."""
    failed = ctx.action
    try:
        start()
        ctx.action = "%s (the VM, stopped for the change, was started again)" % failed
    except TrueNASError as exc:
        ctx.action = "%s (the VM was stopped for the change and could not be started again: %s)" % (failed, exc)


def _wait_for_state(ctx, vm, target, wait_timeout, hint):
    previous, ctx.action = ctx.action, "wait for VM '%s' to be %s" % (vm.get("name"), target)
    try:
        ctx.waiter.wait(lambda: ctx.client.call("vm.status", vm["id"]),
                        lambda status: isinstance(status, dict) and status.get("state") == target,
                        wait_timeout or 0, interval=STATUS_POLL_INTERVAL,
                        what="VM '%s' to be %s" % (vm.get("name"), target))
    except TrueNASTimeoutError as exc:
        if hint:
            raise TrueNASTimeoutError("%s%s" % (exc.message, hint))
        raise
    ctx.action = previous


# ---- the descriptor ----------------------------------------------------------------------------

class VmDeviceResource(Resource):
    """One device of a VM named by ``vm``; identified by dtype plus a per-dtype key."""

    NAME = "VM device"
    NAMESPACE = "vm.device"
    RESULT_KEY = "device"
    IDENTITY = ("vm", "dtype")
    FIELDS = DEVICE_FIELDS
    ERROR_PREFIXES = ("vm_device_create", "vm_device_update", "attributes")
    JOBS = frozenset(("vm.stop",))

    def __init__(self):
        super(VmDeviceResource, self).__init__()
        self.spec = None
        self.vm = None
        self.power_cycle = False
        self.stopped = False
        self.started_again = False
        self.predicted = False

    def label(self, params):
        try:
            spec = parse_device(params)
            text = spec.describe()
        except (OptionError, TypeError, ValueError, KeyError, AttributeError):
            text = str(params.get("dtype"))
        return "%s of VM '%s'" % (text, params.get("vm"))

    def desired(self, params):
        self.spec = parse_device(params)
        if params.get("delete_zvol") and self.spec.dtype != "DISK":
            raise OptionError("delete_zvol", "only applies to DISK devices")
        desired = dict(self.spec.desired)
        desired["vm"] = params.get("vm")
        return desired

    def find(self, ctx):
        action, ctx.action = ctx.action, None
        require_vms(ctx.caps)
        ctx.action = action
        self.vm = ctx.client.get_one("vm.query", [["name", "=", ctx.params["vm"]]])
        ctx.action = None
        check_display_type(ctx.caps, self.spec)
        if self.vm is None:
            if ctx.params.get("state") == "absent":
                return None
            raise OptionError("vm", "no VM named '%s' exists on this TrueNAS" % ctx.params["vm"])
        devices = [d for d in self.vm.get("devices") or [] if isinstance(d, dict)]
        normalised = [normalize_device(d) for d in devices]
        current = find_device(self.spec, normalised, vm_name=self.vm.get("name"))
        if ctx.params.get("state") == "absent":
            raw = self._raw(devices, current)
            self._check_running(ctx, ["remove %s" % self.spec.describe()] if raw is not None else [])
            return raw
        if current is None:
            self._check_new(ctx)
        else:
            adjust_password(self.spec, current, ctx.warn, ctx.what)
            if "display_password" not in self.spec.desired:
                ctx.desired.pop("display_password", None)
            if self.spec.desired.get("nic_attach") != current.get("nic_attach"):
                check_nic_attach(ctx.client, self.spec)
        raw = self._raw(devices, current)
        if raw is not None:
            changes = sorted(ctx.changes(self.normalize(raw)))
            self._check_running(ctx, ["change %s of %s" % (", ".join(changes), self.spec.describe())] if changes else [])
        return raw

    def _check_running(self, ctx, steps):
        """Removing or changing a device of a running VM needs it stopped (``restart_if_needed``)."""
        self.power_cycle = needs_stopped_vm("VM '%s'" % self.vm.get("name"), vm_state(self.vm), steps,
                                            ctx.params.get("restart_if_needed"))
        self.predicted = self.power_cycle and ctx.check_mode

    def _stop_if_needed(self, ctx):
        if self.power_cycle and not self.stopped:
            stop_for_devices(ctx, self.vm, ctx.params.get("force_after_timeout"), ctx.params.get("wait_timeout"))
            self.stopped = True

    def _start_again(self, ctx):
        if self.stopped and not self.started_again:
            self.started_again = True
            start_after_devices(ctx, self.vm, ctx.params.get("wait_timeout"))

    def after_failure(self, ctx):
        """The change failed after the VM was stopped for it: start the VM again, as it ran before."""
        if self.stopped and not self.started_again:
            start_after_failure(ctx, lambda: self._start_again(ctx))

    def _check_new(self, ctx):
        if self.spec.dtype == "DISPLAY" and "display_password" not in self.spec.desired:
            raise OptionError("display_password", "is required to create a DISPLAY device; TrueNAS refuses display "
                                                  "devices without one")
        if self.spec.dtype == "RAW" and not self.spec.extras.get("exists") and "size" not in self.spec.desired:
            raise OptionError("size", "is required to create the RAW file %s (or set exists: true for a file that "
                                      "exists already)" % self.spec.desired["path"])
        check_nic_attach(ctx.client, self.spec)
        check_cdrom_path(ctx, self.spec)
        plan_zvol(ctx.client, self.spec)

    @staticmethod
    def _raw(devices, current):
        if current is None:
            return None
        for device in devices:
            if device.get("id") == current.get("id"):
                return device
        return None

    def normalize(self, record, caps=None):
        out = normalize_device(record)
        out["vm_id"] = record.get("vm")
        if self.vm is not None and record.get("vm") == self.vm.get("id"):
            out["vm"] = self.vm.get("name")
        return out

    def create_params(self, ctx):
        mac = None
        if self.spec.dtype == "NIC" and not self.spec.desired.get("mac"):
            # TrueNAS draws a new MAC at every boot for a NIC stored without one: store one now.
            ctx.action = "create %s" % ctx.what
            mac = ctx.client.call("vm.random_mac")
        return [create_payload(self.spec, self.vm["id"], ctx.caps, mac=mac)]

    def update_params(self, ctx, record, changes):
        self._stop_if_needed(ctx)
        stored = record.get("attributes") if isinstance(record.get("attributes"), dict) else {}
        return [record[self.PRIMARY_KEY], update_payload(self.spec.dtype, changes, ctx.caps, stored)]

    def delete_params(self, ctx, record):
        self._stop_if_needed(ctx)
        zvol = bool(ctx.params.get("delete_zvol")) and zvol_name(get_path(record, "attributes.path")) is not None
        return [record[self.PRIMARY_KEY], {"zvol": zvol, "raw_file": False, "force": False}]

    def post_apply(self, ctx, after):
        """A VM stopped to change the device is started again (predicted in check mode)."""
        if ctx.check_mode:
            return self.power_cycle, after
        if not self.stopped:
            return False, after
        self._start_again(ctx)
        return True, after

    def post_delete(self, ctx, before):
        self._start_again(ctx)

    def result_extra(self):
        return {"power_cycled": bool(self.stopped or self.predicted)}

    def reread(self, ctx, record):
        if isinstance(record, dict) and record.get(self.PRIMARY_KEY) is not None:
            return ctx.client.get_one("vm.device.query", [["id", "=", record[self.PRIMARY_KEY]]])
        raise TrueNASError("%s: the create call returned no device id" % ctx.what)

    def option_for(self, attribute):
        dtype = self.spec.dtype if self.spec is not None else None
        return option_for_attribute(attribute, dtype)
