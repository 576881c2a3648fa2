# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""The TrueNASError family and the one mapping from JSON-RPC error objects to it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno as _errno

# TrueNAS-specific errnos (middleware ``service_exception.py``); everything else is a Linux errno.
TRUENAS_ERRNAMES = {
    201: "ENOMETHOD",
    202: "ESERVICESTARTFAILURE",
    203: "EALERTCHECKERUNAVAILABLE",
    204: "EREMOTENODEERROR",
    205: "EDATASETISLOCKED",
    206: "EINVALIDRRDTIMESTAMP",
    207: "ENOTAUTHENTICATED",
    208: "ESSLCERTVERIFICATIONERROR",
    209: "EREBOOTREQUIRED",
    210: "EHAUNAVAILABLE",
}

ENOENT = 2
EACCES = 13
EBUSY = 16
EINVAL = 22
ENOMETHOD = 201
ENOTAUTHENTICATED = 207

# JSON-RPC error codes used by the TrueNAS middleware.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TOO_MANY_CALLS = -32000
METHOD_CALL_ERROR = -32001

_MAX_RAW = 200


def errname_of(errno):
    """The symbolic name of an errno as TrueNAS spells it (``EUNKNOWN`` when it has none)."""
    if not _is_int(errno):
        return None
    if errno in TRUENAS_ERRNAMES:
        return TRUENAS_ERRNAMES[errno]
    return _errno.errorcode.get(errno, "EUNKNOWN")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value):
    """``value`` if it is a non-empty string, else None."""
    if isinstance(value, str) and value.strip():
        return value
    return None


def _short(value):
    text = repr(value)
    if len(text) > _MAX_RAW:
        text = text[:_MAX_RAW] + "..."
    return text


class TrueNASError(Exception):
    """Base of every error the collection's client layer raises.

    ``message`` is complete and safe to show; ``trace`` holds the server's formatted traceback
    (for verbose output only) and never appears in ``message``.
    """

    def __init__(self, message, method=None, errno=None, errname=None, details=None, trace=None, code=None):
        super(TrueNASError, self).__init__(message)
        self.message = message
        self.method = method
        self.errno = errno
        self.errname = errname if errname is not None else errname_of(errno)
        self.details = details
        self.trace = trace
        self.code = code

    def __str__(self):
        return self.message

    def as_dict(self):
        """A JSON-able summary (no traceback) for results such as ``fail_json(error=...)``."""
        data = {
            "type": type(self).__name__,
            "method": self.method,
            "errno": self.errno,
            "errname": self.errname,
        }
        if self.code is not None:
            data["code"] = self.code
        errors = getattr(self, "errors", None)
        if errors:
            data["errors"] = [{"attribute": a, "message": m, "errno": e} for a, m, e in errors]
        job_id = getattr(self, "job_id", None)
        if job_id is not None:
            data["job_id"] = job_id
            data["job_state"] = getattr(self, "state", None)
        return data


class TrueNASOptionError(TrueNASError):
    """A connection option is missing, malformed or conflicts with another (``.option`` names it)."""

    def __init__(self, message, option=None, **kwargs):
        super(TrueNASOptionError, self).__init__(message, **kwargs)
        self.option = option


class TrueNASConnectionError(TrueNASError):
    """The WebSocket could not be opened, or broke.

    ``sent``: True when the request in progress had been written before the connection broke
    (it may have run on the server), False when it had not, None when no request was involved.
    ``transient``: a connect failure worth retrying (refused, timed out).
    ``close_code``/``close_reason``: the WebSocket close frame, when the server sent one.
    """

    def __init__(self, message, sent=None, transient=False, close_code=None, close_reason=None, **kwargs):
        super(TrueNASConnectionError, self).__init__(message, **kwargs)
        self.sent = sent
        self.transient = transient
        self.close_code = close_code
        self.close_reason = close_reason


class TrueNASAuthError(TrueNASError):
    """Login failed, or the session is not authenticated / not authorised for a method."""


class TrueNASTimeoutError(TrueNASError):
    """A call or job did not finish in time (``.job_id`` is set for jobs)."""

    def __init__(self, message, job_id=None, **kwargs):
        super(TrueNASTimeoutError, self).__init__(message, **kwargs)
        self.job_id = job_id


class TrueNASValidationError(TrueNASError):
    """The server rejected arguments; ``.errors`` is a list of ``(attribute, message, errno)``."""

    def __init__(self, message, errors=None, **kwargs):
        super(TrueNASValidationError, self).__init__(message, **kwargs)
        self.errors = list(errors or [])


class TrueNASNotFoundError(TrueNASError):
    """The object asked for does not exist."""


class TrueNASUnsupportedError(TrueNASError):
    """The method or option does not exist on this TrueNAS version."""


class TrueNASJobError(TrueNASError):
    """A job ended in FAILED or ABORTED (or vanished); ``.job_id`` and ``.state`` say which."""

    def __init__(self, message, job_id=None, state=None, errors=None, **kwargs):
        super(TrueNASJobError, self).__init__(message, **kwargs)
        self.job_id = job_id
        self.state = state
        self.errors = list(errors or [])


class TrueNASJobValidationError(TrueNASJobError, TrueNASValidationError):
    """A job that FAILED with a validation error: both a job error and a validation error."""

    def __init__(self, message, job_id=None, state=None, errors=None, **kwargs):
        TrueNASJobError.__init__(self, message, job_id=job_id, state=state, errors=errors, **kwargs)


class TrueNASBusyError(TrueNASError):
    """The server refused the call for load reasons; ``.retryable`` says whether retrying helps."""

    def __init__(self, message, retryable=False, **kwargs):
        super(TrueNASBusyError, self).__init__(message, **kwargs)
        self.retryable = retryable


def parse_error_triples(extra):
    """Validation triples ``[attribute, message, errno]`` from an ``extra`` value.

    Malformed entries are kept as far as they can be understood; nothing here raises.
    Returns a list of ``(attribute or None, message, errno)``.
    """
    triples = []
    if not isinstance(extra, (list, tuple)):
        return triples
    for item in extra:
        if isinstance(item, dict):
            attribute = item.get("attribute")
            message = item.get("errmsg", item.get("message"))
            errno = item.get("errcode", item.get("errno"))
        elif isinstance(item, (list, tuple)) and len(item) >= 2:
            attribute = item[0]
            message = item[1]
            errno = item[2] if len(item) >= 3 else EINVAL
        else:
            continue
        if attribute is not None and not isinstance(attribute, str):
            attribute = str(attribute)
        if not isinstance(message, str):
            message = "" if message is None else str(message)
        if not _is_int(errno):
            errno = EINVAL
        triples.append((attribute, message, errno))
    return triples


def format_triples(triples):
    """``[ERRNAME] attribute: message`` items joined with ``; ``."""
    parts = []
    for attribute, message, errno in triples:
        prefix = "[%s] " % errname_of(errno)
        if attribute:
            parts.append("%s%s: %s" % (prefix, attribute, message))
        else:
            parts.append("%s%s" % (prefix, message))
    return "; ".join(parts)


def _one_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines)


def _with_errname(reason, errname):
    """``reason`` prefixed with ``[ERRNAME]`` unless it already starts with a bracket tag."""
    reason = _one_line(reason)
    if reason.startswith("[") or not errname:
        return reason
    return "[%s] %s" % (errname, reason)


def _prefix(method, text):
    if method:
        return "%s: %s" % (method, text)
    return text


def error_from_wire(error, method=None):
    """Turn a JSON-RPC ``error`` member into a TrueNASError subclass (never raises itself).

    The rules (TrueNAS 25.04+):

    * ``-32602`` -> TrueNASValidationError, except when every item has a null attribute and
      errno ENOENT (how ``get_instance`` says "does not exist") -> TrueNASNotFoundError;
    * ``-32001`` by ``data.error``: 207 -> TrueNASAuthError (not authenticated), 13 ->
      TrueNASAuthError (not authorized), 201 -> TrueNASUnsupportedError, 16 -> TrueNASBusyError
      (not retryable); ``trace.class == "MatchNotFound"`` -> TrueNASNotFoundError; else TrueNASError;
    * ``-32601`` -> TrueNASUnsupportedError ("method does not exist on this TrueNAS version");
    * ``-32000`` -> TrueNASBusyError (retryable);
    * anything else -> TrueNASError.
    """
    if not isinstance(error, dict):
        return TrueNASError(_prefix(method, "malformed error in the server's reply: %s" % _short(error)), method=method)

    code = error.get("code")
    if not _is_int(code):
        code = None
    wire_message = _text(error.get("message"))
    data = error.get("data")
    if not isinstance(data, dict):
        data = {}

    errno = data.get("error")
    if not _is_int(errno):
        errno = None
    errname = _text(data.get("errname")) or errname_of(errno)
    reason = _text(data.get("reason"))
    extra = data.get("extra")
    trace_obj = data.get("trace")
    trace = None
    trace_class = None
    if isinstance(trace_obj, dict):
        trace = _text(trace_obj.get("formatted"))
        trace_class = _text(trace_obj.get("class"))
    elif isinstance(trace_obj, str):
        trace = _text(trace_obj)

    common = dict(method=method, errno=errno, errname=errname, trace=trace, code=code)

    if code == INVALID_PARAMS:
        triples = parse_error_triples(extra)
        if triples and all(a is None and e == ENOENT for a, e in ((t[0], t[2]) for t in triples)):
            text = "; ".join(t[1] for t in triples)
            common.update(errno=ENOENT, errname="ENOENT")
            return TrueNASNotFoundError(_prefix(method, "[ENOENT] %s" % text), details=extra, **common)
        if triples:
            text = format_triples(triples)
        else:
            text = _with_errname(reason or wire_message or "invalid parameters", errname or "EINVAL")
        return TrueNASValidationError(_prefix(method, text), errors=triples, details=extra, **common)

    if code == METHOD_CALL_ERROR:
        text = _with_errname(reason or wire_message or "method call error", errname)
        if errno == ENOTAUTHENTICATED:
            return TrueNASAuthError(_prefix(method, text), details=extra, **common)
        if errno == EACCES:
            if "not authorized" in text.lower():
                text += " (the user lacks a role that allows this call)"
            return TrueNASAuthError(_prefix(method, text), details=extra, **common)
        if errno == ENOMETHOD:
            return TrueNASUnsupportedError(_prefix(method, text), details=extra, **common)
        if errno == EBUSY:
            return TrueNASBusyError(_prefix(method, text), retryable=False, details=extra, **common)
        if trace_class == "MatchNotFound":
            text = "[%s] no object matches the query (MatchNotFound)" % (errname or "EINVAL")
            return TrueNASNotFoundError(_prefix(method, text), details=extra, **common)
        return TrueNASError(_prefix(method, text), details=extra, **common)

    if code == METHOD_NOT_FOUND:
        text = "method does not exist on this TrueNAS version"
        if wire_message and wire_message.lower() != "method does not exist":
            text += " (%s)" % wire_message
        return TrueNASUnsupportedError(_prefix(method, text), details=extra or None, **common)

    if code == TOO_MANY_CALLS:
        text = wire_message or "too many concurrent calls"
        return TrueNASBusyError(_prefix(method, "too many concurrent calls: %s" % text), retryable=True, **common)

    text = reason or wire_message or "unknown error"
    text = _with_errname(text, errname)
    if code is not None:
        text = "%s (JSON-RPC error %d)" % (text, code)
    return TrueNASError(_prefix(method, text), details=extra or None, **common)
