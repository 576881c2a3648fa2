# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""The connection of controller-side plugins (inventory): options -> connected ``TrueNASClient``.

::

    options = connection_options(plugin.get_option, given=config)   # empty TRUENAS_* = unset
    client = open_client(options, AnsibleParserError, log=display.vvv)
    try:
        client.query("vm.query", filters)
    except TrueNASError as exc:
        raise AnsibleParserError(error_message(exc, options))
    finally:
        client.close()

Errors become ``error_class(message)`` with the message text the modules show for the same
failure (validation items as ``attribute: message`` joined by ``; ``), never holding a secret.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils._broker import open_client as _open_client
from ansible_collections.nasops.truenas.plugins.module_utils._client import TrueNASClient, websocket_import_error
from ansible_collections.nasops.truenas.plugins.module_utils._connection import (
    DEFAULTS,
    OPTIONS,
    ResolvedOptions,
    connection_settings,
    resolve,
)
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._jsonrpc import MASK

CONNECTION_OPTIONS = OPTIONS
SECRET_OPTIONS = ("api_key", "password", "otp_token")
MIN_SCRUB = 3


def connection_options(get_option, given=(), environ=None, config_path=None):
    """The connection options as a dict after precedence (the same rules as the modules): the
    options set in the inventory source (``given``, read with ``get_option``), else ``TRUENAS_*``,
    else the credentials file profile. Blank values count as unset (AWX injects blanks).

    Raises TrueNASOptionError for a credentials file that cannot be used.
    """
    given = set(given)
    explicit = dict((name, get_option(name)) for name in OPTIONS if name in given)
    profile = get_option("profile") if "profile" in given else None
    return resolve(explicit, environ=environ, profile=profile, config_path=config_path,
                   explicit_label="the inventory source").values


def scrub(text, options):
    """``text`` with every secret of ``options`` replaced by a mask.

    Secrets shorter than ``MIN_SCRUB`` characters are left alone: masking every "x" of a message
    would make it unreadable without hiding anything a one- or two-letter secret does not already
    give away.
    """
    if not isinstance(text, str):
        text = str(text)
    for name in SECRET_OPTIONS:
        secret = (options or {}).get(name)
        if isinstance(secret, str) and len(secret) >= MIN_SCRUB:
            text = text.replace(secret, MASK)
    return text


def error_message(exc, options=None):
    """The message of a ``TrueNASError`` as the modules show it (without an action).

    Validation errors read ``attribute: message`` per item, joined by ``; ``; anything else is the
    error's own message (``"<method>: [ERRNAME] reason"``). Secrets of ``options`` are masked.
    """
    triples = getattr(exc, "errors", None) or []
    if triples:
        text = "; ".join("%s: %s" % (attribute, message) if attribute else message
                         for attribute, message, _errno in triples)
    else:
        text = str(exc)
    return scrub(text, options)


def open_client(options, error_class, log=None, client_factory=None):
    """A connected and logged-in client for ``options`` (through the session broker unless
    ``broker_idle_timeout`` is 0).

    Bad or conflicting options, a missing websocket-client library and failures to connect or
    log in raise ``error_class(message)`` (e.g. ``AnsibleParserError``). ``client_factory``
    (``settings, log -> client``) replaces ``TrueNASClient`` in tests.
    """
    missing = websocket_import_error() if client_factory is None else None
    if missing:
        raise error_class("the websocket-client Python library (1.6.0 or later) is required on the Ansible controller "
                          "to connect to TrueNAS: install it with 'pip install websocket-client' (%s)" % missing)
    try:
        settings, broker = connection_settings(_with_defaults(options))
        idle_timeout = 0 if client_factory is not None else broker["idle_timeout"]
        return _open_client(settings, idle_timeout=idle_timeout, lifetime=broker["lifetime"], log=log,
                            direct_factory=client_factory or TrueNASClient)
    except TrueNASError as exc:
        raise error_class(error_message(exc, options)) from None


def _with_defaults(values):
    """Resolved options (``connection_options``), defaults filled in, as ``connection_settings`` takes them."""
    return ResolvedOptions(dict((name, values.get(name) if values.get(name) is not None else DEFAULTS.get(name))
                                for name in OPTIONS), {})
