# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Transport security: a certificate from the wrong CA, a self-signed certificate without
``validate_certs: false``, and an API key over ``ws://`` to a non-loopback address are refused
with a clear message, and the simulator's counters confirm that no API key reached it.

For the last case the simulator listens on 127.0.0.1 as always; the module is pointed at
``ws://0.0.0.0:<port>``, which reaches the same socket on Linux but is not a loopback address.
A password login over the same URL (allowed, with a warning) shows that the address does reach
the simulator, so the refusal is the client's own decision.
"""

import json

import pytest

from tests.simulator.server import make_certificates

pytestmark = pytest.mark.timeout(180)

DATASET = {"name": "tank/media"}


def assert_nothing_presented(sim):
    counters = sim.counters()
    assert counters["api_keys_presented"] == {}
    assert counters["logins"] == 0
    assert counters["calls"] == {}


def assert_clean_failure(run, sim, *phrases):
    assert run.failed
    assert run.changed is False
    msg = run.result["msg"]
    for phrase in phrases:
        assert phrase in msg, msg
    assert "Traceback" not in msg
    assert sim.info["api_key"] not in run.stdout + run.stderr


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory):
    from tests.bench import harness

    sim = harness.Simulator(str(tmp_path_factory.mktemp("tls")))
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def tsim(tls_sim):
    tls_sim.reset_counters()
    return tls_sim


@pytest.fixture
def clean_env(tsim):
    """The simulator's environment without its CA, and without any CA bundle override."""
    env = tsim.env()
    for name in ("TRUENAS_CA_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"):
        env.pop(name, None)
    return env


@pytest.fixture
def run_dataset(tmp_path):
    from tests.bench import harness

    def run(env, **options):
        args = dict(DATASET)
        args.update(options)
        return harness.run_module("truenas_dataset", args, env, str(tmp_path))

    return run


def test_wrong_ca_is_refused(tsim, clean_env, run_dataset, tmp_path):
    other_ca = make_certificates(str(tmp_path / "other-ca"))[0]
    run = run_dataset(clean_env, ca_path=other_ca)
    assert_clean_failure(run, tsim, "certificate", "ca_path")
    assert_nothing_presented(tsim)


def test_self_signed_needs_validate_certs_false(tsim, clean_env, run_dataset):
    run = run_dataset(clean_env)
    assert_clean_failure(run, tsim, "certificate", "validate_certs")
    assert_nothing_presented(tsim)

    accepted = run_dataset(clean_env, validate_certs=False)
    assert not accepted.failed, accepted.result["msg"]
    assert accepted.result["dataset"]["name"] == "tank/media"
    assert tsim.counters()["api_keys_presented"] == {"1": {"count": 1, "tls": 1, "plain": 0}}


def test_api_key_over_plain_ws_to_a_remote_host_is_refused(simulator, run_dataset):
    sim = simulator(tls=False, extra_args=["--treat-plain-as-remote"])
    sim.reset_counters()
    remote_url = "ws://0.0.0.0:%d/api/current" % sim.port
    env = sim.env(TRUENAS_URL=remote_url)
    env.pop("TRUENAS_CA_PATH", None)

    run = run_dataset(env)
    assert_clean_failure(run, sim, "refusing to send api_key over unencrypted ws://", "wss://")
    assert_nothing_presented(sim)
    assert sim.counters()["connections"] == 0          # refused before connecting

    # The same address with a password: allowed (with a warning), and it reaches the simulator.
    env.pop("TRUENAS_API_KEY")
    env["TRUENAS_PASSWORD"] = sim.info["password"]
    with_password = run_dataset(env)
    assert not with_password.failed, with_password.result["msg"]
    assert "sent unencrypted over ws://" in json.dumps(with_password.result.get("warnings"))
    assert sim.info["password"] not in with_password.stdout + with_password.stderr
    counters = sim.counters()
    assert counters["logins"] == 1
    assert counters["api_keys_presented"] == {}
