# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""The session broker, module side: one TrueNAS login shared by every module run of a user.

The first module run for a NAS and a set of credentials starts a background process, the broker
(``_brokerd``), which logs in once and holds the WebSocket. That run and every later one (the next
tasks, loop items, other forks, the next playbook) send their calls to it over a unix socket
instead of connecting and logging in themselves. The broker exits when it has been idle for
``broker_idle_timeout`` seconds (0: no broker, every run connects directly) or after
``broker_lifetime`` seconds.

::

    client = open_client(settings, idle_timeout=60, lifetime=3600, log=debug)   # BrokerClient or TrueNASClient
    client.query("pool.dataset.query", [["name", "=", "tank/a"]])

Security:

* one broker per endpoint, credential, TLS settings and collection code; its socket is named by a
  salted scrypt of all of them (the salt is random per user), so the name reveals nothing and other
  credentials never reach that session;
* sockets live in a directory of mode 0700 owned by the user (``$XDG_RUNTIME_DIR/nasops.truenas``,
  else ``~/.cache/nasops.truenas/run``); a directory, socket or salt owned by someone else or
  writable by others is refused, and so is a peer process of another user (``SO_PEERCRED``);
* a client proves it knows the credential (an HMAC of the broker's random challenge with a key
  derived with the socket name) before the broker serves it;
* secrets reach the broker over a pipe, never its command line, its environment or the disk.

Anything that keeps the broker from working (no unix sockets, a read-only home, bad ownership, a
broker that does not start) makes ``open_client`` connect directly and record why in
``client.broker_fallback``; it never makes a module fail. TrueNAS errors cross the socket
unchanged: the same ``TrueNASError`` subclass with the same fields.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import importlib.util
import json
import os
import select
import socket
import stat
import struct
import sys
import time

from ansible_collections.nasops.truenas.plugins.module_utils import _errors
from ansible_collections.nasops.truenas.plugins.module_utils._client import (
    ClientBase,
    TrueNASClient,
    is_read_only,
)
from ansible_collections.nasops.truenas.plugins.module_utils._ejson import dumps, loads
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASConnectionError,
    TrueNASError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities, parse_version

PROTOCOL = 1
PACKAGE = __name__.rpartition(".")[0]
# What the broker process runs: these modules, shipped to it as sources over its stdin.
BROKER_MODULES = ("_errors", "_ejson", "_versions", "_auth", "_jsonrpc", "_transport", "_client", "_broker", "_brokerd")
PACKAGES = ("ansible_collections", "ansible_collections.nasops", "ansible_collections.nasops.truenas",
            "ansible_collections.nasops.truenas.plugins", PACKAGE)
SALT_NAME = "salt"
SALT_SIZE = 32
# scrypt with 1 MiB of memory: about 2 ms, once per module run. Socket names are not secret (every
# user sees them in /proc/net/unix) but the salt is: without it no guess can be tested at all. The
# scrypt is for those who also have the salt (root, a backup of the home directory): each guess at
# a low-entropy password costs them 2 ms and 1 MiB instead of the microsecond of a plain hash.
KDF = dict(n=2 ** 10, r=8, p=1, maxmem=16 * 1024 * 1024, dklen=64)
PBKDF2_ITERATIONS = 10000
MAX_FRAME = 256 * 1024 * 1024
HELLO_TIMEOUT = 10.0
SOCKET_PATH_MAX = 100
# The broker's first line on its stdout comes once it has logged in; a rate-limited login waits up
# to 75 s for the next minute.
START_GRACE = 90.0
KEPT_ENVIRONMENT_PREFIXES = ("LANG", "LC_", "SSL_CERT_", "REQUESTS_CA_BUNDLE", "XDG_", "TZ", "HOME", "USER", "LOGNAME",
                             "PATH", "TMPDIR", "PYTHONHASHSEED", "NASOPS_", "http_proxy", "https_proxy", "no_proxy",
                             "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
BOOTSTRAP = "import sys,json;exec(json.loads(sys.stdin.buffer.readline()))"
# The code the bootstrap line runs: an import hook serving the shipped sources, then the broker.
BROKER_MAIN = r'''
import importlib, importlib.abc, importlib.util, sys, json
boot = json.loads(sys.stdin.buffer.readline())
sources = boot.pop("sources")
sys.path[:] = boot.pop("sys_path")

class _Sources(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name in sources:
            return importlib.util.spec_from_loader(name, self, is_package=sources[name] is None)
        return None

    def create_module(self, spec):
        return None

    def get_source(self, name):
        return sources.get(name)

    def exec_module(self, module):
        source = sources[module.__name__]
        if source is None:
            module.__path__ = []
            return
        filename = "<nasops.truenas>/%s.py" % module.__name__.replace(".", "/")
        exec(compile(source, filename, "exec", dont_inherit=True), module.__dict__)

sys.meta_path.insert(0, _Sources())
brokerd = importlib.import_module(boot.pop("entry"))
brokerd.main(boot)
'''


class BrokerUnavailable(Exception):
    """The broker cannot be used here; the message says why (the module then connects directly)."""


# ---- places ---------------------------------------------------------------------------------

def runtime_directory(environ=None):
    """Where the sockets live: ``$XDG_RUNTIME_DIR/nasops.truenas``, else ``~/.cache/nasops.truenas/run``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isabs(base):
        return os.path.join(base, "nasops.truenas")
    home = environ.get("HOME") or os.path.expanduser("~")
    if not home or home == "~" or not os.path.isabs(home):
        raise BrokerUnavailable("no home directory and no XDG_RUNTIME_DIR to keep the session sockets in")
    return os.path.join(home, ".cache", "nasops.truenas", "run")


def _owned_private(info, what, path, wanted):
    """BrokerUnavailable unless ``info`` is owned by this user with no permission bits for others."""
    if info.st_uid != os.geteuid():
        raise BrokerUnavailable("%s %s is owned by uid %d, not by this user (uid %d)"
                                % (what, path, info.st_uid, os.geteuid()))
    if info.st_mode & 0o077:
        raise BrokerUnavailable("%s %s has mode %04o: other users may use it (it must be %04o)"
                                % (what, path, stat.S_IMODE(info.st_mode), wanted))


def private_directory(path):
    """``path``, created with mode 0700 if missing; BrokerUnavailable unless it is a directory
    owned by this user that no one else may write."""
    if not hasattr(socket, "AF_UNIX") or not hasattr(os, "geteuid"):
        raise BrokerUnavailable("this system has no unix sockets")
    try:
        os.makedirs(path, mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise BrokerUnavailable("cannot create %s: %s" % (path, exc.strerror or exc))
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise BrokerUnavailable("cannot use %s: %s" % (path, exc.strerror or exc))
    if not stat.S_ISDIR(info.st_mode):
        raise BrokerUnavailable("%s is not a directory" % path)
    _owned_private(info, "the directory", path, 0o700)
    return path


def user_salt(directory):
    """The per-user random salt kept in ``directory`` (created on first use, mode 0600)."""
    path = os.path.join(directory, SALT_NAME)
    for _attempt in range(3):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            except FileExistsError:
                continue
            except OSError as exc:
                raise BrokerUnavailable("cannot create %s: %s" % (path, exc.strerror or exc))
            salt = os.urandom(SALT_SIZE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(salt)
            return salt
        except OSError as exc:
            raise BrokerUnavailable("cannot read %s: %s" % (path, exc.strerror or exc))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _owned_private(info, "the salt file", path, 0o600)
            salt = handle.read(SALT_SIZE + 1)
        if len(salt) == SALT_SIZE:
            return salt
        # a salt being written right now by another run, or a damaged one
        time.sleep(0.05)
    raise BrokerUnavailable("the salt file %s is damaged (remove it)" % path)


# ---- keys -----------------------------------------------------------------------------------

def module_sources():
    """``{module name: source}`` of what the broker runs (packages map to None)."""
    sources = dict((name, None) for name in PACKAGES)
    for short in BROKER_MODULES:
        name = "%s.%s" % (PACKAGE, short)
        module = sys.modules.get(name)
        loader = getattr(module, "__loader__", None) if module is not None else None
        if loader is None:
            spec = importlib.util.find_spec(name)
            loader = spec.loader if spec is not None else None
        source = loader.get_source(name) if loader is not None and hasattr(loader, "get_source") else None
        if isinstance(source, bytes):  # the controller's collection loader gives bytes
            source = source.decode("utf-8")
        if not source:
            raise BrokerUnavailable("the source of %s is not available to start a broker" % name)
        sources[name] = source
    return sources


def code_version(sources):
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode("utf-8") + b"\0" + (sources[name] or "").encode("utf-8") + b"\0")
    return digest.hexdigest()


def session_identity(settings):
    """What makes two module runs share a session: endpoint, credential and TLS settings."""
    auth = settings.auth
    return [PROTOCOL, settings.endpoint, auth.NAME, settings.username, settings.api_key, settings.password,
            settings.otp_token, settings.validate_certs, settings.ca_path]


def derive_keys(settings, version, salt):
    """``(socket name, proof key)`` for ``settings``: a salted scrypt of the session identity."""
    material = json.dumps(session_identity(settings) + [version], separators=(",", ":")).encode("utf-8")
    if hasattr(hashlib, "scrypt"):
        derived = hashlib.scrypt(material, salt=salt, **KDF)
    else:  # a Python built without OpenSSL's scrypt
        derived = hashlib.pbkdf2_hmac("sha512", material, salt, PBKDF2_ITERATIONS, dklen=64)
    return derived[:16].hex(), derived[32:]


def proof(key, nonce, side):
    return hmac.new(key, side + b"\0" + nonce, hashlib.sha256).hexdigest()


# ---- framing --------------------------------------------------------------------------------

def send_frame(sock, message):
    data = dumps(message).encode("utf-8")
    sock.sendall(struct.pack(">I", len(data)) + data)


def _recv_exact(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1048576))
        if not chunk:
            raise EOFError("the peer closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock):
    (size,) = struct.unpack(">I", _recv_exact(sock, 4))
    if size > MAX_FRAME:
        raise EOFError("frame of %d bytes is too large" % size)
    message = loads(_recv_exact(sock, size).decode("utf-8"))
    if not isinstance(message, dict):
        raise EOFError("malformed frame")
    return message


def peer_credentials(sock):
    """``(pid, uid, gid)`` of the process at the other end of a unix socket."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        raise BrokerUnavailable("this system cannot tell who is at the other end of a unix socket (no SO_PEERCRED)")
    data = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return struct.unpack("3i", data)


# ---- errors across the socket -----------------------------------------------------------------

def error_to_wire(exc):
    """A TrueNASError as a JSON-able dict keeping its class and every field."""
    fields = dict((k, v) for k, v in vars(exc).items() if not k.startswith("_"))
    if "errors" in fields:
        fields["errors"] = [list(item) for item in fields["errors"] or []]
    return {"type": type(exc).__name__, "fields": fields}


def error_from_wire_dict(data):
    """The TrueNASError that ``error_to_wire`` described."""
    if not isinstance(data, dict):
        return TrueNASError("the session broker sent a malformed error")
    cls = getattr(_errors, str(data.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, TrueNASError)):
        cls = TrueNASError
    fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
    exc = cls.__new__(cls)
    message = fields.get("message") if isinstance(fields.get("message"), str) else "error"
    Exception.__init__(exc, message)
    for key, value in fields.items():
        setattr(exc, key, value)
    exc.message = message
    if isinstance(fields.get("errors"), list):
        exc.errors = [tuple(item) if isinstance(item, list) else item for item in fields["errors"]]
    return exc


# ---- the module side ------------------------------------------------------------------------

def clean_environment(secrets, environ=None):
    """The broker's environment: what it needs (locale, CA settings, home), no TRUENAS_* variable
    and nothing holding a secret."""
    environ = os.environ if environ is None else environ
    env = {}
    for name, value in environ.items():
        if name.startswith("TRUENAS_") or not name.startswith(KEPT_ENVIRONMENT_PREFIXES):
            continue
        if any(secret and secret in value for secret in secrets):
            continue
        env[name] = value
    return env


class BrokerClient(ClientBase):
    """The client interface of ``TrueNASClient`` (``connect``, ``call``, ``query``, ``get_one``,
    ``next_event``, ``caps``, ``version``, ``warnings``, ``close``) served by the broker."""

    def __init__(self, settings, idle_timeout=60, lifetime=3600, log=None, environ=None, spawn_timeout=None):
        self.settings = settings
        self.idle_timeout = idle_timeout
        self.lifetime = lifetime
        self._user_log = log
        self._environ = os.environ if environ is None else environ
        self._spawn_timeout = spawn_timeout
        self._sock = None
        self._version = None
        self._version_string = None
        self._caps = None
        self.warnings = []
        self.connections = 0
        self.started_broker = False
        self.broker_pid = None
        self.broker_fallback = None
        self._sources = None
        self._keys = None
        self._directory = None

    def _log(self, message):
        if self._user_log is not None:
            self._user_log(self._scrub_text(message))

    # -- the session -----------------------------------------------------------------------

    @property
    def connected(self):
        return self._sock is not None

    def _prepare(self):
        """Directory, salt, sources and keys (BrokerUnavailable when any is missing)."""
        if self._keys is not None:
            return
        directory = private_directory(runtime_directory(self._environ))
        salt = user_salt(directory)
        self._sources = module_sources()
        name, proof_key = derive_keys(self.settings, code_version(self._sources), salt)
        path = os.path.join(directory, name + ".sock")
        if len(path.encode("utf-8")) > SOCKET_PATH_MAX:
            raise BrokerUnavailable("the socket path %s is too long for a unix socket; set XDG_RUNTIME_DIR to a "
                                    "shorter directory" % path)
        self._directory = directory
        self._keys = (path, proof_key)

    @property
    def socket_path(self):
        self._prepare()
        return self._keys[0]

    def connect(self):
        """Attach to the broker of these settings, starting it when there is none.

        Raises BrokerUnavailable when the broker cannot be used, and the TrueNASError of the login
        when the broker started but could not log in.
        """
        if self._sock is not None:
            return self
        self._prepare()
        try:
            sock = self._attach()
        except BrokerUnavailable:
            raise
        except _Stale:
            sock = self._start_and_attach()
        self._sock = sock
        return self

    def _attach(self):
        """A connected, authenticated socket to a live broker; _Stale when there is none."""
        path, proof_key = self._keys
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise _Stale()
        except OSError as exc:
            raise BrokerUnavailable("cannot look at %s: %s" % (path, exc.strerror or exc))
        if not stat.S_ISSOCK(info.st_mode):
            raise BrokerUnavailable("%s is not a socket" % path)
        if info.st_uid != os.geteuid():
            raise BrokerUnavailable("refusing the socket %s: it is owned by uid %d, not by this user (uid %d)"
                                    % (path, info.st_uid, os.geteuid()))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(HELLO_TIMEOUT)
            try:
                sock.connect(path)
            except (ConnectionRefusedError, FileNotFoundError):
                self._remove_stale(path, info)
                raise _Stale()
            except OSError as exc:
                raise BrokerUnavailable("cannot connect to %s: %s" % (path, exc.strerror or exc))
            pid, uid, _gid = peer_credentials(sock)
            if uid != os.geteuid():
                raise BrokerUnavailable("refusing the broker at %s: it runs as uid %d, not as this user (uid %d)"
                                        % (path, uid, os.geteuid()))
            try:
                hello = recv_frame(sock)
                nonce = bytes.fromhex(str(hello.get("hello")))
                send_frame(sock, {"proof": proof(proof_key, nonce, b"client"), "timeout": self.settings.timeout,
                                  "log": self._user_log is not None})
                ready = recv_frame(sock)
            except (OSError, EOFError, ValueError) as exc:
                # a broker that accepts but does not answer hangs: replace it
                self._log("the session broker (pid %d) did not answer (%s); replacing it" % (pid, exc))
                self._kill(pid, path, info)
                raise _Stale()
            if "ready" not in ready:
                raise BrokerUnavailable("the broker at %s refused this client: %s" % (path, ready.get("refused")))
            self._hello(ready["ready"], pid)
            sock.settimeout(None)
            return sock
        except BaseException:
            sock.close()
            raise

    def _hello(self, info, pid):
        self.broker_pid = pid
        self._version_string = info.get("version_string")
        self._version = parse_version(self._version_string)
        self._caps = Capabilities(self._version, version_string=self._version_string)
        for warning in info.get("warnings") or ():
            if warning not in self.warnings:
                self.warnings.append(warning)
        self.connections += 1
        self._log("using the session broker (pid %d) for %s as %s; TrueNAS %s"
                  % (pid, self.settings.endpoint, self.settings.auth.describe(), self._version_string))

    def _remove_stale(self, path, info):
        try:
            now = os.lstat(path)
            if (now.st_ino, now.st_dev) == (info.st_ino, info.st_dev):
                os.unlink(path)
                self._log("removed the stale session socket %s" % path)
        except OSError:
            pass

    def _kill(self, pid, path, info):
        if pid > 0 and pid != os.getpid():
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        self._remove_stale(path, info)

    def _start_and_attach(self):
        """Start a broker (one, even when several runs get here at once) and attach to it."""
        path, _proof_key = self._keys
        lock_path = path[:-len(".sock")] + ".lock"
        try:
            import fcntl
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except (ImportError, OSError) as exc:
            raise BrokerUnavailable("cannot lock %s: %s" % (lock_path, getattr(exc, "strerror", None) or exc))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                return self._attach()
            except _Stale:
                pass
            self._spawn()
            try:
                return self._attach()
            except _Stale:
                raise BrokerUnavailable("the session broker started but its socket %s cannot be reached" % path)
        finally:
            os.close(fd)

    def _spawn(self):
        import subprocess
        # imported here so that Ansible ships it in the module's payload; it runs in the broker
        from ansible_collections.nasops.truenas.plugins.module_utils import _brokerd
        path, proof_key = self._keys
        settings = self.settings
        title = "nasops.truenas session broker: %s at %s" % (settings.username or settings.auth.NAME, settings.endpoint)
        env = clean_environment(settings.secrets, self._environ)
        boot = {
            "sources": self._sources,
            "sys_path": [p for p in sys.path if p and os.path.isdir(p)],
            "settings": dict((name, getattr(settings, name)) for name in settings.FIELDS),
            "socket": path,
            "proof_key": proof_key.hex(),
            "idle_timeout": self.idle_timeout,
            "lifetime": self.lifetime,
            "title": title,
            "entry": _brokerd.__name__,
            "log": self._user_log is not None,
        }
        self._log("starting a session broker for %s" % settings.endpoint)
        try:
            proc = subprocess.Popen([sys.executable, "-c", BOOTSTRAP, title], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/", env=env,
                                    close_fds=True, start_new_session=True)
        except OSError as exc:
            raise BrokerUnavailable("cannot start the session broker: %s" % (exc.strerror or exc))
        try:
            proc.stdin.write((json.dumps(BROKER_MAIN) + "\n").encode("utf-8"))
            proc.stdin.write((dumps(boot) + "\n").encode("utf-8"))
            proc.stdin.close()
        except OSError as exc:
            proc.kill()
            raise BrokerUnavailable("cannot hand the settings to the session broker: %s" % (exc.strerror or exc))
        message = self._report(proc)
        proc.stdout.close()
        if "error" in message:
            proc.wait()
            raise error_from_wire_dict(message["error"])
        if "failed" in message:
            proc.wait()
            raise BrokerUnavailable("the session broker failed to start: %s" % message["failed"])
        if "ready" not in message:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            raise BrokerUnavailable("the session broker did not start (exit code %s)" % proc.returncode)
        self.started_broker = True
        # the starter forked the broker off and exits at once
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _report(self, proc):
        """The broker's report on its start (passing its log lines on): ``{"ready": ...}``,
        ``{"error": ...}``, ``{"failed": ...}``, or ``{}`` when it ended without one."""
        limit = self._spawn_timeout or (self.settings.timeout * 2 + START_GRACE)
        deadline = time.monotonic() + limit
        data = b""
        fd = proc.stdout.fileno()
        while True:
            while b"\n" in data:
                line, data = data.split(b"\n", 1)
                try:
                    message = json.loads(line.decode("utf-8", "replace"))
                except ValueError:
                    continue
                if not isinstance(message, dict):
                    continue
                if "log" in message:
                    self._log(str(message["log"]))
                    continue
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                proc.kill()
                raise BrokerUnavailable("the session broker did not report within %g s" % limit)
            ready, _w, _x = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return {}
            data += chunk

    def close(self):
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    # -- calls ------------------------------------------------------------------------------

    def _request(self, request, progress=None, read_only=False):
        """Send ``request`` to the broker and return its result (raising its error).

        When the broker goes away in the middle, a read-only request is sent again to a new
        broker, a job whose id is known is followed by id; anything else may have run and is
        reported, never repeated.
        """
        job_id = None
        for attempt in range(2):
            self.connect()
            try:
                send_frame(self._sock, request)
                while True:
                    reply = recv_frame(self._sock)
                    if "result" in reply:
                        return reply["result"]
                    if "error" in reply:
                        raise error_from_wire_dict(reply["error"])
                    if "log" in reply:
                        self._log(str(reply["log"]))
                    elif "progress" in reply:
                        if progress is not None:
                            percent, description = (list(reply["progress"]) + [None, ""])[:2]
                            progress(percent, description)
                    elif "job" in reply:
                        job_id = reply["job"]
            except (OSError, EOFError, ValueError) as exc:
                self.close()
                method = request.get("method")
                if attempt == 0 and (read_only or job_id is not None):
                    self._log("the session broker went away (%s); %s through a new one"
                              % (exc, "following job %s" % job_id if job_id is not None else "repeating the read"))
                    if job_id is not None:
                        request = {"op": "wait_job", "method": method, "job_id": job_id,
                                   "timeout": request.get("timeout"), "progress": request.get("progress")}
                    continue
                raise TrueNASConnectionError(
                    "%s: the session broker stopped while the call was in progress (%s); the request had been "
                    "sent and may have run on the server" % (method, exc), method=method, sent=True)
        raise TrueNASError("%s: no result from the session broker" % request.get("method"))  # pragma: no cover

    def call(self, method, *params, job=False, timeout=None, progress=None):
        request = {"op": "call", "method": method, "params": list(params), "job": bool(job), "timeout": timeout,
                   "progress": progress is not None}
        return self._request(request, progress=progress, read_only=not job and is_read_only(method))

    def query(self, method, filters=None, options=None, timeout=None):
        request = {"op": "query", "method": method, "filters": list(filters or []), "options": dict(options or {}),
                   "timeout": timeout}
        return self._request(request, read_only=True)

    def next_event(self, collection, timeout=None):
        request = {"op": "next_event", "method": "core.subscribe", "collection": collection, "timeout": timeout}
        return self._request(request, read_only=True)

    def get_one(self, method, filters, options=None, timeout=None):
        request = {"op": "get_one", "method": method, "filters": list(filters or []), "options": dict(options or {}),
                   "timeout": timeout}
        return self._request(request, read_only=True)


class _Stale(Exception):
    """No live broker behind the socket path."""


def open_client(settings, idle_timeout=60, lifetime=3600, log=None, environ=None, direct_factory=None):
    """A connected client for ``settings``: the broker's when it can be used, else a direct
    ``TrueNASClient`` whose ``broker_fallback`` says why (None when the broker is turned off).

    TrueNAS errors (a refused login, an unreachable NAS) are raised as they are.
    """
    direct_factory = direct_factory or TrueNASClient
    fallback = None
    if idle_timeout and idle_timeout > 0:
        client = BrokerClient(settings, idle_timeout=idle_timeout, lifetime=lifetime, log=log, environ=environ)
        try:
            return client.connect()
        except BrokerUnavailable as exc:
            fallback = str(exc)
            if log is not None:
                log("session broker unavailable, connecting directly: %s" % fallback)
    client = direct_factory(settings, log=log)
    client.broker_fallback = fallback
    try:
        client.connect()
    except TrueNASError:
        client.close()
        raise
    return client
