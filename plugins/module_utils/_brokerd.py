# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""The session broker process: one logged-in WebSocket shared by many module runs.

``_broker`` starts it (a fresh interpreter, its code and settings sent over stdin). It logs in,
reports on stdout, then serves module runs on its unix socket, one thread per connection:

* ``SharedSession`` owns the WebSocket. One I/O thread writes queued requests and reads replies
  and events, routing each reply to the connection that asked by request id and each
  ``collection_update`` event to the connections that watch that collection. At most 20 calls are
  in flight (the server's limit per connection); more wait their turn. ``core.ping`` keeps the
  connection alive across the 60 s idle drop of TrueNAS 25.x.
* Each module run gets a ``TrueNASClient`` (``_SessionClient``) whose connection is a ``Channel``
  of the shared session, so the retry rules are the same as on a direct connection: read-only
  calls are repeated after a drop, writes are not, jobs are followed by id. When the WebSocket
  drops, the next call logs in again.
* The process exits after ``idle_timeout`` seconds without a connected module run, after
  ``lifetime`` seconds (once the runs in progress are done), or when its socket is removed or
  replaced.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import copy
import hmac
import os
import select
import socket
import threading
import time

from ansible_collections.nasops.truenas.plugins.module_utils._broker import (
    PROTOCOL,
    error_to_wire,
    peer_credentials,
    proof,
    recv_frame,
    send_frame,
)
from ansible_collections.nasops.truenas.plugins.module_utils._client import (
    ConnectionSettings,
    TrueNASClient,
)
from ansible_collections.nasops.truenas.plugins.module_utils._ejson import dumps, loads
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASConnectionError,
    TrueNASError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._jsonrpc import (
    COLLECTION_UPDATE,
    NOTIFY_UNSUBSCRIBED,
    check_method,
    describe_params,
    describe_result,
    encode_request,
    lost_after_send,
    reply_timeout,
    result_of,
)
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities

MAX_IN_FLIGHT = 20
# core.ping at least this often keeps the connection inside the 60 s idle drop of TrueNAS 25.x
KEEPALIVE_INTERVAL = 20.0
KEEPALIVE_ENV = "NASOPS_TRUENAS_BROKER_KEEPALIVE"
POLL_INTERVAL = 0.05
SUBSCRIBE = "core.subscribe"
UNSUBSCRIBE = "core.unsubscribe"


class _Generation:
    """One WebSocket of the shared session and the I/O thread that drives it."""

    def __init__(self, number, transport, last_id, keepalive_interval, log, wake_pipe):
        self.number = number
        self.transport = transport
        self.keepalive_interval = keepalive_interval
        self.log = log
        self.cond = threading.Condition()
        self.outbox = collections.deque()
        self.pending = {}
        self.channels = set()
        self.subscriptions = {}
        self.subscribe_lock = threading.Lock()
        self.in_flight = 0
        self.alive = True
        self.error = None
        self.last_id = last_id
        self.last_send = time.monotonic()
        self._wake_r, self._wake_w = wake_pipe
        self.thread = threading.Thread(target=self._run, name="truenas-io-%d" % number, daemon=True)
        self.thread.start()

    # -- requests ---------------------------------------------------------------------------

    def submit(self, channel, method, params, counted=True):
        """Queue ``method(*params)`` for ``channel``; returns the request id."""
        check_method(method)
        with self.cond:
            while counted and self.alive and self.in_flight >= MAX_IN_FLIGHT:
                self.cond.wait(1.0)
            if not self.alive:
                raise TrueNASConnectionError("%s: %s (the request was not sent)" % (method, self.error.message),
                                             method=method, sent=False)
            self.last_id += 1
            request_id = self.last_id
            text = encode_request(method, params, request_id)
            self.pending[request_id] = (channel, method, counted)
            if counted:
                self.in_flight += 1
            self.outbox.append((request_id, text))
        self._wake()
        return request_id

    def _wake(self):
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def subscribe(self, channel, collection, timeout):
        """``core.subscribe`` once per collection and connection; later callers share it. Returns
        the subscription id; the subscription lasts while a channel holds it."""
        with self.subscribe_lock:
            if collection not in self.subscriptions:
                request_id = self.submit(channel, SUBSCRIBE, [collection])
                self.subscriptions[collection] = [channel.wait(request_id, timeout, SUBSCRIBE), 0]
            entry = self.subscriptions[collection]
            entry[1] += 1
            channel.held.append(collection)
            return entry[0]

    def release(self, channel, collection):
        """``channel`` no longer needs ``collection``; the last one out unsubscribes."""
        with self.subscribe_lock:
            if collection not in channel.held:
                return
            channel.held.remove(collection)
            entry = self.subscriptions.get(collection)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del self.subscriptions[collection]
        if self.alive:
            try:
                self.submit(None, UNSUBSCRIBE, [entry[0]], counted=False)
            except TrueNASConnectionError:
                pass

    def collection_of(self, subscription):
        with self.subscribe_lock:
            for collection, entry in self.subscriptions.items():
                if entry[0] == subscription:
                    return collection
        return None

    # -- the I/O thread ---------------------------------------------------------------------

    def _run(self):
        try:
            while True:
                self._flush()
                self._receive()
        except TrueNASConnectionError as exc:
            self._die(exc)
        except Exception as exc:  # pylint: disable=broad-except
            self._die(TrueNASConnectionError("the session's connection failed: %s" % exc))

    def _flush(self):
        while True:
            with self.cond:
                if not self.alive:
                    raise self.error
                if not self.outbox:
                    return
                _request_id, text = self.outbox.popleft()
            self.transport.send(text)
            self.last_send = time.monotonic()

    def _receive(self):
        wait = max(self.last_send + self.keepalive_interval - time.monotonic(), 0.0)
        selectable = getattr(self.transport, "selectable", None)
        sock = selectable() if selectable is not None else None
        if sock is None:
            text = self.transport.recv(min(wait, POLL_INTERVAL) or 0.001)
        else:
            if not self.transport.pending():
                readable, _w, _x = select.select([sock, self._wake_r], [], [], wait)
                if self._wake_r in readable:
                    try:
                        while os.read(self._wake_r, 4096):
                            pass
                    except OSError:
                        pass
                if sock not in readable:
                    self._keepalive()
                    return
            text = self.transport.recv(POLL_INTERVAL)
        if text is not None:
            self._dispatch(text)
        self._keepalive()

    def _keepalive(self):
        if time.monotonic() - self.last_send >= self.keepalive_interval:
            self.submit(None, "core.ping", [], counted=False)

    def _dispatch(self, text):
        try:
            message = loads(text)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if "id" in message and "method" not in message:
            with self.cond:
                entry = self.pending.pop(message.get("id"), None)
                if entry is not None and entry[2]:
                    self.in_flight -= 1
                    self.cond.notify_all()
            if entry is not None and entry[0] is not None:
                entry[0].deliver(message.get("id"), entry[1], message)
        elif "method" in message and "id" not in message:
            params = message.get("params")
            if not isinstance(params, dict):
                return
            method = message.get("method")
            with self.cond:
                channels = list(self.channels)
            for channel in channels:
                if method == NOTIFY_UNSUBSCRIBED or (method == COLLECTION_UPDATE
                                                     and params.get("collection") in channel.watched):
                    channel.notify(method, params)

    def _die(self, exc):
        with self.cond:
            if not self.alive:
                return
            self.alive = False
            self.error = exc
            unsent = set(request_id for request_id, _text in self.outbox)
            self.outbox.clear()
            pending, self.pending = self.pending, {}
            self.in_flight = 0
            channels = list(self.channels)
            self.cond.notify_all()
        self.log("the session's connection was lost: %s" % exc.message)
        for request_id, (channel, method, _counted) in pending.items():
            if channel is not None:
                if request_id in unsent:
                    error = TrueNASConnectionError("%s: %s (the request was not sent)" % (method, exc.message),
                                                   method=method, sent=False, close_code=exc.close_code,
                                                   close_reason=exc.close_reason)
                else:
                    error = lost_after_send(method, exc)
                channel.deliver(request_id, method, error)
        for channel in channels:
            channel.wake()
        try:
            self.transport.close()
        except Exception:  # pylint: disable=broad-except
            pass

    def close(self):
        self._die(TrueNASConnectionError("the session broker closed the connection"))


class Channel:
    """One module run's view of a ``_Generation``, with the interface of ``JSONRPCConnection``
    that ``TrueNASClient`` uses (``request``, ``wait``, ``call``, ``pump``, ``watch``, ...)."""

    def __init__(self, generation, log):
        self.generation = generation
        self._log = log
        self.cond = threading.Condition()
        self.responses = {}
        self.ignored = set()
        self.watched = set()
        self.notifications = collections.deque(maxlen=1000)
        self.notification_count = 0
        self.keepalive_enabled = False
        self.held = []
        self._closed = False
        with generation.cond:
            generation.channels.add(self)

    def log(self, message):
        if self._log is not None:
            self._log(message)

    @property
    def closed(self):
        return self._closed or not self.generation.alive

    def request(self, method, params=()):
        if self._closed:
            raise TrueNASConnectionError("%s: the connection is closed (request not sent)" % method, method=method,
                                         sent=False)
        request_id = self.generation.submit(self, method, list(params))
        self.log("-> #%d %s %s" % (request_id, method, describe_params(method, params)))
        return request_id

    def deliver(self, request_id, method, message):
        with self.cond:
            if request_id in self.ignored:
                self.ignored.discard(request_id)
                return
            self.responses[request_id] = message
            self.cond.notify_all()
        if isinstance(message, dict):
            if message.get("error") is not None:
                self.log("<- #%s %s error" % (request_id, method))
            else:
                self.log("<- #%s %s %s" % (request_id, method, describe_result(message.get("result"))))

    def notify(self, method, params):
        with self.cond:
            self.notifications.append((method, params))
            self.notification_count += 1
            self.cond.notify_all()

    def wake(self):
        with self.cond:
            self.cond.notify_all()

    def wait(self, request_id, timeout, method=None):
        method = method or "call"
        deadline = time.monotonic() + timeout
        with self.cond:
            while request_id not in self.responses:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.ignored.add(request_id)
                    raise reply_timeout(method, timeout)
                self.cond.wait(remaining)
            message = self.responses.pop(request_id)
        if isinstance(message, TrueNASError):
            raise message
        return result_of(message, method)

    def call(self, method, *params, timeout=None):
        # subscriptions are shared by the channels of the connection (the server sends each event once)
        if method == SUBSCRIBE and len(params) == 1:
            return self.generation.subscribe(self, params[0], timeout or 60.0)
        if method == UNSUBSCRIBE and len(params) == 1:
            collection = self.generation.collection_of(params[0])
            if collection is not None:
                self.generation.release(self, collection)
                return None
        return self.wait(self.request(method, params), timeout or 60.0, method)

    def pump(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            start = self.notification_count
            while self.notification_count == start:
                if not self.generation.alive:
                    error = self.generation.error
                    raise TrueNASConnectionError(error.message, close_code=error.close_code,
                                                 close_reason=error.close_reason)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(min(remaining, 1.0))
            return True

    def watch(self, collection):
        self.watched.add(collection)

    def unwatch(self, collection):
        self.watched.discard(collection)
        self.take_notifications(collection)

    def take_notifications(self, collection=None):
        taken = []
        with self.cond:
            kept = collections.deque(maxlen=self.notifications.maxlen)
            while self.notifications:
                method, params = self.notifications.popleft()
                if collection is None or params.get("collection") == collection:
                    taken.append(params)
                else:
                    kept.append((method, params))
            self.notifications = kept
        return taken

    def close(self):
        if self._closed:
            return
        self._closed = True
        for collection in list(self.held):
            self.generation.release(self, collection)
        with self.generation.cond:
            self.generation.channels.discard(self)


class SharedSession:
    """The broker's one logged-in connection; ``channel(log)`` hands out views of it, logging in
    again (once, whoever asks first) when the previous connection was lost."""

    def __init__(self, settings, keepalive_interval=KEEPALIVE_INTERVAL, client_factory=None):
        self.settings = settings
        self.keepalive_interval = keepalive_interval
        self._client_factory = client_factory or TrueNASClient
        self._connect_lock = threading.Lock()
        self._generation = None
        self.logins = 0
        self.version = None
        self.version_string = None
        self.warnings = []
        # wakes the I/O thread when a request is queued (one pipe for the life of the process)
        self._wake_pipe = os.pipe()
        for fd in self._wake_pipe:
            os.set_blocking(fd, False)

    @property
    def connected(self):
        return self._generation is not None and self._generation.alive

    def _current(self, log):
        with self._connect_lock:
            generation = self._generation
            if generation is not None and generation.alive:
                return generation
            client = self._client_factory(self.settings, log=log)
            client.connect()
            for warning in client.warnings:
                if warning not in self.warnings:
                    self.warnings.append(warning)
            self.version, self.version_string = client.version, client.version_string
            transport, last_id = client.detach()
            number = generation.number + 1 if generation is not None else 1
            self.logins += 1
            # the generation outlives the module run that opened it: it logs to no one
            self._generation = _Generation(number, transport, last_id, self.keepalive_interval, _no_log,
                                           self._wake_pipe)
            return self._generation

    def channel(self, log=None):
        return Channel(self._current(log), log)

    def close(self):
        generation = self._generation
        if generation is not None:
            generation.close()


def _no_log(message):
    return None


class _SessionClient(TrueNASClient):
    """A ``TrueNASClient`` whose connection is a channel of the shared session."""

    def __init__(self, settings, session, log=None, on_job=None):
        super(_SessionClient, self).__init__(settings, log=log)
        self._session = session
        self._on_job = on_job

    def _open(self, reconnect=False):
        self._rpc = self._session.channel(self._log)
        self._version, self._version_string = self._session.version, self._session.version_string
        self._caps = Capabilities(self._version, version_string=self._version_string)
        for warning in self._session.warnings:
            if warning not in self.warnings:
                self.warnings.append(warning)
        self._events = False
        self.connections += 1

    def _wait_job(self, method, job_id, deadline, timeout, progress):
        if self._on_job is not None:
            self._on_job(job_id)
        return super(_SessionClient, self)._wait_job(method, job_id, deadline, timeout, progress)

    def wait_job(self, method, job_id, timeout=None, progress=None):
        """Follow a job started through an earlier broker (by id)."""
        timeout = self._timeout(timeout)
        self.connect()
        try:
            self._ensure_job_events()
            return self._wait_job(method, job_id, self._clock() + timeout, timeout, progress)
        except TrueNASError as exc:
            raise self._scrubbed(exc)


class BrokerServer:
    """Serves module runs on a unix socket for ``session``."""

    def __init__(self, session, path, proof_key, idle_timeout, lifetime):
        self.session = session
        self.path = path
        self.proof_key = proof_key
        self.idle_timeout = float(idle_timeout)
        self.lifetime = float(lifetime)
        self.started = time.monotonic()
        self.last_activity = self.started
        self.active = 0
        self.lock = threading.Lock()
        self.listener = None
        self.inode = None

    def bind(self):
        """Listen on a temporary name, then move it over ``path`` (replacing a stale socket)."""
        temporary = "%s.%d.tmp" % (self.path, os.getpid())
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            listener.bind(temporary)
        finally:
            os.umask(old_umask)
        os.chmod(temporary, 0o600)
        listener.listen(128)
        os.rename(temporary, self.path)
        info = os.lstat(self.path)
        self.inode = (info.st_dev, info.st_ino)
        listener.settimeout(0.5)
        self.listener = listener

    def _still_ours(self):
        try:
            info = os.lstat(self.path)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self.inode

    def _should_stop_accepting(self):
        now = time.monotonic()
        if not self._still_ours():
            return True
        if now - self.started >= self.lifetime:
            return True
        with self.lock:
            return self.active == 0 and now - self.last_activity >= self.idle_timeout

    def serve(self):
        while not self._should_stop_accepting():
            try:
                conn, _addr = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with self.lock:
                self.active += 1
                self.last_activity = time.monotonic()
            thread = threading.Thread(target=self._serve_one, args=(conn,), name="truenas-client", daemon=True)
            thread.start()
        self.listener.close()
        if self._still_ours():
            try:
                os.unlink(self.path)
            except OSError:
                pass
        # the runs in progress finish; no new one can reach this broker
        while True:
            with self.lock:
                if self.active == 0:
                    break
            time.sleep(0.2)
        self.session.close()

    def _serve_one(self, conn):
        try:
            self._handshake_and_serve(conn)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass
            with self.lock:
                self.active -= 1
                self.last_activity = time.monotonic()

    def _handshake_and_serve(self, conn):
        _pid, uid, _gid = peer_credentials(conn)
        if uid != os.geteuid():
            return
        conn.settimeout(30.0)
        nonce = os.urandom(32)
        send_frame(conn, {"hello": nonce.hex(), "protocol": PROTOCOL})
        answer = recv_frame(conn)
        expected = proof(self.proof_key, nonce, b"client")
        if not hmac.compare_digest(str(answer.get("proof", "")), expected):
            send_frame(conn, {"refused": "wrong credential proof"})
            return
        settings = self.session.settings
        timeout = answer.get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            settings = copy.copy(settings)
            settings.timeout = float(timeout)
        lock = threading.Lock()

        def emit(message):
            with lock:
                send_frame(conn, message)

        log = (lambda text: emit({"log": text})) if answer.get("log") else None
        client = _SessionClient(settings, self.session, log=log, on_job=lambda job_id: emit({"job": job_id}))
        send_frame(conn, {"ready": {"version_string": self.session.version_string,
                                    "warnings": list(self.session.warnings), "pid": os.getpid()}})
        conn.settimeout(None)
        try:
            while True:
                request = recv_frame(conn)
                with self.lock:
                    self.last_activity = time.monotonic()
                try:
                    result = self._run(client, request, emit)
                except TrueNASError as exc:
                    emit({"error": error_to_wire(exc)})
                except Exception as exc:  # pylint: disable=broad-except
                    emit({"error": error_to_wire(TrueNASError(
                        "%s: the session broker failed: %s: %s" % (request.get("method"), type(exc).__name__, exc),
                        method=request.get("method")))})
                else:
                    emit({"result": result})
        finally:
            client.close()

    @staticmethod
    def _run(client, request, emit):
        op = request.get("op")
        method = request.get("method")
        timeout = request.get("timeout")
        progress = (lambda percent, description: emit({"progress": [percent, description]})) \
            if request.get("progress") else None
        if op == "call":
            return client.call(method, *(request.get("params") or []), job=bool(request.get("job")), timeout=timeout,
                               progress=progress)
        if op == "query":
            return client.query(method, request.get("filters"), request.get("options"), timeout=timeout)
        if op == "get_one":
            return client.get_one(method, request.get("filters"), request.get("options"), timeout=timeout)
        if op == "wait_job":
            return client.wait_job(method, request.get("job_id"), timeout=timeout, progress=progress)
        if op == "next_event":
            return client.next_event(request.get("collection"), timeout=timeout)
        raise TrueNASError("unknown session broker request %r" % (op,))


def _set_process_name(name):
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode("ascii")[:15], 0, 0, 0)  # PR_SET_NAME
    except Exception:  # pylint: disable=broad-except
        pass


def _detach_stdio():
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)


def _keepalive_interval(environ):
    try:
        value = float(environ.get(KEEPALIVE_ENV, KEEPALIVE_INTERVAL))
    except ValueError:
        return KEEPALIVE_INTERVAL
    return value if 0 < value <= KEEPALIVE_INTERVAL else KEEPALIVE_INTERVAL


def main(boot):
    """Entry point of the broker process (see ``_broker.BROKER_MAIN``)."""
    # Fork once more so that the module's process (which waits for the first line) reaps the
    # starter at once and the broker itself is nobody's child.
    if os.fork() > 0:
        os._exit(0)
    _set_process_name("truenas-broker")
    out = os.fdopen(os.dup(1), "w")

    def report_log(text):
        out.write(dumps({"log": text}) + "\n")
        out.flush()

    try:
        settings = ConnectionSettings.from_mapping(boot["settings"])
        session = SharedSession(settings, keepalive_interval=_keepalive_interval(os.environ))
        session.channel(report_log if boot.get("log") else None).close()
        server = BrokerServer(session, boot["socket"], bytes.fromhex(boot["proof_key"]), boot["idle_timeout"],
                              boot["lifetime"])
        server.bind()
    except TrueNASError as exc:
        out.write(dumps({"error": error_to_wire(exc)}) + "\n")
        out.close()
        os._exit(1)
    except Exception as exc:  # pylint: disable=broad-except
        out.write(dumps({"failed": "%s: %s" % (type(exc).__name__, exc)}) + "\n")
        out.close()
        os._exit(1)
    out.write(dumps({"ready": True, "pid": os.getpid()}) + "\n")
    out.close()
    _detach_stdio()
    server.serve()
    os._exit(0)
