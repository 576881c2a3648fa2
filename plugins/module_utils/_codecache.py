# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Compiled-code cache for the collection's module_utils when a module runs from its Ansible payload.

Ansible ships a module with its module_utils as Python sources inside a zip file (AnsiballZ), and
Python's zipimport compiles every one of them on every run, twice (once to learn the file name,
once to run it). For the TrueNAS modules that compile is most of their start-up: about 190 KB of
source per task. Every module imports this module first; inside a payload that puts a finder in
front of zipimport, for this package only. The finder compiles each source once and keeps the code
object in a per-user cache directory, named by the SHA-256 of the source and the Python version, so
a later task loads it instead of compiling. Python's own ``PYTHONDONTWRITEBYTECODE`` is about
``__pycache__`` next to source files and does not apply here.

The cache directory is ``nasops.truenas/code`` under ``sys.pycache_prefix`` (``PYTHONPYCACHEPREFIX``),
else ``$XDG_CACHE_HOME``, else ``~/.cache``. It is created with mode 0700 and only used when it is
owned by the current user and not writable by anyone else; so is every file read from it.
Each entry starts with a header and the SHA-256 of the marshalled code that follows; an entry whose
checksum does not match (a damaged or truncated file) is never unmarshalled: it is a miss, and the
freshly compiled code replaces it. ``NASOPS_TRUENAS_CODE_CACHE=0`` turns the cache off (the sources
are then still compiled once instead of twice). Any problem with the cache falls back to compiling;
a module never fails because of it.

Outside a zip payload (tests, sanity, the controller) importing this module does nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import marshal
import os
import stat
import sys
import types

try:
    import zipimport
    from importlib.machinery import ModuleSpec
    from importlib.util import MAGIC_NUMBER
except ImportError:  # pragma: no cover - every supported Python has these
    zipimport = None

PACKAGE = __name__.rpartition(".")[0]
DISABLE_ENV = "NASOPS_TRUENAS_CODE_CACHE"
SUFFIX = ".code"
# An entry: HEADER, the SHA-256 digest (32 bytes) of the payload, the payload (marshalled code).
HEADER = b"nasops.truenas code 2\n"
_DIGEST_SIZE = 32


def cache_directory(environ=None):
    """The directory of the cache (not created), or None when the cache is off."""
    environ = os.environ if environ is None else environ
    if environ.get(DISABLE_ENV, "").strip().lower() in ("0", "off", "false", "no"):
        return None
    base = getattr(sys, "pycache_prefix", None) or environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not home or home == "~":
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "nasops.truenas", "code")


def _private_directory(path):
    """``path`` (created if missing) if it is a directory owned by this user that nobody else may
    write, else None."""
    try:
        if not os.path.isdir(path):
            os.makedirs(path, mode=0o700)
        info = os.lstat(path)
    except OSError:
        return None
    return path if stat.S_ISDIR(info.st_mode) and _private(info) else None


def _private(info):
    """Whether the ``os.stat`` result ``info`` is owned by this user and not writable by others."""
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class CodeCache:
    """Code objects stored under ``directory``, one file per module and source text:
    ``<module>.<cache tag>-<SHA-256 of the source>.code``."""

    def __init__(self, directory):
        self.directory = directory
        self._usable = None

    def usable(self):
        if self._usable is None:
            tag = getattr(sys.implementation, "cache_tag", None)
            self._usable = bool(self.directory and tag) and _private_directory(self.directory) is not None
        return self._usable

    def path(self, name, source):
        digest = hashlib.sha256(MAGIC_NUMBER + source).hexdigest()
        return os.path.join(self.directory, "%s.%s-%s%s" % (name, sys.implementation.cache_tag, digest, SUFFIX))

    def load(self, name, source):
        """The cached code of module ``name`` for ``source`` (bytes), or None."""
        if not self.usable():
            return None
        try:
            with open(self.path(name, source), "rb") as handle:
                info = os.fstat(handle.fileno())
                if not _private(info):
                    return None
                data = handle.read()
        except OSError:
            return None
        payload = _verified_payload(data)
        if payload is None:
            return None
        try:
            code = marshal.loads(payload)
        except Exception:  # pylint: disable=broad-except
            # A payload with a valid checksum but unloadable (another Python build with the same
            # cache tag): marshal raises EOFError, ValueError, TypeError or even SystemError.
            return None
        return code if isinstance(code, types.CodeType) else None

    def store(self, name, source, code):
        """Keep ``code`` for ``source`` and remove the entries of older sources of module ``name``."""
        if not self.usable():
            return
        path = self.path(name, source)
        temporary = "%s.%d.tmp" % (path, os.getpid())
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                payload = marshal.dumps(code)
                handle.write(HEADER + hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, path)
        except (OSError, ValueError):
            try:
                os.unlink(temporary)
            except OSError:
                pass
            return
        keep = os.path.basename(path)
        try:
            for entry in os.listdir(self.directory):
                if entry != keep and entry.endswith(SUFFIX) and entry[:-len(SUFFIX)].rpartition(".")[0] == name:
                    os.unlink(os.path.join(self.directory, entry))
        except OSError:
            pass


def _verified_payload(data):
    """The payload of the entry ``data`` (bytes) when its header and checksum are right, else None."""
    start = len(HEADER) + _DIGEST_SIZE
    if len(data) <= start or not data.startswith(HEADER):
        return None
    payload = data[start:]
    if hashlib.sha256(payload).digest() != data[len(HEADER):start]:
        return None
    return payload


class _Loader:
    """Loads one module of the package from the zip: the cached code, else compiled once.

    The code is compiled with the file's path inside the zip as its file name, the same on every
    run (the zip itself is a new temporary file each time); tracebacks get the source lines from
    ``get_source``.
    """

    def __init__(self, name, inner_path, source, cache, is_package):
        self.name = name
        self.inner_path = inner_path
        self.source = source
        self.cache = cache
        self._is_package = is_package

    def create_module(self, spec):
        return None

    def is_package(self, fullname):
        return self._is_package

    def get_source(self, fullname):
        return self.source.decode("utf-8")

    def get_code(self, fullname):
        code = self.cache.load(self.name, self.source)
        if code is None:
            code = compile(self.source, self.inner_path, "exec", dont_inherit=True)
            self.cache.store(self.name, self.source, code)
        return code

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)  # pylint: disable=exec-used


class Finder:
    """A ``sys.meta_path`` finder for the modules below PACKAGE inside the zip file ``archive``
    (a ``zipimport.zipimporter``), where the package is the directory ``package_dir``."""

    def __init__(self, archive, package_dir, cache):
        self.archive = archive
        self.package_dir = package_dir
        self.cache = cache

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PACKAGE + "."):
            return None
        name = fullname[len(PACKAGE) + 1:]
        base = self.package_dir + "/" + name.replace(".", "/")
        for inner, is_package in ((base + "/__init__.py", True), (base + ".py", False)):
            origin = os.path.join(self.archive.archive, inner)
            try:
                source = self.archive.get_data(origin)
            except OSError:
                continue
            loader = _Loader(name, inner, source, self.cache, is_package)
            spec = ModuleSpec(fullname, loader, origin=origin, is_package=is_package)
            spec.has_location = True
            if is_package:
                spec.submodule_search_locations = [os.path.join(self.archive.archive, base)]
            return spec
        return None


def install(loader=None, environ=None):
    """Put a Finder first on ``sys.meta_path`` when ``loader`` (this module's loader) is a
    zipimporter of the package; otherwise do nothing. Idempotent; returns the Finder or None."""
    loader = globals().get("__loader__") if loader is None else loader
    if zipimport is None or not isinstance(loader, zipimport.zipimporter):
        return None
    package_dir = loader.prefix.rstrip("/")
    if package_dir != PACKAGE.replace(".", "/"):
        return None
    for finder in sys.meta_path:
        if isinstance(finder, Finder):
            return finder
    finder = Finder(zipimport.zipimporter(loader.archive), package_dir, CodeCache(cache_directory(environ)))
    sys.meta_path.insert(0, finder)
    return finder


install()
