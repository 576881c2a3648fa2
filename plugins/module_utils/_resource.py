# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The generic resource engine and the descriptor API.

A descriptor (a :class:`Resource` subclass in ``_resources/``) declares one TrueNAS object: its
API namespace, identity, fields and hooks. :class:`Engine` converges any descriptor:

find by identity -> normalise -> desired (options the user set) -> compare -> plan
-> check mode: predict, no mutating call | apply -> post-apply hooks -> re-read -> result.

Nothing here calls ``fail_json``: bad option values raise :class:`OptionError`, server problems
raise ``TrueNASError``. ``TrueNASModule.run_resource`` turns both into the module result.
``docs/architecture.md`` ("Resources and the engine") documents how to write a descriptor.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils import _compare
from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASConnectionError,
    TrueNASError,
    TrueNASTimeoutError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._jsonrpc import MASK
from ansible_collections.nasops.truenas.plugins.module_utils._waiter import Waiter

_MISSING = object()
EEXIST = 17
# How TrueNAS words a refusal because the object (or one with the same identity) exists already.
_EXISTS_WORDING = ("already exists", "export conflict", "case-insensitive and must be unique")


def outcome_unknown(exc):
    """Whether the failed mutating call behind ``exc`` may have run on the server: no reply in time,
    or the connection broke after the request was sent."""
    if isinstance(exc, TrueNASTimeoutError):
        return True
    return isinstance(exc, TrueNASConnectionError) and exc.sent is not False


def says_exists(exc):
    """Whether ``exc`` is the server refusing a create because the object exists already."""
    if outcome_unknown(exc) or isinstance(exc, TrueNASConnectionError):
        return False
    if exc.errno == EEXIST or any(errno == EEXIST for _a, _m, errno in getattr(exc, "errors", None) or ()):
        return True
    text = str(exc).lower()
    return any(words in text for words in _EXISTS_WORDING)


def get_path(record, path, default=None):
    """The value at dotted ``path`` in nested dicts, or ``default`` when any step is missing."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def set_path(record, path, value):
    """Set dotted ``path`` in nested dicts, creating intermediate dicts."""
    parts = path.split(".")
    for part in parts[:-1]:
        record = record.setdefault(part, {})
    record[parts[-1]] = value


class Field:
    """One managed option of a resource.

    ``option``       the module option name, also the key in normalised records.
    ``api``          dotted path of the value in API records and payloads (default: ``option``).
    ``compare``      comparator name from ``_compare`` (strict, set, iset, subset, ienum, size,
                     ignore) or a Comparator instance.
    ``parse``        user value -> canonical value; validates without the server. Raise
                     ``ValueError``/``TypeError`` with a reason; the engine names the option.
    ``to_api``       canonical value -> API value (payloads and identity filters).
    ``from_api``     API value -> canonical value (normalise).
    ``create_only``  may only be set at creation; a different value on an existing object fails.
    ``no_log``       secret: masked in results and diffs.
    ``capability``   name of a capability (``_versions.CAPABILITY_RULES``) the option needs;
                     checked only when the option is set, the message names the needed release.
    ``output_only``  read from records and returned, never an option (``locked``).
    ``api_aliases``  other API paths of the same value (older shapes): read by ``normalize`` when
                     ``api`` is absent, and mapped back to ``option`` in validation errors.
    """

    def __init__(self, option, api=None, compare="strict", parse=None, to_api=None, from_api=None,
                 create_only=False, no_log=False, capability=None, output_only=False, api_aliases=()):
        self.option = option
        self.api = api or option
        self.comparator = _compare.get(compare)
        self.parse = parse
        self.to_api = to_api
        self.from_api = from_api
        self.create_only = create_only
        self.no_log = no_log
        self.capability = capability
        self.output_only = output_only
        self.api_aliases = tuple(api_aliases)

    def __repr__(self):
        return "<Field %s api=%s>" % (self.option, self.api)

    def api_value(self, value):
        return self.to_api(value) if self.to_api and value is not None else value


class Resource:
    """Base descriptor; subclasses set the class attributes and override hooks as needed.

    ``NAME``            human name for messages ("NFS share").
    ``NAMESPACE``       API namespace; methods default to ``<NAMESPACE>.query|create|update|delete``.
    ``RESULT_KEY``      key of the object in the module result.
    ``IDENTITY``        option names that identify the object (all must also be ``FIELDS``).
    ``FIELDS``          tuple of :class:`Field`.
    ``ERROR_PREFIXES``  leading parts of validation attributes to strip before mapping API paths to
                        options ("data", "sharingnfs_create"); ``*`` matches one part
                        ("attributes.*" strips "attributes.NIC").
    ``JOBS``            method names that are jobs (the client waits for them).
    ``PRIMARY_KEY``     the record key holding the server id.
    ``ABSENT_STATES``   values of the ``state`` option that mean "delete".
    """

    NAME = "object"
    NAMESPACE = None
    RESULT_KEY = "object"
    IDENTITY = ()
    FIELDS = ()
    ERROR_PREFIXES = ("data",)
    JOBS = frozenset()
    PRIMARY_KEY = "id"
    ABSENT_STATES = ("absent",)

    def __init__(self):
        self.fields = dict((field.option, field) for field in self.FIELDS)
        missing = [name for name in self.IDENTITY if name not in self.fields]
        if missing:
            raise ValueError("%s: identity options %s are not declared as fields" % (type(self).__name__, missing))
        self._by_api = {}
        for field in self.FIELDS:
            for path in (field.api,) + field.api_aliases:
                self._by_api.setdefault(path, field.option)
        self._prefixes = [tuple(prefix.split(".")) for prefix in self.ERROR_PREFIXES]

    # ---- names -------------------------------------------------------------------------------

    def method(self, action):
        """Full method name for ``action`` (``query``, ``create``, ``update``, ``delete``)."""
        return "%s.%s" % (self.NAMESPACE, action)

    def label(self, params):
        """How messages quote one object: ``'/mnt/tank/share'``."""
        values = [params.get(name) for name in self.IDENTITY]
        return " ".join("'%s'" % value for value in values if value is not None)

    def managed_options(self):
        """Options shown in diffs: identity first, then every non-output field."""
        names = list(self.IDENTITY)
        names.extend(f.option for f in self.FIELDS if not f.output_only and f.option not in names)
        return names

    def secret_options(self):
        return [f.option for f in self.FIELDS if f.no_log]

    # ---- local validation --------------------------------------------------------------------

    def desired(self, params):
        """Parsed values of the options the user set (``None`` means not set)."""
        desired = {}
        for field in self.FIELDS:
            if field.output_only:
                continue
            value = params.get(field.option)
            if value is None:
                continue
            if field.parse:
                try:
                    value = field.parse(value)
                except OptionError:
                    raise
                except (TypeError, ValueError) as exc:
                    raise OptionError(field.option, str(exc))
            desired[field.option] = value
        return desired

    def validate(self, desired, params):
        """Cross-option checks that need no server; raise OptionError. Default: none."""

    # ---- reading -----------------------------------------------------------------------------

    def query_filters(self, desired):
        """Query filters selecting the object by identity."""
        filters = []
        for name in self.IDENTITY:
            if name in desired:
                field = self.fields[name]
                filters.append([field.api, "=", field.api_value(desired[name])])
        return filters

    def find(self, ctx):
        """The raw API record of the object, or None."""
        return ctx.client.get_one(self.method("query"), self.query_filters(ctx.desired))

    def reread(self, ctx, record):
        """Read the object again after a change; ``record`` is the previous raw record or the
        result of the create call. Default: by primary key when known, else by identity."""
        if isinstance(record, dict) and record.get(self.PRIMARY_KEY) is not None:
            return ctx.client.get_one(self.method("query"), [[self.PRIMARY_KEY, "=", record[self.PRIMARY_KEY]]])
        return self.find(ctx)

    def normalize(self, record, caps=None):
        """Raw API record -> option vocabulary (primary key, fields, output-only fields)."""
        result = {}
        if self.PRIMARY_KEY in record:
            result[self.PRIMARY_KEY] = record[self.PRIMARY_KEY]
        for field in self.FIELDS:
            value = _MISSING
            for path in (field.api,) + field.api_aliases:
                value = get_path(record, path, _MISSING)
                if value is not _MISSING:
                    break
            if value is _MISSING:
                continue
            if field.from_api and value is not None:
                value = field.from_api(value)
            result[field.option] = value
        return result

    # ---- writing -----------------------------------------------------------------------------

    def payload(self, values):
        """API payload dict for option ``values`` (canonical), following each field's api path."""
        data = {}
        for option, value in values.items():
            field = self.fields[option]
            set_path(data, field.api, field.api_value(value))
        return data

    def create_params(self, ctx):
        """Positional params of the create call. Default: ``[payload(desired)]``."""
        return [self.payload(ctx.desired)]

    def update_params(self, ctx, record, changes):
        """Positional params of the update call; ``changes`` maps options to their new (merged)
        values. Default: ``[id, payload(changes)]``."""
        return [record[self.PRIMARY_KEY], self.payload(changes)]

    def delete_params(self, ctx, record):
        """Positional params of the delete call. Default: ``[id]``."""
        return [record[self.PRIMARY_KEY]]

    def post_apply(self, ctx, after):
        """Converge things that are actions rather than fields (a VM's power state).

        ``after`` is the normalised record (predicted in check mode). Return ``(changed, after)``;
        in check mode make no mutating call and return the predicted record. Default: nothing.
        """
        return False, after

    def post_delete(self, ctx, before):
        """Steps after the delete call, never in check mode (committing a change that the server
        only stages). ``before`` is the normalised record that was deleted. Default: nothing."""

    def after_failure(self, ctx):
        """Undo what the run did only to make its change possible, when the change itself failed
        (a VM stopped to change a device is started again), never in check mode; may extend
        ``ctx.action`` to say so. The failure is raised afterwards. Default: nothing."""

    def result_extra(self):
        """Extra top-level keys of the module result (``restart_required``), read after the run
        and after a failure. Default: none."""
        return {}

    # ---- errors ------------------------------------------------------------------------------

    def option_for(self, attribute):
        """Translate a validation attribute (``sharingnfs_create.ro``) to an option (``readonly``)."""
        return translate_attribute(attribute, self._by_api, self._prefixes)


def translate_attribute(attribute, api_map, prefixes=()):
    """Map a validation attribute path to an option name.

    The first of ``prefixes`` (tuples of parts, ``*`` matching any one part) that matches is
    stripped; then the longest leading API path found in ``api_map`` (API path -> option) is
    replaced by its option, keeping the rest (``security.0``). Leading parts are dropped one at a
    time until something matches. With no match the result is None: the attribute names no
    option, and error messages show the server's attribute instead of a made-up option name.
    """
    if not attribute:
        return attribute
    parts = attribute.split(".")
    for prefix in prefixes:
        if len(parts) > len(prefix) and all(p == "*" or p == q for p, q in zip(prefix, parts)):
            parts = parts[len(prefix):]
            break
    for start in range(len(parts)):
        rest = parts[start:]
        for end in range(len(rest), 0, -1):
            option = api_map.get(".".join(rest[:end]))
            if option is not None:
                return ".".join([option] + rest[end:])
    return None


class Engine:
    """Converge one descriptor; also the ``ctx`` handed to descriptor hooks.

    ``client_factory()`` returns a connected client; it is called only when the server is needed,
    after local validation. Public attributes hooks may use: ``resource``, ``params``, ``desired``,
    ``check_mode``, ``client``, ``caps``, ``what`` ("NFS share '/mnt/tank/a'"), ``waiter``,
    ``warn(msg)``, ``write(...)``.
    After a failure, ``changed``, ``known`` (last known normalised record) and ``action`` describe
    how far the run got.
    """

    def __init__(self, resource, params, client_factory, check_mode=False, warn=None, waiter=None):
        self.resource = resource
        self.params = params
        self.check_mode = check_mode
        self.waiter = waiter or Waiter(check_mode=check_mode)
        self._client_factory = client_factory
        self._client = None
        self._warn = warn
        self.desired = {}
        self.changed = False
        self.known = None
        self.action = None
        self.what = ("%s %s" % (resource.NAME, resource.label(params))).strip()

    @property
    def client(self):
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    @property
    def caps(self):
        return self.client.caps

    def connect(self):
        """Connect now (connection errors carry no action: they are not about the object)."""
        return self.client

    def warn(self, message):
        if self._warn:
            self._warn(message)

    def write(self, method, *params, **kwargs):
        """Make a mutating call; marks the run changed once it succeeds.

        ``action`` (keyword) describes it for error messages ("start VM 'web'"); ``timeout``
        (keyword, seconds) overrides the client's default, for jobs the overall wait. Refuses in
        check mode: hooks must predict instead.
        """
        action = kwargs.pop("action", None)
        timeout = kwargs.pop("timeout", None)
        if kwargs:
            raise TypeError("unexpected keyword arguments: %s" % ", ".join(sorted(kwargs)))
        if self.check_mode:
            raise RuntimeError("mutating call %s attempted in check mode" % method)
        self.action = action or "call %s for %s" % (method, self.what)
        options = {"job": method in self.resource.JOBS}
        if timeout is not None:
            options["timeout"] = timeout
        result = self.client.call(method, *params, **options)
        self.changed = True
        self.action = None
        return result

    # ---- the run -----------------------------------------------------------------------------

    def run(self):
        """Return ``{"changed", "before", "after", "diff"}``; raise OptionError or TrueNASError."""
        resource = self.resource
        self.desired = resource.desired(self.params)
        resource.validate(self.desired, self.params)

        self.connect()
        try:
            return self._converge()
        except (OptionError, TrueNASError):
            if not self.check_mode:
                resource.after_failure(self)
            raise

    def _converge(self):
        resource = self.resource
        state = self.params.get("state") or "present"
        self._check_capabilities()
        self.action = "look up %s" % self.what
        raw = resource.find(self)
        self.action = None
        current = resource.normalize(raw, self.caps) if raw is not None else None
        self.known = current

        if state in resource.ABSENT_STATES:
            if current is None:
                return self._result(False, None, None)
            if not self.check_mode:
                try:
                    self.write(resource.method("delete"), *resource.delete_params(self, raw),
                               action="delete %s" % self.what)
                except TrueNASError as exc:
                    self._confirm(exc, lambda found: found is None, "delete", "it is gone")
                self.known = None
                resource.post_delete(self, current)
            return self._result(True, current, None)

        if current is None:
            try:
                changed, after, raw, requested = self._create()
            except TrueNASError as exc:
                if outcome_unknown(exc) and not self.check_mode:
                    raw = self._confirm(exc, lambda found: found is not None, "create", "it exists")
                    self.known = resource.normalize(raw, self.caps)
                    changed, after, raw, requested = self._update(raw, self.known)
                    changed = True
                else:
                    raw = self._found_after_refused_create(exc)
                    current = resource.normalize(raw, self.caps)
                    self.known = current
                    changed, after, raw, requested = self._update(raw, current)
        else:
            changed, after, raw, requested = self._update(raw, current)

        hook_changed, after = resource.post_apply(self, after)
        if hook_changed:
            changed = True
            if not self.check_mode:
                self._reread(raw)
                after = self.known
        if requested and not self.check_mode:
            self._warn_unapplied(requested, after)
        return self._result(changed, current, after)

    def _create(self):
        """Returns ``(changed, after, raw, requested)``; ``requested`` is checked after re-reading."""
        resource = self.resource
        if self.check_mode:
            return True, dict(self.desired), None, {}
        result = self.write(resource.method("create"), *resource.create_params(self), action="create %s" % self.what)
        if isinstance(result, dict):
            self.known = resource.normalize(result, self.caps)
        raw = self._reread(result)
        return True, self.known, raw, dict(self.desired)

    def _found_after_refused_create(self, exc):
        """The object, when a refused create found it created meanwhile by someone else; else re-raise.

        Two runs converging the same object at once both see it missing and both create it; the
        server refuses the second (a duplicate name or path). When nothing was changed by this run
        and the refusal says the object exists, it is looked up again: if it exists now, the run
        converges it like any existing object instead of failing. Any other error is raised.
        """
        if self.changed or self.check_mode or not says_exists(exc):
            raise exc
        action = self.action
        self.action = "look up %s" % self.what
        try:
            raw = self.resource.find(self)
        except TrueNASError:
            raw = None
        self.action = action
        if raw is None:
            raise exc
        self.action = None
        return raw

    def _update(self, raw, current):
        changes = self.changes(current)
        if not changes:
            return False, current, raw, {}
        if self.check_mode:
            after = dict(current)
            after.update(changes)
            return True, after, raw, {}
        resource = self.resource
        try:
            self.write(resource.method("update"), *resource.update_params(self, raw, changes),
                       action="update %s" % self.what)
        except TrueNASError as exc:
            self._confirm(exc, lambda found: found is not None and not self.changes(resource.normalize(found, self.caps)),
                          "update", "it has the requested values")
        raw = self._reread(raw)
        return True, self.known, raw, dict((option, self.desired[option]) for option in changes)

    def _confirm(self, exc, done, verb, outcome):
        """After a ``verb`` call failed with ``exc``: when its outcome is unknown (no reply in time, or
        the connection broke after the request was sent), read the object back; if ``done(raw)``
        says the call took effect, mark the run changed, warn, and return the raw record. Anything
        else re-raises ``exc``."""
        if not outcome_unknown(exc):
            raise exc
        action = self.action
        self.action = "read back %s" % self.what
        try:
            raw = self.resource.find(self)
        except TrueNASError:
            self.action = action
            raise exc
        if not done(raw):
            self.action = action
            raise exc
        self.action = None
        self.changed = True
        self.warn("%s: the %s call got no answer (%s); reading the object back showed %s, so this run reports it as "
                  "changed" % (self.what, verb, exc, outcome))
        return raw

    def changes(self, current):
        """Options whose desired value differs from ``current``, mapped to their new values.

        A difference in a create-only field raises OptionError naming every such option.
        """
        resource = self.resource
        changes = {}
        frozen = []
        for option, value in self.desired.items():
            if option in resource.IDENTITY:
                continue
            field = resource.fields[option]
            before = current.get(option)
            if field.comparator.equal(value, before):
                continue
            if field.create_only:
                frozen.append((option, "current %s, requested %s" % (self._show(field, before), self._show(field, value))))
                continue
            changes[option] = field.comparator.merge(before, value)
        if frozen:
            names = ", ".join(option for option, detail in frozen)
            details = frozen[0][1] if len(frozen) == 1 else "; ".join("%s: %s" % item for item in frozen)
            raise OptionError(names, "cannot be changed on the existing %s (%s); it can only be set when the %s is created"
                              % (self.what, details, resource.NAME))
        return changes

    def _reread(self, hint):
        """Re-read the object; sets ``known`` to the normalised record and returns the raw one."""
        resource = self.resource
        self.action = "read back %s" % self.what
        raw = resource.reread(self, hint)
        self.action = None
        if raw is None:
            raise TrueNASError("%s was changed, but it could not be found when read back" % self.what)
        self.known = resource.normalize(raw, self.caps)
        return raw

    def _check_capabilities(self):
        """Version gates of the options that are set (TrueNASUnsupportedError names the release)."""
        for option in self.desired:
            capability = self.resource.fields[option].capability
            if capability:
                self.caps.require(capability, option)

    def _warn_unapplied(self, requested, after):
        for option, value in requested.items():
            field = self.resource.fields[option]
            if option in self.resource.IDENTITY or field.comparator.equal(value, after.get(option)):
                continue
            self.warn(
                "%s: option '%s' reads back as %s after the change, not %s as requested; TrueNAS may have adjusted it"
                % (self.what, option, self._show(field, after.get(option)), self._show(field, value))
            )

    @staticmethod
    def _show(field, value):
        return MASK if field.no_log and value is not None else repr(value)

    def _view(self, record):
        if not record:
            return {}
        view = {}
        for option in self.resource.managed_options():
            if option in record:
                value = record[option]
                if self.resource.fields[option].no_log and value is not None:
                    value = MASK
                view[option] = value
        return view

    def _result(self, changed, before, after):
        return {
            "changed": changed,
            "before": before,
            "after": after,
            "diff": {"before": self._view(before), "after": self._view(after)},
        }
