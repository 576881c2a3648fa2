# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import importlib.machinery
import json
import os
import subprocess
import sys
import types

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils import _module
from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASError,
    TrueNASJobError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._module import CONNECTION_SPEC, TrueNASModule, mask_secrets
from ansible_collections.nasops.truenas.plugins.module_utils._resources.nfs import NfsShareResource

API_KEY = "1-" + "k" * 64


CONNECTION_OPTIONS = ["api_key", "broker_idle_timeout", "broker_lifetime", "ca_path", "host", "otp_token", "password",
                      "port", "profile", "timeout", "url", "username", "validate_certs"]


def echo_main(**spec):
    """A module that returns its params (minus secrets, which Ansible masks anyway)."""

    def main():
        module = TrueNASModule(argument_spec=dict(name=dict(type="str"), **spec), supports_check_mode=True)
        module.exit_json(changed=False, params=dict(module.params))

    return main


def test_argspec_merges_connection_options_with_module_options(run_module):
    result = run_module(echo_main(), {"name": "x"})
    params = result["params"]
    assert sorted(set(params) - {"name"}) == CONNECTION_OPTIONS
    assert params["name"] == "x"
    # defaults are applied after the precedence rules (task > environment > credentials file)
    assert params["validate_certs"] is None
    assert params["timeout"] is None
    assert params["host"] == "nas.example.test"
    assert params["url"] is None


def test_connection_spec_marks_secrets_no_log():
    assert sorted(name for name, spec in CONNECTION_SPEC.items() if spec.get("no_log")) == ["api_key", "otp_token", "password"]


def test_module_options_may_not_shadow_connection_options(module_args):
    with module_args({"host": "h"}):
        with pytest.raises(ValueError) as info:
            TrueNASModule(argument_spec=dict(timeout=dict(type="int")))
    assert str(info.value) == "module options ['timeout'] clash with the connection options"


ENVIRONMENT = {
    "TRUENAS_HOST": "env-nas.example.test",
    "TRUENAS_PORT": "8443",
    "TRUENAS_API_KEY": API_KEY,
    "TRUENAS_USERNAME": "svc",
    "TRUENAS_PASSWORD": "env-password",
    "TRUENAS_OTP_TOKEN": "123456",
    "TRUENAS_VALIDATE_CERTS": "false",
    "TRUENAS_CA_PATH": "/etc/ssl/truenas-ca.pem",
    "TRUENAS_TIMEOUT": "15",
}


DEFAULTS = {"validate_certs": True, "timeout": 60, "broker_idle_timeout": 60, "broker_lifetime": 3600}


def capture_params(monkeypatch):
    """A module main() that records the connection options after precedence."""
    seen = {}

    def main():
        module = TrueNASModule(argument_spec={}, supports_check_mode=True)
        seen.update(module.connection().values)
        module.exit_json(changed=False)

    return main, seen


@pytest.fixture(autouse=True)
def no_credentials_file(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUENAS_CONFIG", str(tmp_path / "no-such-credentials"))
    for name in list(ENVIRONMENT) + ["TRUENAS_URL", "TRUENAS_PROFILE"]:
        monkeypatch.delenv(name, raising=False)


def test_environment_is_used_for_options_the_task_does_not_set(run_module, monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    main, seen = capture_params(monkeypatch)
    run_module(main, {}, connection=False)
    assert seen == dict(DEFAULTS, **{
        "host": "env-nas.example.test",
        "url": None,
        "port": "8443",
        "api_key": API_KEY,
        "username": "svc",
        "password": "env-password",
        "otp_token": "123456",
        "validate_certs": "false",
        "ca_path": "/etc/ssl/truenas-ca.pem",
        "timeout": "15",
    })


def test_url_from_the_environment(run_module, monkeypatch):
    monkeypatch.setenv("TRUENAS_URL", "wss://nas.example.test/api/current")
    main, seen = capture_params(monkeypatch)
    run_module(main, {"api_key": API_KEY}, connection=False)
    assert seen["url"] == "wss://nas.example.test/api/current"
    assert seen["host"] is None


def test_empty_environment_values_count_as_unset(run_module, monkeypatch):
    # AWX injects every variable of a credential type, empty when the field is blank.
    for name in ENVIRONMENT:
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("TRUENAS_URL", "wss://nas.example.test/api/current")
    main, seen = capture_params(monkeypatch)
    run_module(main, {}, connection=False)
    assert seen == dict(DEFAULTS, **{
        "host": None, "url": "wss://nas.example.test/api/current", "port": None, "api_key": None,
        "username": None, "password": None, "otp_token": None, "ca_path": None,
    })


def test_task_arguments_win_over_environment(run_module, monkeypatch):
    monkeypatch.setenv("TRUENAS_HOST", "env-nas")
    monkeypatch.setenv("TRUENAS_TIMEOUT", "15")
    main, seen = capture_params(monkeypatch)
    run_module(main, {"host": "task-nas", "timeout": 5}, connection=False)
    assert seen["host"] == "task-nas"
    assert seen["timeout"] == 5


def test_task_host_is_not_combined_with_an_exported_url(run_module, monkeypatch):
    monkeypatch.setenv("TRUENAS_URL", "wss://env-nas/api/current")
    monkeypatch.setenv("TRUENAS_PORT", "8443")
    main, seen = capture_params(monkeypatch)
    result = run_module(main, {"host": "127.0.0.1", "port": 4443, "api_key": API_KEY}, connection=False)
    assert not result.get("failed")
    assert (seen["host"], seen["port"], seen["url"]) == ("127.0.0.1", 4443, None)


def test_task_api_key_is_not_combined_with_an_exported_password(run_module, monkeypatch):
    monkeypatch.setenv("TRUENAS_USERNAME", "env-user")
    monkeypatch.setenv("TRUENAS_PASSWORD", "env-password")
    main, seen = capture_params(monkeypatch)
    run_module(main, {"host": "nas", "api_key": API_KEY}, connection=False)
    # the username is an option of its own: the exported one is used with the task's API key
    assert (seen["api_key"], seen["password"], seen["username"]) == (API_KEY, None, "env-user")


def test_host_and_url_in_one_task_are_refused_by_name(run_module):
    def main():
        module = TrueNASModule(argument_spec={})
        try:
            module.client
        except TrueNASError as exc:
            module.fail_from_error(exc)

    result = run_module(main, {"url": "wss://nas/api/current"})
    assert result["failed"] is True
    assert result["msg"] == "host and url are mutually exclusive: give one of them"


def test_host_or_url_is_required(run_module):
    def main():
        module = TrueNASModule(argument_spec={})
        try:
            module.client
        except TrueNASError as exc:
            module.fail_from_error(exc)

    result = run_module(main, {"api_key": API_KEY}, connection=False)
    assert result["failed"] is True
    assert result["msg"] == "set host (or url) to the TrueNAS address"


def test_bad_value_from_the_environment_names_the_variable(run_module, monkeypatch):
    monkeypatch.setenv("TRUENAS_PORT", "eighty")

    def main():
        module = TrueNASModule(argument_spec={})
        try:
            module.client
        except TrueNASError as exc:
            module.fail_from_error(exc)

    monkeypatch.setenv("TRUENAS_HOST", "nas")
    result = run_module(main, {"api_key": API_KEY}, connection=False)
    assert result["msg"] == "port must be an integer between 1 and 65535, got 'eighty' (from TRUENAS_PORT)"


def test_module_rules_are_extended_not_replaced(run_module):
    def main():
        module = TrueNASModule(argument_spec=dict(a=dict(type="str"), b=dict(type="str")),
                               mutually_exclusive=[("a", "b")])
        module.exit_json(changed=False)

    assert run_module(main, {"a": "1", "b": "2"})["msg"] == "parameters are mutually exclusive: a|b"


def test_secrets_never_appear_in_output(run_module):
    secret_password = "S3cret-Passw0rd"
    result = run_module(echo_main(), {"password": secret_password, "otp_token": "654321"})
    text = json.dumps(result)
    assert secret_password not in text
    assert "654321" not in text
    assert API_KEY not in text


# ---- raw input checks ----------------------------------------------------------------------


def test_a_boolean_for_a_text_option_is_refused_naming_it(run_module):
    result = run_module(echo_main(), {"name": True})
    assert result["failed"] is True
    assert result["msg"].startswith("argument 'name' is of type bool and must be a string")
    assert "params" not in result


def test_a_boolean_for_a_text_option_with_choices_names_the_type_problem(run_module):
    """ansible-core would convert True to "True" and then fail on choices; the cause is shown."""
    result = run_module(echo_main(mode=dict(type="str", choices=["fast", "slow"])), {"mode": True})
    assert result["msg"].startswith("argument 'mode' is of type bool and must be a string")


def test_a_boolean_for_a_required_text_option_is_refused(run_module):
    def main():
        module = TrueNASModule(argument_spec=dict(name=dict(type="str", required=True)))
        module.exit_json(changed=False)

    assert run_module(main, {"name": False})["msg"].startswith("argument 'name' is of type bool")


def test_a_nul_character_is_refused_and_secrets_stay_masked(run_module):
    secret_password = "S3cret-Passw0rd"
    result = run_module(echo_main(), {"name": "a\x00b", "password": secret_password})
    assert result["failed"] is True
    assert result["msg"].startswith("argument 'name' contains a NUL character")
    assert secret_password not in json.dumps(result)


def test_a_nul_character_in_a_secret_does_not_show_it(run_module):
    result = run_module(echo_main(), {"name": "x", "password": "S3cret\x00Passw0rd"})
    assert result["msg"].startswith("argument 'password' contains a NUL character")
    assert "S3cret" not in json.dumps(result)


# ---- the client ----------------------------------------------------------------------------


def test_client_is_built_lazily_and_closed_on_exit(run_module, fake_client):
    def no_client():
        module = TrueNASModule(argument_spec={})
        module.exit_json(changed=False, built=module._client is not None)

    assert run_module(no_client, {})["built"] is False
    assert fake_client.closed is False

    def uses_client():
        module = TrueNASModule(argument_spec={})
        first = module.client
        module.exit_json(changed=False, same=first is module.client, version=module.client.version_string)

    result = run_module(uses_client, {})
    assert result["same"] is True
    assert result["version"] == "25.10.5"
    assert fake_client.closed is True


def test_client_closed_on_failure_and_warnings_forwarded(run_module, fake_client):
    fake_client.warnings = ["password sent over an unencrypted ws:// connection"]

    fake_client.respond("core.ping", "pong")

    def fails():
        module = TrueNASModule(argument_spec={})
        module.client.call("core.ping")
        module.fail_json(msg="boom")

    result = run_module(fails, {})
    assert result["msg"] == "boom"
    assert fake_client.closed is True
    assert len(result["warnings"]) == 1
    assert "password sent over an unencrypted ws:// connection" in json.dumps(result["warnings"])


def test_missing_websocket_client_library(run_module, monkeypatch):
    monkeypatch.setattr(_module, "websocket_import_error", lambda: "ModuleNotFoundError: No module named 'websocket'")

    def main():
        module = TrueNASModule(argument_spec={})
        module.client.call("core.ping")

    result = run_module(main, {})
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to import the required Python library (websocket-client)")


def test_bad_connection_option_from_the_real_client_fails_cleanly(run_module):
    def main():
        module = TrueNASModule(argument_spec={})
        try:
            module.client
        except TrueNASError as exc:
            module.fail_from_error(exc)

    result = run_module(main, {"url": "http://nas.example.test", "api_key": API_KEY}, connection=False)
    assert result["failed"] is True
    assert result["msg"] == "url must start with ws:// or wss://, got 'http://nas.example.test' (use ws:// for http://)"
    assert result["error"]["type"] == "TrueNASOptionError"
    assert API_KEY not in json.dumps(result)


# ---- fail_from_error -----------------------------------------------------------------------


def failing_main(exc, **kwargs):
    def main():
        module = TrueNASModule(argument_spec={})
        module.fail_from_error(exc, **kwargs)

    return main


@pytest.fixture
def tracebacks_enabled(monkeypatch):
    """ansible-core 2.19+ includes ``exception`` only when tracebacks are enabled for errors."""
    try:
        from ansible.module_utils._internal import _traceback
    except ImportError:
        return
    monkeypatch.setattr(_traceback, "_is_traceback_enabled", lambda event: True)


def test_fail_from_error_validation_shape_and_option_names(run_module, wire_error, rpc_fixture, tracebacks_enabled):
    exc = wire_error("sharing.nfs.create", "path_outside_pool")
    result = run_module(failing_main(exc, option_map=NfsShareResource().option_for,
                                     action="create NFS share '/srv/x'"), {})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == "Failed to create NFS share '/srv/x': path: The path must reside within a pool mount point"
    assert result["error"] == {
        "type": "TrueNASValidationError",
        "method": "sharing.nfs.create",
        "errno": 22,
        "errname": "EINVAL",
        "code": -32602,
        "errors": [{
            "attribute": "sharingnfs_create.path",
            "option": "path",
            "message": "The path must reside within a pool mount point",
            "errno": 22,
        }],
    }
    wire = rpc_fixture("sharing.nfs.create", "path_outside_pool")
    assert result["exception"] == wire["error"]["data"]["trace"]["formatted"]
    assert "Traceback" not in result["msg"]


def test_fail_from_error_translates_several_attributes(run_module, wire_error):
    exc = wire_error("sharing.nfs.update", "bad_security_and_ro")
    result = run_module(failing_main(exc, option_map=NfsShareResource().option_for,
                                     action="update NFS share '/mnt/tank/a'"), {})
    assert result["msg"] == (
        "Failed to update NFS share '/mnt/tank/a': security.0: Input should be 'SYS', 'KRB5', 'KRB5I' or 'KRB5P'; "
        "readonly: Input should be a valid boolean"
    )
    assert [e["option"] for e in result["error"]["errors"]] == ["security.0", "readonly"]


def test_fail_from_error_with_dict_option_map(run_module, wire_error):
    exc = wire_error("sharing.nfs.update", "user_not_found")
    result = run_module(failing_main(exc, option_map={"maproot_user": "root_user"}), {})
    assert result["msg"] == "root_user: User not found: nobody2"


def test_fail_from_error_without_option_map_keeps_attributes(run_module, wire_error):
    exc = wire_error("sharing.nfs.update", "user_not_found")
    result = run_module(failing_main(exc), {})
    assert result["msg"] == "sharingnfs_update.maproot_user: User not found: nobody2"


def test_fail_from_error_plain_error_drops_method_prefix_after_action(run_module, tracebacks_enabled):
    exc = TrueNASError("sharing.nfs.delete: [EFAULT] boom", method="sharing.nfs.delete", errno=14,
                       trace="Traceback (most recent call last):\nCallError: [EFAULT] boom\n")
    result = run_module(failing_main(exc, action="delete NFS share '/mnt/tank/a'"), {})
    assert result["msg"] == "Failed to delete NFS share '/mnt/tank/a': [EFAULT] boom"
    assert result["error"] == {"type": "TrueNASError", "method": "sharing.nfs.delete", "errno": 14, "errname": "EFAULT"}
    assert result["exception"] == "Traceback (most recent call last):\nCallError: [EFAULT] boom\n"


def test_fail_from_error_without_action_keeps_message(run_module):
    exc = TrueNASAuthError("login failed: the API key was rejected (AUTH_ERR)")
    result = run_module(failing_main(exc), {})
    assert result["msg"] == "login failed: the API key was rejected (AUTH_ERR)"
    assert result["error"]["type"] == "TrueNASAuthError"


def test_fail_from_error_reports_partial_change(run_module):
    exc = TrueNASJobError("vm.start: [ENOMEM] not enough memory", method="vm.start", errno=12, job_id=5, state="FAILED")
    result = run_module(failing_main(exc, action="start VM 'web'", changed=True, vm={"id": 3, "name": "web"}), {})
    assert result["changed"] is True
    assert result["vm"] == {"id": 3, "name": "web"}
    assert result["msg"] == "Failed to start VM 'web': [ENOMEM] not enough memory"
    assert result["error"]["job_id"] == 5
    assert result["error"]["job_state"] == "FAILED"


def test_fail_from_error_option_error(run_module):
    result = run_module(failing_main(OptionError("networks", "'x' is not a valid IPv4 or IPv6 network")), {})
    assert result["msg"] == "networks: 'x' is not a valid IPv4 or IPv6 network"
    assert result["changed"] is False
    assert "error" not in result


# ---- version gates -------------------------------------------------------------------------


def gate_main(gates):
    def main():
        module = TrueNASModule(argument_spec=dict(secure_boot=dict(type="bool"), other=dict(type="str")))
        module.require_options(gates)
        module.exit_json(changed=False, passed=True)

    return main


def test_require_options_fails_naming_option_and_version(run_module, fake_client):
    fake_client.set_version("25.04.1")
    result = run_module(gate_main({"other": "vms"}), {"other": "x"})
    assert result["failed"] is True
    assert result["msg"] == "option 'other' needs TrueNAS 25.04.2 or later (this server runs 25.04.1)"


def test_require_options_only_checks_set_options(run_module, fake_client):
    fake_client.set_version("25.10.5")
    result = run_module(gate_main({"secure_boot": "vm_update_secure_boot"}), {"other": "x"})
    assert result["passed"] is True
    assert fake_client.calls == []


def test_require_options_unsupported_on_newer_release(run_module, fake_client):
    fake_client.set_version("25.10.5")
    result = run_module(gate_main({"secure_boot": "vm_update_secure_boot"}), {"secure_boot": True})
    assert result["msg"] == "option 'secure_boot' is only supported on TrueNAS before 25.10 (this server runs 25.10.5)"


def test_require_module_level(run_module, fake_client):
    fake_client.set_version("25.04.1")

    def main():
        module = TrueNASModule(argument_spec={})
        module.require("vms")
        module.exit_json(changed=False)

    result = run_module(main, {})
    assert result["msg"] == "'vms' needs TrueNAS 25.04.2 or later (this server runs 25.04.1)"


# ---- results -------------------------------------------------------------------------------


def result_main(**kwargs):
    def main():
        module = TrueNASModule(argument_spec={}, supports_check_mode=True)
        module.exit_result(**kwargs)

    return main


DISPLAY = {"id": 1, "name": "vnc", "attributes": {"password": "hunter2", "port": 5900}, "keys": [{"secret": "s1"}, {"secret": None}]}
SECRETS = ["attributes.password", "keys.secret"]
MASKED = {"id": 1, "name": "vnc", "attributes": {"password": "********", "port": 5900}, "keys": [{"secret": "********"}, {"secret": None}]}


def test_exit_result_masks_secrets_and_attaches_diff_in_diff_mode(run_module):
    result = run_module(result_main(changed=True, key="device", value=DISPLAY, diff={"before": {}, "after": DISPLAY},
                                    secrets=SECRETS), {}, diff=True)
    assert result["changed"] is True
    assert result["device"] == MASKED
    assert result["diff"] == {"before": {}, "after": MASKED}
    assert "hunter2" not in json.dumps(result)


def test_exit_result_has_no_diff_outside_diff_mode(run_module):
    result = run_module(result_main(changed=False, key="device", value=DISPLAY, diff={"before": DISPLAY, "after": DISPLAY},
                                    secrets=SECRETS), {})
    assert "diff" not in result
    assert result["changed"] is False
    assert result["device"] == MASKED


def test_exit_result_always_returns_changed(run_module):
    result = run_module(result_main(changed=0, extra_key="x"), {})
    assert result["changed"] is False
    assert result["extra_key"] == "x"


def test_mask_secrets_leaves_input_alone():
    original = json.loads(json.dumps(DISPLAY))
    assert mask_secrets(DISPLAY, SECRETS) == MASKED
    assert DISPLAY == original
    assert mask_secrets({"a": ""}, ["a", "missing.path"]) == {"a": ""}
    assert mask_secrets(None, ["a"]) is None


NESTED = dict(
    audit=dict(type="dict", options=dict(enable=dict(type="bool"))),
    devices=dict(type="list", elements="dict", options=dict(dtype=dict(type="str"),
                                                            usb=dict(type="dict", options=dict(vendor_id=dict(type="str"))))),
)


@pytest.mark.parametrize("given, message", [
    ({"audit": 5}, "argument 'audit' is of type int; it must be a dictionary"),
    ({"audit": True}, "argument 'audit' is of type bool; it must be a dictionary"),
    ({"devices": [{"dtype": "NIC"}, 3.5]}, "argument 'devices[1]' is of type float; it must be a dictionary"),
    ({"devices": [{"dtype": "USB", "usb": 7}]}, "argument 'devices[0].usb' is of type int; it must be a dictionary"),
])
def test_non_dict_values_for_dict_options_are_reported_not_crashed_on(run_module, given, message):
    # ansible-core raises a TypeError for these in its own validation; the base reports them.
    result = run_module(echo_main(**NESTED), given)
    assert result["failed"] is True
    assert result["msg"] == message
    assert API_KEY not in json.dumps(result)


def test_dict_options_still_accept_dicts(run_module):
    result = run_module(echo_main(**NESTED), {"audit": {"enable": True}, "devices": [{"dtype": "USB", "usb": {"vendor_id": "0x1"}}]})
    assert result.get("failed") is not True
    assert result["params"]["audit"] == {"enable": True}
    assert result["params"]["devices"][0]["usb"] == {"vendor_id": "0x1"}


def test_fail_from_error_unmapped_attribute_shows_the_server_attribute(run_module, wire_error):
    # An attribute that no option sets is shown as the server names it, never as a made-up option.
    exc = wire_error("sharing.nfs.update", "user_not_found")
    result = run_module(failing_main(exc, option_map={"comment": "comment"}), {})
    assert result["msg"] == "sharingnfs_update.maproot_user: User not found: nobody2"
    assert result["error"]["errors"][0]["option"] is None
    assert result["error"]["errors"][0]["attribute"] == "sharingnfs_update.maproot_user"


# What a module run imports besides ansible-core: every module run pays for it, and a run served
# by the session broker needs neither the WebSocket and TLS stack nor the broker process's code.
IMPORT_PROBE = r"""
import json, sys
from ansible_collections.nasops.truenas.plugins.module_utils import _module  # noqa: F401
from ansible_collections.nasops.truenas.plugins.module_utils._resources import dataset  # noqa: F401
print(json.dumps(sorted(sys.modules)))
"""
NOT_IMPORTED_BY_A_BROKERED_RUN = (
    "websocket", "ssl", "configparser", "fractions",
    "ansible_collections.nasops.truenas.plugins.module_utils._transport",
    "ansible_collections.nasops.truenas.plugins.module_utils._brokerd",
)


def test_a_module_run_imports_no_direct_connection_code():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", IMPORT_PROBE], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    imported = set(json.loads(proc.stdout))
    assert "ansible_collections.nasops.truenas.plugins.module_utils._broker" in imported
    assert [name for name in NOT_IMPORTED_BY_A_BROKERED_RUN if name in imported] == []


# ---- the end of a module process -----------------------------------------------------------


def main_module(monkeypatch, name):
    """Make ``name`` this process's ``__main__``, as Ansible's payload runs a module."""
    main = types.ModuleType("__main__")
    main.__spec__ = importlib.machinery.ModuleSpec(name, None) if name else None
    monkeypatch.setitem(sys.modules, "__main__", main)


@pytest.fixture
def freezes(monkeypatch):
    calls = []
    monkeypatch.setattr(_module.gc, "freeze", lambda: calls.append("freeze"))
    return calls


@pytest.mark.parametrize("failed", [False, True])
def test_a_module_process_leaves_its_objects_out_of_the_last_garbage_collection(run_module, monkeypatch, freezes,
                                                                                failed):
    main_module(monkeypatch, "ansible_collections.nasops.truenas.plugins.modules.truenas_dataset")

    def main():
        module = TrueNASModule(argument_spec={})
        if failed:
            module.fail_json(msg="refused")
        module.exit_json(changed=False)

    result = run_module(main, {})
    assert result.get("failed", False) is failed
    assert freezes == ["freeze"]


@pytest.mark.parametrize("name", [None, "pytest", "ansible_collections.nasops.truenas.plugins.module_utils._module",
                                  "ansible_collections.other.collection.plugins.modules.x"])
def test_other_processes_keep_their_garbage_collection(run_module, monkeypatch, freezes, name):
    main_module(monkeypatch, name)
    result = run_module(echo_main(), {"name": "x"})
    assert result["changed"] is False
    assert freezes == []
