"""Global network configuration (``network.configuration.*``) and interfaces (``interface.*``).

State: ``state.data["network_configuration"]["config"]`` (hostname, domain, gateways, name servers,
HTTP proxy, hosts entries, search domains, service announcement, activity). The host name is
shared with ``system.info`` (``state.data["system"]["config"]["hostname"]``). Seed: the
``system.hostname`` value; everything else starts empty, as on a fresh install with DHCP.

``network.configuration.update`` applies at once (``methods-more.md``, "Network"). Rules checked:
host names are RFC 1123 labels; name servers and gateways are IP addresses of the right family;
name servers are unique and filled in order; hosts entries are ``<address> <name> [<alias>...]``.
"""
import asyncio
import copy
import errno
import hashlib
import ipaddress
import re
import time

from ..errors import InstanceNotFound, ValidationErrors
from ..registry import method, seed_loader

KIND = "network_configuration"
LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
DEFAULTS = {
    "hostname": "truenas", "domain": "local", "ipv4gateway": "", "ipv6gateway": "", "nameserver1": "",
    "nameserver2": "", "nameserver3": "", "httpproxy": "", "hosts": [], "domains": [],
    "service_announcement": {"netbios": False, "mdns": True, "wsd": True},
    "activity": {"type": "DENY", "activities": []}, "hostname_b": None, "hostname_virtual": None,
}


@seed_loader
def load_network_configuration(state, seed):
    """The global configuration, with the host name of the ``system`` section."""
    cfg = copy.deepcopy(DEFAULTS)
    system = seed.get("system") or {}
    if system.get("hostname"):
        cfg["hostname"] = system["hostname"]
    state.data[KIND] = {"config": cfg}


def _config(state):
    holder = state.data.setdefault(KIND, {})
    if not isinstance(holder.get("config"), dict):
        holder["config"] = copy.deepcopy(DEFAULTS)
    cfg = holder["config"]
    system = (state.data.get("system") or {}).get("config") or {}
    if system.get("hostname"):
        cfg["hostname"] = system["hostname"]
    return cfg


def _entry(cfg):
    out = copy.deepcopy(cfg)
    out["id"] = 1
    out["hostname_local"] = cfg["hostname"]
    out["state"] = {key: cfg[key] for key in ("ipv4gateway", "ipv6gateway", "nameserver1", "nameserver2",
                                              "nameserver3", "hosts")}
    return out


def _save(ctx):
    saver = getattr(ctx.state, "save", None)
    if saver is not None:
        saver()


@method("network.configuration.config")
def configuration_config(ctx):
    """The global network configuration."""
    return _entry(_config(ctx.state))


def _hostname(verrors, attribute, value, dotted=False):
    labels = value.split(".") if dotted else [value]
    if not value or not all(LABEL_RE.match(label) for label in labels):
        verrors.add(attribute, "Invalid hostname: use letters, digits and '-' (not first or last), at most 63 "
                               "characters%s" % (" per label" if dotted else ""))


def _address(verrors, attribute, value, version=None):
    if value == "":
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        verrors.add(attribute, "%s is not a valid IP address" % value)
        return None
    if version and address.version != version:
        verrors.add(attribute, "%s is not an IPv%d address" % (value, version))
    return address


@method("network.configuration.update")
def configuration_update(ctx, data):
    """Update the global network configuration; applied at once. The new configuration."""
    schema = "data"
    data = dict(data) if isinstance(data, dict) else {}
    cfg = _config(ctx.state)
    verrors = ValidationErrors()
    for key, value in data.items():
        if key not in DEFAULTS:
            verrors.add("%s.%s" % (schema, key), "Extra inputs are not permitted")
        elif isinstance(DEFAULTS[key], str) and not isinstance(value, str):
            verrors.add("%s.%s" % (schema, key), "Input should be a valid string")
        elif isinstance(DEFAULTS[key], list) and not isinstance(value, list):
            verrors.add("%s.%s" % (schema, key), "Input should be a valid list")
    verrors.raise_if_any()
    new = dict(cfg)
    new.update(copy.deepcopy(data))
    if "hostname" in data:
        _hostname(verrors, "%s.hostname" % schema, data["hostname"])
    if "domain" in data and data["domain"]:
        _hostname(verrors, "%s.domain" % schema, data["domain"], dotted=True)
    _address(verrors, "%s.ipv4gateway" % schema, new["ipv4gateway"], 4) if "ipv4gateway" in data else None
    _address(verrors, "%s.ipv6gateway" % schema, new["ipv6gateway"], 6) if "ipv6gateway" in data else None
    servers = []
    for index in (1, 2, 3):
        key = "nameserver%d" % index
        value = new[key]
        if key in data and value:
            _address(verrors, "%s.%s" % (schema, key), value)
        if value and value in servers:
            verrors.add("%s.%s" % (schema, key), "Duplicate nameserver %s" % value)
        if value and index > 1 and not new["nameserver%d" % (index - 1)]:
            verrors.add("%s.%s" % (schema, key), "nameserver%d must be set before %s" % (index - 1, key))
        servers.append(value)
    for index, line in enumerate(data.get("hosts", [])):
        parts = line.split() if isinstance(line, str) else []
        if len(parts) < 2:
            verrors.add("%s.hosts.%d" % (schema, index), "Entries must be '<IP address> <host name> [<alias>...]'")
            continue
        _address(verrors, "%s.hosts.%d" % (schema, index), parts[0])
    for index, name in enumerate(data.get("domains", [])):
        _hostname(verrors, "%s.domains.%d" % (schema, index), name, dotted=True)
    if len(data.get("domains", [])) > 5:
        verrors.add("%s.domains" % schema, "No more than 5 search domains are allowed", errno.EINVAL)
    if "httpproxy" in data and data["httpproxy"] and not re.match(r"^https?://[^\s/]+", data["httpproxy"]):
        verrors.add("%s.httpproxy" % schema, "Must be a URL such as http://proxy.example.com:3128")
    verrors.raise_if_any()
    cfg.update(copy.deepcopy(data))
    if "hostname" in data:
        system = (ctx.state.data.setdefault("system", {})).setdefault("config", {})
        if isinstance(system, dict):
            system["hostname"] = data["hostname"]
    _save(ctx)
    return _entry(cfg)


# --- interfaces ----------------------------------------------------------------------------------
# State: state.data["interfaces"] = {"config": {name: record}, "applied": {name: record},
# "snapshot": None | {name: record}, "deadline": None | epoch seconds}.
# interface.create/update/delete write "config" (snapshotting it first); interface.commit copies
# "config" to "applied" and, with rollback, arms a timer that restores the snapshot unless
# interface.checkin comes first. interface.query returns the config with the applied "state".

IFACE_KIND = "interfaces"
TYPES = ("PHYSICAL", "BRIDGE", "LINK_AGGREGATION", "VLAN")
PREFIX = {"BRIDGE": "br", "LINK_AGGREGATION": "bond", "VLAN": "vlan"}
LAG_PROTOCOLS = ("LACP", "FAILOVER", "LOADBALANCE", "ROUNDROBIN", "NONE")
IFACE_FIELDS = ("description", "ipv4_dhcp", "ipv6_auto", "aliases", "mtu", "bridge_members", "enable_learning", "stp",
                "lag_protocol", "xmit_hash_policy", "lacpdu_rate", "lag_ports", "vlan_parent_interface", "vlan_tag",
                "vlan_pcp", "failover_critical", "failover_group", "failover_vhid", "failover_aliases",
                "failover_virtual_aliases")


def _blank(name, type_):
    return {
        "id": name, "name": name, "fake": False, "type": type_, "aliases": [], "ipv4_dhcp": False, "ipv6_auto": False,
        "description": "", "mtu": None, "vlan_parent_interface": None, "vlan_tag": None, "vlan_pcp": None,
        "lag_protocol": "NONE", "lag_ports": [], "bridge_members": [], "enable_learning": True, "stp": True,
        "xmit_hash_policy": None, "lacpdu_rate": None,
    }


def _seed_aliases(addresses):
    out = []
    for text in addresses:
        iface = ipaddress.ip_interface(str(text) if "/" in str(text) else "%s/%d" % (
            text, 24 if ipaddress.ip_address(str(text)).version == 4 else 64))
        out.append({"type": "INET" if iface.version == 4 else "INET6", "address": str(iface.ip),
                    "netmask": iface.network.prefixlen})
    return out


@seed_loader
def load_interfaces(state, seed):
    """Physical NICs and bridges from the ``network`` seed section (see ``services/vm.py``)."""
    from . import vm
    cfg = vm.network_config(state)
    records = {}
    for item in cfg["interfaces"]:
        rec = _blank(item["name"], "PHYSICAL")
        rec["aliases"] = _seed_aliases(item.get("addresses") or [])
        records[rec["name"]] = rec
    for item in cfg["bridges"]:
        rec = _blank(item["name"], "BRIDGE")
        rec["aliases"] = _seed_aliases(item.get("addresses") or [])
        rec["bridge_members"] = list(item.get("members") or [])
        records[rec["name"]] = rec
    state.data[IFACE_KIND] = {"config": records, "applied": copy.deepcopy(records), "snapshot": None,
                              "deadline": None}


def _ifaces(state):
    holder = state.data.get(IFACE_KIND)
    if not isinstance(holder, dict):
        load_interfaces(state, {})
        holder = state.data[IFACE_KIND]
    return holder


def _do_rollback(state):
    holder = _ifaces(state)
    if holder["snapshot"] is not None:
        holder["config"] = holder["snapshot"]
        holder["applied"] = copy.deepcopy(holder["snapshot"])
    holder["snapshot"] = None
    holder["deadline"] = None
    saver = getattr(state, "save", None)
    if saver is not None:
        saver()


def _expire(state):
    """Roll back when a commit's check-in deadline has passed (also run by the timer)."""
    holder = _ifaces(state)
    if holder["deadline"] is not None and time.time() >= holder["deadline"]:
        _do_rollback(state)


def _arm_timer(ctx, seconds):
    """Roll back at the deadline unless the state was replaced, checked in or committed again."""
    holder = _ifaces(ctx.state)
    deadline = holder["deadline"]
    state = ctx.state

    def fire():
        if state.data.get(IFACE_KIND) is holder and holder["deadline"] == deadline:
            _expire(state)

    try:
        asyncio.get_running_loop().call_later(seconds + 0.05, fire)
    except RuntimeError:  # no loop (internal call): the deadline is still checked lazily
        pass


def _state_of(rec):
    aliases = []
    for alias in rec["aliases"]:
        entry = dict(alias)
        if alias["type"] == "INET":
            entry["broadcast"] = str(ipaddress.ip_interface("%s/%s" % (alias["address"], alias["netmask"]))
                                     .network.broadcast_address)
        aliases.append(entry)
    if rec["ipv4_dhcp"]:
        aliases.append({"type": "INET", "address": "192.168.122.50", "netmask": 24, "broadcast": "192.168.122.255"})
    mac = "52:54:00:%02x:%02x:%02x" % tuple(hashlib.md5(rec["name"].encode()).digest()[:3])
    return {
        "name": rec["name"], "orig_name": rec["name"], "description": rec["description"], "mtu": rec["mtu"] or 1500,
        "cloned": rec["type"] != "PHYSICAL", "flags": ["UP", "BROADCAST", "RUNNING", "MULTICAST"], "nd6_flags": [],
        "capabilities": [], "link_state": "LINK_STATE_UP", "media_type": "Ethernet", "media_subtype": "autoselect",
        "active_media_type": "Ethernet", "active_media_subtype": "10Gb/s", "supported_media": [],
        "media_options": None, "link_address": mac, "permanent_link_address": mac, "hardware_link_address": mac,
        "rx_queues": 1, "tx_queues": 1, "aliases": aliases, "vrrp_config": [],
        "protocol": rec["lag_protocol"] if rec["type"] == "LINK_AGGREGATION" else None,
        "ports": [{"name": p, "flags": ["ACTIVE"]} for p in rec["lag_ports"]],
        "xmit_hash_policy": rec.get("xmit_hash_policy"), "lacpdu_rate": rec.get("lacpdu_rate"),
        "parent": rec["vlan_parent_interface"], "tag": rec["vlan_tag"], "pcp": rec["vlan_pcp"],
    }


def _iface_entry(holder, rec):
    out = {key: copy.deepcopy(rec[key]) for key in (
        "id", "name", "fake", "type", "aliases", "ipv4_dhcp", "ipv6_auto", "description", "mtu",
        "vlan_parent_interface", "vlan_tag", "vlan_pcp", "lag_protocol", "lag_ports", "bridge_members",
        "enable_learning")}
    applied = holder["applied"].get(rec["name"], rec)
    out["state"] = _state_of(applied)
    return out


@method("interface.query")
def interface_query(ctx, filters=None, options=None):
    """Configured interfaces (pending changes included), each with its applied ``state``."""
    _expire(ctx.state)
    holder = _ifaces(ctx.state)
    rows = [_iface_entry(holder, rec) for _name, rec in sorted(holder["config"].items())]
    return ctx.query(rows, filters, options)


@method("interface.get_instance", schema=False)
def interface_get_instance(ctx, id_, options=None):
    """One interface by name."""
    _expire(ctx.state)
    holder = _ifaces(ctx.state)
    if id_ not in holder["config"]:
        raise InstanceNotFound("Interface", id_)
    return _iface_entry(holder, holder["config"][id_])


def _members_elsewhere(config, skip):
    used = {}
    for rec in config.values():
        if rec["name"] == skip:
            continue
        for port in rec["bridge_members"] + rec["lag_ports"]:
            used[port] = rec["name"]
    return used


def _validate_iface(ctx, schema, rec, old_name=None):
    holder = _ifaces(ctx.state)
    config = holder["config"]
    verrors = ValidationErrors()
    used = _members_elsewhere(config, old_name or rec["name"])
    seen = set()
    for index, alias in enumerate(rec["aliases"]):
        where = "%s.aliases.%d" % (schema, index)
        try:
            iface = ipaddress.ip_interface("%s/%s" % (alias.get("address"), alias.get("netmask")))
        except (ValueError, TypeError):
            verrors.add(where, "%s/%s is not a valid address and netmask" % (alias.get("address"), alias.get("netmask")))
            continue
        if (alias.get("type", "INET") == "INET") != (iface.version == 4):
            verrors.add(where, "Address family does not match type %s" % alias.get("type"))
        if str(iface.ip) in seen:
            verrors.add(where, "Duplicate address %s" % iface.ip)
        seen.add(str(iface.ip))
        for other in config.values():
            if other["name"] in (old_name, rec["name"]):
                continue
            if any(a["address"] == str(iface.ip) for a in other["aliases"]):
                verrors.add(where, "The address %s is already in use by %s" % (iface.ip, other["name"]))
    if rec["ipv4_dhcp"] and any(o["ipv4_dhcp"] for o in config.values() if o["name"] not in (old_name, rec["name"])):
        verrors.add("%s.ipv4_dhcp" % schema, "Only one interface can be used for DHCP.")
    if rec["mtu"] is not None and not 68 <= rec["mtu"] <= 9216:
        verrors.add("%s.mtu" % schema, "MTU must be between 68 and 9216")
    if rec["type"] == "BRIDGE":
        for index, member in enumerate(rec["bridge_members"]):
            if member not in config or member == rec["name"]:
                verrors.add("%s.bridge_members.%d" % (schema, index), "Not a valid interface: %s" % member)
            elif member in used:
                verrors.add("%s.bridge_members.%d" % (schema, index), "Interface %s is currently in use by %s"
                            % (member, used[member]))
    if rec["type"] == "LINK_AGGREGATION":
        if rec["lag_protocol"] not in LAG_PROTOCOLS:
            verrors.add("%s.lag_protocol" % schema, "Input should be %s" % ", ".join(LAG_PROTOCOLS))
        if not rec["lag_ports"]:
            verrors.add("%s.lag_ports" % schema, "This field is required for link aggregation")
        for index, port in enumerate(rec["lag_ports"]):
            member = config.get(port)
            if member is None or member["type"] != "PHYSICAL":
                verrors.add("%s.lag_ports.%d" % (schema, index), "Not a valid physical interface: %s" % port)
            elif port in used:
                verrors.add("%s.lag_ports.%d" % (schema, index), "Interface %s is currently in use by %s"
                            % (port, used[port]))
            elif member["aliases"] or member["ipv4_dhcp"]:
                verrors.add("%s.lag_ports.%d" % (schema, index),
                            "Interface %s has IP addresses configured and cannot be a member of a link aggregation"
                            % port)
    if rec["type"] == "VLAN":
        parent = rec["vlan_parent_interface"]
        if parent not in config or parent == rec["name"]:
            verrors.add("%s.vlan_parent_interface" % schema, "Not a valid parent interface: %s" % parent)
        tag = rec["vlan_tag"]
        if not isinstance(tag, int) or not 1 <= tag <= 4094:
            verrors.add("%s.vlan_tag" % schema, "VLAN tag must be between 1 and 4094")
        for other in config.values():
            if (other["name"] not in (old_name, rec["name"]) and other["type"] == "VLAN"
                    and other["vlan_parent_interface"] == parent and other["vlan_tag"] == tag):
                verrors.add("%s.vlan_tag" % schema, "VLAN tag %s is already used on %s by %s" % (tag, parent,
                                                                                                 other["name"]))
    return verrors


def _snapshot(holder):
    if holder["snapshot"] is None:
        holder["snapshot"] = copy.deepcopy(holder["config"])


def _fill(rec, data):
    for key in IFACE_FIELDS:
        if key in data:
            rec[key] = copy.deepcopy(data[key])
    rec["aliases"] = [{"type": a.get("type", "INET"), "address": a.get("address"), "netmask": a.get("netmask")}
                      for a in rec["aliases"]]
    if rec["type"] == "LINK_AGGREGATION":
        if rec["lag_protocol"] in ("LACP", "LOADBALANCE") and not rec.get("xmit_hash_policy"):
            rec["xmit_hash_policy"] = "LAYER2+3"
        if rec["lag_protocol"] == "LACP" and not rec.get("lacpdu_rate"):
            rec["lacpdu_rate"] = "SLOW"


@method("interface.create")
def interface_create(ctx, data):
    """Create a bridge, link aggregation or VLAN (written to the database only); the entry."""
    _expire(ctx.state)
    schema = "interface_create"
    data = dict(data) if isinstance(data, dict) else {}
    holder = _ifaces(ctx.state)
    config = holder["config"]
    type_ = data.get("type")
    verrors = ValidationErrors()
    if type_ not in PREFIX:
        verrors.add("%s.type" % schema, "Input should be 'BRIDGE', 'LINK_AGGREGATION' or 'VLAN'")
        verrors.raise_if_any()
    name = data.get("name")
    if not name:
        index = 0
        while "%s%d" % (PREFIX[type_], index) in config:
            index += 1
        name = "%s%d" % (PREFIX[type_], index)
    elif not re.match(r"^%s\d+$" % PREFIX[type_], name):
        verrors.add("%s.name" % schema, "%s interfaces must be named %s<number>" % (type_.replace("_", " ").title()
                                                                                    if type_ != "VLAN" else "VLAN",
                                                                                    PREFIX[type_]))
    elif name in config:
        verrors.add("%s.name" % schema, "Interface %s already exists" % name)
    if type_ == "LINK_AGGREGATION" and "lag_protocol" not in data:
        verrors.add("%s.lag_protocol" % schema, "This field is required for link aggregation")
    if type_ == "VLAN":
        for key in ("vlan_parent_interface", "vlan_tag"):
            if key not in data:
                verrors.add("%s.%s" % (schema, key), "This field is required for VLAN")
    verrors.raise_if_any()
    rec = _blank(name, type_)
    _fill(rec, data)
    _validate_iface(ctx, schema, rec).raise_if_any()
    _snapshot(holder)
    config[name] = rec
    _save(ctx)
    return _iface_entry(holder, rec)


@method("interface.update")
def interface_update(ctx, id_, data):
    """Update an interface (written to the database only); the entry."""
    _expire(ctx.state)
    schema = "interface_update"
    holder = _ifaces(ctx.state)
    config = holder["config"]
    if id_ not in config:
        raise InstanceNotFound("Interface", id_)
    data = dict(data) if isinstance(data, dict) else {}
    rec = copy.deepcopy(config[id_])
    _fill(rec, data)
    _validate_iface(ctx, schema, rec, old_name=id_).raise_if_any()
    _snapshot(holder)
    config[id_] = rec
    _save(ctx)
    return _iface_entry(holder, rec)


@method("interface.delete")
def interface_delete(ctx, id_):
    """Delete a virtual interface (a physical one has its configuration reset); the name."""
    _expire(ctx.state)
    holder = _ifaces(ctx.state)
    config = holder["config"]
    if id_ not in config:
        raise InstanceNotFound("Interface", id_)
    vlans = [rec["name"] for rec in config.values() if rec["vlan_parent_interface"] == id_]
    if vlans:
        raise ValidationErrors([("interface_delete.id", "The following VLANs depend on this interface: %s"
                                 % ", ".join(sorted(vlans)), errno.EBUSY)])
    _snapshot(holder)
    if config[id_]["type"] == "PHYSICAL":
        config[id_] = _blank(id_, "PHYSICAL")
    else:
        del config[id_]
    _save(ctx)
    return id_


@method("interface.has_pending_changes")
def interface_has_pending_changes(ctx):
    """Whether uncommitted (or not yet checked-in) interface changes exist."""
    _expire(ctx.state)
    return _ifaces(ctx.state)["snapshot"] is not None


@method("interface.commit")
def interface_commit(ctx, options=None):
    """Apply the configuration; with ``rollback`` and a timeout, roll back unless checked in."""
    _expire(ctx.state)
    options = options or {}
    holder = _ifaces(ctx.state)
    holder["applied"] = copy.deepcopy(holder["config"])
    rollback = options.get("rollback", True)
    timeout = options.get("checkin_timeout", 60)
    if rollback and timeout:
        holder["deadline"] = time.time() + timeout
        _arm_timer(ctx, timeout)
    else:
        holder["snapshot"] = None
        holder["deadline"] = None
    _save(ctx)
    return None


@method("interface.checkin")
def interface_checkin(ctx):
    """Confirm the committed changes: cancel the rollback timer and drop the snapshot."""
    _expire(ctx.state)
    holder = _ifaces(ctx.state)
    holder["snapshot"] = None
    holder["deadline"] = None
    _save(ctx)
    return None


@method("interface.checkin_waiting")
def interface_checkin_waiting(ctx):
    """Whole seconds left before the automatic rollback, or null."""
    _expire(ctx.state)
    deadline = _ifaces(ctx.state)["deadline"]
    if deadline is None:
        return None
    return max(int(deadline - time.time()), 0)


@method("interface.rollback")
def interface_rollback(ctx):
    """Restore and apply the snapshot taken before the pending changes."""
    _expire(ctx.state)
    _do_rollback(ctx.state)
    return None
