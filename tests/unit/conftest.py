# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared unit-test fixtures: the collection on sys.path, module args, a fake TrueNAS client,
RPC fixtures and a module runner."""

import copy
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _collections_root():
    """The directory holding ``ansible_collections/nasops/truenas`` for this checkout."""
    if ROOT.parent.parent.name == "ansible_collections":
        return ROOT.parent.parent.parent
    return ROOT / ".venv" / "collections"


if str(_collections_root()) not in sys.path:
    sys.path.insert(0, str(_collections_root()))

from ansible.module_utils import basic  # noqa: E402

from ansible_collections.nasops.truenas.plugins.module_utils import _module  # noqa: E402
from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings  # noqa: E402
from ansible_collections.nasops.truenas.plugins.module_utils._connection import connection_settings  # noqa: E402
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError, error_from_wire  # noqa: E402
from ansible_collections.nasops.truenas.plugins.module_utils._resource import get_path  # noqa: E402
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities, parse_version  # noqa: E402

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before data tagging
    import contextlib
    from unittest import mock

    @contextlib.contextmanager
    def patch_module_args(args=None):
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


CONNECTION_ARGS = {"host": "nas.example.test", "api_key": "1-" + "k" * 64, "username": "admin"}

# Method names (last part) that only read; every other call counts as a mutation.
READ_ONLY_ACTIONS = frozenset((
    "query", "get_instance", "config", "version", "version_short", "info", "get_jobs", "ping",
    "get_methods", "status", "me", "stat",
))


def is_read_only(method):
    action = method.rsplit(".", 1)[-1]
    return action in READ_ONLY_ACTIONS or action.endswith("_choices")


def load_fixture(*parts):
    """Parsed JSON of ``tests/unit/fixtures/<parts...>`` (``.json`` added when missing)."""
    path = FIXTURES.joinpath(*parts)
    if path.suffix != ".json":
        path = path.with_name(path.name + ".json")
    with open(path) as handle:
        return json.load(handle)


def rpc_error(method, case):
    """The TrueNASError a JSON-RPC error fixture (``fixtures/rpc/<method>/<case>.json``) maps to."""
    return error_from_wire(load_fixture("rpc", method, case)["error"], method)


def _matches(record, flt):
    field, op, value = flt
    actual = get_path(record, field)
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    if op == "in":
        return actual in value
    if op == "^":
        return isinstance(actual, str) and actual.startswith(value)
    raise AssertionError("the fake client does not implement filter operator %r" % op)


class Call:
    """One entry of the fake client's call log."""

    def __init__(self, method, params, job=False):
        self.method = method
        self.params = params
        self.job = job

    @property
    def mutating(self):
        return not is_read_only(self.method)

    def __repr__(self):
        return "Call(%r, %r)" % (self.method, self.params)


class Table:
    """Stateful rows behind ``<namespace>.query/create/update/delete``."""

    def __init__(self, rows, defaults=None, transform=None):
        self.rows = [copy.deepcopy(r) for r in rows]
        self.defaults = defaults or {}
        self.transform = transform or (lambda row: row)

    def create(self, data):
        row = copy.deepcopy(self.defaults)
        row.update(copy.deepcopy(data))
        row["id"] = max([r["id"] for r in self.rows] + [0]) + 1
        row = self.transform(row)
        self.rows.append(row)
        return copy.deepcopy(row)

    def update(self, row_id, data):
        for index, row in enumerate(self.rows):
            if row["id"] == row_id:
                updated = copy.deepcopy(row)
                updated.update(copy.deepcopy(data))
                self.rows[index] = self.transform(updated)
                return copy.deepcopy(self.rows[index])
        raise TrueNASError("no row with id %r" % row_id)

    def delete(self, row_id):
        before = len(self.rows)
        self.rows = [r for r in self.rows if r["id"] != row_id]
        if len(self.rows) == before:
            raise TrueNASError("no row with id %r" % row_id)
        return True


class FakeClient:
    """In-memory double of TrueNASClient: canned responses keyed by method, CRUD tables and a
    call log.

    ``respond(method, *values)``: successive results of ``method`` (the last one repeats). A value
    that is an exception is raised; a callable is called with the params.
    ``table(namespace, rows, defaults=None, transform=None)``: serve query/create/update/delete of
    ``namespace`` from rows. Canned responses win over tables.
    """

    def __init__(self, version="25.10.5"):
        self.set_version(version)
        self.settings = ConnectionSettings.from_mapping(CONNECTION_ARGS)
        self.calls = []
        self.responses = {}
        self.tables = {}
        self.connected = True
        self.closed = False

    def set_version(self, version):
        self.version_string = version
        self.version = parse_version(version)
        self.caps = Capabilities(version)

    # ---- configuration -----------------------------------------------------------------------

    def respond(self, method, *values):
        self.responses[method] = list(values)
        return self

    def table(self, namespace, rows, defaults=None, transform=None):
        self.tables[namespace] = Table(rows, defaults, transform)
        return self.tables[namespace]

    # ---- the TrueNASClient interface ---------------------------------------------------------

    def connect(self):
        self.connected = True

    def close(self):
        self.closed = True

    def call(self, method, *params, job=False, timeout=None, progress=None):
        self.calls.append(Call(method, list(params), job))
        return self._answer(method, list(params))

    def query(self, method, filters=None, options=None):
        self.calls.append(Call(method, [filters or [], options or {}]))
        return self._answer(method, [filters or [], options or {}])

    def get_one(self, method, filters, options=None):
        rows = self.query(method, filters, options)
        if len(rows) > 1:
            raise TrueNASError("%s: %d objects match %r" % (method, len(rows), filters), method=method)
        return rows[0] if rows else None

    # ---- inspection --------------------------------------------------------------------------

    @property
    def methods(self):
        return [c.method for c in self.calls]

    @property
    def mutations(self):
        return [c for c in self.calls if c.mutating]

    def calls_to(self, method):
        return [c for c in self.calls if c.method == method]

    def assert_no_mutation(self):
        assert self.mutations == [], "mutating calls were made: %r" % self.mutations

    # ---- internals ---------------------------------------------------------------------------

    def _answer(self, method, params):
        if method in self.responses:
            queue = self.responses[method]
            value = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(value, BaseException):
                raise value
            if callable(value):
                return value(*params)
            return copy.deepcopy(value)
        namespace, action = method.rsplit(".", 1)
        table = self.tables.get(namespace)
        if table is None:
            raise AssertionError("the fake client has no response for %s%r" % (method, params))
        if action == "query":
            filters = params[0] if params else []
            return [copy.deepcopy(r) for r in table.rows if all(_matches(r, f) for f in filters)]
        if action == "create":
            return table.create(params[0])
        if action == "update":
            return table.update(params[0], params[1])
        if action == "delete":
            return table.delete(params[0])
        raise AssertionError("the fake client's table %s has no action %s" % (namespace, action))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """No TRUENAS_* variables from the developer's shell, and no warnings of an earlier module run
    (Ansible keeps them in a process-wide store), leak into a test."""
    for name in list(os.environ):
        if name.startswith("TRUENAS_"):
            monkeypatch.delenv(name)
    from ansible.module_utils.common import warnings

    for store in ("_global_warnings", "_global_deprecations"):
        if isinstance(getattr(warnings, store, None), (dict, list)):
            monkeypatch.setattr(warnings, store, type(getattr(warnings, store))())


@pytest.fixture
def fake_client(monkeypatch):
    """A FakeClient that TrueNASModule uses instead of connecting to a server."""
    client = FakeClient()

    def build(module):
        # the settings a real client would have: the module's connection options after precedence
        try:
            client.settings = connection_settings(module.connection())[0]
        except TrueNASError:
            pass
        return client

    monkeypatch.setattr(_module.TrueNASModule, "_build_client", build)
    return client


@pytest.fixture
def module_args():
    """Context manager exposing a dict as the module's arguments."""
    return patch_module_args


@pytest.fixture
def run_module(capsys):
    """``run_module(main, args, check_mode=False, diff=False)`` -> the module's result dict."""

    def run(main, args, check_mode=False, diff=False, connection=True):
        full = dict(CONNECTION_ARGS) if connection else {}
        full.update(args)
        full["_ansible_check_mode"] = check_mode
        full["_ansible_diff"] = diff
        with patch_module_args(full):
            with pytest.raises(SystemExit):
                main()
        out = capsys.readouterr().out
        return json.loads(out.strip().splitlines()[-1])

    return run


@pytest.fixture
def rpc_fixture():
    """``rpc_fixture(method, case)`` -> parsed ``fixtures/rpc/<method>/<case>.json``."""
    return lambda method, case: load_fixture("rpc", method, case)


@pytest.fixture
def wire_error():
    """``wire_error(method, case)`` -> the TrueNASError an error fixture maps to."""
    return rpc_error
