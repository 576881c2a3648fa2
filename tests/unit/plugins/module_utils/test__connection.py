# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where connection options come from: task > TRUENAS_* environment > credentials file, per group."""

import os

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._connection import (
    connection_settings,
    default_config_path,
    resolve,
)
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASOptionError

KEY = "1-" + "a" * 64
FILE_KEY = "2-" + "b" * 64


@pytest.fixture
def credentials(tmp_path):
    """``credentials(text, mode=0o600)`` writes a credentials file and returns its path."""
    def write(text, mode=0o600):
        path = tmp_path / "credentials"
        path.write_text(text)
        os.chmod(str(path), mode)
        return str(path)

    return write


PROFILES = """
[default]
url = wss://file-nas.example.test/api/current
username = fileuser
api_key = %s
validate_certs = false
timeout = 20

[lab]
host = 192.0.2.10
port = 8443
api_key = %s
broker_idle_timeout = 0
""" % (FILE_KEY, FILE_KEY)


def test_task_then_environment_then_file(credentials):
    path = credentials(PROFILES)
    resolved = resolve({"host": "task-nas"}, environ={"TRUENAS_API_KEY": KEY, "TRUENAS_USERNAME": "envuser"},
                       config_path=path)
    values = resolved.values
    assert (values["host"], values["url"], values["port"]) == ("task-nas", None, None)
    assert (values["api_key"], values["username"]) == (KEY, "envuser")
    assert values["validate_certs"] == "false"                 # from the file: no one else set it
    assert values["timeout"] == "20"
    assert resolved.sources["host"] == "task"
    assert resolved.sources["api_key"] == "TRUENAS_API_KEY"
    assert resolved.sources["timeout"] == "profile [default] in %s" % path


def test_each_pair_of_alternatives_comes_from_one_source(credentials):
    path = credentials(PROFILES)
    # host in the task: the url of the environment (or of the file) is not mixed in
    values = resolve({"host": "h"}, environ={"TRUENAS_URL": "wss://env/api/current"}, config_path=path).values
    assert (values["url"], values["host"]) == (None, "h")
    # a password in the environment: the file's api_key is not mixed in; the file's username is
    values = resolve({}, environ={"TRUENAS_PASSWORD": "pw"}, config_path=path).values
    assert (values["password"], values["api_key"], values["username"]) == ("pw", None, "fileuser")
    # other options are looked up one by one: a username in the task, the password in the environment
    values = resolve({"host": "h", "username": "taskuser", "port": 9000},
                     environ={"TRUENAS_PASSWORD": "pw", "TRUENAS_OTP_TOKEN": "123456"}, config_path=path).values
    assert (values["username"], values["password"], values["otp_token"], values["port"]) == (
        "taskuser", "pw", "123456", 9000)


def test_the_file_fills_what_nothing_else_sets(credentials):
    path = credentials(PROFILES)
    resolved = resolve({}, environ={}, config_path=path)
    settings, broker = connection_settings(resolved)
    assert settings.endpoint == "wss://file-nas.example.test/api/current"
    assert settings.username == "fileuser" and settings.api_key == FILE_KEY
    assert settings.validate_certs is False and settings.timeout == 20.0
    assert broker == {"idle_timeout": 60, "lifetime": 3600}


def test_a_named_profile(credentials):
    path = credentials(PROFILES)
    for kwargs in ({"profile": "lab"}, {"environ": {"TRUENAS_PROFILE": "lab"}}):
        kwargs.setdefault("environ", {})
        settings, broker = connection_settings(resolve({}, config_path=path, **kwargs))
        assert settings.endpoint == "wss://192.0.2.10:8443/api/current"
        assert broker["idle_timeout"] == 0


def test_the_task_profile_wins_over_the_environment(credentials):
    path = credentials(PROFILES)
    values = resolve({}, environ={"TRUENAS_PROFILE": "missing"}, profile="lab", config_path=path).values
    assert values["host"] == "192.0.2.10"


def test_a_missing_named_profile_is_an_error(credentials):
    path = credentials(PROFILES)
    with pytest.raises(TrueNASOptionError) as info:
        resolve({}, environ={}, profile="prod", config_path=path)
    assert info.value.message == "the credentials file %s has no profile [prod] (profiles: default, lab)" % path
    assert info.value.option == "profile"


def test_no_file_is_fine_unless_a_profile_was_named(tmp_path):
    missing = str(tmp_path / "nothing")
    assert resolve({"host": "h"}, environ={}, config_path=missing).values["host"] == "h"
    with pytest.raises(TrueNASOptionError) as info:
        resolve({}, environ={"TRUENAS_PROFILE": "lab"}, config_path=missing)
    assert "does not exist" in info.value.message


def test_a_file_others_can_read_is_refused(credentials):
    path = credentials(PROFILES, mode=0o644)
    with pytest.raises(TrueNASOptionError) as info:
        resolve({}, environ={}, config_path=path)
    assert info.value.message == ("refusing the credentials file %s: its mode 0644 lets other users read or change "
                                  "it; run 'chmod 600 %s'" % (path, path))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the file to another user")
def test_a_file_of_another_user_is_refused(credentials):
    path = credentials(PROFILES)
    os.chown(path, 65534, 65534)
    with pytest.raises(TrueNASOptionError) as info:
        resolve({}, environ={}, config_path=path)
    assert "owned by uid 65534" in info.value.message


@pytest.mark.parametrize("key, reason", [("password", "passwords are not read from a credentials file"),
                                         ("otp_token", "does not belong in a credentials file")])
def test_passwords_are_refused_in_the_file(credentials, key, reason):
    path = credentials("[default]\nhost = nas\nusername = admin\n%s = secret-value\n" % key)
    with pytest.raises(TrueNASOptionError) as info:
        resolve({}, environ={}, config_path=path)
    assert info.value.message.startswith("refusing %s in profile [default] of %s: " % (key, path))
    assert reason in info.value.message
    assert "secret-value" not in info.value.message


def test_unknown_keys_and_broken_files_name_the_file(credentials):
    path = credentials("[default]\nhots = nas\n")
    with pytest.raises(TrueNASOptionError) as info:
        resolve({}, environ={}, config_path=path)
    assert info.value.message.startswith("unknown key 'hots' in profile [default] of %s; known keys: url, host" % path)
    path = credentials("host = nas\n")
    with pytest.raises(TrueNASOptionError) as info:
        resolve({}, environ={}, config_path=path)
    assert info.value.message.startswith("cannot read the credentials file %s: " % path)


def test_blank_environment_values_count_as_unset(credentials):
    path = credentials(PROFILES)
    values = resolve({}, environ={"TRUENAS_URL": "", "TRUENAS_HOST": " ", "TRUENAS_API_KEY": ""},
                     config_path=path).values
    assert values["url"] == "wss://file-nas.example.test/api/current"
    assert values["api_key"] == FILE_KEY


def test_bad_values_say_where_they_came_from(credentials):
    path = credentials("[default]\nhost = nas\napi_key = %s\nbroker_idle_timeout = soon\n" % FILE_KEY)
    with pytest.raises(TrueNASOptionError) as info:
        connection_settings(resolve({}, environ={}, config_path=path))
    assert info.value.message == ("broker_idle_timeout must be a whole number of seconds, 0 or more, got 'soon' "
                                  "(from profile [default] in %s)" % path)
    with pytest.raises(TrueNASOptionError) as info:
        connection_settings(resolve({}, environ={"TRUENAS_TIMEOUT": "-3"}, config_path=path))
    assert info.value.message.endswith("(from TRUENAS_TIMEOUT)")


def test_default_path(tmp_path):
    assert default_config_path({"TRUENAS_CONFIG": "/etc/nas"}) == "/etc/nas"
    assert default_config_path({"XDG_CONFIG_HOME": "/x"}) == "/x/nasops.truenas/credentials"
    assert default_config_path({}).endswith("/.config/nasops.truenas/credentials")


def test_secrets_of_every_source_are_known():
    resolved = resolve({"api_key": KEY}, environ={"TRUENAS_PASSWORD": "pw"}, config_path="/nonexistent")
    assert resolved.secrets == (KEY,)
    resolved = resolve({}, environ={"TRUENAS_USERNAME": "u", "TRUENAS_PASSWORD": "pw", "TRUENAS_OTP_TOKEN": "123456"},
                       config_path="/nonexistent")
    assert sorted(resolved.secrets) == ["123456", "pw"]
