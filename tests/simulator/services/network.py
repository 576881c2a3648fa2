"""Global network configuration: ``network.configuration.*``.

State: ``state.data["network_configuration"]["config"]`` (hostname, domain, gateways, name servers,
HTTP proxy, hosts entries, search domains, service announcement, activity). The host name is
shared with ``system.info`` (``state.data["system"]["config"]["hostname"]``). Seed: the
``system.hostname`` value; everything else starts empty, as on a fresh install with DHCP.

``network.configuration.update`` applies at once (``methods-more.md``, "Network"). Rules checked:
host names are RFC 1123 labels; name servers and gateways are IP addresses of the right family;
name servers are unique and filled in order; hosts entries are ``<address> <name> [<alias>...]``.
"""
import copy
import errno
import ipaddress
import re

from ..errors import ValidationErrors
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
