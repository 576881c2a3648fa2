# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""Where the connection options come from: the task, the ``TRUENAS_*`` environment, a credentials file.

Precedence, the same in modules, the inventory plugin and the session broker::

    options set in the task (or inventory source)  >  TRUENAS_* environment  >  credentials file profile

The alternatives are decided per group, not per option: *where to connect* (``url`` or ``host``)
and *what to log in with* (``api_key`` or ``password``) each come from the first source that sets
either of the pair, and the other of the pair is not taken from a later source. So ``host`` in a
task is never combined with an exported ``TRUENAS_URL``, and ``api_key`` in a task never meets an
exported ``TRUENAS_PASSWORD``. Every other option (``port``, ``username``, ``otp_token``, ...) is
looked up on its own, in the same order: a username in an inventory file and a password from an
AWX credential's environment work together.

The credentials file is ``$TRUENAS_CONFIG``, else ``$XDG_CONFIG_HOME/nasops.truenas/credentials``
(``~/.config/nasops.truenas/credentials``). It is an INI file of named profiles::

    [default]
    url = wss://nas.example.com/api/current
    username = admin
    api_key = 1-...

    [lab]
    host = 192.0.2.10
    validate_certs = false

The profile is ``profile`` (task), else ``$TRUENAS_PROFILE``, else ``default``. The file is used only if it
is owned by the user running the module and neither readable nor writable by anyone else; one with
looser permissions is refused with a message saying so. It may hold API keys, never passwords.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASOptionError

OPTIONS = ("url", "host", "port", "api_key", "username", "password", "otp_token", "validate_certs", "ca_path",
           "timeout", "broker_idle_timeout", "broker_lifetime")
ENV = dict((name, "TRUENAS_" + name.upper()) for name in OPTIONS)
PROFILE_ENV = "TRUENAS_PROFILE"
CONFIG_ENV = "TRUENAS_CONFIG"
DEFAULT_PROFILE = "default"
GROUPS = (("url", "host"), ("api_key", "password"))
SECRETS = ("api_key", "password", "otp_token")
FILE_REFUSED = {
    "password": "passwords are not read from a credentials file; use an API key there, or pass the password "
                "from Ansible Vault or an AWX credential",
    "otp_token": "a one-time password changes every 30 seconds and does not belong in a credentials file",
}
DEFAULTS = {"validate_certs": True, "timeout": 60, "broker_idle_timeout": 60, "broker_lifetime": 3600}


def default_config_path(environ=None):
    """The credentials file's path (which may not exist), or None when no home is known."""
    environ = os.environ if environ is None else environ
    if environ.get(CONFIG_ENV):
        return os.path.expanduser(environ[CONFIG_ENV])
    base = environ.get("XDG_CONFIG_HOME")
    if not base or not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not home or home == "~":
            return None
        base = os.path.join(home, ".config")
    return os.path.join(base, "nasops.truenas", "credentials")


def _set(value):
    """Whether an option value counts as set (None and blank strings do not: AWX injects blanks)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def read_profile(path, profile, explicit):
    """The options of ``profile`` in the credentials file ``path`` (a dict, maybe empty).

    A missing file is no error unless ``explicit`` (the profile was asked for by name). A file with
    loose permissions, a password in it, an unknown key or a missing named profile raise
    TrueNASOptionError naming the file and the profile.
    """
    if path is None:
        if explicit:
            raise TrueNASOptionError("profile %r was asked for, but no credentials file can be found (set %s)"
                                     % (profile, CONFIG_ENV), option="profile")
        return {}
    try:
        info = os.stat(path)
    except OSError:
        if explicit:
            raise TrueNASOptionError("profile %r was asked for, but the credentials file %s does not exist"
                                     % (profile, path), option="profile")
        return {}
    if not stat.S_ISREG(info.st_mode):
        raise TrueNASOptionError("the credentials file %s is not a regular file" % path, option="profile")
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise TrueNASOptionError("refusing the credentials file %s: it is owned by uid %d, not by the user running "
                                 "the module (uid %d)" % (path, info.st_uid, os.geteuid()), option="profile")
    if info.st_mode & 0o077:
        raise TrueNASOptionError("refusing the credentials file %s: its mode %04o lets other users read or change it; "
                                 "run 'chmod 600 %s'" % (path, stat.S_IMODE(info.st_mode), path), option="profile")
    import configparser  # only when there is a credentials file: it costs every module run 1.5 ms

    parser = configparser.ConfigParser(interpolation=None, default_section="__nasops_no_defaults__")
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrueNASOptionError("cannot read the credentials file %s: %s" % (path, first), option="profile")
    if not parser.has_section(profile):
        if not explicit and profile == DEFAULT_PROFILE:
            return {}
        found = ", ".join(parser.sections()) or "none"
        raise TrueNASOptionError("the credentials file %s has no profile [%s] (profiles: %s)" % (path, profile, found),
                                 option="profile")
    values = {}
    for key, value in parser.items(profile):
        if key in FILE_REFUSED:
            raise TrueNASOptionError("refusing %s in profile [%s] of %s: %s" % (key, profile, path, FILE_REFUSED[key]),
                                     option="profile")
        if key not in OPTIONS:
            raise TrueNASOptionError("unknown key %r in profile [%s] of %s; known keys: %s"
                                     % (key, profile, path, ", ".join(o for o in OPTIONS if o not in FILE_REFUSED)),
                                     option="profile")
        values[key] = value.strip()
    return values


class ResolvedOptions:
    """The connection options after precedence: ``values`` (every name of ``OPTIONS``) and
    ``sources`` (option -> ``"task"``, ``"TRUENAS_X"`` or ``"profile [p] in <path>"``)."""

    def __init__(self, values, sources):
        self.values = values
        self.sources = sources

    def source_of(self, option):
        return self.sources.get(option)

    def describe_source(self, option):
        """`` (from TRUENAS_PORT)``-style suffix for messages; empty for task options."""
        source = self.sources.get(option)
        if not source or source == "task":
            return ""
        return " (from %s)" % source

    @property
    def secrets(self):
        return tuple(v for k, v in self.values.items() if k in SECRETS and isinstance(v, str) and v)


def resolve(explicit, environ=None, profile=None, config_path=None, explicit_label="task"):
    """Apply the precedence to ``explicit`` (the options set in the task or inventory source).

    ``profile``: the task's ``profile`` option (else ``$TRUENAS_PROFILE``, else ``default``).
    Returns ``ResolvedOptions``; file problems raise TrueNASOptionError.
    """
    environ = os.environ if environ is None else environ
    explicit = dict((k, v) for k, v in (explicit or {}).items() if k in OPTIONS and _set(v))
    env = dict((name, environ[ENV[name]]) for name in OPTIONS if _set(environ.get(ENV[name])))
    profile_explicit = _set(profile) or _set(environ.get(PROFILE_ENV))
    profile_name = profile if _set(profile) else (environ.get(PROFILE_ENV) if profile_explicit else DEFAULT_PROFILE)
    profile_name = profile_name.strip()
    path = config_path if config_path is not None else default_config_path(environ)
    file_values = [None]

    def from_file():
        if file_values[0] is None:
            file_values[0] = read_profile(path, profile_name, profile_explicit)
        return file_values[0]

    file_label = "profile [%s] in %s" % (profile_name, path)
    values = dict((name, None) for name in OPTIONS)
    sources = {}
    grouped = set()
    for group in GROUPS:
        grouped.update(group)
        for label, source in ((explicit_label, explicit), (None, env), (file_label, None)):
            data = source if source is not None else from_file()
            if any(name in data for name in group):
                for name in group:
                    if name in data:
                        values[name] = data[name]
                        sources[name] = label or ENV[name]
                break
    for name in OPTIONS:
        if name in grouped:
            continue
        if name in explicit:
            values[name], sources[name] = explicit[name], explicit_label
        elif name in env:
            values[name], sources[name] = env[name], ENV[name]
        elif name in from_file():
            values[name], sources[name] = from_file()[name], file_label
        if values[name] is None and name in DEFAULTS:
            values[name] = DEFAULTS[name]
    # a CA path is made absolute here: the session broker runs in another directory
    if isinstance(values["ca_path"], str) and values["ca_path"].strip():
        values["ca_path"] = os.path.abspath(os.path.expanduser(values["ca_path"]))
    return ResolvedOptions(values, sources)


def _seconds(name, value, source):
    """A whole number of seconds >= 0 (``value`` may be a string from the environment or a file)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TrueNASOptionError("%s must be a whole number of seconds, 0 or more, got %r%s"
                                 % (name, value, source), option=name)
    return value


def connection_settings(resolved):
    """``(ConnectionSettings, {"idle_timeout": s, "lifetime": s})`` from ``ResolvedOptions``.

    A TrueNASOptionError names the option and, when it came from the environment or a credentials
    file, where it came from.
    """
    from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings

    values = resolved.values
    try:
        settings = ConnectionSettings.from_mapping(values)
    except TrueNASOptionError as exc:
        where = resolved.describe_source(exc.option) if exc.option else ""
        if where:
            exc.message += where
            exc.args = (exc.message,)
        raise
    broker = {
        "idle_timeout": _seconds("broker_idle_timeout", values["broker_idle_timeout"],
                                 resolved.describe_source("broker_idle_timeout")),
        "lifetime": _seconds("broker_lifetime", values["broker_lifetime"], resolved.describe_source("broker_lifetime")),
    }
    return settings, broker
