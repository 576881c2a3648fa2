# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The session broker's module side without a broker: places, salt, keys, environment, framing.
The broker itself runs against the simulator in tests/integration/broker."""

import os
import socket
import stat

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils import _broker
from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings

KEY = "1-" + "a" * 64


def settings(**overrides):
    options = dict(url="wss://nas.example.test/api/current", username="admin", api_key=KEY)
    options.update(overrides)
    return ConnectionSettings.from_mapping(options)


def test_runtime_directory_prefers_xdg_runtime_dir(tmp_path):
    assert _broker.runtime_directory({"XDG_RUNTIME_DIR": "/run/user/1000"}) == "/run/user/1000/nasops.truenas"
    assert _broker.runtime_directory({"HOME": str(tmp_path)}) == str(tmp_path / ".cache" / "nasops.truenas" / "run")
    # a relative XDG_RUNTIME_DIR is ignored, as the XDG specification says
    assert _broker.runtime_directory({"XDG_RUNTIME_DIR": "run", "HOME": "/home/u"}) == \
        "/home/u/.cache/nasops.truenas/run"


def test_private_directory_is_created_0700_and_loose_ones_refused(tmp_path):
    path = str(tmp_path / "a" / "b")
    assert _broker.private_directory(path) == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    os.chmod(path, 0o755)
    with pytest.raises(_broker.BrokerUnavailable) as info:
        _broker.private_directory(path)
    assert str(info.value) == "the directory %s has mode 0755: other users may use it (it must be 0700)" % path
    os.chmod(path, 0o700)
    os.rmdir(path)
    os.symlink(str(tmp_path), path)
    with pytest.raises(_broker.BrokerUnavailable) as info:
        _broker.private_directory(path)
    assert str(info.value) == "%s is not a directory" % path


def test_the_salt_is_made_once_and_kept_private(tmp_path):
    first = _broker.user_salt(str(tmp_path))
    assert len(first) == 32
    assert _broker.user_salt(str(tmp_path)) == first
    assert stat.S_IMODE(os.stat(str(tmp_path / "salt")).st_mode) == 0o600
    os.chmod(str(tmp_path / "salt"), 0o644)
    with pytest.raises(_broker.BrokerUnavailable):
        _broker.user_salt(str(tmp_path))


def test_keys_differ_for_every_part_of_the_identity():
    salt = b"s" * 32
    base = _broker.derive_keys(settings(), "v1", salt)
    assert base == _broker.derive_keys(settings(), "v1", salt)
    others = [
        _broker.derive_keys(settings(api_key="2-" + "a" * 64), "v1", salt),
        _broker.derive_keys(settings(username="other"), "v1", salt),
        _broker.derive_keys(settings(url="wss://nas2.example.test/api/current"), "v1", salt),
        _broker.derive_keys(settings(validate_certs=False), "v1", salt),
        _broker.derive_keys(settings(ca_path="/etc/ca.pem"), "v1", salt),
        _broker.derive_keys(settings(api_key=None, password="pw"), "v1", salt),
        _broker.derive_keys(settings(), "v2", salt),
        _broker.derive_keys(settings(), "v1", b"t" * 32),
    ]
    names = set(name for name, _proof in others + [base])
    assert len(names) == len(others) + 1
    name, proof_key = base
    assert len(name) == 32 and len(proof_key) == 32
    # a timeout is not part of the session: runs with other timeouts share it
    assert _broker.derive_keys(settings(timeout=5), "v1", salt) == base


def test_the_environment_of_the_broker_has_no_secret():
    environ = {"PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "SSL_CERT_FILE": "/etc/ca.pem",
               "TRUENAS_API_KEY": KEY, "TRUENAS_URL": "wss://nas", "AWS_SECRET": "x", "XDG_RUNTIME_DIR": "/run/u",
               "https_proxy": "http://proxy:3128", "LC_TOKEN_COPY": KEY}
    env = _broker.clean_environment((KEY,), environ)
    assert env == {"PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "SSL_CERT_FILE": "/etc/ca.pem",
                   "XDG_RUNTIME_DIR": "/run/u", "https_proxy": "http://proxy:3128"}


def test_frames_round_trip_and_refuse_garbage():
    left, right = socket.socketpair()
    try:
        _broker.send_frame(left, {"result": [1, "two", {"three": None}]})
        assert _broker.recv_frame(right) == {"result": [1, "two", {"three": None}]}
        left.sendall(b"\x7f\xff\xff\xff")
        with pytest.raises(EOFError):
            _broker.recv_frame(right)
        left.close()
        with pytest.raises(EOFError):
            _broker.recv_frame(right)
    finally:
        left.close()
        right.close()


def test_peer_credentials_are_this_process():
    left, right = socket.socketpair()
    try:
        pid, uid, _gid = _broker.peer_credentials(left)
        assert (pid, uid) == (os.getpid(), os.geteuid())
    finally:
        left.close()
        right.close()


def test_module_sources_cover_what_the_broker_imports():
    sources = _broker.module_sources()
    for short in _broker.BROKER_MODULES:
        assert sources["%s.%s" % (_broker.PACKAGE, short)]
    assert all(sources[name] is None for name in _broker.PACKAGES)
    assert _broker.code_version(sources) == _broker.code_version(dict(sources))
    # every collection module the broker imports is shipped
    import re
    for short in _broker.BROKER_MODULES:
        text = sources["%s.%s" % (_broker.PACKAGE, short)]
        for imported in re.findall(r"plugins\.module_utils\.(_\w+) import|module_utils import (_\w+)", text):
            name = imported[0] or imported[1]
            assert name in _broker.BROKER_MODULES, (short, name)


def test_a_disabled_broker_connects_directly():
    built = []

    class Direct:
        def __init__(self, settings, log=None):
            built.append(settings)

        def connect(self):
            return self

    client = _broker.open_client(settings(), idle_timeout=0, direct_factory=Direct)
    assert isinstance(client, Direct) and client.broker_fallback is None
