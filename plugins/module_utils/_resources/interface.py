# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of network interfaces (``interface.*``), applied the way the web interface does.

``interface.create/update/delete`` only stage a change on TrueNAS. After the engine's write this
descriptor commits it with a check-in timeout (``interface.commit``), then checks in over a fresh
connection (``interface.checkin``) to the address the controller reaches the NAS at afterwards
(:func:`checkin_settings`). If that connection cannot be made in time TrueNAS rolls the change back
by itself; the descriptor waits for the rollback and reports it. Staged changes are rolled back
(``interface.rollback``) when a run fails before committing, so none are left behind. A run refuses
to start while TrueNAS holds changes it did not make (it would commit them too).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re
import time

from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit

from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings, TrueNASClient
from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource

TYPES = {"physical": "PHYSICAL", "bridge": "BRIDGE", "link_aggregation": "LINK_AGGREGATION", "lag": "LINK_AGGREGATION",
         "bond": "LINK_AGGREGATION", "vlan": "VLAN"}
LAG_PROTOCOLS = ("LACP", "FAILOVER", "LOADBALANCE", "ROUNDROBIN", "NONE")
# Seconds one check-in connection attempt may take, and the pause between attempts.
CHECKIN_CONNECT_TIMEOUT = 10
CHECKIN_RETRY = 1.0
# Extra seconds, beyond the check-in timeout, allowed for TrueNAS to finish its rollback.
ROLLBACK_GRACE = 30
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                   r"[A-Za-z0-9])?)*\.?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$")


def parse_type(value):
    key = value.strip().lower()
    if key not in TYPES:
        raise ValueError("must be one of physical, bridge, link_aggregation or vlan, got %r" % value)
    return TYPES[key]


def type_from_api(value):
    return value


def parse_aliases(value):
    aliases = []
    for item in value:
        if "/" not in item:
            raise ValueError("entries must be addresses with a prefix length such as 192.168.1.10/24, got %r" % item)
        try:
            iface = ipaddress.ip_interface(item.strip())
        except ValueError:
            raise ValueError("%r is not an address with a prefix length" % item)
        text = "%s/%d" % (iface.ip, iface.network.prefixlen)
        if text in aliases:
            raise ValueError("%s is listed more than once" % text)
        aliases.append(text)
    return aliases


def aliases_from_api(value):
    return ["%s/%s" % (item["address"], item["netmask"]) for item in value]


def aliases_to_api(value):
    out = []
    for text in value:
        iface = ipaddress.ip_interface(text)
        out.append({"type": "INET" if iface.version == 4 else "INET6", "address": str(iface.ip),
                    "netmask": iface.network.prefixlen})
    return out


def parse_mtu(value):
    if not 68 <= value <= 9216:
        raise ValueError("must be between 68 and 9216, got %d" % value)
    return value


def parse_tag(value):
    if not 1 <= value <= 4094:
        raise ValueError("must be between 1 and 4094, got %d" % value)
    return value


def parse_upper(value):
    return value.upper()


def checkin_settings(params, host):
    """ConnectionSettings like the module's, but to ``host`` and with a short connect timeout.

    With ``url`` the host part of the URL is replaced (scheme, port and path kept); otherwise
    ``host`` is. Credentials, certificate checks and ``port`` are the module's own.
    """
    mapping = dict(params)
    if mapping.get("url"):
        parts = urlsplit(mapping["url"])
        netloc = "[%s]" % host if ":" in host else host
        if parts.port:
            netloc = "%s:%d" % (netloc, parts.port)
        mapping["url"] = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    else:
        mapping["host"] = host
    mapping["timeout"] = min(int(mapping.get("timeout") or CHECKIN_CONNECT_TIMEOUT), CHECKIN_CONNECT_TIMEOUT)
    return ConnectionSettings.from_mapping(mapping)


def connection_of(ctx):
    """The module's connection options as they were resolved (task, environment or credentials
    file), from the settings of its client."""
    settings = ctx.client.settings
    return dict((name, getattr(settings, name)) for name in ConnectionSettings.FIELDS)


def connection_host(params):
    """The host the module connects to (from ``host`` or ``url``)."""
    if params.get("url"):
        return urlsplit(params["url"]).hostname
    return params.get("host")


class InterfaceResource(Resource):
    NAME = "interface"
    NAMESPACE = "interface"
    RESULT_KEY = "interface"
    IDENTITY = ("name",)
    PRIMARY_KEY = "id"
    ERROR_PREFIXES = ("interface_create", "interface_update", "interface_delete", "data")
    FIELDS = (
        Field("name", api_aliases=("id",)),
        Field("type", parse=parse_type, create_only=True),
        Field("description"),
        Field("ipv4_dhcp"),
        Field("ipv6_auto"),
        Field("aliases", compare="set", parse=parse_aliases, from_api=aliases_from_api, to_api=aliases_to_api),
        Field("mtu", parse=parse_mtu),
        Field("bridge_members", compare="set"),
        Field("lag_protocol", parse=parse_upper),
        Field("lag_ports"),
        # Only in the applied state of query results (not in the configuration part).
        Field("xmit_hash_policy", api="state.xmit_hash_policy", parse=parse_upper),
        Field("lacpdu_rate", api="state.lacpdu_rate", parse=parse_upper),
        Field("vlan_parent_interface"),
        Field("vlan_tag", parse=parse_tag),
        Field("vlan_pcp"),
    )

    def __init__(self, client_factory=TrueNASClient, sleep=time.sleep, clock=time.monotonic):
        Resource.__init__(self)
        self._client_factory = client_factory
        self._sleep = sleep
        self._clock = clock
        self._ctx = None
        self._before = None
        self._staged = False
        self.rolled_back = False
        self.checked_in_at = None

    # ---- validation and reading --------------------------------------------------------------

    def validate(self, desired, params):
        kind = desired.get("type")
        for option, needs in (("bridge_members", "BRIDGE"), ("lag_protocol", "LINK_AGGREGATION"),
                              ("lag_ports", "LINK_AGGREGATION"), ("xmit_hash_policy", "LINK_AGGREGATION"),
                              ("lacpdu_rate", "LINK_AGGREGATION"), ("vlan_parent_interface", "VLAN"),
                              ("vlan_tag", "VLAN"), ("vlan_pcp", "VLAN")):
            if kind and option in desired and kind != needs:
                raise OptionError(option, "only applies to type %s, not %s" % (needs.lower(), kind.lower()))
        if desired.get("lag_protocol") and desired["lag_protocol"] not in LAG_PROTOCOLS:
            raise OptionError("lag_protocol", "must be one of %s, got %s"
                              % (", ".join(LAG_PROTOCOLS), desired["lag_protocol"]))
        host = params.get("checkin_host")
        if host is not None and not _HOST.match(host):
            raise OptionError("checkin_host", "must be a host name or an IP address, got %r" % host)
        if params.get("checkin_timeout") is not None and params["checkin_timeout"] < 10:
            raise OptionError("checkin_timeout", "must be at least 10 seconds, got %d" % params["checkin_timeout"])

    def find(self, ctx):
        self._ctx = ctx
        if ctx.client.call("interface.has_pending_changes"):
            raise TrueNASError("TrueNAS holds interface changes that were not committed or not checked in; "
                               "committing %s would apply them too. Commit or roll them back first (Network page "
                               "of the web interface, or interface.rollback)" % ctx.what)
        raw = ctx.client.get_one("interface.query", self.query_filters(ctx.desired))
        self._before = self.normalize(raw) if raw is not None else None
        state = ctx.params.get("state") or "present"
        ctx.action = None
        if raw is not None and state == "absent" and raw.get("type") == "PHYSICAL":
            raise OptionError("state", "%s is a physical interface and cannot be deleted; remove its addresses "
                                       "with aliases: [] instead" % ctx.what)
        if raw is None and state == "present":
            kind = ctx.desired.get("type")
            if kind is None:
                raise OptionError("type", "is required to create %s (bridge, link_aggregation or vlan); no interface "
                                          "of that name exists" % ctx.what)
            if kind == "PHYSICAL":
                raise OptionError("name", "no physical interface named '%s' exists on TrueNAS" % ctx.desired["name"])
        if raw is not None and state == "present":
            kind = raw.get("type")
            self.validate(dict(ctx.desired, type=ctx.desired.get("type", kind)), ctx.params)
        return raw

    def label(self, params):
        return "'%s'" % params["name"] if params.get("name") else ""

    # ---- writing -----------------------------------------------------------------------------

    def payload(self, values):
        data = {}
        for option, value in values.items():
            data[option] = self.fields[option].api_value(value)  # option names are the API keys
        return data

    def create_params(self, ctx):
        self._staged = True
        return [self.payload(ctx.desired)]

    def update_params(self, ctx, record, changes):
        self._staged = True
        return [record["id"], self.payload(changes)]

    def delete_params(self, ctx, record):
        self._staged = True
        return [record["id"]]

    def post_apply(self, ctx, after):
        """Commit and check in a staged create or update; the engine then reads the applied state."""
        if self._staged and not ctx.check_mode:
            self.commit_and_checkin(ctx)
            return True, after
        return False, after

    def post_delete(self, ctx, before):
        self.commit_and_checkin(ctx)

    def commit_and_checkin(self, ctx):
        """Commit the staged change with a check-in timeout and check in over a fresh connection."""
        timeout = ctx.params.get("checkin_timeout") or 60
        ctx.write("interface.commit", {"rollback": True, "checkin_timeout": timeout},
                  action="apply the changes of %s" % ctx.what)
        self._staged = False
        host = self.checkin_host(ctx)
        deadline = self._clock() + timeout
        last = None
        while True:
            try:
                client = self._client_factory(checkin_settings(connection_of(ctx), host))
                try:
                    client.connect()
                    client.call("interface.checkin")
                finally:
                    client.close()
                self.checked_in_at = host
                return
            except TrueNASError as exc:
                last = exc
            if self._clock() + CHECKIN_RETRY >= deadline:
                break
            self._sleep(CHECKIN_RETRY)
        self._await_rollback(ctx, timeout)
        ctx.changed = False
        ctx.action = None
        self.rolled_back = True
        raise TrueNASError("%s was changed, but the controller could not reach TrueNAS at %s within the %d s "
                           "check-in timeout (%s); TrueNAS rolled the change back by itself"
                           % (ctx.what, host, timeout, last))

    def _await_rollback(self, ctx, timeout):
        """Wait until TrueNAS reports that no rollback timer runs (it rolled back)."""
        ctx.action = "wait for TrueNAS to roll back %s" % ctx.what
        ctx.waiter.wait(lambda: ctx.client.call("interface.checkin_waiting"), lambda left: left is None,
                        timeout + ROLLBACK_GRACE, interval=1.0, what="the automatic rollback of %s" % ctx.what)

    def checkin_host(self, ctx):
        """``checkin_host``; else the module's own host, unless this change removes that address from the
        interface, in which case the first new static address (without it, the module's host)."""
        if ctx.params.get("checkin_host"):
            return ctx.params["checkin_host"]
        host = connection_host(connection_of(ctx))
        before = [a.split("/")[0] for a in (self._before or {}).get("aliases") or []]
        after = [a.split("/")[0] for a in ctx.desired.get("aliases") or []]
        if host in before and "aliases" in ctx.desired and host not in after and after:
            return after[0]
        return host

    def result_extra(self):
        """``rolled_back``; and, after a failure before the commit, the staged change rolled back."""
        ctx = self._ctx
        if self._staged and ctx is not None and not ctx.check_mode:
            self._staged = False
            try:
                ctx.client.call("interface.rollback")
            except TrueNASError:
                pass
        extra = {"rolled_back": self.rolled_back}
        if self.checked_in_at:
            extra["checked_in_at"] = self.checked_in_at
        return extra


def gather_interfaces(client, params):
    """truenas_interface_info: every interface (or those named) with its applied state."""
    resource = InterfaceResource()
    filters = [["name", "in", params["name"]]] if params.get("name") else []
    result = []
    for row in client.query("interface.query", filters, {"order_by": ["name"]}):
        item = resource.normalize(row, client.caps)
        state = row.get("state") or {}
        item["state"] = {"aliases": ["%s/%s" % (a["address"], a["netmask"]) for a in state.get("aliases") or []],
                         "mtu": state.get("mtu"), "link_state": state.get("link_state"),
                         "link_address": state.get("link_address")}
        result.append(item)
    return result
