"""Datasets and zvols (``pool.dataset.*``) and the storage helpers other services use.

Stored state (plain JSON-able dicts):

``state.data["datasets"][<full name>]``::

    {"name": "tank/vms", "pool": "tank", "type": "FILESYSTEM" | "VOLUME",
     "props": {<zfs property>: <raw zfs string>},      # locally set ZFS properties only
     "user_props": {"<ns>:<prop>": "<value>"},         # locally set user properties only
     "written": <bytes written to the dataset itself>,
     "creation": <epoch seconds>, "createtxg": <int>, "origin": "" | "<snapshot id>",
     "encryption": null | {"root": "<encryption root>", "key_format": "passphrase"|"hex",
                           "algorithm": "aes-256-gcm", "pbkdf2iters": <int>, "key_loaded": <bool>,
                           "secret_sha256": "<hash of the passphrase or key>"},
     "sparse": <bool>, "busy": <bool>}

``state.data["files"][<path>]``: ``{"path": "/mnt/tank/isos/x.iso", "type": "FILE"|"DIRECTORY", "size": <bytes>}``.

Seed sections read here (see also ``pool.py`` for ``disks`` and ``pools``)::

    datasets:                       # list; parents first is not required
      - name: tank/vms              # required; the pool must be listed under ``pools``
        type: FILESYSTEM            # or VOLUME (``volsize`` alone also makes a VOLUME)
        volsize: 10G                # VOLUME: bytes or a size string (K/M/G/T, KiB/MiB/...)
        volblocksize: 16K           # VOLUME, default 16K
        sparse: false               # VOLUME: false reserves space (refreservation)
        used: 5G                    # bytes written to the dataset itself (default 96K, 56K for zvols)
        creation: 1735689600        # epoch seconds or ISO-8601; default: load time
        comments: "VM disks"        # TrueNAS user property org.freenas:description
        managedby: "..."            # org.truenas:managedby
        properties:                 # API or ZFS names, API (uppercase) or ZFS values; set LOCAL
          compression: LZ4
          quota: 100G
        user_properties: {"org.example:owner": "ops"}
        encryption: {passphrase: "...", algorithm: AES-256-GCM, locked: false}   # or {key: <64 hex>}
        snapshots:                  # names, or {name, used, creation, holds: [truenas], properties}
          - manual-2025-01-01
    files:                          # list of paths or {path, size, type: FILE|DIRECTORY}
      - /mnt/tank/isos/debian-12.iso
      - {path: /mnt/tank/isos/alpine.iso, size: 62914560}

Helpers for other services: :func:`dataset_exists`, :func:`is_volume`, :func:`get_dataset`,
:func:`is_locked`, :func:`effective_property`, :func:`dataset_for_path`, :func:`path_exists`,
:func:`path_type`, :func:`add_file`, :func:`remove_file`, :func:`list_files`, :func:`zvol_path`.
Zvols are created with ``ctx.call("pool.dataset.create", {"name": ..., "type": "VOLUME", "volsize": ...})``.
"""
import bisect
import copy
import datetime
import errno
import hashlib
import os
import re
import time

from ..errors import CallError, InstanceNotFound, ValidationErrors
from ..registry import method, seed_loader
from . import pool as _pool  # noqa: F401  (registers the disk and pool seed loaders first)

KiB = 1024
MiB = 1024 ** 2
GiB = 1024 ** 3
TiB = 1024 ** 4

INTERNAL_PREFIXES = (".system", "ix-applications", "ix-apps", ".ix-virt")
BOOT_POOLS = ("boot-pool", "freenas-boot")

FS_WRITTEN = 98304
VOL_WRITTEN = 57344

# TrueNAS user properties: API name -> ZFS user property.
TN_USER_PROPS = {
    "comments": "org.freenas:description",
    "quota_warning": "org.freenas:quota_warning",
    "quota_critical": "org.freenas:quota_critical",
    "refquota_warning": "org.freenas:refquota_warning",
    "refquota_critical": "org.freenas:refquota_critical",
    "managedby": "org.truenas:managedby",
}
TN_ZFS_TO_API = {v: k for k, v in TN_USER_PROPS.items()}

FS, VOL, BOTH = "FILESYSTEM", "VOLUME", None

# api key, zfs name, kind, inheritance ("inherit" | "local" | "create" | "ro"), default raw, applies to
PROPERTIES = [
    ("deduplication", "dedup", "enum", "inherit", "off", BOTH),
    ("aclmode", "aclmode", "enum", "inherit", "discard", FS),
    ("acltype", "acltype", "enum", "inherit", "off", FS),
    ("xattr", "xattr", "bool", "inherit", "sa", FS),
    ("atime", "atime", "bool", "inherit", "on", FS),
    ("casesensitivity", "casesensitivity", "enum", "create", "sensitive", FS),
    ("checksum", "checksum", "bool", "inherit", "on", BOTH),
    ("exec", "exec", "bool", "inherit", "on", FS),
    ("sync", "sync", "enum", "inherit", "standard", BOTH),
    ("compression", "compression", "enum", "inherit", "on", BOTH),
    ("compressratio", "compressratio", "ratio", "ro", "1.00", BOTH),
    ("origin", "origin", "origin", "ro", "", BOTH),
    ("quota", "quota", "size0", "local", "0", FS),
    ("refquota", "refquota", "size0", "local", "0", FS),
    ("reservation", "reservation", "size0", "local", "0", BOTH),
    ("refreservation", "refreservation", "size0", "local", "0", BOTH),
    ("copies", "copies", "int", "inherit", "1", BOTH),
    ("snapdir", "snapdir", "enum", "inherit", "hidden", FS),
    ("readonly", "readonly", "bool", "inherit", "off", BOTH),
    ("recordsize", "recordsize", "blocksize", "inherit", "131072", FS),
    ("special_small_block_size", "special_small_blocks", "nicenum", "inherit", "0", FS),
    ("snapdev", "snapdev", "enum", "inherit", "hidden", BOTH),
    ("key_format", "keyformat", "keyformat", "ro", "none", BOTH),
    ("encryption_algorithm", "encryption", "encalg", "ro", "off", BOTH),
    ("pbkdf2iters", "pbkdf2iters", "int", "ro", "0", BOTH),
    ("creation", "creation", "date", "ro", None, BOTH),
    ("used", "used", "size", "ro", None, BOTH),
    ("usedbychildren", "usedbychildren", "size", "ro", None, BOTH),
    ("usedbydataset", "usedbydataset", "size", "ro", None, BOTH),
    ("usedbyrefreservation", "usedbyrefreservation", "size", "ro", None, BOTH),
    ("usedbysnapshots", "usedbysnapshots", "size", "ro", None, BOTH),
    ("available", "available", "size", "ro", None, BOTH),
    ("volsize", "volsize", "size", "local", None, VOL),
    ("volblocksize", "volblocksize", "blocksize", "create", "16384", VOL),
]
PROP_BY_API = {p[0]: p for p in PROPERTIES}
PROP_BY_ZFS = {p[1]: p for p in PROPERTIES}
INHERITABLE_ZFS = {p[1] for p in PROPERTIES if p[3] == "inherit"} | {"aclinherit"}
DEFAULT_RAW = {p[1]: p[4] for p in PROPERTIES if p[4] is not None}
DEFAULT_RAW["aclinherit"] = "restricted"

# create/update keys that map onto ZFS properties (API key -> zfs name)
SETTABLE = {
    "sync": "sync", "snapdev": "snapdev", "compression": "compression", "exec": "exec",
    "copies": "copies", "snapdir": "snapdir", "deduplication": "dedup", "checksum": "checksum",
    "readonly": "readonly", "aclmode": "aclmode", "acltype": "acltype", "atime": "atime",
    "casesensitivity": "casesensitivity", "quota": "quota", "refquota": "refquota",
    "reservation": "reservation", "refreservation": "refreservation", "recordsize": "recordsize",
    "special_small_block_size": "special_small_blocks",
}
SIZE_KEYS = ("quota", "refquota", "reservation", "refreservation")

COMPRESSION = (
    ["ON", "OFF", "LZ4", "GZIP", "GZIP-1", "GZIP-9", "ZSTD", "ZSTD-FAST", "ZLE", "LZJB"]
    + ["ZSTD-%d" % i for i in range(1, 20)]
    + ["ZSTD-FAST-%d" % i for i in range(1, 11)]
    + ["ZSTD-FAST-%d" % i for i in (20, 30, 40, 50, 60, 70, 80, 90, 100, 500, 1000)]
)
CHECKSUMS = ["ON", "OFF", "FLETCHER2", "FLETCHER4", "SHA256", "SHA512", "SKEIN", "EDONR", "BLAKE3"]
RECORDSIZES = ["512", "512B", "1K", "2K", "4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K",
               "1M", "2M", "4M", "8M", "16M"]
VOLBLOCKSIZES = ["512", "512B", "1K", "2K", "4K", "8K", "16K", "32K", "64K", "128K"]
ENC_ALGORITHMS = ["AES-128-CCM", "AES-192-CCM", "AES-256-CCM", "AES-128-GCM", "AES-192-GCM", "AES-256-GCM"]

ENUMS = {
    "sync": ["STANDARD", "ALWAYS", "DISABLED", "INHERIT"],
    "snapdev": ["HIDDEN", "VISIBLE", "INHERIT"],
    "compression": COMPRESSION + ["INHERIT"],
    "exec": ["ON", "OFF", "INHERIT"],
    "snapdir": ["DISABLED", "VISIBLE", "HIDDEN", "INHERIT"],
    "deduplication": ["ON", "VERIFY", "OFF", "INHERIT"],
    "checksum": CHECKSUMS + ["INHERIT"],
    "readonly": ["ON", "OFF", "INHERIT"],
    "share_type": ["GENERIC", "MULTIPROTOCOL", "NFS", "SMB", "APPS"],
    "aclmode": ["PASSTHROUGH", "RESTRICTED", "DISCARD", "INHERIT"],
    "acltype": ["OFF", "NFSV4", "POSIX", "INHERIT"],
    "atime": ["ON", "OFF", "INHERIT"],
    "casesensitivity": ["SENSITIVE", "INSENSITIVE", "INHERIT"],
    "volblocksize": VOLBLOCKSIZES,
    "type": ["FILESYSTEM", "VOLUME"],
}

COMMON_FIELDS = {
    "name": "str", "comments": "str", "sync": "enum", "snapdev": "enum", "compression": "enum",
    "exec": "enum", "managedby": "str", "quota_warning": "pct", "quota_critical": "pct",
    "refquota_warning": "pct", "refquota_critical": "pct", "reservation": "int", "refreservation": "int",
    "special_small_block_size": "int_or_inherit", "copies": "int_or_inherit", "snapdir": "enum",
    "deduplication": "enum", "checksum": "enum", "readonly": "enum", "share_type": "enum",
    "encryption_options": "dict", "encryption": "bool", "inherit_encryption": "bool",
    "user_properties": "list", "create_ancestors": "bool", "type": "enum",
}
FS_ONLY_FIELDS = {"aclmode": "enum", "acltype": "enum", "atime": "enum", "casesensitivity": "enum",
                  "quota": "quota", "refquota": "quota", "recordsize": "str"}
VOL_ONLY_FIELDS = {"force_size": "bool", "sparse": "bool", "volsize": "int", "volblocksize": "enum"}
CREATE_FIELDS = dict(COMMON_FIELDS, **FS_ONLY_FIELDS, **VOL_ONLY_FIELDS)
CREATE_ONLY = ("name", "type", "casesensitivity", "share_type", "sparse", "volblocksize", "encryption",
               "encryption_options", "inherit_encryption")
UPDATE_FIELDS = {k: v for k, v in CREATE_FIELDS.items() if k not in CREATE_ONLY}
UPDATE_FIELDS["user_properties_update"] = "list"

ENCRYPTION_DEFAULTS = {"generate_key": False, "pbkdf2iters": 350000, "algorithm": "AES-256-GCM",
                       "passphrase": None, "key": None}
# 26: the default (and floor) of pbkdf2iters is 1300000.
PBKDF2ITERS_DEFAULT_26 = 1300000

_COMPONENT_RE = re.compile(r"^[A-Za-z0-9_\-.: ]+$")
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(I?B?)\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# small value helpers


def parse_size(value, what="size"):
    """Bytes from an int or a size string ("10G", "512MiB", "1.5 TB" are binary); ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("%s: %r is not a size" % (what, value))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if m:
            power = "BKMGTPE".index(m.group(2).upper() or "B")
            return int(float(m.group(1)) * (1024 ** power))
    raise ValueError("%s: %r is not a size" % (what, value))


def nicenum(n, suffix_bytes=False):
    """ZFS short form of a number of bytes ("96K", "1.50G", "0B" with ``suffix_bytes``)."""
    n = int(n)
    if n < 1024:
        return "%dB" % n if suffix_bytes else "%d" % n
    power = 0
    while power < 6 and n >= 1024 ** (power + 1):
        power += 1
    unit = "BKMGTPE"[power]
    divider = 1024 ** power
    if n % divider == 0:
        return "%d%s" % (n // divider, unit)
    for precision in (2, 1, 0):
        text = "%.*f%s" % (precision, n / divider, unit)
        if len(text) <= 5:
            return text
    return text


def human_binary(n):
    """humanfriendly's binary format_size: "10 GiB", "1.5 KiB", "512 bytes", "1 byte"."""
    n = int(n)
    units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    for power in range(len(units), 0, -1):
        divider = 1024 ** power
        if n >= divider:
            text = "%.2f" % (n / divider)
            text = text.rstrip("0").rstrip(".")
            whole, _dot, frac = text.partition(".")
            whole = "{:,}".format(int(whole))
            return "%s%s %s" % (whole, "." + frac if frac else "", units[power - 1])
    return "%d %s" % (n, "byte" if n == 1 else "bytes")


def blocksize_bytes(text):
    """"16K" -> 16384, "512B"/"512" -> 512; None when not a block size."""
    if not isinstance(text, str):
        return None
    m = re.match(r"^(\d+)([KM]?)B?$", text.upper())
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "K": KiB, "M": MiB}[m.group(2)]


def ctime_text(epoch):
    """ZFS's creation text, e.g. "Mon Aug 18  9:05 2025" (UTC)."""
    dt = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    return "%s %2d %2d:%02d %d" % (dt.strftime("%a %b"), dt.day, dt.hour, dt.minute, dt.year)


def date_obj(epoch):
    """The ejson form of a UTC timestamp (whole seconds)."""
    return {"$date": int(epoch) * 1000}


def parse_time(value, default=None):
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, datetime.date):
        return int(datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc).timestamp())
    if isinstance(value, str):
        dt = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.timezone.utc)
        return int(dt.timestamp())
    raise ValueError("not a time: %r" % (value,))


def valid_dataset_name(name):
    """libzfs-style validity of a dataset name (components of [A-Za-z0-9_-.: ], < 256 characters)."""
    if not isinstance(name, str) or not name or len(name) >= 256:
        return False
    parts = name.split("/")
    for part in parts:
        if not part or part in (".", "..") or not _COMPONENT_RE.match(part):
            return False
    first = parts[0]
    if not first[0].isalpha():
        return False
    if first in ("mirror", "raidz", "draid", "spare", "log") or re.match(r"^(raidz|draid|mirror)\d", first):
        return False
    return True


def valid_snapshot_name(name):
    return (isinstance(name, str) and 0 < len(name) < 256 and bool(_COMPONENT_RE.match(name))
            and name not in (".", ".."))


def is_internal(name):
    parts = name.split("/")
    if parts[0] in BOOT_POOLS:
        return True
    return any(part.startswith(INTERNAL_PREFIXES) for part in parts[1:])


def parent_of(name):
    return name.rsplit("/", 1)[0] if "/" in name else None


def _sort_key(name):
    return name.split("/")


def guid_of(*parts):
    """A stable 64-bit ZFS-style guid (decimal string) for simulated objects."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return str(int.from_bytes(digest[:8], "big") | (1 << 60))


def zvol_path(name):
    """/dev/zvol path of a zvol (spaces encoded as "+", as the VM plugin does)."""
    return "/dev/zvol/" + name.replace(" ", "+")


# ---------------------------------------------------------------------------------------------
# state access and the index


def datasets(state):
    return state.data.setdefault("datasets", {})


def snapshots(state):
    return state.data.setdefault("snapshots", {})


def files(state):
    return state.data.setdefault("files", {})


def pools(state):
    return state.data.setdefault("pools", {})


def pool_record(state, name):
    for rec in pools(state).values():
        if rec.get("name") == name:
            return rec
    return None


class StorageIndex:
    """Derived lookups over ``state.data``: children, snapshots per dataset, clones, usage sums.

    Rebuilt when the stored dicts change size or identity; mutations through this module keep it
    current incrementally (usage deltas travel up the ancestors only).
    """

    def __init__(self, state):
        self.ds = datasets(state)
        self.snaps = snapshots(state)
        self.children = {}
        self.snaps_of = {}
        self.clones = {}
        self.own = {}
        self.phys = {}
        self.total = {}
        self.total_phys = {}
        for name in self.ds:
            self.children.setdefault(name, [])
            parent = parent_of(name)
            if parent is not None:
                self.children.setdefault(parent, []).append(name)
        for kids in self.children.values():
            kids.sort(key=_sort_key)
        for sid, snap in self.snaps.items():
            self.snaps_of.setdefault(snap["dataset"], []).append(sid)
        for sids in self.snaps_of.values():
            sids.sort(key=lambda s: self.snaps[s]["createtxg"])
        for name, rec in self.ds.items():
            if rec.get("origin"):
                self.clones.setdefault(rec["origin"], set()).add(name)
        for name in sorted(self.ds, key=lambda n: -n.count("/")):
            own, phys = self._own(name)
            self.own[name] = own
            self.phys[name] = phys
            self.total[name] = own + sum(self.total[c] for c in self.children[name])
            self.total_phys[name] = phys + sum(self.total_phys[c] for c in self.children[name])
        self.counts = (len(self.ds), len(self.snaps))

    def valid_for(self, state):
        return (self.ds is state.data.get("datasets") and self.snaps is state.data.get("snapshots")
                and self.counts == (len(self.ds), len(self.snaps)))

    def _own(self, name):
        rec = self.ds[name]
        written = int(rec.get("written", 0))
        snap_used = sum(int(self.snaps[s].get("used", 0)) for s in self.snaps_of.get(name, ()))
        refres = int(rec.get("props", {}).get("refreservation", 0) or 0)
        return written + max(0, refres - written) + snap_used, written + snap_used

    def refresh(self, name):
        """Recompute the usage of ``name`` and carry the difference up to the pool root."""
        own, phys = self._own(name)
        d_own, d_phys = own - self.own.get(name, 0), phys - self.phys.get(name, 0)
        self.own[name], self.phys[name] = own, phys
        node = name
        while node is not None:
            self.total[node] = self.total.get(node, 0) + d_own
            self.total_phys[node] = self.total_phys.get(node, 0) + d_phys
            node = parent_of(node)

    def add_dataset(self, name):
        if name in self.own:
            self.refresh(name)
            self.counts = (len(self.ds), len(self.snaps))
            return
        self.children.setdefault(name, [])
        parent = parent_of(name)
        if parent is not None:
            bisect.insort(self.children.setdefault(parent, []), name, key=_sort_key)
        origin = self.ds[name].get("origin")
        if origin:
            self.clones.setdefault(origin, set()).add(name)
        self.own[name] = self.phys[name] = self.total[name] = self.total_phys[name] = 0
        self.refresh(name)
        self.counts = (len(self.ds), len(self.snaps))

    def remove_dataset(self, name, rec):
        own, phys = self.total.get(name, 0), self.total_phys.get(name, 0)
        node = parent_of(name)
        while node is not None:
            self.total[node] -= own
            self.total_phys[node] -= phys
            node = parent_of(node)
        for table in (self.own, self.phys, self.total, self.total_phys, self.children):
            table.pop(name, None)
        parent = parent_of(name)
        if parent is not None and name in self.children.get(parent, ()):
            self.children[parent].remove(name)
        if rec.get("origin") and rec["origin"] in self.clones:
            self.clones[rec["origin"]].discard(name)
            if not self.clones[rec["origin"]]:
                del self.clones[rec["origin"]]
        self.counts = (len(self.ds), len(self.snaps))

    def add_snapshot(self, sid):
        snap = self.snaps[sid]
        sids = self.snaps_of.setdefault(snap["dataset"], [])
        if sid not in sids:
            sids.append(sid)
            sids.sort(key=lambda s: self.snaps[s]["createtxg"])
        self.counts = (len(self.ds), len(self.snaps))
        self.refresh(snap["dataset"])

    def remove_snapshot(self, sid, dataset):
        if sid in self.snaps_of.get(dataset, ()):
            self.snaps_of[dataset].remove(sid)
        self.counts = (len(self.ds), len(self.snaps))
        if dataset in self.ds:
            self.refresh(dataset)

    def descendants(self, name):
        out = []
        stack = list(reversed(self.children.get(name, ())))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(self.children.get(node, ())))
        return out


_FALLBACK_INDEXES = {}


def index(state):
    idx = getattr(state, "_storage_index", None)
    if idx is None:
        idx = _FALLBACK_INDEXES.get(id(state))
    if idx is None or not idx.valid_for(state):
        idx = StorageIndex(state)
        try:
            state._storage_index = idx
        except AttributeError:
            _FALLBACK_INDEXES[id(state)] = idx
    return idx


# ---------------------------------------------------------------------------------------------
# public helpers for other services


def get_dataset(state, name):
    """The stored record of dataset ``name`` (internal datasets included) or None."""
    return datasets(state).get(name)


def dataset_exists(state, name):
    return name in datasets(state)


def is_volume(state, name):
    rec = datasets(state).get(name)
    return bool(rec) and rec["type"] == VOL


def is_locked(state, name):
    rec = datasets(state).get(name)
    enc = rec and rec.get("encryption")
    return bool(enc) and not _root_key_loaded(state, rec)


def _root_key_loaded(state, rec):
    enc = rec.get("encryption")
    if not enc:
        return True
    root = datasets(state).get(enc.get("root")) or rec
    return bool((root.get("encryption") or {}).get("key_loaded", True))


def effective_property(state, name, prop):
    """(raw value, source, inherited-from) of an API or ZFS property name of a dataset."""
    spec = PROP_BY_API.get(prop) or PROP_BY_ZFS.get(prop)
    zfs = spec[1] if spec else prop
    return _effective(state, datasets(state)[name], zfs)


def _effective(state, rec, zfs):
    props = rec.get("props", {})
    if zfs in props:
        return props[zfs], "LOCAL", None
    if zfs in INHERITABLE_ZFS:
        ds = datasets(state)
        node = parent_of(rec["name"])
        while node is not None:
            parent = ds.get(node)
            if parent is not None and zfs in parent.get("props", {}):
                return parent["props"][zfs], "INHERITED", node
            node = parent_of(node)
    return DEFAULT_RAW.get(zfs, ""), "DEFAULT", None


def _effective_user(state, rec):
    """{key: (value, source, inherited-from)} of every user property, inherited ones included."""
    out = {}
    ds = datasets(state)
    chain = []
    node = rec["name"]
    while node is not None:
        if node in ds:
            chain.append(ds[node])
        node = parent_of(node)
    for r in reversed(chain):
        own = r is rec
        for key, value in r.get("user_props", {}).items():
            out[key] = (value, "LOCAL" if own else "INHERITED", None if own else r["name"])
    return out


def dataset_for_path(state, path):
    """The name of the filesystem dataset whose mountpoint holds ``path`` (longest match) or None."""
    path = os.path.normpath(path)
    if not path.startswith("/mnt/"):
        return None
    ds = datasets(state)
    candidate = path[len("/mnt/"):]
    while candidate:
        rec = ds.get(candidate)
        if rec is not None and rec["type"] == FS:
            return candidate
        if "/" not in candidate:
            return None
        candidate = candidate.rsplit("/", 1)[0]
    return None


def path_type(state, path):
    """"DIRECTORY", "FILE" or None for a path under /mnt, as the simulated filesystem sees it."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    path = os.path.normpath(path)
    if path in ("/", "/mnt"):
        return "DIRECTORY"
    if not path.startswith("/mnt/"):
        return None
    owner = dataset_for_path(state, path)
    if owner is None:
        return None
    if path == "/mnt/" + owner:
        return "DIRECTORY"
    if is_locked(state, owner):
        return None
    entry = files(state).get(path)
    if entry is not None:
        return entry.get("type", "FILE")
    prefix = path + "/"
    for other in files(state):
        if other.startswith(prefix):
            return "DIRECTORY"
    return None


def path_exists(state, path):
    return path_type(state, path) is not None


def add_file(state, path, size=0, kind="FILE"):
    """Register a file (``kind`` FILE, DIRECTORY, ...) under a mounted dataset; returns the stored entry."""
    path = os.path.normpath(path)
    if dataset_for_path(state, path) is None:
        raise ValueError("%s is not inside a dataset" % path)
    entry = {"path": path, "type": kind, "size": int(size)}
    files(state)[path] = entry
    return entry


def remove_file(state, path):
    """Forget a file and everything below it; returns the number of entries removed."""
    path = os.path.normpath(path)
    table = files(state)
    doomed = [p for p in table if p == path or p.startswith(path + "/")]
    for p in doomed:
        del table[p]
    return len(doomed)


def list_files(state, prefix="/mnt/"):
    return sorted(p for p in files(state) if p.startswith(prefix))


# ---------------------------------------------------------------------------------------------
# space accounting


def available(state, name, idx=None):
    """Bytes the dataset can still use: pool space, its ancestors' limits and its own quotas."""
    idx = idx or index(state)
    ds = datasets(state)
    rec = ds[name]
    parent = parent_of(name)
    if parent is None or parent not in ds:
        pool = pool_record(state, rec["pool"])
        usable = int(pool.get("usable", 0)) if pool else 0
        avail = usable - idx.total.get(name, 0)
    else:
        written = int(rec.get("written", 0))
        refres = int(rec.get("props", {}).get("refreservation", 0) or 0)
        avail = available(state, parent, idx) + max(0, refres - written)
    props = rec.get("props", {})
    quota = int(props.get("quota", 0) or 0)
    if quota:
        avail = min(avail, quota - idx.total.get(name, 0))
    refquota = int(props.get("refquota", 0) or 0)
    if refquota:
        avail = min(avail, refquota - int(rec.get("written", 0)))
    return max(0, avail)


def zvol_reservation(volsize, volblocksize):
    """The refreservation ZFS gives a non-sparse zvol (data plus worst-case indirect blocks)."""
    blocks = max(1, volsize // max(volblocksize, 512))
    metadata_blocks = 7
    while blocks > 1:
        blocks = (blocks + 1023) // 1024
        metadata_blocks += blocks
    return volsize + metadata_blocks * 2 * 128 * KiB


def pool_usage(state, pool_name):
    """(allocated raw bytes, logical bytes used incl. reservations) of a pool."""
    idx = index(state)
    pool = pool_record(state, pool_name)
    factor = float(pool.get("raw_factor", 1.0)) if pool else 1.0
    return int(idx.total_phys.get(pool_name, 0) * factor), idx.total.get(pool_name, 0)


# ---------------------------------------------------------------------------------------------
# rendering


def _prop_dict(kind, raw, source, source_info, modern):
    parsed, value = raw, raw
    if kind == "enum":
        value = raw.upper()
    elif kind == "bool":
        value = raw.upper()
        if raw in ("on", "off"):
            parsed = raw == "on"
        else:
            parsed = None if modern else raw
    elif kind in ("size", "size0"):
        parsed = int(raw)
        if kind == "size0" and parsed == 0:
            parsed = None
            value = None if modern else "none"
        else:
            value = human_binary(parsed) if modern else nicenum(parsed, suffix_bytes=True)
        raw = str(int(raw))
    elif kind == "blocksize":
        parsed = int(raw)
        value = nicenum(parsed)
    elif kind == "nicenum":
        parsed = int(raw)
        value = nicenum(parsed)
    elif kind == "int":
        parsed = int(raw)
        value = str(parsed)
    elif kind == "ratio":
        parsed = float(raw)
        value = "%.2fx" % parsed
    elif kind == "keyformat":
        value = None if raw == "none" else raw.upper()
    elif kind == "encalg":
        value = None if raw == "off" else raw.upper()
    elif kind == "date":
        parsed = date_obj(raw)
        value = ctime_text(raw)
        raw = str(int(raw))
    out = {"parsed": parsed, "rawvalue": raw, "value": value, "source": source}
    if modern:
        out["source_info"] = source_info
    return out


def _user_dict(value, source, source_info, modern):
    out = {"parsed": value, "rawvalue": value, "value": value, "source": source}
    if modern:
        out["source_info"] = source_info
    return out


def _computed_raw(state, rec, zfs, idx):
    name = rec["name"]
    written = int(rec.get("written", 0))
    enc = rec.get("encryption")
    if zfs == "creation":
        return int(rec.get("creation", 0)), "NONE"
    if zfs == "compressratio":
        return "1.00", "NONE"
    if zfs == "origin":
        return rec.get("origin", ""), "NONE"
    if zfs == "keyformat":
        return (enc["key_format"], "NONE") if enc else ("none", "DEFAULT")
    if zfs == "encryption":
        return (enc["algorithm"], "NONE") if enc else ("off", "DEFAULT")
    if zfs == "pbkdf2iters":
        return (str(enc.get("pbkdf2iters", 0)), "NONE") if enc else ("0", "DEFAULT")
    refres = int(rec.get("props", {}).get("refreservation", 0) or 0)
    snap_used = idx.own.get(name, 0) - written - max(0, refres - written)
    if zfs == "used":
        return idx.total.get(name, 0), "NONE"
    if zfs == "usedbydataset":
        return written, "NONE"
    if zfs == "usedbysnapshots":
        return snap_used, "NONE"
    if zfs == "usedbyrefreservation":
        return max(0, refres - written), "NONE"
    if zfs == "usedbychildren":
        return idx.total.get(name, 0) - idx.own.get(name, 0), "NONE"
    if zfs == "available":
        return available(state, name, idx), "NONE"
    raise KeyError(zfs)


class QueryOptions:
    """The ``extra`` options of pool.dataset.query."""

    def __init__(self, extra):
        extra = extra or {}
        self.flat = extra.get("flat", True)
        self.retrieve_children = extra.get("retrieve_children", True)
        props = extra.get("properties")
        self.properties = None
        if props is not None:
            if not isinstance(props, list):
                raise ValidationErrors([("options.extra.properties", "Input should be a valid list", errno.EINVAL)])
            wanted = set()
            for p in props:
                if not isinstance(p, str):
                    raise ValidationErrors([("options.extra.properties", "Input should be a list of strings",
                                             errno.EINVAL)])
                spec = PROP_BY_API.get(p) or PROP_BY_ZFS.get(p)
                if spec:
                    wanted.add(spec[0])
                elif p in TN_USER_PROPS:
                    wanted.add(p)
            self.properties = wanted
        self.user_props = extra.get("retrieve_user_props", True)
        self.snapshots = extra.get("snapshots", False)
        self.snapshots_recursive = extra.get("snapshots_recursive", False)
        self.snapshots_count = extra.get("snapshots_count", False)
        self.snapshots_properties = extra.get("snapshots_properties") or []
        if not isinstance(self.snapshots_properties, list):
            raise ValidationErrors([("options.extra.snapshots_properties", "Input should be a valid list",
                                     errno.EINVAL)])


def build_entry(state, profile, name, opts, memo=None, idx=None):
    """The pool.dataset.query entry of ``name`` for this profile."""
    if memo is not None and name in memo:
        return memo[name]
    idx = idx or index(state)
    modern = profile.at_least("25.10")
    rec = datasets(state)[name]
    enc = rec.get("encryption")
    key_loaded = _root_key_loaded(state, rec)
    entry = {
        "id": name,
        "type": rec["type"],
        "name": name,
        "pool": rec["pool"],
        "encrypted": bool(enc),
        "encryption_root": enc["root"] if enc else None,
        "key_loaded": key_loaded if enc else False,
        "locked": bool(enc) and not key_loaded,
        "mountpoint": "/mnt/" + name if rec["type"] == FS else None,
    }
    for api, zfs, kind, inherit, _default, applies in PROPERTIES:
        if applies is not None and applies != rec["type"]:
            continue
        if opts.properties is not None and api not in opts.properties:
            continue
        source_info = None
        if inherit == "ro":
            raw, source = _computed_raw(state, rec, zfs, idx)
        elif inherit == "create":
            raw = rec.get("props", {}).get(zfs, DEFAULT_RAW.get(zfs))
            source = "NONE"
        elif api == "volsize":
            raw, source = rec["props"].get("volsize", "0"), "LOCAL"
        else:
            raw, source, source_info = _effective(state, rec, zfs)
        entry[api] = _prop_dict(kind, raw, source, source_info, modern)
    if not modern and rec["type"] == VOL and (opts.properties is None or "sparse" in opts.properties):
        sparse = "true" if rec.get("sparse") else "false"
        entry["sparse"] = {"parsed": sparse == "true", "rawvalue": sparse, "value": sparse, "source": "NONE"}
    if opts.user_props:
        user = {}
        for key, (value, source, origin) in sorted(_effective_user(state, rec).items()):
            api = TN_ZFS_TO_API.get(key)
            if api is None:
                user[key] = _user_dict(value, source, origin, modern)
            elif modern:
                user[api] = _user_dict(value, "LOCAL", None, True)
            elif opts.properties is None or api in opts.properties:
                entry[api] = _user_dict(value, source, None, False)
        entry["user_properties"] = user
    if opts.snapshots or opts.snapshots_count:
        owners = [name] + (idx.descendants(name) if opts.snapshots_recursive else [])
        sids = [sid for owner in owners for sid in idx.snaps_of.get(owner, ())]
        if opts.snapshots_count:
            entry["snapshot_count"] = len(sids)
        if opts.snapshots:
            entry["snapshots"] = [_embedded_snapshot(state, sid, opts.snapshots_properties) for sid in sids]
    children = []
    if opts.retrieve_children:
        for child in idx.children.get(name, ()):
            if not is_internal(child):
                children.append(build_entry(state, profile, child, opts, memo, idx))
    entry["children"] = children
    if memo is not None:
        memo[name] = entry
    return entry


def _embedded_snapshot(state, sid, props):
    from . import snapshot as _snapshot
    snap = snapshots(state)[sid]
    out = {"pool": snap["pool"], "name": sid, "type": "SNAPSHOT", "snapshot_name": snap["snapshot_name"],
           "dataset": snap["dataset"], "id": sid, "createtxg": str(snap["createtxg"])}
    if props:
        out["properties"] = _snapshot.snapshot_properties(state, snap, props)
    return out


LIGHT_FIELDS = ("id", "name", "pool", "type", "encrypted", "key_loaded", "locked", "encryption_root", "mountpoint")


def _filter_fields(filters):
    for f in filters:
        if isinstance(f, (list, tuple)) and len(f) == 2 and f[0] == "OR" and isinstance(f[1], list):
            for branch in f[1]:
                if branch and isinstance(branch[0], (list, tuple)):
                    yield from _filter_fields(branch)
                else:
                    yield from _filter_fields([branch])
        elif isinstance(f, (list, tuple)) and len(f) == 3 and isinstance(f[0], str):
            yield f[0].split(".", 1)[0]
        else:
            yield None


def _light(state, name):
    rec = datasets(state)[name]
    enc = rec.get("encryption")
    loaded = _root_key_loaded(state, rec)
    return {"id": name, "name": name, "pool": rec["pool"], "type": rec["type"], "encrypted": bool(enc),
            "key_loaded": loaded if enc else False, "locked": bool(enc) and not loaded,
            "encryption_root": enc["root"] if enc else None,
            "mountpoint": "/mnt/" + name if rec["type"] == FS else None}


def _single_id(filters):
    if (isinstance(filters, list) and len(filters) == 1 and isinstance(filters[0], (list, tuple))
            and len(filters[0]) == 3 and filters[0][0] in ("id", "name") and filters[0][1] == "="
            and isinstance(filters[0][2], str)):
        return filters[0][2]
    return None


def filter_list(items, filters, options):
    from ..query import filter_list as _filter_list
    return _filter_list(items, filters, options)


def query_args(filters, options):
    """``(filters, options)`` of a query call, checked (ValidationErrors on ``filters``/``options``)."""
    from .. import query as _query
    filters = [] if filters is None else filters
    options = _query.validate_options({} if options is None else options)
    _query.compile_filters(filters)
    return filters, dict(options)


def query_entries(ctx, filters, options):
    """Shared body of pool.dataset.query (also used by get_instance)."""
    state = ctx.state
    filters, options = query_args(filters, options)
    opts = QueryOptions(options.get("extra"))
    ds = datasets(state)
    idx = index(state)
    wanted = _single_id(filters)
    if wanted is not None:
        names = [wanted] if wanted in ds and not is_internal(wanted) else []
    else:
        names = sorted((n for n in ds if not is_internal(n)), key=_sort_key)
        if not opts.flat:
            names = [n for n in names if parent_of(n) is None]
        fields = set(_filter_fields(filters)) if isinstance(filters, list) else {None}
        if filters and fields <= set(LIGHT_FIELDS):
            names = [row["id"] for row in filter_list([_light(state, n) for n in names], filters, {})]
    memo = {}
    items = [build_entry(state, ctx.profile, n, opts, memo, idx) for n in names]
    return filter_list(items, filters, options)


# ---------------------------------------------------------------------------------------------
# argument checking (the 25.10+ pydantic layer runs first through the schemas; these catch 25.04
# legacy input and internal calls)


def _enum_text(choices):
    quoted = ["'%s'" % c for c in choices]
    return quoted[0] if len(quoted) == 1 else "%s or %s" % (", ".join(quoted[:-1]), quoted[-1])


def check_fields(ctx, prefix, data, fields, verrors, enums=None):
    """Type checks for a dict argument, with legacy (25.04) or pydantic (25.10+) messages."""
    modern = ctx.profile.at_least("25.10")
    enums = enums or ENUMS
    for key, value in data.items():
        kind = fields.get(key)
        attr = "%s.%s" % (prefix, key)
        if kind is None:
            verrors.add(attr, "Extra inputs are not permitted" if modern else "Field was not expected")
            continue
        bad = None
        if kind in ("str",) and not isinstance(value, str):
            bad = "Input should be a valid string" if modern else "Not a string"
        elif kind == "bool" and not isinstance(value, bool):
            bad = "Input should be a valid boolean" if modern else "Not a boolean"
        elif kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            bad = "Input should be a valid integer" if modern else "Not an integer"
        elif kind == "int_or_inherit" and value != "INHERIT" and (not isinstance(value, int) or isinstance(value, bool)):
            bad = "Input should be a valid integer" if modern else "Not an integer"
        elif kind == "pct" and value != "INHERIT":
            if not isinstance(value, int) or isinstance(value, bool):
                bad = "Input should be a valid integer" if modern else "Not an integer"
            elif not 0 <= value <= 100:
                bad = ("Input should be less than or equal to 100" if value > 100 else
                       "Input should be greater than or equal to 0") if modern else "Should be between 0 and 100"
        elif kind == "quota" and value not in (0, None):
            if not isinstance(value, int) or isinstance(value, bool):
                bad = "Input should be a valid integer" if modern else "Not an integer"
            elif value < GiB:
                bad = ("Input should be greater than or equal to 1073741824" if modern else
                       "Should be greater or equal than 1073741824")
        elif kind == "enum":
            choices = enums.get(key, [])
            if not isinstance(value, str) or value not in choices:
                bad = ("Input should be %s" % _enum_text(choices)) if modern else "Invalid choice: %s" % (value,)
        elif kind == "list" and not isinstance(value, list):
            bad = "Input should be a valid list" if modern else "Not a list"
        elif kind == "str_or_none" and value is not None and not isinstance(value, str):
            bad = "Input should be a valid string" if modern else "Not a string"
        elif kind == "dict" and not isinstance(value, dict):
            bad = "Input should be a valid dictionary" if modern else "A dict was expected"
        if bad:
            verrors.add(attr, bad)


def _check_user_properties(ctx, prefix, items, verrors, for_update=False):
    modern = ctx.profile.at_least("25.10")
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        attr = "%s.%d" % (prefix, i)
        if not isinstance(item, dict):
            verrors.add(attr, "Input should be a valid dictionary" if modern else "A dict was expected")
            continue
        allowed = ("key", "value", "remove") if for_update else ("key", "value")
        for k in item:
            if k not in allowed:
                verrors.add("%s.%s" % (attr, k), "Extra inputs are not permitted" if modern else "Field was not expected")
        key = item.get("key")
        if not isinstance(key, str):
            verrors.add(attr + ".key", "Field required" if key is None else "Input should be a valid string")
        elif ":" not in key:
            verrors.add(attr + ".key", "String should match pattern '.*:.*'" if modern else
                        "User property must be of the form namespace:property")
        if "value" in item and not isinstance(item["value"], str):
            verrors.add(attr + ".value", "Input should be a valid string")
        if not for_update and "value" not in item:
            verrors.add(attr + ".value", "Field required")


def _union_name_errors(data, tagged=False):
    """Pydantic's report for an invalid name in the FILESYSTEM | VOLUME union (both branches), or
    in the member chosen by ``type`` (26, ``tagged``: missing type = FILESYSTEM)."""
    msg = "Value error, Please provide a valid dataset name according to ZFS standards"
    if tagged:
        return ValidationErrors([("data.%s.name" % data.get("type", FS), msg, errno.EINVAL)])
    fs, vol = "data.PoolDatasetCreateFilesystem", "data.PoolDatasetCreateVolume"
    out = [(fs + ".name", msg, errno.EINVAL)]
    if data.get("type", FS) != FS:
        out.append((fs + ".type", "Input should be 'FILESYSTEM'", errno.EINVAL))
    out += [("%s.%s" % (fs, k), "Extra inputs are not permitted", errno.EINVAL) for k in VOL_ONLY_FIELDS if k in data]
    out.append((vol + ".name", msg, errno.EINVAL))
    if data.get("type", VOL) != VOL:
        out.append((vol + ".type", "Input should be 'VOLUME'", errno.EINVAL))
    if "volsize" not in data:
        out.append((vol + ".volsize", "Field required", errno.EINVAL))
    out += [("%s.%s" % (vol, k), "Extra inputs are not permitted", errno.EINVAL) for k in FS_ONLY_FIELDS if k in data]
    return ValidationErrors(out)


def _require_dict(ctx, attr, value):
    if not isinstance(value, dict):
        modern = ctx.profile.at_least("25.10")
        raise ValidationErrors([(attr, "Input should be a valid dictionary" if modern else "A dict was expected",
                                 errno.EINVAL)])


def _require_str(ctx, attr, value):
    if not isinstance(value, str):
        modern = ctx.profile.at_least("25.10")
        raise ValidationErrors([(attr, "Input should be a valid string" if modern else "Not a string", errno.EINVAL)])


# ---------------------------------------------------------------------------------------------
# mutations


def next_txg(state, pool_name):
    pool = pool_record(state, pool_name)
    if pool is None:
        return 1
    pool["txg"] = int(pool.get("txg", 1)) + 1
    return pool["txg"]


def new_record(state, name, type_=FS, props=None, user_props=None, written=None, creation=None,
               origin="", encryption=None, sparse=False):
    pool = name.split("/", 1)[0]
    return {
        "name": name, "pool": pool, "type": type_,
        "props": dict(props or {}), "user_props": dict(user_props or {}),
        "written": int(written if written is not None else (VOL_WRITTEN if type_ == VOL else FS_WRITTEN)),
        "creation": int(creation if creation is not None else time.time()),
        "createtxg": next_txg(state, pool), "origin": origin or "",
        "encryption": copy.deepcopy(encryption) if encryption else None,
        "sparse": bool(sparse), "busy": False,
    }


def insert_record(state, rec):
    """Store a new dataset record and index it (its usage is carried up to the pool root)."""
    idx = index(state)
    datasets(state)[rec["name"]] = rec
    idx.add_dataset(rec["name"])
    return rec


def drop_record(state, name):
    """Forget a dataset (not its children or snapshots) and the files below its mountpoint."""
    idx = index(state)
    rec = datasets(state).pop(name)
    idx.remove_dataset(name, rec)
    remove_file(state, "/mnt/" + name)
    return rec


def _api_value_to_raw(key, value):
    """A create/update API value as the raw ZFS string stored LOCAL."""
    if key in SIZE_KEYS or key == "special_small_block_size" or key == "copies":
        return str(int(value))
    if key == "recordsize":
        return str(blocksize_bytes(value))
    return str(value).lower()


def _acl_plan(state, base, data):
    """(acltype, aclmode, aclmode given) after applying ``data`` over ``base`` (values uppercased).

    An explicit acltype without an aclmode brings a matching aclmode along (DISCARD for POSIX/OFF,
    otherwise the current one unless it is DISCARD, then PASSTHROUGH).
    """
    def eff(zfs):
        return (_effective(state, base, zfs)[0] if base is not None else DEFAULT_RAW[zfs]).upper()

    acltype = data.get("acltype", "INHERIT")
    aclmode = data.get("aclmode", "INHERIT")
    acltype_given = acltype != "INHERIT"
    aclmode_given = aclmode != "INHERIT"
    if not acltype_given:
        acltype = eff("acltype")
    if not aclmode_given:
        aclmode = eff("aclmode")
        if acltype_given:
            if acltype in ("POSIX", "OFF"):
                aclmode = "DISCARD"
            elif aclmode == "DISCARD":
                aclmode = "PASSTHROUGH"
    return acltype, aclmode, aclmode_given


def _acl_errors(schema, acltype, aclmode, verrors):
    if acltype in ("POSIX", "OFF") and aclmode != "DISCARD":
        verrors.add(schema + ".aclmode", "Must be set to DISCARD when acltype is POSIX or OFF")
    elif acltype == "NFSV4" and aclmode == "DISCARD":
        verrors.add(schema + ".aclmode", "DISCARD aclmode may not be set for NFSv4 acl type")


def _validate_values(ctx, schema, data, verrors, dtype, pool_name, creating=True):
    """Checks shared by create and update (recordsize, small blocks, key/type applicability)."""
    for key in VOL_ONLY_FIELDS:
        if key in data and dtype == FS and (creating or key != "force_size"):
            verrors.add("%s.%s" % (schema, key), "This field is not valid for FILESYSTEM")
    for key in FS_ONLY_FIELDS:
        if key in data and dtype == VOL:
            verrors.add("%s.%s" % (schema, key), "This field is not valid for VOLUME")
    rs = data.get("recordsize")
    if isinstance(rs, str) and rs != "INHERIT" and dtype == FS:
        if rs not in recordsize_choices(ctx.state, pool_name):
            verrors.add("%s.recordsize" % schema, "'%s' is an invalid recordsize." % rs)
    ssb = data.get("special_small_block_size")
    if isinstance(ssb, int) and not isinstance(ssb, bool):
        if not (ssb == 0 or (512 <= ssb <= MiB and ssb & (ssb - 1) == 0)):
            verrors.add("%s.special_small_block_size" % schema, "This field must be zero or a power of 2 from 512B to 1M")


def _is_draid(state, pool_name):
    pool = pool_record(state, pool_name)
    return bool(pool) and any(v.get("type", "").startswith("DRAID") for v in pool.get("topology", {}).get("data", []))


def recordsize_choices(state, pool_name=None):
    if pool_name and _is_draid(state, pool_name):
        return [c for c in RECORDSIZES if blocksize_bytes(c) >= 128 * KiB]
    return list(RECORDSIZES)


def _apply_share_type(props, share_type, data):
    if share_type == "SMB":
        props.update({"casesensitivity": "insensitive", "acltype": "nfsv4", "aclmode": "restricted",
                      "aclinherit": "passthrough"})
    elif share_type in ("APPS", "MULTIPROTOCOL", "NFS"):
        props.update({"casesensitivity": "sensitive", "atime": "off", "acltype": "nfsv4",
                      "aclmode": "passthrough", "aclinherit": "passthrough"})
    elif data.get("acltype", "INHERIT") != "INHERIT":
        props["aclinherit"] = "passthrough" if data["acltype"] == "NFSV4" else "discard"


def _secret_hash(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _emit(ctx, collection, msg, ident, fields=None):
    emit = getattr(ctx, "emit", None)
    if emit is not None:
        emit(collection, msg, id=ident, fields=fields)


def _get_entry(ctx, name):
    items = query_entries(ctx, [["id", "=", name]], {"extra": {"retrieve_children": False}})
    if not items:
        raise InstanceNotFound("PoolDataset", name)
    return items[0]


@method("pool.dataset.query")
def query(ctx, filters=None, options=None):
    return query_entries(ctx, filters, options)


@method("pool.dataset.get_instance")
def get_instance(ctx, ident, options=None):
    options = query_args([], options)[1]
    items = query_entries(ctx, [["id", "=", ident]], dict(options, get=False, limit=0, offset=0))
    if not items:
        raise InstanceNotFound("PoolDataset", ident)
    return items[0]


@method("pool.dataset.create")
def create(ctx, data):
    """pool.dataset.create: the FILESYSTEM | VOLUME union, business rules, side effects."""
    state = ctx.state
    modern = ctx.profile.at_least("25.10")
    _require_dict(ctx, "data" if modern else "pool_dataset_create", data)
    data = copy.deepcopy(data)
    schema = "pool_dataset_create"
    if modern and isinstance(data.get("name"), str) and not valid_dataset_name(data["name"]):
        raise _union_name_errors(data, tagged=ctx.profile.schema_set == "schemas-26")
    verrors = ValidationErrors()
    prefix = "data" if modern else schema
    check_fields(ctx, prefix, data, CREATE_FIELDS, verrors)
    if "name" not in data:
        verrors.add(prefix + ".name", "Field required" if modern else "attribute required")
    if isinstance(data.get("user_properties"), list):
        _check_user_properties(ctx, prefix + ".user_properties", data["user_properties"], verrors)
    if isinstance(data.get("encryption_options"), dict):
        check_fields(ctx, prefix + ".encryption_options", data["encryption_options"],
                     {"generate_key": "bool", "pbkdf2iters": "int", "algorithm": "enum",
                      "passphrase": "str_or_none", "key": "str_or_none"}, verrors,
                     enums={"algorithm": ENC_ALGORITHMS})
    verrors.raise_if_any()

    dtype = data.get("type") or (VOL if "volsize" in data else FS)
    data["type"] = dtype
    if dtype == VOL and "volsize" not in data:
        attr = "data.PoolDatasetCreateVolume.volsize" if modern else schema + ".volsize"
        raise ValidationErrors([(attr, "Field required" if modern else "This field is required for VOLUME", errno.EINVAL)])
    if not modern and len(data["name"]) > 200:
        raise ValidationErrors([(schema + ".name", "Dataset name length should be less than or equal to 200",
                                 errno.EINVAL)])
    for key, default in (("comments", "INHERIT"), ("sync", "INHERIT"), ("compression", "INHERIT"),
                         ("exec", "INHERIT"), ("managedby", "INHERIT"), ("quota_warning", "INHERIT"),
                         ("quota_critical", "INHERIT"), ("refquota_warning", "INHERIT"),
                         ("refquota_critical", "INHERIT"), ("copies", "INHERIT"), ("snapdir", "INHERIT"),
                         ("deduplication", "INHERIT"), ("checksum", "INHERIT"), ("readonly", "INHERIT"),
                         ("share_type", "GENERIC"), ("encryption", False), ("inherit_encryption", True),
                         ("user_properties", []), ("create_ancestors", False)):
        data.setdefault(key, default)
    defaults = dict(ENCRYPTION_DEFAULTS)
    if ctx.profile.at_least("26"):
        defaults["pbkdf2iters"] = PBKDF2ITERS_DEFAULT_26
    enc_opts = dict(defaults, **(data.get("encryption_options") or {}))

    name = data["name"]
    ds = datasets(state)
    parent = None
    if "/" not in name:
        verrors.add(schema + ".name", "You need a full name, e.g. pool/newdataset")
    elif not valid_dataset_name(name):
        verrors.add(schema + ".name", "Invalid dataset name")
    elif name.endswith(" "):
        verrors.add(schema + ".name", "Trailing spaces are not permitted in dataset names")
    else:
        parent_name = parent_of(name)
        if data["create_ancestors"]:
            probe = parent_name
            while probe not in ds and "/" in probe:
                probe = parent_of(probe)
            if probe in ds:
                parent = ds[probe]
            else:
                verrors.add(schema + ".name", "Please specify a pool which exists for the dataset/volume to be created")
        elif parent_name in ds:
            parent = ds[parent_name]
        elif modern:
            if "/" in parent_name:
                verrors.add(schema + ".name", "Parent dataset (%s) does not exist." % parent_name)
            else:
                verrors.add(schema + ".name", "zpool (%s) does not exist." % parent_name)
        else:
            verrors.add(schema + ".name", "Parent dataset does not exist for specified name")
    if parent is not None:
        pname = parent["name"]
        if is_internal(name):
            verrors.add(schema + ".name", "'%s' is using system internal managed dataset. Please specify a different parent." % name)
        if _effective(state, parent, "readonly")[0] == "on":
            verrors.add(schema + ".readonly", "Turn off readonly mode on %s to create %s" % (pname, name.rsplit("/", 1)[1]))
        if path_exists(state, "/mnt/" + name):
            verrors.add(schema + ".name", "Path /mnt/%s already exists" % name)
        if parent["type"] == VOL:
            verrors.add(schema + ".name", "%s: parent may not be a ZFS volume" % pname)
        elif is_locked(state, pname):
            verrors.add(schema + ".name", "%s must be unlocked to create %s." % (pname, name))
        penc = parent.get("encryption")
        if data["encryption"]:
            if data["inherit_encryption"]:
                verrors.add(schema + ".inherit_encryption", "Must be disabled when encryption is enabled.")
            gen, key, phrase = enc_opts["generate_key"], enc_opts["key"], enc_opts["passphrase"]
            if phrase and (gen or key):
                verrors.add(schema + ".encryption_options.passphrase",
                            "Must not be specified when a key is provided or generated.")
            elif gen and key:
                verrors.add(schema + ".encryption_options.key", "Must not be specified when generate_key is set.")
            elif not (gen or key or phrase):
                verrors.add(schema + ".encryption_options",
                            "Either a passphrase or a key must be provided, or generate_key must be set.")
            if key and not re.match(r"^[0-9a-fA-F]{64}$", key):
                verrors.add(schema + ".encryption_options.key", "Key must be a hex-encoded 256-bit value.")
            if phrase is not None and len(phrase) < 8:
                verrors.add(schema + ".encryption_options.passphrase", "Passphrase must be at least 8 characters long.")
            if penc and penc.get("key_format") == "passphrase" and not phrase:
                verrors.add(schema + ".encryption", "Passphrase encrypted datasets cannot have children encrypted with a key.")
        elif not data["inherit_encryption"] and penc:
            verrors.add(schema + ".encryption", "Cannot create an unencrypted dataset within an encrypted dataset (%s)." % pname)
    pool_name = name.split("/", 1)[0]
    _validate_values(ctx, schema, data, verrors, dtype, pool_name)
    acl_plan = None
    if dtype == FS and parent is not None and (data.get("acltype", "INHERIT") != "INHERIT"
                                               or data.get("aclmode", "INHERIT") != "INHERIT"):
        acl_plan = _acl_plan(state, parent if parent["type"] == FS else None, data)
        _acl_errors(schema, acl_plan[0], acl_plan[1], verrors)
    volblocksize = None
    if dtype == VOL:
        draid = _is_draid(state, pool_name)
        volblocksize = blocksize_bytes(data.get("volblocksize") or ("128K" if draid else "16K"))
        if draid and volblocksize < 32 * KiB:
            verrors.add(schema + ".volblocksize", "Volume block size must be greater than or equal to 32K for dRAID pools")
        volsize = data["volsize"]
        if volsize % volblocksize:
            verrors.add(schema + ".volsize", "Volume size should be a multiple of volume block size")
        if parent is not None and parent["type"] == FS and not data.get("force_size"):
            if volsize > available(state, parent["name"]) * 0.80:
                verrors.add(schema + ".volsize", "It is not recommended to use more than 80% of your available space for VOLUME")
    verrors.raise_if_any()

    if name in ds:
        raise CallError("Failed to create dataset: dataset already exists")
    problem = _bad_sizes(data)
    if problem:
        raise CallError("Failed to create dataset: " + problem[1])
    reserved = data.get("refreservation") or 0
    if dtype == VOL and not data.get("sparse") and "refreservation" not in data:
        reserved = zvol_reservation(data["volsize"], volblocksize)
    if reserved and reserved > available(state, parent["name"]):
        raise CallError("Failed to create dataset: out of space")
    if data["create_ancestors"]:
        missing = []
        probe = parent_of(name)
        while probe not in ds:
            missing.append(probe)
            probe = parent_of(probe)
        for ancestor in reversed(missing):
            anc = new_record(state, ancestor, FS, encryption=_inherited_encryption(ds[parent_of(ancestor)]))
            insert_record(state, anc)
            _emit(ctx, "pool.dataset.query", "ADDED", ancestor, _get_entry(ctx, ancestor))
    parent = ds[parent_of(name)]

    props = {}
    for key, zfs in SETTABLE.items():
        value = data.get(key, "INHERIT")
        if value in ("INHERIT", None) or (key in SIZE_KEYS and value == 0):
            continue
        props[zfs] = _api_value_to_raw(key, value)
    if dtype == FS:
        props.setdefault("casesensitivity", _effective(state, parent, "casesensitivity")[0]
                         if parent["type"] == FS else "sensitive")
        if acl_plan is not None and data.get("acltype", "INHERIT") != "INHERIT":
            props["aclmode"] = acl_plan[1].lower()
        _apply_share_type(props, data["share_type"], data)
    else:
        props["volsize"] = str(data["volsize"])
        props["volblocksize"] = str(volblocksize)
        if not data.get("sparse") and "refreservation" not in props:
            props["refreservation"] = str(zvol_reservation(data["volsize"], volblocksize))
    user_props = {}
    for api, zfs in TN_USER_PROPS.items():
        value = data.get(api, "INHERIT")
        if value != "INHERIT":
            user_props[zfs] = str(value)
    for item in data["user_properties"]:
        user_props[item["key"]] = item["value"]

    if data["encryption"]:
        gen, key, phrase = enc_opts["generate_key"], enc_opts["key"], enc_opts["passphrase"]
        secret = phrase or key or os.urandom(32).hex()
        encryption = {"root": name, "key_format": "passphrase" if phrase else "hex",
                      "algorithm": enc_opts["algorithm"].lower(),
                      "pbkdf2iters": enc_opts["pbkdf2iters"] if phrase else 0,
                      "key_loaded": True, "secret_sha256": _secret_hash(secret)}
    elif data["inherit_encryption"]:
        encryption = _inherited_encryption(parent)
    else:
        encryption = None
    rec = new_record(state, name, dtype, props, user_props, encryption=encryption,
                     sparse=dtype == VOL and bool(data.get("sparse")))
    insert_record(state, rec)
    entry = _get_entry(ctx, name)
    _emit(ctx, "pool.dataset.query", "ADDED", name, entry)
    return entry


def _bad_sizes(data):
    """(key, libzfs-style message) of the first size ZFS would refuse, or None."""
    if dataset_type(data) == VOL and data.get("volsize") == 0:
        return "volsize", "volume size cannot be zero"
    for key in ("volsize",) + SIZE_KEYS:
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            return key, "bad numeric value '%d'" % value
    return None


def dataset_type(data):
    return data.get("type") or (VOL if "volsize" in data else FS)


def _inherited_encryption(parent):
    penc = parent.get("encryption") if parent else None
    if not penc:
        return None
    out = {k: v for k, v in penc.items() if k != "key_loaded"}
    out["root"] = penc["root"]
    return out


@method("pool.dataset.update")
def update(ctx, ident, data):
    """pool.dataset.update: update-column keys only; INHERIT, grow-only volsize, user props."""
    state = ctx.state
    modern = ctx.profile.at_least("25.10")
    _require_str(ctx, "id", ident)
    _require_dict(ctx, "data" if modern else "pool_dataset_update", data)
    schema = "pool_dataset_update"
    ds = datasets(state)
    rec = ds.get(ident)
    if rec is None or is_internal(ident):
        raise ValidationErrors([("id", "%s does not exist" % ident, errno.ENOENT)])
    verrors = ValidationErrors()
    prefix = "data" if modern else schema
    check_fields(ctx, prefix, data, UPDATE_FIELDS, verrors)
    for key in ("user_properties", "user_properties_update"):
        if isinstance(data.get(key), list):
            _check_user_properties(ctx, "%s.%s" % (prefix, key), data[key], verrors,
                                   for_update=key.endswith("update"))
    verrors.raise_if_any()

    dtype = rec["type"]
    _validate_values(ctx, schema, data, verrors, dtype, rec["pool"], creating=False)
    if "user_properties" in data and "user_properties_update" in data:
        verrors.add(schema + ".user_properties_update",
                    'Should not be specified when "user_properties" are explicitly specified')
    for i, item in enumerate(data.get("user_properties_update", [])):
        if "value" in item and item.get("remove"):
            verrors.add("%s.user_properties_update.%d.remove" % (schema, i), 'When "value" is specified, this cannot be set')
        elif "value" not in item and not item.get("remove"):
            verrors.add("%s.user_properties_update.%d.value" % (schema, i), 'Either "value" or "remove" must be specified')
    acl_plan = None
    if dtype == FS and ("acltype" in data or "aclmode" in data):
        view = dict(rec, props={k: v for k, v in rec["props"].items()
                                if not (k == "acltype" and data.get("acltype") == "INHERIT")
                                and not (k == "aclmode" and data.get("aclmode") == "INHERIT")})
        acl_plan = _acl_plan(state, view, {k: v for k, v in data.items() if k in ("acltype", "aclmode")})
        if acl_plan[2]:
            _acl_errors(schema, acl_plan[0], acl_plan[1], verrors)
        current_type = _effective(state, rec, "acltype")[0].upper()
        if "acltype" in data and acl_plan[0] != current_type and _hosts_smb_share(state, ident):
            verrors.add(schema + ".acltype", "This dataset is hosting SMB shares. ACL type may not be changed while "
                                             "SMB shares are configured on it.")
    if "volsize" in data and dtype == VOL:
        current = int(rec["props"]["volsize"])
        volblocksize = int(rec["props"].get("volblocksize", DEFAULT_RAW["volblocksize"]))
        new = data["volsize"]
        if new < current:
            verrors.add(schema + ".volsize", "You cannot shrink a zvol from GUI, this may lead to data loss.")
        elif new % volblocksize:
            verrors.add(schema + ".volsize", "Volume size should be a multiple of volume block size")
        elif not data.get("force_size"):
            idx = index(state)
            if new > (available(state, ident, idx) + idx.total.get(ident, 0)) * 0.80:
                verrors.add(schema + ".volsize", "It is not recommended to use more than 80% of your available space for VOLUME")
    problem = _bad_sizes(dict(data, type=dtype))
    if problem:
        verrors.add("%s.%s" % (schema, problem[0]), problem[1])
    verrors.raise_if_any()

    before = copy.deepcopy(rec)
    try:
        _apply_update(state, rec, data, schema, acl_plan)
    except ValidationErrors:
        ds[ident] = before
        index(state).refresh(ident)
        raise
    entry = _get_entry(ctx, ident)
    _emit(ctx, "pool.dataset.query", "CHANGED", ident, entry)
    return entry


# Where the sharing service keeps its shares (state kinds), with the event collection of each.
SHARE_KINDS = (("smb_shares", "sharing.smb.query"), ("smb", "sharing.smb.query"),
               ("nfs_shares", "sharing.nfs.query"), ("nfs", "sharing.nfs.query"))


def _share_paths(share):
    paths = [share["path"]] if isinstance(share.get("path"), str) else []
    return paths + [p for p in share.get("paths") or [] if isinstance(p, str)]


def _under(path, mount):
    return path == mount or path.startswith(mount + "/")


def _hosts_smb_share(state, name):
    mount = "/mnt/" + name
    for kind, collection in SHARE_KINDS:
        if collection == "sharing.smb.query":
            for share in (state.data.get(kind) or {}).values():
                if any(_under(p, mount) for p in _share_paths(share)):
                    return True
    return False


def _apply_update(state, rec, data, schema, acl_plan):
    props = rec.setdefault("props", {})
    idx = index(state)
    name = rec["name"]
    for key, zfs in SETTABLE.items():
        if key not in data or key == "casesensitivity":
            continue
        value = data[key]
        if value == "INHERIT" or value is None or (key in SIZE_KEYS and value == 0):
            props.pop(zfs, None)
        else:
            props[zfs] = _api_value_to_raw(key, value)
    if "acltype" in data:
        if data["acltype"] == "INHERIT":
            props.pop("aclinherit", None)
        else:
            props["aclinherit"] = "discard" if data["acltype"] in ("POSIX", "OFF") else "passthrough"
            if "aclmode" not in data:
                props["aclmode"] = acl_plan[1].lower()
    if "volsize" in data and rec["type"] == VOL:
        old = int(props["volsize"])
        vbs = int(props.get("volblocksize", DEFAULT_RAW["volblocksize"]))
        props["volsize"] = str(data["volsize"])
        if not rec.get("sparse") and int(props.get("refreservation", 0)) == zvol_reservation(old, vbs):
            props["refreservation"] = str(zvol_reservation(data["volsize"], vbs))
    user = rec.setdefault("user_props", {})
    for api, zfs in TN_USER_PROPS.items():
        if api in data:
            if data[api] == "INHERIT" and api != "comments":
                user.pop(zfs, None)
            else:
                user[zfs] = str(data[api])
    if "user_properties" in data:
        keep = {k: v for k, v in user.items() if k in TN_ZFS_TO_API}
        user.clear()
        user.update(keep)
        for item in data["user_properties"]:
            user[item["key"]] = item["value"]
    for item in data.get("user_properties_update", []):
        if item.get("remove"):
            user.pop(item["key"], None)
        else:
            user[item["key"]] = item["value"]
    old_total = idx.total.get(name, 0)
    idx.refresh(name)
    written = int(rec.get("written", 0))
    errors = ValidationErrors()
    quota = int(props.get("quota", 0) or 0)
    if "quota" in data and quota and quota < idx.total.get(name, 0):
        errors.add(schema + ".quota", "size is less than current used or reserved space")
    refquota = int(props.get("refquota", 0) or 0)
    if "refquota" in data and refquota and refquota < written:
        errors.add(schema + ".refquota", "size is less than current used or reserved space")
    grown = idx.total.get(name, 0) - old_total
    if grown > 0 and _over_limit(state, name, idx):
        field = "volsize" if "volsize" in data else ("refreservation" if "refreservation" in data else "reservation")
        errors.add("%s.%s" % (schema, field), "size is greater than available space")
    errors.raise_if_any()


def _over_limit(state, name, idx):
    """Whether ``name`` or an ancestor exceeds its quota, or the pool is overcommitted."""
    ds = datasets(state)
    node = name
    while node is not None:
        quota = int(ds[node].get("props", {}).get("quota", 0) or 0)
        if quota and idx.total.get(node, 0) > quota:
            return True
        if parent_of(node) is None:
            pool = pool_record(state, node)
            return bool(pool) and idx.total.get(node, 0) > int(pool.get("usable", 0))
        node = parent_of(node)
    return False


@method("pool.dataset.delete")
def delete(ctx, ident, options=None):
    """pool.dataset.delete: recursive/force rules, shares on the mountpoint removed first."""
    state = ctx.state
    _require_str(ctx, "id", ident)
    options = {} if options is None else options
    _require_dict(ctx, "options", options)
    verrors = ValidationErrors()
    check_fields(ctx, "options", options, {"recursive": "bool", "force": "bool"}, verrors)
    verrors.raise_if_any()
    recursive, force = options.get("recursive", False), options.get("force", False)
    ds = datasets(state)
    if ident not in ds or is_internal(ident):
        raise InstanceNotFound("PoolDataset", ident)
    idx = index(state)
    kids = idx.children.get(ident, [])
    if not recursive and kids:
        raise CallError("Failed to delete dataset: cannot destroy '%s': filesystem has children" % ident, errno.ENOTEMPTY)
    rec = ds[ident]
    word = "volume" if rec["type"] == VOL else "filesystem"
    root = "/" not in ident
    if root and not recursive:
        raise CallError("Failed to delete dataset: cannot destroy '%s': operation does not apply to pools\n"
                        "use 'zfs destroy -r %s' to destroy all datasets in the pool\n"
                        "use 'zpool destroy %s' to destroy the pool itself" % (ident, ident, ident))
    doomed = idx.descendants(ident) if root else [ident] + idx.descendants(ident)
    doomed_set = set(doomed)
    doomed_snaps = [sid for name in doomed for sid in idx.snaps_of.get(name, ())]
    if not recursive and doomed_snaps:
        raise CallError("Failed to delete dataset: cannot destroy '%s': %s has children\n"
                        "use '-r' to destroy the following datasets:\n%s" % (ident, word, "\n".join(doomed_snaps)))
    dependents = sorted({clone for sid in doomed_snaps for clone in idx.clones.get(sid, ()) if clone not in doomed_set})
    if dependents:
        raise CallError("Failed to delete dataset: cannot destroy '%s': %s has dependent clones\n"
                        "use '-R' to destroy the following datasets:\n%s" % (ident, word, "\n".join(dependents)))
    held = [sid for sid in doomed_snaps if snapshots(state)[sid].get("holds")]
    if held:
        raise CallError("Failed to delete dataset: cannot destroy snapshot %s: dataset is busy" % held[0], errno.EBUSY)
    if not force and any(ds[name].get("busy") for name in doomed):
        busy = next(name for name in doomed if ds[name].get("busy"))
        raise CallError("Failed to delete dataset: cannot destroy '%s': dataset is busy" % busy, errno.EBUSY)

    mounts = ["/mnt/" + name for name in doomed if ds[name]["type"] == FS]
    _remove_attachments(ctx, mounts)
    for sid in doomed_snaps:
        snap = snapshots(state).pop(sid)
        idx.remove_snapshot(sid, snap["dataset"])
    for name in sorted(doomed, key=lambda n: -n.count("/")):
        drop_record(state, name)
    from . import snapshot as _snapshot
    _snapshot.reap_deferred(state)
    _emit(ctx, "pool.dataset.query", "REMOVED", ident)
    return True


def _remove_attachments(ctx, mounts):
    """Delete the SMB and NFS shares whose path is on one of ``mounts`` (REMOVED events sent)."""
    state = ctx.state
    for kind, collection in SHARE_KINDS:
        table = state.data.get(kind)
        if not table:
            continue
        for key in list(table):
            share = table[key]
            if any(_under(p, m) for p in _share_paths(share) for m in mounts):
                del table[key]
                _emit(ctx, collection, "REMOVED", share.get("id", key))


@method("pool.dataset.promote")
def promote(ctx, ident):
    state = ctx.state
    _require_str(ctx, "id", ident)
    ds = datasets(state)
    if ident not in ds or is_internal(ident):
        raise InstanceNotFound("PoolDataset", ident)
    rec = ds[ident]
    origin = rec.get("origin")
    if not origin:
        raise CallError("Only cloned datasets can be promoted.", errno.EBADMSG)
    idx = index(state)
    snaps = snapshots(state)
    source_name = snaps[origin]["dataset"]
    source = ds[source_name]
    cut = snaps[origin]["createtxg"]
    moved = [sid for sid in list(idx.snaps_of.get(source_name, ())) if snaps[sid]["createtxg"] <= cut]
    for sid in moved:
        snap = snaps.pop(sid)
        idx.remove_snapshot(sid, source_name)
        new_id = "%s@%s" % (ident, snap["snapshot_name"])
        snap.update({"id": new_id, "dataset": ident, "pool": rec["pool"]})
        snaps[new_id] = snap
        idx.add_snapshot(new_id)
        for clone in list(idx.clones.pop(sid, ())):
            if clone == ident:
                continue
            ds[clone]["origin"] = new_id
            idx.clones.setdefault(new_id, set()).add(clone)
    idx.clones.get(origin, set()).discard(ident)
    rec["origin"] = ""
    source["origin"] = "%s@%s" % (ident, origin.split("@", 1)[1])
    idx.clones.setdefault(source["origin"], set()).add(source_name)
    return None


@method("pool.dataset.recommended_zvol_blocksize")
def recommended_zvol_blocksize(ctx, pool):
    _require_str(ctx, "pool", pool)
    rec = pool_record(ctx.state, pool)
    if rec is None:
        raise CallError("%s: pool does not exist" % pool, errno.ENOENT)
    widest = 4
    draid = False
    for vdev in rec.get("topology", {}).get("data", []):
        vtype = vdev.get("type", "DISK")
        width = len(vdev.get("children", [])) or 1
        if vtype.startswith("DRAID"):
            draid = True
        elif vtype.startswith("RAIDZ"):
            widest = max(widest, width - int(vtype[-1]))
    if draid:
        return "128K"
    return "%dK" % min(128, 2 ** (widest * 4 - 1).bit_length())


@method("pool.dataset.recordsize_choices")
def recordsize_choices_method(ctx, pool_name=None):
    if pool_name is not None:
        _require_str(ctx, "pool_name", pool_name)
    return recordsize_choices(ctx.state, pool_name)


@method("pool.dataset.compression_choices")
def compression_choices(ctx):
    return {c: c for c in COMPRESSION}


@method("pool.dataset.checksum_choices")
def checksum_choices(ctx):
    return {c: c for c in CHECKSUMS if c != "OFF"}


# ---------------------------------------------------------------------------------------------
# seed


def _seed_props(entry):
    props = {}
    for key, value in (entry.get("properties") or {}).items():
        spec = PROP_BY_API.get(key) or PROP_BY_ZFS.get(key)
        zfs = spec[1] if spec else key
        kind = spec[2] if spec else "enum"
        if kind in ("size", "size0", "nicenum"):
            props[zfs] = str(parse_size(value, key))
        elif kind == "blocksize":
            props[zfs] = str(blocksize_bytes(str(value)) or parse_size(value, key))
        else:
            props[zfs] = str(value).lower()
    return props


@seed_loader
def load_datasets(state, seed):
    """Fill ``state.data["datasets"]`` (and seeded snapshots) from the ``datasets`` section."""
    entries = sorted(seed.get("datasets") or [], key=lambda e: _sort_key(e["name"]))
    ds = datasets(state)
    for entry in entries:
        name = entry["name"]
        pool = name.split("/", 1)[0]
        if pool not in ds:
            raise ValueError("seed dataset %s: pool %s is not in the pools section" % (name, pool))
        parent = parent_of(name)
        if parent not in ds:
            raise ValueError("seed dataset %s: parent %s is missing" % (name, parent))
        dtype = entry.get("type") or (VOL if "volsize" in entry else FS)
        props = _seed_props(entry)
        if dtype == VOL:
            volsize = parse_size(entry.get("volsize", GiB), "volsize")
            vbs = blocksize_bytes(str(entry.get("volblocksize", "16K")))
            props["volsize"] = str(volsize)
            props["volblocksize"] = str(vbs)
            if not entry.get("sparse") and "refreservation" not in props:
                props["refreservation"] = str(zvol_reservation(volsize, vbs))
        elif "casesensitivity" not in props:
            props["casesensitivity"] = _effective(state, ds[parent], "casesensitivity")[0]
        if entry.get("share_type"):
            _apply_share_type(props, entry["share_type"], {})
        user = {str(k): str(v) for k, v in (entry.get("user_properties") or {}).items()}
        for api, zfs in TN_USER_PROPS.items():
            if api in entry:
                user[zfs] = str(entry[api])
        encryption = None
        enc = entry.get("encryption")
        if enc:
            secret = enc.get("passphrase") or enc.get("key") or name
            encryption = {"root": name, "key_format": "passphrase" if enc.get("passphrase") else "hex",
                          "algorithm": str(enc.get("algorithm", "AES-256-GCM")).lower(),
                          "pbkdf2iters": int(enc.get("pbkdf2iters", 350000)) if enc.get("passphrase") else 0,
                          "key_loaded": not enc.get("locked", False), "secret_sha256": _secret_hash(secret)}
        else:
            encryption = _inherited_encryption(ds[parent])
        written = parse_size(entry["used"], "used") if "used" in entry else None
        rec = new_record(state, name, dtype, props, user, written=written,
                         creation=parse_time(entry.get("creation"), default=ds[parent]["creation"]),
                         encryption=encryption,
                         sparse=bool(entry.get("sparse")))
        insert_record(state, rec)
        for snap in entry.get("snapshots") or []:
            from . import snapshot as _snapshot
            _snapshot.seed_snapshot(state, name, snap)


@seed_loader
def load_files(state, seed):
    """Fill ``state.data["files"]`` from the ``files`` section (paths must be inside datasets)."""
    for entry in seed.get("files") or []:
        if isinstance(entry, str):
            entry = {"path": entry}
        add_file(state, entry["path"], size=parse_size(entry.get("size", 0), "size"),
                 kind=str(entry.get("type", "FILE")).upper())


def root_record(state, pool_name, creation=None, props=None):
    """The pool's root dataset as TrueNAS creates it (lz4, POSIX ACLs, xattr=sa)."""
    base = {"compression": "lz4", "aclmode": "discard", "acltype": "posix", "xattr": "sa",
            "aclinherit": "passthrough", "casesensitivity": "sensitive"}
    base.update(props or {})
    rec = new_record(state, pool_name, FS, base, written=FS_WRITTEN, creation=creation)
    return insert_record(state, rec)
