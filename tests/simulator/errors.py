"""Exceptions that service handlers raise; the server turns them into TrueNAS wire errors.

=====================  ======  ===========================================================
exception              code    ``error.data``
=====================  ======  ===========================================================
CallError              -32001  errno/errname of the error, reason ``"[ERRNAME] message"``
ValidationErrors       -32602  errno 22, reason one ``"[ERRNAME] attr: msg\\n"`` per error
ValidationError        -32602  the same for one error, without the trailing newline
InstanceNotFound       -32602  ``[[null, "<Name> <id> does not exist", 2]]``
MatchNotFound          -32001  errno 22, reason ``"MatchNotFound()"``
any other exception    -32001  errno 22, reason ``str(exc)`` (``repr(exc)`` when empty)
=====================  ======  ===========================================================
"""
import errno as _errno

EXTRA_ERRNAMES = {
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

ENOMETHOD = 201
ENOTAUTHENTICATED = 207


def errname(code):
    """The TrueNAS name of an errno (EUNKNOWN when it has none)."""
    if code in EXTRA_ERRNAMES:
        return EXTRA_ERRNAMES[code]
    return _errno.errorcode.get(code, "EUNKNOWN")


class SimError(Exception):
    """Base class of every error a handler may raise."""


class CallError(SimError):
    """-32001 "Method call error" with reason "[ERRNAME] message"."""

    def __init__(self, message, errno=_errno.EFAULT, extra=None):
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.extra = extra

    @property
    def reason(self):
        return "[%s] %s" % (errname(self.errno), self.message)

    def __str__(self):
        return self.reason

    def __repr__(self):
        return "CallError(%r, %r, %r)" % (self.message, self.errno, self.extra)


class ValidationErrors(SimError):
    """-32602 "Invalid params"; ``errors`` is a list of (attribute, message, errno)."""

    def __init__(self, errors=None):
        self.errors = [tuple(e) for e in (errors or [])]
        super().__init__()

    def add(self, attribute, message, errno=_errno.EINVAL):
        self.errors.append((attribute, message, errno))
        return self

    def extend(self, other):
        self.errors.extend(other.errors)
        return self

    def raise_if_any(self):
        if self.errors:
            raise self

    def __bool__(self):
        return bool(self.errors)

    @property
    def reason(self):
        return "".join("[%s] %s: %s\n" % (errname(e), a, m) for a, m, e in self.errors)

    def __str__(self):
        return self.reason

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.errors)


class ValidationError(ValidationErrors):
    """One validation error; its reason has no trailing newline."""

    def __init__(self, attribute, message, errno=_errno.EINVAL):
        super().__init__([(attribute, message, errno)])

    @property
    def reason(self):
        a, m, e = self.errors[0]
        return "[%s] %s: %s" % (errname(e), a, m)

    def __repr__(self):
        a, m, e = self.errors[0]
        return "%s(%r, %r, %r)" % (type(self).__name__, a, m, e)


class InstanceNotFound(ValidationError):
    """What ``<svc>.get_instance`` raises: -32602 with a null attribute and ENOENT."""

    def __init__(self, verbose_name, ident):
        super().__init__(None, "%s %s does not exist" % (verbose_name, ident), _errno.ENOENT)


class MatchNotFound(SimError):
    """``query(..., {"get": true})`` with no match: -32001, errno 22, reason "MatchNotFound()"."""

    errno = _errno.EINVAL
    reason = "MatchNotFound()"

    def __str__(self):
        return self.reason

    def __repr__(self):
        return "MatchNotFound()"
