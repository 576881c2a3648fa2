# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JSON-RPC framing, ids, reply matching, notifications, keepalive and log redaction, fed with
scripted frames (no sockets)."""

import datetime
import json

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASConnectionError,
    TrueNASError,
    TrueNASTimeoutError,
    TrueNASValidationError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._jsonrpc import (
    JSONRPCConnection,
    describe_params,
    is_secret_name,
    redact,
)

from .conftest import API_KEY, OTP, PASSWORD


class ScriptTransport:
    """Frames scheduled at clock times; ``on_send(message)`` may schedule more."""

    def __init__(self, clock, on_send=None):
        self.clock = clock
        self.frames = []
        self.sent = []
        self.on_send = on_send
        self.closed = False
        self.fail_send = None

    def at(self, when, frame):
        self.frames.append((when, frame))
        self.frames.sort(key=lambda item: item[0])

    def send(self, text):
        if self.fail_send is not None:
            raise self.fail_send
        self.sent.append(json.loads(text))
        if self.on_send:
            self.on_send(self, self.sent[-1])

    def recv(self, timeout):
        target = self.clock.now + timeout
        if self.frames and self.frames[0][0] <= target:
            when, frame = self.frames.pop(0)
            self.clock.now = max(self.clock.now, when)
            if isinstance(frame, BaseException):
                raise frame
            return frame if isinstance(frame, str) else json.dumps(frame)
        self.clock.now = target
        return None

    def close(self):
        self.closed = True


def reply(request_id, result):
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def event(collection, msg="changed", **params):
    body = {"msg": msg, "collection": collection}
    body.update(params)
    return {"jsonrpc": "2.0", "method": "collection_update", "params": body}


@pytest.fixture
def transport(clock):
    return ScriptTransport(clock)


@pytest.fixture
def lines():
    return []


@pytest.fixture
def rpc(transport, clock, lines):
    return JSONRPCConnection(transport, log=lines.append, clock=clock)


def test_requests_have_increasing_ids_and_ejson_params(rpc, transport):
    when = datetime.datetime(2025, 10, 9, 8, 53, 20, tzinfo=datetime.timezone.utc)
    assert rpc.request("pool.query", [[["name", "=", "tank"]], {}]) == 1
    assert rpc.request("pool.snapshot.create", [{"name": "a", "at": when}]) == 2
    assert transport.sent == [
        {"jsonrpc": "2.0", "id": 1, "method": "pool.query", "params": [[["name", "=", "tank"]], {}]},
        {"jsonrpc": "2.0", "id": 2, "method": "pool.snapshot.create",
         "params": [{"name": "a", "at": {"$date": 1760000000000}}]},
    ]


def test_out_of_order_replies_are_matched_by_id(rpc, transport, clock):
    first = rpc.request("a.one")
    second = rpc.request("a.two")
    transport.at(clock.now + 1, reply(second, "two"))
    transport.at(clock.now + 2, reply(first, {"$set": [1]}))
    assert rpc.wait(first, 10) == {1}
    assert rpc.wait(second, 10) == "two"


def test_error_reply_raises_the_mapped_error(rpc, transport, clock):
    def on_send(t, message):
        t.at(clock.now, {"jsonrpc": "2.0", "id": message["id"], "error": {
            "code": -32602, "message": "Invalid params",
            "data": {"error": 22, "errname": "EINVAL", "extra": [["data.name", "Field required", 22]]}}})

    transport.on_send = on_send
    with pytest.raises(TrueNASValidationError) as info:
        rpc.call("pool.dataset.create", {})
    assert info.value.message == "pool.dataset.create: [EINVAL] data.name: Field required"


@pytest.mark.parametrize("frame, message", [
    ({"jsonrpc": "2.0", "id": 1}, "x.y: malformed reply from the server (it has neither result nor error)"),
    ({"jsonrpc": "2.0", "id": 1, "error": "boom"}, "x.y: malformed error in the server's reply: 'boom'"),
    ({"jsonrpc": "2.0", "id": 1, "result": 5, "error": {"code": -32001, "data": {"reason": "[EFAULT] x"}}},
     "x.y: [EFAULT] x"),
])
def test_malformed_replies_never_become_success(rpc, transport, clock, frame, message):
    transport.at(clock.now + 1, frame)
    with pytest.raises(TrueNASError) as info:
        rpc.call("x.y")
    assert info.value.message == message


def test_null_result_is_a_result(rpc, transport, clock):
    transport.at(clock.now + 1, reply(1, None))
    assert rpc.call("core.unsubscribe", "x") is None


def test_notifications_of_watched_collections_are_buffered(rpc, transport, clock):
    rpc.watch("core.get_jobs")
    transport.at(clock.now + 1, event("core.get_jobs", "added", id=5, fields={"id": 5, "state": "WAITING"}))
    transport.at(clock.now + 1, event("pool.query", id=1, fields={}))
    transport.at(clock.now + 1, {"jsonrpc": "2.0", "method": "notify_unsubscribed",
                                 "params": {"collection": "reporting.realtime", "error": None}})
    transport.at(clock.now + 1, {"jsonrpc": "2.0", "method": "other_event", "params": {}})
    transport.at(clock.now + 2, reply(1, "pong"))
    assert rpc.call("core.ping") == "pong"
    assert rpc.take_notifications("core.get_jobs") == [
        {"msg": "added", "collection": "core.get_jobs", "id": 5, "fields": {"id": 5, "state": "WAITING"}}]
    assert rpc.take_notifications() == [{"collection": "reporting.realtime", "error": None}]
    assert rpc.take_notifications() == []


def test_notification_buffer_is_bounded(transport, clock):
    rpc = JSONRPCConnection(transport, clock=clock, max_notifications=3)
    rpc.watch("core.get_jobs")
    for job_id in range(10):
        transport.at(clock.now, event("core.get_jobs", id=job_id, fields={}))
    assert rpc.pump(1) is True
    while rpc.pump(0.01):
        pass
    assert [n["id"] for n in rpc.take_notifications("core.get_jobs")] == [7, 8, 9]


def test_unwatch_drops_buffered_events(rpc, transport, clock):
    rpc.watch("core.get_jobs")
    transport.at(clock.now, event("core.get_jobs", id=1, fields={}))
    assert rpc.pump(1) is True
    rpc.unwatch("core.get_jobs")
    transport.at(clock.now, event("core.get_jobs", id=2, fields={}))
    assert rpc.pump(1) is False
    assert rpc.take_notifications() == []


def test_garbage_frames_are_ignored(rpc, transport, clock, lines):
    transport.at(clock.now, "not json {")
    transport.at(clock.now, "[1, 2]")
    transport.at(clock.now, {"jsonrpc": "2.0", "id": 99, "result": 1})
    transport.at(clock.now, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
    transport.at(clock.now + 1, reply(1, "ok"))
    assert rpc.call("a.b") == "ok"
    assert "<- ignored a frame that is not JSON (10 characters)" in lines
    assert "<- ignored a frame that is not a JSON object" in lines
    assert "<- ignored a reply to unknown request id 99" in lines
    assert "<- server error without a request id: Parse error (JSON-RPC error -32700)" in lines


def test_timeout_then_late_reply_is_dropped(rpc, transport, clock, lines):
    with pytest.raises(TrueNASTimeoutError) as info:
        rpc.call("vm.create", {}, timeout=5)
    assert info.value.message == ("vm.create: no reply within 5 s (the request was sent and may still be running "
                                  "on the server)")
    transport.at(clock.now, reply(1, "late"))
    transport.at(clock.now + 1, reply(2, "fresh"))
    assert rpc.call("core.ping") == "fresh"
    assert not [line for line in lines if "unknown request id" in line]


def test_connection_lost_while_waiting_says_the_request_was_sent(rpc, transport, clock):
    transport.at(clock.now + 1, TrueNASConnectionError("the server closed the connection with code 1009"))
    with pytest.raises(TrueNASConnectionError) as info:
        rpc.call("pool.dataset.create", {"name": "x"})
    assert info.value.sent is True
    assert info.value.message == ("pool.dataset.create: the server closed the connection with code 1009; the request "
                                  "had been sent and may have run on the server")
    assert rpc.closed is True
    with pytest.raises(TrueNASConnectionError) as again:
        rpc.call("core.ping")
    assert again.value.sent is False


def test_send_failure_says_the_request_was_not_sent(rpc, transport):
    transport.fail_send = TrueNASConnectionError("the connection to nas:443 broke: Broken pipe")
    with pytest.raises(TrueNASConnectionError) as info:
        rpc.request("pool.dataset.delete", ["tank/a"])
    assert info.value.sent is False
    assert info.value.message == ("pool.dataset.delete: the connection to nas:443 broke: Broken pipe "
                                  "(the request was not sent)")


def test_oversized_and_unencodable_requests_are_not_sent(rpc, transport):
    with pytest.raises(TrueNASError) as info:
        rpc.request("sharing.smb.create", [{"auxsmbconf": "x" * 70000}])
    assert info.value.message.startswith("sharing.smb.create: request larger than 64 kB (")
    assert info.value.message.endswith("); TrueNAS would close the connection (code 1009). Not sent.")
    with pytest.raises(TrueNASError) as info:
        rpc.request("a.b", [object()])
    assert info.value.message == "a.b: parameters cannot be encoded as JSON: Object of type object is not JSON serializable"
    assert transport.sent == []


def test_keepalive_pings_while_waiting_and_drops_their_replies(transport, clock, lines):
    def on_send(t, message):
        if message["method"] == "core.ping":
            t.at(clock.now + 0.1, reply(message["id"], "pong"))

    transport.on_send = on_send
    rpc = JSONRPCConnection(transport, log=lines.append, clock=clock, keepalive_interval=20)
    rpc.keepalive_enabled = True
    start = clock.now
    request_id = rpc.request("pool.scrub.scrub", ["tank"])
    transport.at(start + 70, reply(request_id, None))
    assert rpc.wait(request_id, 100) is None
    pings = [m for m in transport.sent if m["method"] == "core.ping"]
    assert len(pings) == 3
    assert clock.now == start + 70
    assert not [line for line in lines if "unknown request id" in line]


def test_no_keepalive_before_it_is_enabled(rpc, transport, clock):
    rpc.keepalive_interval = 1
    transport.at(clock.now + 10, reply(1, True))
    assert rpc.call("auth.login_ex", {}) is True
    assert [m["method"] for m in transport.sent] == ["auth.login_ex"]


def test_pump_returns_on_notification_or_time(rpc, transport, clock):
    rpc.watch("core.get_jobs")
    start = clock.now
    assert rpc.pump(5) is False
    assert clock.now == start + 5
    transport.at(clock.now + 2, event("core.get_jobs", id=1, fields={}))
    assert rpc.pump(5) is True
    assert clock.now == start + 7


def test_close_is_idempotent(rpc, transport):
    rpc.close()
    rpc.close()
    assert transport.closed is True and rpc.closed is True


# -- redaction ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, secret", [
    ("password", True), ("api_key", True), ("key", True), ("passphrase", True), ("otp_token", True),
    ("token", True), ("otp", True), ("encryption_key", True), ("private_key", True), ("secret", True),
    ("name", False), ("keyformat", False), ("monkey", False), ("footprint", False), ("comment", False),
])
def test_is_secret_name(name, secret):
    assert is_secret_name(name) is secret


def test_redact_masks_secret_members_and_api_key_values():
    value = [{"name": "vm1", "devices": [{"attributes": {"password": PASSWORD, "port": 5900}}]},
             {"encryption_options": {"passphrase": "x", "generate_key": True}}, API_KEY]
    assert redact(value) == [{"name": "vm1", "devices": [{"attributes": {"password": "********", "port": 5900}}]},
                             {"encryption_options": {"passphrase": "********", "generate_key": "********"}},
                             "********"]


def test_auth_parameters_are_never_logged():
    assert describe_params("auth.login_ex", [{"mechanism": "PASSWORD_PLAIN", "password": PASSWORD}]) == \
        "[1 parameter(s) hidden]"
    assert describe_params("auth.login_with_api_key", [API_KEY]) == "[1 parameter(s) hidden]"
    assert describe_params("pool.query", []) == "[]"


def test_log_lines_have_no_secrets_and_no_results(rpc, transport, clock, lines):
    transport.at(clock.now + 1, reply(1, {"response_type": "SUCCESS"}))
    transport.at(clock.now + 1, reply(2, {"response_type": "SUCCESS"}))
    transport.at(clock.now + 1, reply(3, [{"password": PASSWORD}]))
    rpc.call("auth.login_ex", {"mechanism": "PASSWORD_PLAIN", "username": "admin", "password": PASSWORD})
    rpc.call("auth.login_ex_continue", {"mechanism": "OTP_TOKEN", "otp_token": OTP})
    rpc.call("vm.device.update", 3, {"attributes": {"password": PASSWORD, "otp": OTP, "key": API_KEY}})
    text = "\n".join(lines)
    for secret in (PASSWORD, OTP, API_KEY):
        assert secret not in text
    assert lines == [
        "-> #1 auth.login_ex [1 parameter(s) hidden]",
        "<- #1 auth.login_ex object with 1 key(s)",
        "-> #2 auth.login_ex_continue [1 parameter(s) hidden]",
        "<- #2 auth.login_ex_continue object with 1 key(s)",
        '-> #3 vm.device.update [3,{"attributes":{"password":"********","otp":"********","key":"********"}}]',
        "<- #3 vm.device.update list of 1",
    ]
