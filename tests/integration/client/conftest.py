# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the client layer against the simulator over real sockets: a client factory and a
guard that checks every log line and exception text of a test for the secrets it used."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _collections_root():
    if ROOT.parent.parent.name == "ansible_collections":
        return ROOT.parent.parent.parent
    return ROOT / ".venv" / "collections"


if str(_collections_root()) not in sys.path:
    sys.path.insert(0, str(_collections_root()))

from ansible_collections.nasops.truenas.plugins.module_utils._client import (  # noqa: E402
    ConnectionSettings,
    TrueNASClient,
)
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError  # noqa: E402


class LeakGuard:
    """Collects what the client layer showed (log lines, exception messages and traces) and the
    secrets a test used; after the test none of the secrets may appear in any of it."""

    def __init__(self):
        self.texts = []
        self.secrets = set()
        self.clients = []

    def log(self, line):
        self.texts.append(line)

    def secret(self, *values):
        self.secrets.update(v for v in values if v)

    def error(self, exc_type, fn, *args, **kwargs):
        """Run ``fn``; it must raise ``exc_type``; the exception's texts are recorded and it is returned."""
        with pytest.raises(exc_type) as info:
            fn(*args, **kwargs)
        self.record(info.value)
        return info.value

    def record(self, exc):
        self.texts.append(str(exc))
        self.texts.append(repr(exc))
        if isinstance(exc, TrueNASError):
            self.texts.append(exc.message)
            if exc.trace:
                self.texts.append(exc.trace)

    def leaks(self):
        return [(secret, text) for text in self.texts for secret in self.secrets if secret in text]


@pytest.fixture
def guard():
    guard = LeakGuard()
    yield guard
    for client in guard.clients:
        client.close()
    assert guard.leaks() == []


@pytest.fixture
def connect_to(guard):
    """``connect_to(server, **options)`` -> a TrueNASClient for the simulator (not yet connected).

    Options are connection settings (``url``, ``api_key``, ``username``, ``password``, ``otp_token``,
    ``validate_certs``, ``ca_path``, ``timeout``) plus client keywords (``keepalive_interval``,
    ``connect_retries``, ...). Default: the server's URL and CA with the admin API key.
    """

    client_keywords = ("keepalive_interval", "poll_interval", "max_poll_interval", "connect_retries",
                       "max_reconnects", "max_not_found", "sleep", "login_rate_limit_wait")

    def build(server=None, **options):
        mapping = {}
        if server is not None:
            mapping.update(url=server.url, ca_path=server.ca_file, username=server.credentials["username"],
                           api_key=server.credentials["api_key"])
            guard.secret(*(server.credentials[k] for k in ("password", "api_key")))
            for user in server.seed.get("users") or []:
                guard.secret(user.get("password"))
                for key in user.get("api_keys") or []:
                    guard.secret("%s-%s" % (key["id"], key["key"]), key["key"])
        kwargs = dict((k, options.pop(k)) for k in client_keywords if k in options)
        mapping.update(options)
        guard.secret(mapping.get("api_key"), mapping.get("password"), mapping.get("otp_token"))
        settings = guard_settings(guard, mapping)
        client = TrueNASClient(settings, log=guard.log, **kwargs)
        guard.clients.append(client)
        return client

    return build


def guard_settings(guard, mapping):
    try:
        return ConnectionSettings.from_mapping(mapping)
    except TrueNASError as exc:
        guard.record(exc)
        raise
