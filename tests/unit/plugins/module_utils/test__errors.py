# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The TrueNASError family and the one wire-error mapping, row by row."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASBusyError,
    TrueNASError,
    TrueNASJobError,
    TrueNASJobValidationError,
    TrueNASNotFoundError,
    TrueNASUnsupportedError,
    TrueNASValidationError,
    errname_of,
    error_from_wire,
    parse_error_triples,
)

TRACEBACK = "Traceback (most recent call last):\n  File \"/usr/lib/mw/main.py\", line 1\nCallError: boom"


def call_error(errno, errname, reason, cls="CallError", extra=None):
    return {"code": -32001, "message": "Method call error",
            "data": {"error": errno, "errname": errname, "reason": reason,
                     "trace": {"class": cls, "frames": [], "formatted": TRACEBACK, "repr": "x"},
                     "extra": extra}}


def test_validation_errors_keep_every_triple_and_attribute():
    wire = {"code": -32602, "message": "Invalid params", "data": {
        "error": 22, "errname": "EINVAL",
        "reason": "[EINVAL] data.name: Field required\n[EINVAL] data.foo: Extra inputs are not permitted\n",
        "trace": {"class": "ValidationErrors", "formatted": TRACEBACK},
        "extra": [["data.name", "Field required", 22], ["data.foo", "Extra inputs are not permitted", 22]]}}
    exc = error_from_wire(wire, "pool.dataset.create")
    assert exc.__class__ is TrueNASValidationError
    assert exc.errors == [("data.name", "Field required", 22), ("data.foo", "Extra inputs are not permitted", 22)]
    assert exc.message == ("pool.dataset.create: [EINVAL] data.name: Field required; "
                           "[EINVAL] data.foo: Extra inputs are not permitted")
    assert exc.method == "pool.dataset.create"
    assert exc.errno == 22 and exc.errname == "EINVAL" and exc.code == -32602
    assert exc.trace == TRACEBACK
    assert "Traceback" not in str(exc)


def test_get_instance_enoent_with_null_attribute_is_not_found():
    wire = {"code": -32602, "message": "Invalid params", "data": {
        "error": 22, "errname": "EINVAL", "reason": "[ENOENT] None: VM 9 does not exist",
        "trace": {"class": "InstanceNotFound", "formatted": TRACEBACK},
        "extra": [[None, "VM 9 does not exist", 2]]}}
    exc = error_from_wire(wire, "vm.get_instance")
    assert exc.__class__ is TrueNASNotFoundError
    assert exc.message == "vm.get_instance: [ENOENT] VM 9 does not exist"
    assert exc.errno == 2 and exc.errname == "ENOENT"


def test_enoent_with_an_attribute_stays_a_validation_error():
    wire = {"code": -32602, "message": "Invalid params", "data": {
        "error": 22, "extra": [["vm_create.path", "Path does not exist", 2]]}}
    exc = error_from_wire(wire, "vm.create")
    assert exc.__class__ is TrueNASValidationError
    assert exc.message == "vm.create: [ENOENT] vm_create.path: Path does not exist"


def test_not_authenticated_is_auth_error():
    exc = error_from_wire(call_error(207, "ENOTAUTHENTICATED", "[ENOTAUTHENTICATED] Not authenticated"), "pool.query")
    assert exc.__class__ is TrueNASAuthError
    assert exc.message == "pool.query: [ENOTAUTHENTICATED] Not authenticated"
    assert exc.errno == 207


def test_eacces_is_auth_error_not_authorized():
    exc = error_from_wire(call_error(13, "EACCES", "[EACCES] Not authorized"), "vm.create")
    assert exc.__class__ is TrueNASAuthError
    assert exc.message == "vm.create: [EACCES] Not authorized (the user lacks a role that allows this call)"


def test_enomethod_is_unsupported():
    exc = error_from_wire(call_error(201, "ENOMETHOD", "[ENOMETHOD] Method 'create' not found in 'pool.dataset'"),
                          "pool.dataset.create")
    assert exc.__class__ is TrueNASUnsupportedError
    assert exc.message == "pool.dataset.create: [ENOMETHOD] Method 'create' not found in 'pool.dataset'"


def test_rate_limit_is_busy_and_not_retryable():
    exc = error_from_wire(call_error(16, "EBUSY", "[EBUSY] Rate Limit Exceeded"), "auth.login_ex")
    assert exc.__class__ is TrueNASBusyError
    assert exc.retryable is False
    assert exc.message == "auth.login_ex: [EBUSY] Rate Limit Exceeded"


def test_match_not_found_is_not_found():
    exc = error_from_wire(call_error(22, "EINVAL", "MatchNotFound()", cls="MatchNotFound"), "core.get_jobs")
    assert exc.__class__ is TrueNASNotFoundError
    assert exc.message == "core.get_jobs: [EINVAL] no object matches the query (MatchNotFound)"


def test_other_call_errors_are_the_base_class_with_errno():
    exc = error_from_wire(call_error(14, "EFAULT", "[EFAULT] boom", extra={"dependencies": []}), "vm.start")
    assert exc.__class__ is TrueNASError
    assert exc.message == "vm.start: [EFAULT] boom"
    assert exc.errno == 14 and exc.errname == "EFAULT" and exc.details == {"dependencies": []}


def test_reason_without_tag_gets_the_errname():
    exc = error_from_wire(call_error(22, "EINVAL", "'NoneType' object has no attribute 'x'"), "auth.mechanism_choices")
    assert exc.message == "auth.mechanism_choices: [EINVAL] 'NoneType' object has no attribute 'x'"


def test_method_not_found_is_unsupported_with_version_hint():
    exc = error_from_wire({"code": -32601, "message": "Method does not exist"}, "pool.snapshot.query")
    assert exc.__class__ is TrueNASUnsupportedError
    assert exc.message == "pool.snapshot.query: method does not exist on this TrueNAS version"
    assert exc.code == -32601


def test_too_many_calls_is_busy_and_retryable():
    exc = error_from_wire({"code": -32000, "message": "Maximum number of concurrent calls (20) has exceeded"}, "pool.query")
    assert exc.__class__ is TrueNASBusyError
    assert exc.retryable is True
    assert exc.message == "pool.query: too many concurrent calls: Maximum number of concurrent calls (20) has exceeded"


@pytest.mark.parametrize("code, message", [
    (-32700, "Expecting value: line 1 column 1 (char 0)"),
    (-32600, "'params' member must be of type array"),
    (-32603, "Failed to JSON serialize server message"),
])
def test_other_codes_are_the_base_class(code, message):
    exc = error_from_wire({"code": code, "message": message}, "x.y")
    assert exc.__class__ is TrueNASError
    assert exc.message == "x.y: %s (JSON-RPC error %d)" % (message, code)


@pytest.mark.parametrize("error", [
    None, "boom", 42, [], {}, {"code": "x"}, {"code": -32001}, {"code": -32001, "data": "text"},
    {"code": -32001, "data": {"error": "22", "trace": 5, "extra": {"a": 1}}},
    {"code": -32602, "data": {"extra": "not a list"}}, {"code": -32602, "data": {"extra": [1, [None], {"x": 1}]}},
])
def test_malformed_errors_never_raise_and_never_succeed(error):
    exc = error_from_wire(error, "pool.query")
    assert isinstance(exc, TrueNASError)
    assert exc.message.startswith("pool.query: ")


def test_malformed_shapes_give_specific_messages():
    assert error_from_wire("boom", "a.b").message == "a.b: malformed error in the server's reply: 'boom'"
    assert error_from_wire({}, "a.b").message == "a.b: unknown error"
    exc = error_from_wire({"code": -32602, "data": {"reason": "bad"}}, "a.b")
    assert exc.__class__ is TrueNASValidationError
    assert exc.message == "a.b: [EINVAL] bad" and exc.errors == []


def test_errname_of():
    assert errname_of(2) == "ENOENT"
    assert errname_of(207) == "ENOTAUTHENTICATED"
    assert errname_of(99999) == "EUNKNOWN"
    assert errname_of(None) is None


def test_parse_error_triples_accepts_lists_and_dicts():
    triples = parse_error_triples([["a.b", "bad", 22], {"attribute": "c", "errmsg": "worse", "errcode": 2},
                                   ["d", "no errno"], "junk", [None, None, "x"]])
    assert triples == [("a.b", "bad", 22), ("c", "worse", 2), ("d", "no errno", 22), (None, "", 22)]


def test_job_validation_error_is_both_kinds():
    exc = TrueNASJobValidationError("m: job 5 failed", job_id=5, state="FAILED", errors=[("a", "b", 22)], method="m")
    assert isinstance(exc, TrueNASJobError) and isinstance(exc, TrueNASValidationError)
    assert exc.job_id == 5 and exc.state == "FAILED" and exc.errors == [("a", "b", 22)]
    assert exc.as_dict() == {"type": "TrueNASJobValidationError", "method": "m", "errno": None, "errname": None,
                             "errors": [{"attribute": "a", "message": "b", "errno": 22}],
                             "job_id": 5, "job_state": "FAILED"}


def test_as_dict_has_no_trace():
    exc = error_from_wire(call_error(14, "EFAULT", "[EFAULT] boom"), "vm.start")
    assert exc.as_dict() == {"type": "TrueNASError", "method": "vm.start", "errno": 14, "errname": "EFAULT",
                             "code": -32001}
