# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""JSON-RPC 2.0 framing over a message transport: ids, ejson, reply matching, notifications.

No sockets here. The transport is any object with ``send(text)``, ``recv(timeout)`` (a text
frame, or None when ``timeout`` seconds passed without one) and ``close()``; it raises
TrueNASConnectionError when the connection breaks. ``_transport.WebSocketTransport`` is the
real one; tests use scripted fakes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import re
import time

from ansible_collections.nasops.truenas.plugins.module_utils._ejson import dumps, loads
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASConnectionError,
    TrueNASError,
    TrueNASTimeoutError,
    error_from_wire,
)

MASK = "********"

# Largest request TrueNAS accepts from an authenticated client, in characters; bigger frames
# make the server close the connection with code 1009.
MAX_MESSAGE_LENGTH = 65536
LARGE_MESSAGE_METHODS = frozenset(("filesystem.file_receive", "failover.datastore.sql"))
LARGE_MESSAGE_LENGTH = 2097152

# Methods whose parameters are never written to the log, not even masked.
HIDDEN_PARAM_PREFIXES = ("auth.", "api_key.", "keychaincredential.")
# Words that make a parameter name secret ("otp_token", "api_key", "encryption.passphrase", ...).
SECRET_WORDS = frozenset(("password", "passwd", "passphrase", "secret", "token", "otp", "key", "apikey", "privatekey"))
SECRET_PARTS = ("password", "passphrase", "secret", "token", "apikey", "api_key")
# A TrueNAS API key ("<id>-<64 alphanumerics>") is masked wherever it appears as a value.
_API_KEY_RE = re.compile(r"^\d+-[A-Za-z0-9]{32,}$")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_MAX_LOG_PARAMS = 600

COLLECTION_UPDATE = "collection_update"
NOTIFY_UNSUBSCRIBED = "notify_unsubscribed"


def is_secret_name(name):
    """True when a parameter called ``name`` may hold a secret."""
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    if any(part in lowered for part in SECRET_PARTS):
        return True
    return any(word in SECRET_WORDS for word in _WORD_SPLIT.split(lowered))


def redact(value):
    """A copy of ``value`` with every secret-named member masked (for logs only)."""
    if isinstance(value, dict):
        return dict((k, MASK if is_secret_name(k) else redact(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [redact(v) for v in value]
    if isinstance(value, str) and _API_KEY_RE.match(value):
        return MASK
    return value


def describe_params(method, params):
    """The log form of a call's parameters: hidden for auth methods, masked elsewhere."""
    if not params:
        return "[]"
    if isinstance(method, str) and method.startswith(HIDDEN_PARAM_PREFIXES):
        return "[%d parameter(s) hidden]" % len(params)
    try:
        text = dumps(redact(list(params)))
    except (TypeError, ValueError):
        text = "[%d parameter(s) not loggable]" % len(params)
    if len(text) > _MAX_LOG_PARAMS:
        text = text[:_MAX_LOG_PARAMS] + "...(%d characters)" % len(text)
    return text


def describe_result(result):
    """A content-free summary of a result for logs (results may hold secrets)."""
    if isinstance(result, list):
        return "list of %d" % len(result)
    if isinstance(result, dict):
        return "object with %d key(s)" % len(result)
    if result is None:
        return "null"
    return type(result).__name__


def check_method(method):
    if not isinstance(method, str) or not method:
        raise TrueNASError("method name must be a non-empty string, got %r" % (method,), method=None)


def encode_request(method, params, request_id):
    """The text of a request frame; raises TrueNASError (nothing sent) when the parameters cannot
    be encoded or the frame is larger than TrueNAS accepts."""
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}
    try:
        text = dumps(message)
    except (TypeError, ValueError) as exc:
        raise TrueNASError("%s: parameters cannot be encoded as JSON: %s" % (method, exc), method=method)
    limit = LARGE_MESSAGE_LENGTH if method in LARGE_MESSAGE_METHODS else MAX_MESSAGE_LENGTH
    if len(text) > limit:
        raise TrueNASError(
            "%s: request larger than %d kB (%d characters); TrueNAS would close the connection (code 1009). "
            "Not sent." % (method, limit // 1024, len(text)),
            method=method,
        )
    return text


def reply_timeout(method, timeout):
    return TrueNASTimeoutError(
        "%s: no reply within %g s (the request was sent and may still be running on the server)" % (method, timeout),
        method=method)


def lost_after_send(method, exc):
    """The error for a connection that broke (``exc``) after ``method`` had been sent."""
    return TrueNASConnectionError(
        "%s: %s; the request had been sent and may have run on the server" % (method, exc.message),
        method=method, sent=True, close_code=exc.close_code, close_reason=exc.close_reason)


def result_of(message, method):
    """The result of a reply ``message``, or the mapped error raised."""
    if message.get("error") is not None:
        raise error_from_wire(message["error"], method)
    if "result" not in message:
        raise TrueNASError("%s: malformed reply from the server (it has neither result nor error)" % method, method=method)
    return message["result"]


class JSONRPCConnection:
    """One JSON-RPC 2.0 session over ``transport``; single-threaded and synchronous.

    * ``request()`` sends a call and returns its id; ``wait()`` reads frames until that id's reply
      arrives (replies to other ids are kept: the server answers out of order);
    * ``call()`` is both;
    * notifications (``collection_update`` of watched collections, ``notify_unsubscribed``) are
      buffered for ``take_notifications()``; other events are dropped;
    * while ``keepalive_enabled`` is set, any wait longer than ``keepalive_interval`` sends
      ``core.ping`` at least that often, so idle-dropping proxies see traffic.
    """

    def __init__(self, transport, log=None, clock=None, keepalive_interval=None, max_notifications=1000):
        self._transport = transport
        self._log = log or (lambda message: None)
        self._clock = clock or time.monotonic
        self.keepalive_interval = keepalive_interval
        self.keepalive_enabled = False
        self._last_id = 0
        self._pending = {}
        self._responses = {}
        self._ignored = set()
        self._watched = set()
        self._notifications = collections.deque(maxlen=max_notifications)
        self._notification_count = 0
        self.last_send = self._clock()
        self.closed = False

    @property
    def transport(self):
        return self._transport

    @property
    def last_id(self):
        return self._last_id

    # -- sending -------------------------------------------------------------------------

    def _new_id(self):
        self._last_id += 1
        return self._last_id

    def request(self, method, params=()):
        """Send ``method(*params)``; returns the request id. Raises before writing anything when
        the request cannot be encoded or is too large, and TrueNASConnectionError (``sent=False``)
        when the transport fails to write it."""
        check_method(method)
        if self.closed:
            raise TrueNASConnectionError("%s: the connection is closed (request not sent)" % method, method=method, sent=False)
        request_id = self._new_id()
        text = encode_request(method, params, request_id)
        self._log("-> #%d %s %s" % (request_id, method, describe_params(method, params)))
        try:
            self._transport.send(text)
        except TrueNASConnectionError as exc:
            self.closed = True
            raise TrueNASConnectionError(
                "%s: %s (the request was not sent)" % (method, exc.message),
                method=method, sent=False, transient=exc.transient,
                close_code=exc.close_code, close_reason=exc.close_reason,
            )
        self._pending[request_id] = method
        self.last_send = self._clock()
        return request_id

    # -- receiving -----------------------------------------------------------------------

    def _read(self, timeout):
        text = self._transport.recv(max(timeout, 0.001))
        if text is not None:
            self._handle(text)

    def _handle(self, text):
        try:
            message = loads(text)
        except ValueError:
            self._log("<- ignored a frame that is not JSON (%d characters)" % len(text))
            return
        if not isinstance(message, dict):
            self._log("<- ignored a frame that is not a JSON object")
            return
        if "id" in message and "method" not in message:
            self._handle_reply(message)
        elif "method" in message and "id" not in message:
            self._handle_notification(message)
        else:
            self._log("<- ignored an unexpected message")

    def _handle_reply(self, message):
        request_id = message.get("id")
        if request_id in self._pending:
            method = self._pending.pop(request_id)
            self._responses[request_id] = message
            if message.get("error") is not None:
                self._log("<- #%s %s error" % (request_id, method))
            else:
                self._log("<- #%s %s %s" % (request_id, method, describe_result(message.get("result"))))
        elif request_id in self._ignored:
            self._ignored.discard(request_id)
        elif request_id is None and message.get("error") is not None:
            error = error_from_wire(message.get("error"))
            self._log("<- server error without a request id: %s" % error.message)
        else:
            self._log("<- ignored a reply to unknown request id %r" % (request_id,))

    def _handle_notification(self, message):
        method = message.get("method")
        params = message.get("params")
        if not isinstance(params, dict):
            return
        if method == COLLECTION_UPDATE and params.get("collection") in self._watched:
            self._notifications.append((method, params))
            self._notification_count += 1
        elif method == NOTIFY_UNSUBSCRIBED:
            self._notifications.append((method, params))
            self._notification_count += 1

    def _read_timeout(self, remaining):
        """How long the next read may block: until the deadline or the next keepalive."""
        if self.keepalive_enabled and self.keepalive_interval:
            until_ping = self.last_send + self.keepalive_interval - self._clock()
            return max(min(remaining, until_ping), 0.001)
        return remaining

    def _maybe_keepalive(self):
        if not (self.keepalive_enabled and self.keepalive_interval):
            return
        if self._clock() - self.last_send < self.keepalive_interval:
            return
        request_id = self.request("core.ping")
        # The reply is dropped when it arrives.
        self._pending.pop(request_id, None)
        self._ignored.add(request_id)

    def wait(self, request_id, timeout, method=None):
        """The result of request ``request_id``; raises the mapped TrueNASError on an error reply,
        TrueNASTimeoutError after ``timeout`` seconds, TrueNASConnectionError (``sent=True``)
        when the connection breaks first."""
        method = method or self._pending.get(request_id) or "call"
        deadline = self._clock() + timeout
        while request_id not in self._responses:
            remaining = deadline - self._clock()
            if remaining <= 0:
                if self._pending.pop(request_id, None) is not None:
                    self._ignored.add(request_id)
                raise reply_timeout(method, timeout)
            try:
                self._maybe_keepalive()
                self._read(self._read_timeout(remaining))
            except TrueNASConnectionError as exc:
                self.closed = True
                self._pending.pop(request_id, None)
                raise lost_after_send(method, exc)
        return result_of(self._responses.pop(request_id), method)

    def call(self, method, *params, timeout=None):
        """``request`` then ``wait`` (``timeout`` in seconds, default 60)."""
        request_id = self.request(method, params)
        return self.wait(request_id, timeout or 60.0, method)

    def pump(self, timeout):
        """Read frames for up to ``timeout`` seconds; returns True as soon as a notification has
        been buffered, False when the time ran out. Keeps the connection alive meanwhile."""
        start_count = self._notification_count
        deadline = self._clock() + timeout
        while True:
            if self._notification_count != start_count:
                return True
            remaining = deadline - self._clock()
            if remaining <= 0:
                return False
            try:
                self._maybe_keepalive()
                self._read(self._read_timeout(remaining))
            except TrueNASConnectionError:
                self.closed = True
                raise

    # -- notifications -------------------------------------------------------------------

    def watch(self, collection):
        """Buffer ``collection_update`` events of ``collection`` from now on."""
        self._watched.add(collection)

    def unwatch(self, collection):
        self._watched.discard(collection)
        self.take_notifications(collection)

    def take_notifications(self, collection=None):
        """Remove and return buffered notification params (of ``collection`` only, if given)."""
        taken = []
        kept = collections.deque(maxlen=self._notifications.maxlen)
        while self._notifications:
            method, params = self._notifications.popleft()
            if collection is None or params.get("collection") == collection:
                taken.append(params)
            else:
                kept.append((method, params))
        self._notifications = kept
        return taken

    def close(self):
        """Close the transport (idempotent, never raises)."""
        self.closed = True
        self.keepalive_enabled = False
        try:
            self._transport.close()
        except Exception:  # pylint: disable=broad-except
            pass
