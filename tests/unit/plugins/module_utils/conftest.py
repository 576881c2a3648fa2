# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fakes for the client-layer tests: a controlled clock and a scripted TrueNAS that speaks
JSON-RPC frames through a fake transport (no sockets)."""

import collections
import copy
import heapq
import itertools
import json

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASConnectionError

API_KEY = "7-" + "A1b2C3d4" * 8
PASSWORD = "pa55-W0rd-secret"
OTP = "482913"


class FakeClock:
    """A monotonic clock that only moves when the code under test waits or sleeps."""

    def __init__(self, start=1000.0):
        self.now = start
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class WireError(Exception):
    """Raised by a fake handler: the server answers with this JSON-RPC error object."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


NO_REPLY = object()


class Ctx:
    """What a fake handler sees: the connection and a way to schedule later actions."""

    def __init__(self, server, conn, request_id):
        self.server = server
        self.conn = conn
        self.request_id = request_id
        self.reply_delay = 0.0

    def delay_reply(self, seconds):
        self.reply_delay = seconds


class FakeTransport:
    """The transport interface (connect/send/recv/close) backed by a FakeServer."""

    def __init__(self, server, url, ssl_context, connect_timeout):
        self.server = server
        self.url = url
        self.ssl_context = ssl_context
        self.connect_timeout = connect_timeout
        self.inbox = collections.deque()
        self.sent = []
        self.open = False
        self.subscribed = False
        self.closed_by_client = False
        self.last_out = server.clock.now
        self.idle_limit = server.idle_limit
        self.index = None

    def connect(self):
        self.server.connect_attempts += 1
        if self.server.connect_errors:
            raise self.server.connect_errors.pop(0)
        self.open = True
        self.last_out = self.server.clock.now
        self.index = len(self.server.transports)
        self.server.transports.append(self)

    def push(self, text):
        self.inbox.append(text)
        self.last_out = self.server.clock.now

    def send(self, text):
        if not self.open:
            raise TrueNASConnectionError("fake connection is down")
        self.sent.append(text)
        self.server.handle(self, json.loads(text))

    def recv(self, timeout):
        if not self.open:
            raise TrueNASConnectionError("fake connection is down")
        clock = self.server.clock
        target = clock.now + timeout
        while True:
            if self.inbox:
                item = self.inbox.popleft()
                if isinstance(item, BaseException):
                    self.open = False
                    raise item
                return item
            idle_at = self.last_out + self.idle_limit if self.idle_limit else None
            world_at = self.server.world[0][0] if self.server.world else None
            candidates = [t for t in (idle_at, world_at) if t is not None and t <= target]
            if not candidates:
                clock.now = max(clock.now, target)
                return None
            if idle_at is not None and idle_at <= target and (world_at is None or idle_at <= world_at):
                clock.now = max(clock.now, idle_at)
                self.open = False
                self.server.idle_drops += 1
                raise TrueNASConnectionError("the server dropped the connection (idle)")
            self.server.step()

    def close(self):
        self.closed_by_client = True
        self.open = False


class FakeServer:
    """A scripted TrueNAS. Handlers are ``fn(ctx, *params)``; they return the result, raise
    WireError for an error reply, or return NO_REPLY. Jobs follow timelines of state changes that
    are broadcast as ``core.get_jobs`` events to subscribed connections and visible to polls."""

    def __init__(self, clock, version="25.10.1"):
        self.clock = clock
        self.version = version
        self.handlers = {}
        self.requests = []
        self.transports = []
        self.connect_errors = []
        self.connect_attempts = 0
        self.world = []
        self._seq = itertools.count()
        self.jobs = {}
        self.next_job_id = 41
        self.idle_limit = None
        self.idle_drops = 0
        self.handlers.update({
            "auth.login_ex": lambda ctx, data: {"response_type": "SUCCESS", "user_info": None, "authenticator": "LEVEL_1"},
            "system.version_short": lambda ctx: self.version,
            "core.ping": lambda ctx: "pong",
            "core.subscribe": self._subscribe,
            "core.get_jobs": self._get_jobs,
        })

    # -- plumbing --------------------------------------------------------------------------

    def transport_factory(self, url, ssl_context, connect_timeout):
        return FakeTransport(self, url, ssl_context, connect_timeout)

    def at(self, delay, action):
        heapq.heappush(self.world, (self.clock.now + delay, next(self._seq), action))

    def step(self):
        when, _seq, action = heapq.heappop(self.world)
        self.clock.now = max(self.clock.now, when)
        action()

    def methods(self, index=None):
        return [m for conn, m, p in self.requests if index is None or conn.index == index]

    def params_of(self, method):
        return [p for conn, m, p in self.requests if m == method]

    def handle(self, conn, message):
        method = message["method"]
        params = message.get("params", [])
        request_id = message.get("id")
        self.requests.append((conn, method, params))
        handler = self.handlers.get(method)
        ctx = Ctx(self, conn, request_id)
        if handler is None:
            reply = {"jsonrpc": "2.0", "id": request_id,
                     "error": {"code": -32601, "message": "Method does not exist"}}
        else:
            try:
                result = handler(ctx, *params)
            except WireError as exc:
                reply = {"jsonrpc": "2.0", "id": request_id, "error": exc.error}
            else:
                if result is NO_REPLY:
                    return
                reply = {"jsonrpc": "2.0", "id": request_id, "result": result}
        text = json.dumps(reply)
        if ctx.reply_delay:
            self.at(ctx.reply_delay, lambda: conn.open and conn.push(text))
        else:
            conn.push(text)

    def drop(self, delay, conn=None):
        """Break the connection (the current one by default) after ``delay`` seconds."""

        def action():
            target = conn or self.transports[-1]
            if target.open:
                target.inbox.append(TrueNASConnectionError("the server dropped the connection"))

        self.at(delay, action)

    # -- jobs ------------------------------------------------------------------------------

    def _subscribe(self, ctx, name):
        if name == "core.get_jobs":
            ctx.conn.subscribed = True
        return "6f2c7d7e-sub"

    def _get_jobs(self, ctx, filters=None, options=None):
        jobs = list(self.jobs.values())
        for field, op, value in filters or []:
            assert op == "="
            jobs = [j for j in jobs if j.get(field) == value]
        return copy.deepcopy(jobs)

    def broadcast(self, msg, job):
        self.jobs[job["id"]] = copy.deepcopy(job)
        frame = json.dumps({"jsonrpc": "2.0", "method": "collection_update",
                            "params": {"msg": msg, "collection": "core.get_jobs", "id": job["id"],
                                       "fields": job}})
        for conn in self.transports:
            if conn.open and conn.subscribed:
                conn.push(frame)

    def start_job(self, method, steps, broadcast_added=True):
        """A new job; ``steps`` is a list of ``(delay, changes)`` applied and broadcast in order
        (a change ``{"_duplicate": True}`` re-sends the previous state)."""
        job_id = self.next_job_id
        self.next_job_id += 1
        job = {"id": job_id, "method": method, "arguments": [], "state": "WAITING",
               "progress": {"percent": 0, "description": "", "extra": None}, "result": None,
               "error": None, "exception": None, "exc_info": None}
        if broadcast_added:
            self.broadcast("added", dict(job))
        else:
            self.jobs[job_id] = copy.deepcopy(job)
        current = job
        for delay, changes in steps:
            def apply(changes=changes):
                state = copy.deepcopy(self.jobs.get(job_id, current))
                if not changes.get("_duplicate"):
                    for key, value in changes.items():
                        state[key] = value
                self.broadcast("changed", state)
            self.at(delay, apply)
        return job_id

    def job_method(self, name, steps, broadcast_added=True):
        def handler(ctx, *params):
            return self.start_job(name, steps, broadcast_added)

        self.handlers[name] = handler


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    return FakeServer(clock)


@pytest.fixture
def secrets():
    return (API_KEY, PASSWORD, OTP)
