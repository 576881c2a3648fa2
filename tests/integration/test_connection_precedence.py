"""Where connection options come from, as a user meets it: task options win over the TRUENAS_*
environment per pair of alternatives, and a credentials file fills in what neither sets."""
import json
import os
import subprocess

import pytest

from tests.integration.conftest import VENV_BIN, base_env

pytestmark = pytest.mark.sim_profiles("25.10")

NOWHERE = "wss://127.0.0.1:9/api/current"


def ad_hoc(module, args, env):
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible"), "localhost", "-m", "nasops.truenas.%s" % module,
                           "-a", args, "-o"], env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_task_host_wins_over_an_exported_url(sim):
    port = sim.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    env = base_env(sim)
    env["TRUENAS_URL"] = NOWHERE
    rc, out = ad_hoc("truenas_system_info", "host=127.0.0.1 port=%s" % port, env)
    assert rc == 0, out
    assert "mutually exclusive" not in out
    assert '"version": "25.10.5"' in out or "25.10.5" in out


def test_task_api_key_wins_over_an_exported_password(sim, run_module):
    result = run_module("truenas_pool_info", {"api_key": sim.credentials["api_key"]},
                        env={"TRUENAS_PASSWORD": "an-exported-password", "TRUENAS_API_KEY": ""})
    assert not result["failed"], result
    assert "tank" in [p["name"] for p in result["pools"]]


def test_a_credentials_file_profile_is_used(sim, run_module, tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[default]\nurl = %s\n\n[sim]\nurl = %s\nusername = %s\napi_key = %s\nca_path = %s\n"
                    % (NOWHERE, sim.url, sim.credentials["username"], sim.credentials["api_key"], sim.ca_file))
    os.chmod(str(path), 0o600)
    clear = {"TRUENAS_URL": "", "TRUENAS_USERNAME": "", "TRUENAS_API_KEY": "", "TRUENAS_CA_PATH": "",
             "TRUENAS_CONFIG": str(path)}
    result = run_module("truenas_pool_info", {"profile": "sim"}, env=clear)
    assert not result["failed"], result
    assert "tank" in [p["name"] for p in result["pools"]]
    assert sim.credentials["api_key"] not in json.dumps(result)

    result = run_module("truenas_pool_info", {}, env=dict(clear, TRUENAS_PROFILE="sim"))
    assert not result["failed"], result

    os.chmod(str(path), 0o644)
    result = run_module("truenas_pool_info", {"profile": "sim"}, env=clear)
    assert result["failed"] is True
    assert result["msg"] == ("Failed to read pools: refusing the credentials file %s: its mode 0644 lets other users "
                             "read or change it; run 'chmod 600 %s'" % (path, path))


def test_a_password_in_the_credentials_file_is_refused(sim, run_module, tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[default]\nurl = %s\nusername = admin\npassword = %s\n" % (sim.url, sim.credentials["password"]))
    os.chmod(str(path), 0o600)
    env = {"TRUENAS_URL": "", "TRUENAS_USERNAME": "", "TRUENAS_API_KEY": "", "TRUENAS_CONFIG": str(path)}
    result = run_module("truenas_pool_info", {}, env=env)
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to read pools: refusing password in profile [default] of %s: passwords "
                                    "are not read" % path)
    assert sim.credentials["password"] not in json.dumps(result)
