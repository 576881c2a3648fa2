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

import os

from ansible_collections.nasops.truenas.plugins.module_utils._client import (
    HAS_WEBSOCKET,
    WEBSOCKET_IMPORT_ERROR,
    ConnectionSettings,
    TrueNASClient,
)
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._jsonrpc import MASK

CONNECTION_OPTIONS = ("host", "url", "port", "api_key", "username", "password", "otp_token", "validate_certs",
                      "ca_path", "timeout")
SECRET_OPTIONS = ("api_key", "password", "otp_token")
ENV_VARS = dict((name, "TRUENAS_" + name.upper()) for name in CONNECTION_OPTIONS)
# What an option is when it is not set at all (the defaults of the PLUGINS doc fragment).
DEFAULTS = {"validate_certs": True, "timeout": 60}
MIN_SCRUB = 3


def connection_options(get_option, given=(), environ=None):
    """The connection options as a dict, read with ``get_option(name)``.

    An option that is not in ``given`` (the keys set in the inventory source) and whose
    ``TRUENAS_*`` environment variable is set but empty (or blank) counts as unset: AWX sets
    every variable of a credential type, empty when the credential leaves it out.
    """
    environ = os.environ if environ is None else environ
    options = {}
    for name in CONNECTION_OPTIONS:
        env_value = environ.get(ENV_VARS[name])
        if name not in given and env_value is not None and not env_value.strip():
            options[name] = DEFAULTS.get(name)
        else:
            options[name] = get_option(name)
    return options


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
    """A connected and logged-in ``TrueNASClient`` for ``options``.

    Bad or conflicting options, a missing websocket-client library and failures to connect or
    log in raise ``error_class(message)`` (e.g. ``AnsibleParserError``). ``client_factory``
    (``settings, log -> client``) replaces ``TrueNASClient`` in tests.
    """
    if not HAS_WEBSOCKET and client_factory is None:
        lines = (WEBSOCKET_IMPORT_ERROR or "").strip().splitlines()
        raise error_class("the websocket-client Python library (1.6.0 or later) is required on the Ansible controller "
                          "to connect to TrueNAS: install it with 'pip install websocket-client' (%s)"
                          % (lines[-1] if lines else "import failed"))
    try:
        settings = ConnectionSettings.from_mapping(options)
    except TrueNASError as exc:
        raise error_class(error_message(exc, options)) from None
    factory = client_factory or TrueNASClient
    client = factory(settings, log=log)
    try:
        client.connect()
    except TrueNASError as exc:
        client.close()
        raise error_class(error_message(exc, options)) from None
    return client
