"""Filesystem reads: ``filesystem.stat`` over the files the storage service knows.

The simulated filesystem is the one of ``dataset.py``: ``/`` and ``/mnt``, the mountpoint of every
filesystem dataset (``/mnt/<dataset>``; datasets mount where their name says), the files of the
``files`` seed section and those services add (RAW disk images), and the directories between them.
Paths inside a locked dataset do not exist, and nothing outside ``/mnt`` does except ``/`` and
``/mnt`` themselves.

``filesystem.stat [path]`` returns a stat object like TrueNAS (statx): ``realpath``, ``type``
(``FILE``, ``DIRECTORY``, ``SYMLINK`` or ``OTHER``), ``size`` (a directory's is its entry count plus
two, as on ZFS), ``allocation_size``, ``mode``, ``mount_id``, ``uid``/``gid`` and ``user``/``group``
(root), ``atime``/``mtime``/``ctime``/``btime`` (floats: the creation time of the dataset holding the
path, the system's build time for ``/`` and ``/mnt``), ``dev``, ``inode`` (34 for a dataset's root
directory, as on ZFS), ``nlink``, ``acl`` (false: trivial ACLs), ``is_mountpoint``, ``is_ctldir``
(false) and ``attributes`` (``["MOUNT_ROOT"]`` for a mountpoint). ``dev``, ``mount_id`` and
``inode`` are stable numbers derived from the dataset name and the path. A missing path fails with
-32001 ENOENT ``[ENOENT] Path <path> not found``.
"""
import errno
import hashlib
import posixpath

from .. import schema as sim_schema
from ..errors import CallError, ValidationErrors
from ..registry import method
from . import dataset as storage

BOOT_DATASET = "boot-pool/ROOT"
DIR_MODE = 0o40755
FILE_MODE = 0o100644
OTHER_MODE = 0o100644
SYMLINK_MODE = 0o120777
MODES = {"DIRECTORY": DIR_MODE, "FILE": FILE_MODE, "SYMLINK": SYMLINK_MODE}
ZFS_ROOT_INODE = 34
BLOCK = 512
_RESULT_PROPERTIES = {
    "realpath": {"type": "string"},
    "type": {"enum": ["DIRECTORY", "FILE", "SYMLINK", "OTHER"]},
    "size": {"type": "integer"}, "allocation_size": {"type": "integer"}, "mode": {"type": "integer"},
    "mount_id": {"type": "integer"}, "uid": {"type": "integer"}, "gid": {"type": "integer"},
    "atime": {"type": "number"}, "mtime": {"type": "number"}, "ctime": {"type": "number"},
    "btime": {"type": "number"}, "dev": {"type": "integer"}, "inode": {"type": "integer"},
    "nlink": {"type": "integer"}, "acl": {"type": "boolean"}, "is_mountpoint": {"type": "boolean"},
    "is_ctldir": {"type": "boolean"}, "attributes": {"type": "array", "items": {"type": "string"}},
    "user": {"type": ["string", "null"]}, "group": {"type": ["string", "null"]},
}

sim_schema.register(
    "filesystem.stat", ["path"],
    {"additionalProperties": False, "title": "FilesystemStatArgs", "type": "object", "required": ["path"],
     "properties": {"path": {"title": "Path", "type": "string", "minLength": 1}}},
    returns={"type": "object", "title": "FilesystemStatResult", "required": ["result"],
             "properties": {"result": {"type": "object", "title": "FilesystemStatData",
                                       "required": sorted(_RESULT_PROPERTIES), "properties": _RESULT_PROPERTIES}}})


def _number(kind, name, low, span):
    """A stable number in ``[low, low + span)`` for ``name`` (device numbers, mount ids, inodes)."""
    digest = hashlib.sha256(("%s:%s" % (kind, name)).encode()).digest()
    return low + int.from_bytes(digest[:8], "big") % span


def _owner(state, path):
    """(dataset name, mountpoint) holding ``path``; the boot pool's root for ``/`` and ``/mnt``."""
    name = storage.dataset_for_path(state, path)
    if name is None:
        return BOOT_DATASET, "/"
    return name, "/mnt/" + name


def _mountpoints(state):
    """Mountpoints of the filesystem datasets (internal ones mount elsewhere)."""
    return ["/mnt/" + name for name, rec in storage.datasets(state).items()
            if rec.get("type") == storage.FS and not storage.is_internal(name)]


def _entries(state, path):
    """Names directly inside directory ``path`` -> True for subdirectories."""
    prefix = path.rstrip("/") + "/"
    out = {}
    for other in list(storage.files(state)) + _mountpoints(state):
        if not other.startswith(prefix) or other == prefix:
            continue
        rest = other[len(prefix):]
        name, below = rest.split("/", 1) if "/" in rest else (rest, "")
        is_dir = bool(below) or storage.path_type(state, other) == "DIRECTORY"
        out[name] = out.get(name, False) or is_dir
    if path == "/":
        out["mnt"] = True
    return out


def _creation(state, owner):
    rec = storage.get_dataset(state, owner)
    if rec is not None:
        return float(rec.get("creation", 0))
    config = state.data.get("system", {}).get("config") or {}
    return float(config.get("buildtime", 0))


def stat_path(state, path):
    """The stat object of ``path``, or None when the simulated filesystem has no such path."""
    kind = storage.path_type(state, path)
    if kind is None:
        return None
    real = posixpath.normpath(path)
    owner, mountpoint = _owner(state, real)
    mounted = real == mountpoint
    entry = storage.files(state).get(real) or {}
    if kind == "DIRECTORY":
        children = _entries(state, real)
        size = len(children) + 2
        allocation = BLOCK
        nlink = 2 + sum(1 for is_dir in children.values() if is_dir)
    else:
        size = int(entry.get("size", 0))
        allocation = -(-size // BLOCK) * BLOCK
        nlink = 1
    when = _creation(state, owner)
    kind = kind if kind in ("DIRECTORY", "FILE", "SYMLINK") else "OTHER"
    return {
        "realpath": real, "type": kind, "size": size, "allocation_size": allocation,
        "mode": MODES.get(kind, OTHER_MODE), "mount_id": _number("mount", owner, 64, 1 << 16),
        "uid": 0, "gid": 0, "atime": when, "mtime": when, "ctime": when, "btime": when,
        "dev": _number("dev", owner, 1 << 6, 1 << 20),
        "inode": ZFS_ROOT_INODE if mounted else _number("inode", real, 128, 1 << 32),
        "nlink": nlink, "acl": False, "is_mountpoint": mounted, "is_ctldir": False,
        "attributes": ["MOUNT_ROOT"] if mounted else [], "user": "root", "group": "root",
    }


@method("filesystem.stat")
def stat(ctx, path):
    if not isinstance(path, str):
        raise ValidationErrors([("path", "Input should be a valid string" if ctx.profile.at_least("25.10")
                                 else "Not a string", errno.EINVAL)])
    if not path:
        raise ValidationErrors([("path", "String should have at least 1 character", errno.EINVAL)])
    result = stat_path(ctx.state, path)
    if result is None:
        raise CallError("Path %s not found" % path, errno.ENOENT)
    return result
