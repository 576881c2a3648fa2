# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TrueNASModule: the one base of every module of the collection.

It owns the connection options (task > ``TRUENAS_*`` environment > credentials file, see
``_connection``), the lazily built and always closed client (through the session broker, see
``_broker``), the single mapping of errors to ``fail_json``, version gates, and the result
helper that masks secrets and attaches diffs only in diff mode.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import gc
import sys

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.nasops.truenas.plugins.module_utils._broker import open_client
from ansible_collections.nasops.truenas.plugins.module_utils._client import websocket_import_error
from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._connection import OPTIONS, connection_settings, resolve
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._inputs import input_problem
from ansible_collections.nasops.truenas.plugins.module_utils._resource import MASK, Engine, translate_attribute

MODULES_PACKAGE = __name__.rpartition(".")[0].rpartition(".")[0] + ".modules"


def _module_process():
    """Whether this process is a run of one of the collection's modules, which ends once it has
    printed its result: Ansible runs the module as ``__main__``. Tests and tools that import the
    modules have a ``__main__`` of their own."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return (getattr(spec, "name", None) or "").startswith(MODULES_PACKAGE + ".")


def _before_exit():
    """Python's finalization looks for garbage among every object of the process once more before
    the process ends: about 14 ms after each module run, nearly all of it spent on the objects of
    ansible-core's module_utils, as much as the rest of a run served by the session broker.
    ``gc.freeze()`` leaves them out of that collection; the process is ending, so its memory goes
    back to the system anyway. Output is flushed and exit handlers run as before."""
    if _module_process():
        gc.freeze()


CONNECTION_SPEC = dict(
    host=dict(type="str"),
    url=dict(type="str"),
    port=dict(type="int"),
    api_key=dict(type="str", no_log=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    otp_token=dict(type="str", no_log=True),
    validate_certs=dict(type="bool"),
    ca_path=dict(type="path"),
    timeout=dict(type="int"),
    profile=dict(type="str"),
    broker_idle_timeout=dict(type="int"),
    broker_lifetime=dict(type="int"),
)


def _shape_problem(spec, params, prefix=""):
    """A message for a dict option with suboptions given something other than a dict, or None.

    ansible-core's argument validation raises a TypeError on such values (a number or a boolean
    where a dict with suboptions is expected) instead of reporting them. The offending value is
    removed from ``params`` so that validation can finish, and the message is returned.
    """
    if not isinstance(params, dict):
        return None
    for name, option in spec.items():
        value = params.get(name)
        if value is None or not option.get("options"):
            continue
        label = prefix + name
        if option.get("type") == "dict":
            if not isinstance(value, (dict, str)):
                params[name] = None
                return "argument '%s' is of type %s; it must be a dictionary" % (label, type(value).__name__)
            problem = _shape_problem(option["options"], value, label + ".")
            if problem:
                return problem
        elif option.get("type") == "list" and option.get("elements") == "dict" and isinstance(value, list):
            for index, item in enumerate(value):
                where = "%s[%d]" % (label, index)
                if not isinstance(item, (dict, str)):
                    params[name] = [i for i in value if isinstance(i, (dict, str))]
                    return "argument '%s' is of type %s; it must be a dictionary" % (where, type(item).__name__)
                problem = _shape_problem(option["options"], item, where + ".")
                if problem:
                    return problem
    return None


def mask_secrets(value, paths):
    """A copy of ``value`` with the values at each dotted path in ``paths`` replaced by a mask.

    Lists along a path are descended element by element. ``None`` and empty values stay as they
    are, so "not set" remains visible.
    """
    value = copy.deepcopy(value)
    for path in paths:
        _mask_path(value, path.split("."))
    return value


def _mask_path(value, parts):
    if isinstance(value, list):
        for item in value:
            _mask_path(item, parts)
        return
    if not isinstance(value, dict) or parts[0] not in value:
        return
    if len(parts) == 1:
        if value[parts[0]] not in (None, ""):
            value[parts[0]] = MASK
    else:
        _mask_path(value[parts[0]], parts[1:])


def _translator(option_map):
    """A callable mapping validation attributes to option names."""
    if option_map is None:
        return lambda attribute: attribute
    if callable(option_map):
        return option_map
    return lambda attribute: translate_attribute(attribute, option_map)


def _without_method(exc):
    text = str(exc)
    method = getattr(exc, "method", None)
    if method and text.startswith(method + ": "):
        return text[len(method) + 2:]
    return text


class TrueNASModule(AnsibleModule):
    """``AnsibleModule`` with the connection options merged into ``argument_spec``.

    Modules pass only their own options (and their own ``mutually_exclusive`` etc., which are
    extended with the connection rules).
    """

    def __init__(self, argument_spec=None, **kwargs):
        spec = dict(CONNECTION_SPEC)
        overlap = sorted(set(spec) & set(argument_spec or {}))
        if overlap:
            raise ValueError("module options %s clash with the connection options" % overlap)
        spec.update(argument_spec or {})
        self._client = None
        self._shape_error = None
        self.broker_fallback = None
        self._input_error = None
        super(TrueNASModule, self).__init__(argument_spec=spec, **kwargs)
        if self._shape_error:
            self.fail_json(msg=self._shape_error)
        if self._input_error:
            self.fail_json(msg=self._input_error)

    def _load_params(self):
        super(TrueNASModule, self)._load_params()
        # Booleans for text options and NUL characters, seen before ansible-core converts types
        # (see _inputs); reported once validation has registered the no_log values.
        self._input_error = input_problem(self.argument_spec, self.params)
        # A value ansible-core's validation would crash on is taken out here and reported once
        # validation has registered the no_log values (see _shape_problem).
        self._shape_error = _shape_problem(self.argument_spec, self.params)

    # ---- the client --------------------------------------------------------------------------

    @property
    def client(self):
        """The authenticated client, connected on first use and closed when the module exits.

        Raises ``TrueNASError`` when connecting or logging in fails.
        """
        if self._client is None:
            missing = websocket_import_error()
            if missing:
                self.fail_json(msg=missing_required_lib("websocket-client"), exception=missing)
            self._client = self._build_client()
        return self._client

    def connection(self):
        """The connection options after precedence (``_connection.ResolvedOptions``); their
        secrets are registered as no_log values wherever they came from."""
        explicit = dict((name, self.params.get(name)) for name in OPTIONS)
        resolved = resolve(explicit, profile=self.params.get("profile"))
        self.no_log_values.update(resolved.secrets)
        return resolved

    def _build_client(self):
        settings, broker = connection_settings(self.connection())
        client = open_client(settings, idle_timeout=broker["idle_timeout"], lifetime=broker["lifetime"],
                             log=self.debug if self._debug else None)
        self.broker_fallback = getattr(client, "broker_fallback", None)
        return client

    def _close_client(self):
        """Close the client (if one was built) and pass its warnings on to the user."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
            for warning in getattr(client, "warnings", None) or ():
                self.warn(warning)

    def _broker_note(self, result):
        if self.broker_fallback and "broker_fallback" not in result:
            result["broker_fallback"] = self.broker_fallback

    def exit_json(self, **kwargs):
        self._close_client()
        self._broker_note(kwargs)
        _before_exit()
        super(TrueNASModule, self).exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        if self._input_error:
            # argument validation failing on the converted value: the input problem is the cause
            msg, self._input_error = self._input_error, None
        self._close_client()
        self._broker_note(kwargs)
        _before_exit()
        super(TrueNASModule, self).fail_json(msg, **kwargs)

    # ---- errors ------------------------------------------------------------------------------

    def fail_from_error(self, exc, option_map=None, action=None, changed=False, **extra):
        """Fail the module from a ``TrueNASError`` (or ``OptionError``); the one error mapping.

        ``option_map`` (a callable, or a dict of API path -> option) translates validation
        attributes back to option names. ``action`` ("create NFS share '/mnt/tank/a'") prefixes
        the message with "Failed to ...". ``changed`` reports a change made before the failure;
        ``extra`` is added to the result (what exists after a partial change).
        """
        translate = _translator(option_map)
        result = dict(extra)
        result["changed"] = bool(changed)
        if isinstance(exc, OptionError):
            detail = str(exc)
        else:
            error = exc.as_dict()
            triples = getattr(exc, "errors", None) or []
            if triples:
                items = []
                for attribute, message, errno in triples:
                    option = translate(attribute)
                    items.append(dict(attribute=attribute, option=option, message=message, errno=errno))
                error["errors"] = items
                detail = "; ".join("%s: %s" % (i["option"] or i["attribute"], i["message"])
                                   if i["option"] or i["attribute"] else i["message"] for i in items)
            else:
                detail = _without_method(exc) if action else str(exc)
            result["error"] = error
            if exc.trace:
                result["exception"] = exc.trace
        msg = "Failed to %s: %s" % (action, detail) if action else detail
        self.fail_json(msg=msg, **result)

    # ---- version gates -----------------------------------------------------------------------

    def require(self, capability, option=None):
        """Fail unless the server has ``capability`` (``_versions.CAPABILITY_RULES``); the message
        names ``option`` (or the capability) and the TrueNAS release that has it."""
        try:
            self.client.caps.require(capability, option)
        except TrueNASError as exc:
            self.fail_from_error(exc)

    def require_options(self, gates):
        """Version-gate the options that are set: ``gates`` maps option -> capability."""
        for option, capability in gates.items():
            if self.params.get(option) is not None:
                self.require(capability, option=option)

    # ---- results -----------------------------------------------------------------------------

    def exit_result(self, changed, key=None, value=None, diff=None, secrets=(), **extra):
        """Exit with ``changed``, ``key: value`` and, in diff mode only, ``diff``.

        ``secrets`` are dotted paths of no_log values, masked in ``value`` and in the diff.
        """
        result = dict(extra)
        result["changed"] = bool(changed)
        if key:
            result[key] = mask_secrets(value, secrets)
        if diff is not None and self._diff:
            result["diff"] = dict(before=mask_secrets(diff.get("before") or {}, secrets),
                                  after=mask_secrets(diff.get("after") or {}, secrets))
        self.exit_json(**result)

    def run_info(self, gather, result_key, action, secrets=()):
        """Run an info module: ``gather(client, params)`` read-only, then exit unchanged.

        ``action`` ("read pools") prefixes failure messages; ``secrets`` are dotted paths masked
        in the result.
        """
        try:
            value = gather(self.client, self.params)
        except OptionError as exc:
            self.fail_from_error(exc)
        except TrueNASError as exc:
            self.fail_from_error(exc, action=action)
        self.exit_result(False, result_key, value, secrets=secrets)

    def run_resource(self, resource):
        """Converge ``resource`` (a descriptor instance or class) with the engine, then exit."""
        if isinstance(resource, type):
            resource = resource()
        engine = Engine(resource, self.params, lambda: self.client, check_mode=self.check_mode, warn=self.warn)
        try:
            outcome = engine.run()
        except (OptionError, TrueNASError) as exc:
            extra = dict(resource.result_extra())
            if engine.changed:
                extra[resource.RESULT_KEY] = mask_secrets(engine.known or {}, resource.secret_options())
            self.fail_from_error(exc, option_map=resource.option_for, action=engine.action, changed=engine.changed, **extra)
        self.exit_result(outcome["changed"], resource.RESULT_KEY, outcome["after"] or {}, diff=outcome["diff"],
                         secrets=resource.secret_options(), **resource.result_extra())
