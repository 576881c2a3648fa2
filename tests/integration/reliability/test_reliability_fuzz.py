# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based fuzzing of every module's arguments against the simulator.

For each module, hypothesis draws argument sets from the module's own ``argument_spec()``: a few
options at a time, mostly plausible values (names of objects that exist or could, sizes, enum
values), mixed with wrong types, bad enum values, odd text and unknown options; check mode and
diff mode at random. The module's ``main()`` runs in this process against an in-process
simulator (profile 25.10) whose state is put back before every example. Every run must:

* end with a result (``exit_json``/``fail_json``), never a Python exception;
* when it failed, carry a non-empty message without a traceback;
* never show a secret it was given (passphrases, display passwords);
* leave the simulator's state exactly as it was unless it reported a change, and never change
  it in check mode;
* when it changed something and succeeded, have converged completely: the same arguments again
  change nothing;
* when any text it was given holds a NUL character, fail before reaching TrueNAS.

Besides the drawn examples, every text option of every module (connection options, suboptions and
list elements included) is given a boolean and a text with a NUL character, and every size option
a size above 2^64-1: each must fail before TrueNAS is reached, with a message naming the option.

The settings profile ``nasops-fuzz`` (200 examples per module, derandomized, no deadline, no
example database) keeps runs repeatable; ``NASOPS_FUZZ_EXAMPLES`` overrides the count.
"""

import collections
import copy
import glob
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bench import harness
from tests.simulator.pytest_plugin import SHARED_OPTIONS
from tests.simulator.server import SimServer

pytestmark = pytest.mark.timeout(900)

settings.register_profile(
    "nasops-fuzz",
    max_examples=int(os.environ.get("NASOPS_FUZZ_EXAMPLES", "200")),
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("nasops-fuzz")

MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(harness.ROOT, "plugins", "modules",
                                                                          "truenas_*.py")))
SECRETS = ("fuzz-Passphrase-0001", "fuzz-Display-pw-01", "fuzz-KeyMaterial-0000000000000000000000000000000000001")
# Actions that are a change every time they run: excluded from the convergence check.
ACTIONS = {"truenas_vm": lambda a: a.get("state") == "restarted",
           "truenas_snapshot": lambda a: bool(a.get("rollback")) or bool(a.get("clone_to")),
           "truenas_service": lambda a: a.get("state") in ("restarted", "reloaded"),
           # a scrub started again once the previous one finished is a new scrub
           "truenas_pool_scrub": lambda a: a.get("action") == "start",
           # a test run now (not a schedule) is an action: once it ended, the same task starts another
           "truenas_smart_test": lambda a: not a.get("schedule") and a.get("state", "present") == "present",
           "truenas_user": lambda a: a.get("update_password") == "always" and bool(a.get("user_password"))}

# ---- value pools -------------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(["", " ", "x" * 300, "../..", "a\nb", "{{ lookup('env', 'HOME') }}", "%s%d", "null",
                            "-1", "tank//x", "/", "\u00e4\u20ac\U0001f600", "a,b", "\x00", "None"])
TEXT = st.one_of(ODD_TEXT, st.text(max_size=12))
WORDS = st.sampled_from(["fz", "alpha", "web", "tank", "media", "x1", "fuzz-value"])
INTS = st.one_of(st.integers(-2, 70000), st.sampled_from([-1, 0, 2 ** 31, 2 ** 63, 10 ** 30]))
SIZES = st.sampled_from(["1G", "512M", "10GiB", "1.5T", "16K", "0", "-1", "1X", "abc", 1073741824, 0, -5, 1.5,
                         "1 GiB", True, "1e3", 2 ** 70])
GOOD_SIZES = st.sampled_from(["1G", "512M", "2GiB", "64M", 1073741824, "16K"])
BOOLS = st.one_of(st.booleans(), st.sampled_from(["yes", "no", "on", "maybe", 2, 0, None]))
ANY = st.one_of(TEXT, INTS, SIZES, BOOLS, st.lists(st.integers(0, 3), max_size=2), st.just({}))


def pool(*values):
    return st.sampled_from(values)


def device_strategy():
    """Device dicts of every dtype, with options that dtype takes (plausible values)."""
    from ansible_collections.nasops.truenas.plugins.module_utils._resources import vm_device

    values = {
        "path": pool("/mnt/tank/isos/talos-1.8.iso", "/mnt/tank/isos/ubuntu-24.04.iso", "/mnt/tank/nope.iso",
                     "/dev/zvol/tank/vms/web-disk", "/mnt/tank/media/raw.img"),
        "zvol": pool("tank/vms/web-disk", "tank/vms/fz-disk", "nopool/z", "tank/media"),
        "create_zvol": st.booleans(), "size": GOOD_SIZES, "exists": st.booleans(), "boot": st.booleans(),
        "bus": pool(*vm_device.DISK_BUSES), "iotype": pool(*vm_device.IOTYPES),
        "logical_sectorsize": pool(512, 4096), "physical_sectorsize": pool(512, 4096), "serial": pool("fz01", "x" * 40),
        "nic_attach": pool("br0", "br1", "br9", "enp1s0"),
        "mac": pool("00:a0:98:11:22:33", "00-A0-98-11-22-34", "bad", "ff:ff:ff:ff:ff:ff"),
        "trust_guest_rx_filters": st.booleans(),
        "display_port": pool(5900, 5910, 5999, 70000), "web_port": pool(5901, 5911, 70001),
        "bind": pool("0.0.0.0", "127.0.0.1", "10.9.9.9", "::"),
        "display_password": pool(SECRETS[1], "fuzz-Display-pw-01"), "update_password": pool("always", "on_create"),
        "web": st.booleans(), "resolution": pool(*vm_device.RESOLUTIONS), "wait": st.booleans(),
        "pptdev": pool("pci_0000_01_00_0", "pci_9999_99_99_9"),
        "usb": st.fixed_dictionaries({"vendor_id": pool("0x0781", "zz"), "product_id": pool("0x5581", "1")}),
        "device": pool("usb_1_1", "nope"), "controller_type": pool(*vm_device.USB_CONTROLLERS),
    }
    typed = {"NIC": pool(*vm_device.NIC_TYPES), "DISPLAY": pool(*vm_device.DISPLAY_TYPES)}
    choices = []
    for dtype, options in sorted(vm_device.DTYPE_OPTIONS.items()):
        optional = dict((o, typed.get(dtype) if o == "type" else values[o]) for o in options if o in values or o == "type")
        required = {"dtype": st.just(dtype)}
        if dtype == "DISPLAY":
            required["display_password"] = optional.pop("display_password")
        choices.append(st.fixed_dictionaries(required, optional=optional))
    return st.one_of(*choices)


DATASETS = pool("tank/fz", "tank/fz/child", "tank/media", "tank/fz", "tank/fz/child", "backup/fz", "tank/vms",
                "nopool/fz", "tank/fz@snap", "tank", "tank/fz/a/b/c", "tank/ Space")
POOL_DATA = st.lists(st.fixed_dictionaries({
    "type": pool("STRIPE", "MIRROR", "STRIPE", "MIRROR", "RAIDZ1", "DRAID1", "bogus"),
    "disks": st.lists(pool("sdg", "sdh", "sdg", "sdh", "sdi", "nvme0n1", "sda", "sdz"), min_size=1, max_size=3,
                      unique=True)}), min_size=1, max_size=1)
POOL_CACHE = st.lists(st.fixed_dictionaries({"disks": st.lists(pool("nvme0n1", "sdi"), min_size=1, max_size=1)}),
                      max_size=1)
POOL_SPARE = st.lists(pool("sdi", "sdh"), max_size=1)
HINTS = {
    "truenas_dataset": {
        "name": DATASETS,
        "type": pool("FILESYSTEM", "VOLUME"),
        "volsize": GOOD_SIZES, "volblocksize": pool("16K", "128K", "3K", 16384, "512"),
        "comments": pool("fuzz", "", "x" * 2000),
        "compression": pool("LZ4", "ZSTD", "OFF", "GZIP-9", "inherit", "lz4", "BOGUS"),
        "atime": pool("on", "off", True, False, "inherit"),
        "exec": pool("on", "off", True, "inherit"), "readonly": pool("on", "off", False, "inherit"),
        "recordsize": pool("128K", "1M", "4K", "3K", "inherit"),
        "sync": pool("STANDARD", "ALWAYS", "DISABLED"),
        "snapdir": pool("HIDDEN", "VISIBLE"),
        "quota": GOOD_SIZES, "refquota": GOOD_SIZES, "reservation": GOOD_SIZES, "refreservation": GOOD_SIZES,
        "copies": pool(1, 2, 3, 4, "inherit"),
        "deduplication": pool("ON", "OFF", "VERIFY", "inherit"), "checksum": pool("ON", "SHA256", "inherit"),
        "casesensitivity": pool("SENSITIVE", "INSENSITIVE"), "aclmode": pool("PASSTHROUGH", "RESTRICTED", "DISCARD"),
        "acltype": pool("POSIX", "NFSV4", "OFF", "inherit"),
        "share_type": pool("GENERIC", "SMB", "NFS", "APPS", "MULTIPROTOCOL"),
        "user_properties": st.dictionaries(pool("org.fz:a", "org.fz:b", "bad", "x:y"),
                                           st.one_of(pool("v", "", None), INTS), max_size=3),
        "encryption_options": st.fixed_dictionaries({}, optional={
            "passphrase": pool(SECRETS[0], "short", "fuzz-Passphrase-0001"),
            "key": pool(SECRETS[2], "00" * 32, "zz"),
            "generate_key": st.booleans(), "algorithm": pool("AES-256-GCM", "aes-128-ccm", "ROT13"),
            "pbkdf2iters": pool(100000, 350000, 5)}),
    },
    "truenas_snapshot": {
        "name": pool("tank/media@base", "tank/media@fz", "tank/fz@x", "tank/media@base", "tank/fz@base", "fz",
                     "tank/nope@x", "tank/media@bad name", "@", "tank/media@"),
        "dataset": pool("tank/media", "tank/nope", "tank/fz"),
        "clone_to": pool("tank/fzclone", "tank/media", "nopool/c", "tank/fzclone/deeper"),
    },
    "truenas_share_smb": {
        "name": pool("fz", "fzshare", "media", "fz", "fzshare", "fz3", "bad/name", "x" * 100, "homes"),
        "new_name": pool("fz2", "fzshare", "bad\\name"),
        "path": pool("/mnt/tank/media", "/mnt/tank/fz", "/mnt/tank/nope", "/tmp", "/mnt/tank/isos"),
        "comment": pool("fuzz", "", "x" * 2000),
        "hosts_allow": st.lists(pool("10.0.0.0/8", "host1", "bad ip", "::1", "10.0.0.300"), max_size=3),
        "hosts_deny": st.lists(pool("10.0.0.0/8", "ALL", "bad ip"), max_size=3),
        "timemachine_quota": GOOD_SIZES,
        "auxiliary_parameters": st.one_of(pool("", "fruit:time machine = yes", "bogus"),
                                          st.dictionaries(pool("a", "b"), pool("1", "x"), max_size=2)),
        "audit": st.fixed_dictionaries({}, optional={"enable": st.booleans(),
                                                     "watch_list": st.lists(pool("admins", "nope"), max_size=2),
                                                     "ignore_list": st.lists(pool("users"), max_size=1)}),
    },
    "truenas_share_nfs": {
        "path": pool("/mnt/tank/media", "/mnt/tank/isos", "/mnt/tank/nope", "/mnt/tank/fz", "/mnt/tank/media/sub"),
        "comment": pool("fuzz", ""),
        "networks": st.lists(pool("10.0.0.0/8", "192.168.1.5", "bad", "::1/128", "10.0.0.300", "0.0.0.0/0"),
                             max_size=3),
        "hosts": st.lists(pool("client1", "bad host", "*", "10.1.1.1", ""), max_size=3),
        "maproot_user": pool("root", "nosuchuser", "admin"), "mapall_user": pool("root", "nosuchuser"),
        "maproot_group": pool("wheel", "nogroup", "nosuchgroup"), "mapall_group": pool("wheel", "x"),
        "security": st.lists(pool("sys", "krb5", "KRB5P", "bogus"), max_size=3),
    },
    "truenas_vm": {
        "name": pool("fz", "web", "fz2", "fz", "web", "bad name", "x" * 200),
        "description": pool("fuzz", ""),
        "memory": pool(512, 1024, "1G", "2G", "2048", 0, "1T", "x"),
        "min_memory": pool(256, "512M", 4096),
        "vcpus": pool(1, 2, 0, 1000), "cores": pool(1, 2), "threads": pool(1, 2),
        "shutdown_timeout": pool(0, 10, 90),
        "wait_timeout": pool(1, 5, 30),
        "bootloader_ovmf": pool("OVMF_CODE.fd", "OVMF_CODE_4M.fd", "nope.fd"),
        "cpu_model": pool("EPYC", "nope"), "arch_type": pool("x86_64", "i686", "arm"),
        "machine_type": pool("pc-q35-8.2", "q35", "nope"), "command_line_args": pool("", "-x"),
    },
    "truenas_vm_device": {"vm": pool("web", "fz", "nope"), "delete_zvol": st.booleans()},
    "truenas_pool_info": {"name": st.lists(pool("tank", "backup", "nope"), max_size=3)},
    "truenas_disk_info": {"name": st.lists(pool("sda", "sde", "nvme9n1"), max_size=3)},
    "truenas_dataset_info": {"name": DATASETS},
    "truenas_vm_info": {"name": pool("web", "fz", "nope"), "name_prefix": pool("w", "zz")},
    "truenas_user": {
        "name": pool("fz", "fzuser", "admin", "root", "viewer", "bad name"),
        "user_password": pool(SECRETS[0]), "group": pool("fz", "wheel", "nosuchgroup", "fzuser"),
        "groups": st.lists(pool("wheel", "builtin_users", "builtin_administrators", "nosuch"), max_size=2),
        "home": pool("/var/empty", "/mnt/tank/media", "/mnt/tank/nope", "/home/x"),
        "home_mode": pool("700", "755", "600", "x"), "shell": pool("/usr/bin/bash", "/usr/sbin/nologin"),
        "uid": pool(3500, 950, 0), "email": pool("fz@example.com", ""),
        "sshpubkey": pool("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFz fz@host", ""),
        "sudo_commands": st.lists(pool("ALL", "/usr/bin/ls"), max_size=2),
    },
    "truenas_group": {
        "name": pool("fz", "fzgroup", "wheel", "builtin_users", "bad name"), "gid": pool(3600, 0, 545),
        "users": st.lists(pool("admin", "viewer", "nosuch"), max_size=2),
        "sudo_commands_nopasswd": st.lists(pool("ALL", "/usr/sbin/zfs"), max_size=2),
    },
    "truenas_user_info": {"name": st.lists(pool("admin", "root", "nope"), max_size=2)},
    "truenas_group_info": {"name": st.lists(pool("wheel", "admin", "nope"), max_size=2)},
    "truenas_service": {"name": pool("ssh", "smb", "nfs", "ftp", "cifs", "nosuch"), "wait_timeout": pool(5, 30)},
    "truenas_service_info": {"name": st.lists(pool("ssh", "smb", "nope"), max_size=2)},
    "truenas_service_ftp": {"ftp_port": pool(21, 2121, 0), "passiveportsmin": pool(0, 50000, 80),
                            "passiveportsmax": pool(0, 50100), "filemask": pool("077", "022", "9"),
                            "anonpath": pool("/mnt/tank/media", "/mnt/tank/nope", ""),
                            "banner": pool("fz", ""), "clients": pool(5, 20, 0)},
    "truenas_service_ssh": {"tcpport": pool(22, 2222, 0), "bindiface": st.lists(pool("enp1s0", "eth9"), max_size=2),
                            "password_login_groups": st.lists(pool("wheel", "nosuch"), max_size=2),
                            "weak_ciphers": st.lists(pool("AES128-CBC", "NONE", "bad"), max_size=2),
                            "sftp_log_level": pool("INFO", "verbose", "", "bad")},
    "truenas_service_smb": {"netbiosname": pool("nas01", "truenas", "WORKGROUP", "x" * 20),
                            "workgroup": pool("WORKGROUP", "HOME"), "guest": pool("nobody", "nosuch"),
                            "encryption": pool("DEFAULT", "desired", "bad"), "bindip": st.lists(
                                pool("127.0.0.1", "10.99.0.1", "bad"), max_size=2),
                            "filemask": pool("DEFAULT", "0775", "077")},
    "truenas_service_nfs": {"servers": pool(4, 16, 0, 300), "protocols": st.lists(pool("NFSV3", "nfs4", "bad"),
                                                                                  max_size=2),
                            "mountd_port": pool(618, 20049), "bindip": st.lists(pool("127.0.0.1", "bad"), max_size=1)},
    "truenas_network_config": {"hostname": pool("nas01", "truenas-sim", "bad_name"),
                               "domain": pool("example.com", "local", ""),
                               "nameservers": st.lists(pool("1.1.1.1", "8.8.8.8", "bad", "fd00::53"), max_size=3),
                               "ipv4gateway": pool("192.168.1.1", "", "fd00::1"),
                               "ipv6gateway": pool("fd00::1", "", "10.0.0.1"),
                               "hosts": st.lists(pool("10.0.0.2 db", "10.0.0.3  web www", "bad"), max_size=2),
                               "httpproxy": pool("http://proxy:3128", "", "proxy")},
    "truenas_interface": {"name": pool("enp1s0", "br1", "br0", "enp1s0", "br1", "br5", "vlan10", "eth9"),
                          "aliases": st.lists(pool("10.9.0.1/24", "192.168.1.10/24", "fd00::5/64", "bad"),
                                              max_size=2),
                          "bridge_members": st.lists(pool("enp1s0", "br1", "eth9"), max_size=2),
                          "lag_protocol": pool("LACP", "failover", "bad"), "lag_ports": st.lists(
                              pool("enp1s0", "eth9"), max_size=2),
                          "vlan_parent_interface": pool("enp1s0", "br0", "eth9"), "vlan_tag": pool(10, 20, 5000),
                          "mtu": pool(1500, 9000, 20), "checkin_host": pool("127.0.0.1"),
                          "checkin_timeout": pool(10, 20, 5)},
    "truenas_pool": {
        "name": pool("fz", "tank", "backup", "fz", "bad name"),
        "topology": st.fixed_dictionaries({"data": POOL_DATA}, optional={"cache": POOL_CACHE, "spare": POOL_SPARE}),
        "confirm_name": pool("fz", "tank", "nope"), "comments": pool("fuzz", ""),
    },
    "truenas_pool_scrub": {"pool": pool("tank", "backup", "nope"), "threshold": pool(35, 0, 7)},
    "truenas_snapshot_task": {
        "dataset": pool("tank/media", "tank/vms", "tank", "nopool/x", "tank/media"),
        "naming_schema": pool("auto-%Y-%m-%d_%H-%M", "fz-%Y%m%d-%H%M", "bad-schema"),
        "exclude": st.lists(pool("tank/media/sub", "tank/vms", "other/x"), max_size=2),
        "lifetime_value": pool(2, 14, 0), "schedule": st.fixed_dictionaries(
            {}, optional={"minute": pool("0", "*/15", "61"), "hour": pool("3", "*", "x")}),
    },
    "truenas_smart_test": {"disks": st.lists(pool("sda", "sdb", "all", "sdz"), min_size=1, max_size=2),
                           "wait_timeout": pool(10, 30), "description": pool("fuzz", "")},
    "truenas_interface_info": {"name": st.lists(pool("enp1s0", "br0", "nope"), max_size=2)},
}


def plausible(spec, hint=None):
    """Values a user could well write: the hint, or a valid value of the option's type."""
    if hint is not None:
        return hint
    kind = spec.get("type", "str")
    if spec.get("choices"):
        return st.sampled_from(list(spec["choices"]))
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return st.integers(0, 100)
    if kind == "raw":
        return st.one_of(WORDS, GOOD_SIZES)
    if kind == "list":
        if spec.get("options"):
            return st.lists(plausible({"type": "dict", "options": spec["options"]}), max_size=2)
        return st.lists(plausible({"type": spec.get("elements", "str")}), max_size=3)
    if kind == "dict":
        if spec.get("options"):
            subs = spec["options"]
            return st.fixed_dictionaries(dict((k, plausible(v)) for k, v in subs.items() if v.get("required")),
                                         optional=dict((k, plausible(v)) for k, v in subs.items()
                                                       if not v.get("required")))
        return st.dictionaries(WORDS, WORDS, max_size=2)
    return WORDS


def wrong(spec):
    """Anything at all for the option: wrong types, bad enum values, odd text."""
    kind = spec.get("type", "str")
    if spec.get("choices"):
        choices = list(spec["choices"])
        bad = [str(c).lower() for c in choices if isinstance(c, str) and str(c).lower() != c] + ["BOGUS", 1]
        return st.sampled_from(bad)
    if kind == "bool":
        return BOOLS
    if kind == "int":
        return st.one_of(INTS, pool("12", "x", 1.5))
    if kind == "raw":
        return ANY
    if kind == "list":
        return st.one_of(st.lists(ANY, max_size=3), TEXT, pool(5))
    if kind == "dict":
        if spec.get("options"):
            # Not ints, floats or booleans: ansible-core 2.19 itself raises TypeError in
            # set_fallbacks() for those on a dict option with suboptions, before any module code.
            return pool("x", "a=1", [], {"fuzz_unknown": 1})
        return st.one_of(st.dictionaries(TEXT, st.one_of(TEXT, INTS, st.none()), max_size=3), pool("x", 1))
    return st.one_of(TEXT, SIZES)


SHAPES = ("valid", "valid", "valid", "one wrong value", "one wrong value", "unknown option")
# Options added to most examples (when not drawn anyway): what creating the object needs.
USUAL = {"truenas_vm": ("memory",), "truenas_share_smb": ("path",), "truenas_user": ("user_password",),
         "truenas_pool": ("topology",)}


@st.composite
def module_args(draw, name, spec, hints):
    """Required options and up to four optional ones, all plausible; then, by ``shape``, one of
    them replaced by a wrong value, or an unknown option added."""
    args = {}
    for option, option_spec in sorted(spec.items()):
        if option_spec.get("required"):
            args[option] = draw(plausible(option_spec, hints.get(option)))
    optional = sorted(n for n, o in spec.items() if not o.get("required"))
    if name == "truenas_vm_device":
        args.update(draw(device_strategy()))
        optional = [o for o in optional if o not in args and o in ("state", "delete_zvol")]
    if name == "truenas_vm":
        optional = [o for o in optional if o != "devices"]
        if draw(st.booleans()):
            args["devices"] = draw(st.lists(device_strategy(), max_size=3))
    if optional:
        for option in draw(st.lists(st.sampled_from(optional), max_size=min(4, len(optional)), unique=True)):
            args[option] = draw(plausible(spec[option], hints.get(option)))
    for option in USUAL.get(name, ()):
        if option not in args and draw(st.sampled_from((True, True, True, False))):
            args[option] = draw(plausible(spec[option], hints.get(option)))
    shape = draw(st.sampled_from(SHAPES))
    if shape == "one wrong value" and args:
        option = draw(st.sampled_from(sorted(args)))
        if option in spec:
            args[option] = draw(wrong(spec[option]))
    elif shape == "unknown option":
        args["fuzz_unknown_option"] = draw(TEXT)
    return args


def argspec(name):
    module = harness.load_module(name)
    return module.argument_spec() if hasattr(module, "argument_spec") else {}


# ---- the simulator ------------------------------------------------------------------------------

SETUP = [
    ("truenas_dataset", {"name": "tank/fz", "comments": "fuzz base"}),
    ("truenas_snapshot", {"name": "tank/media@base"}),
    ("truenas_share_smb", {"name": "fzshare", "path": "/mnt/tank/media"}),
    ("truenas_share_nfs", {"path": "/mnt/tank/isos"}),
    ("truenas_vm", {"name": "web", "memory": 1024, "devices": [
        {"dtype": "NIC", "nic_attach": "br0"},
        {"dtype": "DISK", "zvol": "tank/vms/web-disk", "create_zvol": True, "size": "1G"},
        {"dtype": "DISPLAY", "type": "SPICE", "display_password": "fuzz-base-display"}]}),
]


class FuzzServer:
    """An in-process simulator with a baseline state that every example starts from."""

    def __init__(self, profile="25.10"):
        options = dict(SHARED_OPTIONS)
        options["job_duration"] = 0.01
        self.server = SimServer(profile, **options).start_background()
        self.connection = {"url": self.server.url, "ca_path": self.server.ca_file,
                           "username": self.server.credentials["username"],
                           "api_key": self.server.credentials["api_key"]}
        for name, args in SETUP:
            result = harness.run_module_inprocess(name, dict(self.connection, **args))
            assert not result["failed"] and result["changed"], (name, result)
        self.server.run(self._guests_fast)
        self.baseline = self.server.run(lambda: (copy.deepcopy(self.server.state.data), dict(self.server.state.ids)))
        self.clean = True

    def _guests_fast(self):
        for runtime in self.server.state.data.get("vm_runtime", {}).values():
            runtime["shutdown_seconds"] = 0.0

    def restore(self):
        if self.clean:
            return
        data, ids = self.baseline

        def put_back():
            self.server.state.data = copy.deepcopy(data)
            self.server.state.ids = dict(ids)
            self.server.jobs.cancel_all()

        self.server.run(put_back)
        self.clean = True

    def dump(self):
        return self.server.run(lambda: copy.deepcopy(self.server.state.data))

    def logged(self):
        """How many calls the server has logged so far."""
        return self.server.run(lambda: self.server.call_seq)

    def stop(self):
        self.server.stop_background()


# modules fuzzed on another release than 25.10, and why
FUZZ_PROFILE = {"truenas_smart_test": ("25.04", "TrueNAS removed SMART tests from its API in 25.10")}


@pytest.fixture(scope="module")
def fuzz_servers():
    servers = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def fuzz_server(fuzz_servers, request):
    name = request.node.callspec.params.get("name") if hasattr(request.node, "callspec") else None
    profile = FUZZ_PROFILE.get(name, ("25.10",))[0]
    if profile not in fuzz_servers:
        fuzz_servers[profile] = FuzzServer(profile)
    return fuzz_servers[profile]


# ---- the property -------------------------------------------------------------------------------

def check_run(server, name, args, check_mode, diff, stats):
    server.restore()
    before = server.dump()
    logged = server.logged()
    result = harness.run_module_inprocess(name, dict(server.connection, **args), check=check_mode, diff=diff)
    after = server.dump()
    if after != before:
        server.clean = False
    stats["runs"] += 1
    stats["reached the server"] += server.logged() > logged
    stats["failed"] += bool(result.get("failed"))

    assert isinstance(result.get("failed"), bool), result
    assert isinstance(result.get("changed", False), bool), result
    if "\\u0000" in json.dumps(args):
        assert result["failed"], "a NUL character was accepted: %r" % (args,)
        assert server.logged() == logged, "a NUL character reached the server: %r" % (args,)
    if result["failed"]:
        assert isinstance(result.get("msg"), str) and result["msg"].strip(), result
        assert harness.TRACEBACK not in result["msg"], result["msg"]
    shown = json.dumps(result)
    leaked = [s for s in SECRETS if s in shown]
    assert leaked == [], (leaked, result)
    if check_mode or not result.get("changed"):
        assert after == before, "state changed although the run reported %s" % (
            "check mode" if check_mode else "no change")
        return
    assert after != before, "the run reported a change, but the state is the same"
    stats["changed"] += 1
    if result["failed"] or ACTIONS.get(name, lambda a: False)(args):
        return
    stats["rerun to check convergence"] += 1
    again = harness.run_module_inprocess(name, dict(server.connection, **args))
    assert not again["failed"], again.get("msg")
    assert again["changed"] is False, "not converged: the same arguments changed %s again" % name
    assert server.dump() == after


@pytest.mark.parametrize("name", MODULES)
def test_fuzz_module_arguments(fuzz_server, name):
    spec = argspec(name)
    hints = HINTS.get(name, {})
    stats = collections.Counter()

    @FUZZ
    @given(args=module_args(name, spec, hints), check_mode=st.booleans(), diff=st.booleans())
    def fuzz(args, check_mode, diff):
        check_run(fuzz_server, name, args, check_mode, diff, stats)

    fuzz()
    # The examples did go deep: a fair share reached TrueNAS, and resource modules changed it.
    assert stats["runs"] >= min(FUZZ.max_examples, 100), stats
    assert stats["reached the server"] >= stats["runs"] // 10, stats
    if not name.endswith("_info"):
        assert stats["changed"] >= 3, stats


# ---- input refused before the server ------------------------------------------------------------

TEXT_TYPES = ("str", "path")
# Options holding sizes, per module (as paths; [0] is the first list element).
SIZE_OPTIONS = {
    "truenas_dataset": [["quota"], ["refquota"], ["reservation"], ["refreservation"], ["volsize"]],
    "truenas_share_smb": [["timemachine_quota"]],
    "truenas_vm": [["memory"], ["devices", 0, "size"]],
    "truenas_vm_device": [["size"]],
}
# What each module needs besides the option under test to get as far as parsing it.
SIZE_BASE = {
    "truenas_dataset": {"name": "tank/fzsize", "type": "VOLUME", "volsize": "1G"},
    "truenas_share_smb": {"name": "fzsize", "path": "/mnt/tank/media", "purpose": "timemachine"},
    "truenas_vm": {"name": "fzsize", "memory": 512, "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/fzsize", "create_zvol": True, "size": "1G"}]},
    "truenas_vm_device": {"vm": "web", "dtype": "DISK", "zvol": "tank/vms/fzsize", "create_zvol": True},
}
TOO_BIG = ["99999P", 2 ** 64]


def text_paths(spec):
    """Paths (lists of keys and list indexes) of every text option of ``spec``, suboptions and list
    elements included."""
    for name, option in sorted(spec.items()):
        kind = option.get("type", "str")
        if kind in TEXT_TYPES:
            yield [name]
        elif kind == "list" and option.get("elements") in TEXT_TYPES:
            yield [name, 0]
        elif kind == "list" and option.get("elements") == "dict" and option.get("options"):
            for sub in text_paths(option["options"]):
                yield [name, 0] + sub
        elif kind == "dict" and option.get("options"):
            for sub in text_paths(option["options"]):
                yield [name] + sub


def with_value(args, path, value):
    """A copy of ``args`` with ``value`` at ``path`` (dicts and one-element lists made on the way)."""
    args = copy.deepcopy(args)
    target = args
    for step, following in zip(path, path[1:]):
        empty = [{}] if isinstance(following, int) else {}
        if isinstance(step, int):
            target = target[step]
        else:
            if not isinstance(target.get(step), type(empty)):
                target[step] = empty
            target = target[step]
    if isinstance(path[-1], int):
        target[:] = [value]
    else:
        target[path[-1]] = value
    return args


def label_of(path):
    text = ""
    for step in path:
        text += "[%d]" % step if isinstance(step, int) else ("." if text else "") + step
    return text


def refused_before_server(server, name, args, expected):
    server.restore()
    before = server.dump()
    logged = server.logged()
    result = harness.run_module_inprocess(name, dict(server.connection, **args))
    assert result["failed"], (args, result)
    assert expected(result["msg"]), (args, result["msg"])
    assert harness.TRACEBACK not in result["msg"]
    assert server.logged() == logged, "reached the server: %r" % (args,)
    assert server.dump() == before
    return result


@pytest.mark.parametrize("name", MODULES)
def test_bad_input_is_refused_before_the_server(fuzz_server, name):
    """Booleans for text options, NUL characters in texts, sizes above 2^64-1: refused before any
    call, with a message naming the option (its path for suboptions and list elements)."""
    from ansible_collections.nasops.truenas.plugins.module_utils._module import CONNECTION_SPEC

    spec = argspec(name)
    checked = 0
    for path in list(text_paths(spec)) + list(text_paths(CONNECTION_SPEC)):
        label = label_of(path)
        for value, words in ((True, "is of type bool and must be a string"), (False, "is of type bool"),
                             ("fz\x00x", "contains a NUL character")):
            refused_before_server(fuzz_server, name, with_value({}, path, value),
                                  lambda msg, label=label, words=words: msg.startswith("argument '%s' %s" % (label, words)))
            checked += 1
    for path in SIZE_OPTIONS.get(name, []):
        label = label_of(path)
        for value in TOO_BIG:
            refused_before_server(fuzz_server, name, with_value(SIZE_BASE[name], path, value),
                                  lambda msg, label=label: label in msg and "2^64-1" in msg)
            checked += 1
    assert checked >= 3 * len(CONNECTION_SPEC) // 2


@pytest.mark.parametrize("name, args, option", [
    ("truenas_vm_device", {"vm": "web", "dtype": "DISK", "zvol": "tank/../x", "create_zvol": True, "size": "1G"},
     "zvol"),
    ("truenas_vm", {"name": "fzzvol", "memory": 512, "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/../x", "create_zvol": True, "size": "1G"}]},
     "devices[0].zvol"),
    ("truenas_dataset", {"name": "tank/../x"}, "name"),
    ("truenas_share_nfs", {"path": "/mnt/tank/../media"}, "path"),
    ("truenas_share_smb", {"name": "fzdots", "path": "/mnt/tank/media/.."}, "path"),
])
def test_names_going_up_are_invalid_names(fuzz_server, name, args, option):
    """``..`` in a name or path is an invalid name, not a missing parent."""
    result = refused_before_server(fuzz_server, name, args, lambda msg: msg.startswith(option))
    assert "does not exist" not in result["msg"]


def test_every_module_is_fuzzed():
    assert len(MODULES) >= 11
    assert set(HINTS) <= set(MODULES)
