"""Fixtures for the session broker tests: a private runtime directory per test and a client opener."""
import os
import shutil

import pytest

from tests.integration.broker.brokerkit import broker_pids, short_runtime_dir, wait_gone

from ansible_collections.nasops.truenas.plugins.module_utils import _broker  # noqa: E402


@pytest.fixture
def runtime():
    """An environment whose ``XDG_RUNTIME_DIR`` is private to the test; every broker started in it
    exits when the test ends (its socket directory is removed)."""
    path = short_runtime_dir()
    env = dict(os.environ, XDG_RUNTIME_DIR=path)
    yield env
    pids = broker_pids(env)
    shutil.rmtree(path, ignore_errors=True)
    for pid in pids:
        wait_gone(pid, 10)


@pytest.fixture
def open_client(runtime):
    """``open_client(settings, **kwargs)``: ``_broker.open_client`` in the test's runtime directory;
    every client is closed after the test."""
    clients = []

    def opener(settings, **kwargs):
        kwargs.setdefault("environ", runtime)
        client = _broker.open_client(settings, **kwargs)
        clients.append(client)
        return client

    yield opener
    for client in clients:
        client.close()
