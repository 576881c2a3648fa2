"""System services: ``service.*`` and the FTP, SSH, SMB and NFS service settings
(``ftp.*``, ``ssh.*``, ``smb.*``, ``nfs.*`` ``config``/``update``).

Seed section ``services`` (a mapping, optional)::

    services:
      ssh: {enable: true, state: RUNNING}   # start at boot, and running now
      ups: {fails: true}                    # START/RESTART fail (silent: returns false)

State: ``state.data["services"][<id>]`` (``service``, ``enable``, ``state``, ``pids``, ``fails``);
``state.data["service_config"][<name>]`` holds the ftp and ssh settings; the smb and nfs settings
live in ``test.sharing_config`` (``services/sharing.py``), so share validation sees them.

Rules followed (``methods-more.md``, "Services" and "Service settings"; see the README):
``service.control`` is a job on 25.10 and 26; ``service.start/stop/restart/reload`` are plain calls on
25.04 and 25.10 (private, so absent, on 26). Names outside the services table that the middleware
knows (pseudo services such as ``cron``) are accepted and do nothing; unknown names fail with
MatchNotFound. ``ssh.update``/``ftp.update`` reload a running service, ``smb.update``/``nfs.update``
restart it (new pids); a stopped service stays stopped.
"""
import copy
import errno
import ipaddress
import itertools
import re

from ..errors import CallError, InstanceNotFound, MatchNotFound, ValidationErrors
from ..registry import method, seed_loader
from . import dataset as storage
from . import sharing

# (name, first profile with it); the rows of the services table after migrations.
TABLE = (("cifs", "25.04"), ("ftp", "25.04"), ("iscsitarget", "25.04"), ("nfs", "25.04"), ("snmp", "25.04"),
         ("ssh", "25.04"), ("ups", "25.04"), ("nvmet", "25.10"), ("webshare", "26"))
# Names service.control accepts beyond the table, per profile family.
EXTRA_2510 = ("docker", "incus", "mdns", "nmbd", "wsdd", "nscd", "sssd", "netdata", "idmap", "openipmi", "keepalived",
              "truecommand", "open-vm-tools", "libvirtd", "libvirt-guests", "cron", "kmip", "loader", "hostname", "http",
              "network", "networkgeneral", "mountd", "ntpd", "powerd", "rc", "resolvconf", "routing",
              "auth-rpcgss-module", "ssl", "syslogd", "timeservices", "user")
DROPPED_26 = ("incus", "mdns", "nmbd", "wsdd")
ADDED_26 = ("ctdb", "discovery", "nvmf", "truesearch", "truenas_zfstierd")
VERBS = ("START", "STOP", "RESTART", "RELOAD")
_pids = itertools.count(2100, 7)

FTP_DEFAULTS = {
    "port": 21, "clients": 5, "ipconnections": 2, "loginattempt": 1, "timeout": 600, "timeout_notransfer": 300,
    "onlyanonymous": False, "anonpath": None, "onlylocal": False, "banner": "", "filemask": "077", "dirmask": "022",
    "fxp": False, "resume": False, "defaultroot": True, "ident": False, "reversedns": False, "masqaddress": "",
    "passiveportsmin": 0, "passiveportsmax": 0, "localuserbw": 0, "localuserdlbw": 0, "anonuserbw": 0,
    "anonuserdlbw": 0, "tls": False, "tls_policy": "on", "tls_opt_allow_client_renegotiations": False,
    "tls_opt_allow_dot_login": False, "tls_opt_allow_per_user": False, "tls_opt_common_name_required": False,
    "tls_opt_enable_diags": False, "tls_opt_export_cert_data": False, "tls_opt_no_empty_fragments": False,
    "tls_opt_no_session_reuse_required": False, "tls_opt_stdenvvars": False, "tls_opt_dns_name_required": False,
    "tls_opt_ip_address_required": False, "ssltls_certificate": None, "options": "",
}
SSH_DEFAULTS = {
    "bindiface": [], "tcpport": 22, "password_login_groups": [], "passwordauth": False, "kerberosauth": False,
    "tcpfwd": False, "compression": False, "sftp_log_level": "", "sftp_log_facility": "", "weak_ciphers": ["AES128-CBC"],
    "options": "",
}
SSH_KEYS = ("privatekey", "host_dsa_key", "host_dsa_key_pub", "host_dsa_key_cert_pub", "host_ecdsa_key",
            "host_ecdsa_key_pub", "host_ecdsa_key_cert_pub", "host_ed25519_key", "host_ed25519_key_pub",
            "host_ed25519_key_cert_pub", "host_key", "host_key_pub", "host_rsa_key", "host_rsa_key_pub",
            "host_rsa_key_cert_pub")
SMB_DEFAULTS = {
    "netbiosname": "truenas", "netbiosalias": [], "workgroup": "WORKGROUP", "description": "TrueNAS Server",
    "enable_smb1": False, "unixcharset": "UTF-8", "localmaster": False, "syslog": False, "aapl_extensions": False,
    "admin_group": None, "guest": "nobody", "filemask": "DEFAULT", "dirmask": "DEFAULT", "ntlmv1_auth": False,
    "multichannel": False, "encryption": "DEFAULT", "bindip": [],
    "server_sid": "S-1-5-21-3510196835-1102441580-3562440349", "smb_options": "", "debug": False,
}
NFS_DEFAULTS = {
    "servers": None, "allow_nonroot": False, "protocols": ["NFSV3", "NFSV4"], "v4_krb": False, "v4_domain": "",
    "bindip": [], "mountd_port": None, "rpcstatd_port": None, "rpclockd_port": None, "mountd_log": False,
    "statd_lockd_log": False, "v4_krb_enabled": False, "userd_manage_gids": False, "keytab_has_nfs_spn": False,
    "managed_nfsd": True, "rdma": False,
}
NFS_READ_ONLY = ("v4_krb_enabled", "keytab_has_nfs_spn", "managed_nfsd")
SMB_READ_ONLY = ()
RDMA_PORT = 20049
NETBIOS_RE = re.compile(r"^(?![0-9]*$)[a-zA-Z0-9.\-_!@#$%^&()'{}~]{1,15}$")


# --- seed ----------------------------------------------------------------------------------------
def _table(state):
    return state.kind("services")


@seed_loader
def load_services(state, seed):
    """The services table (every row STOPPED and disabled unless the seed says otherwise)."""
    section = seed.get("services") or {}
    if not isinstance(section, dict):
        raise ValueError("seed section services must be a mapping of service name to settings")
    names = [name for name, _first in TABLE]
    for name in section:
        if name not in names:
            raise ValueError("seed section services: unknown service %s (known: %s)" % (name, ", ".join(names)))
    for index, (name, first) in enumerate(TABLE, start=1):
        entry = section.get(name) or {}
        running = entry.get("state", "STOPPED") == "RUNNING"
        _table(state)[str(index)] = {
            "id": index, "service": name, "first": first, "enable": bool(entry.get("enable", False)),
            "state": "RUNNING" if running else "STOPPED", "pids": [next(_pids)] if running else [],
            "fails": bool(entry.get("fails", False)),
        }


# --- helpers -------------------------------------------------------------------------------------
def _rows(ctx):
    return [rec for rec in sorted(_table(ctx.state).values(), key=lambda r: r["id"])
            if ctx.profile.at_least(rec["first"])]


def _row(ctx, name):
    for rec in _rows(ctx):
        if rec["service"] == name:
            return rec
    return None


def known_names(profile):
    names = [name for name, first in TABLE if profile.at_least(first)]
    extra = [n for n in EXTRA_2510 if not (profile.at_least("26") and n in DROPPED_26)]
    if profile.at_least("26"):
        extra.extend(ADDED_26)
    return names + extra


def _entry(rec, include_state=True):
    return {"id": rec["id"], "service": rec["service"], "enable": rec["enable"],
            "state": rec["state"] if include_state else "UNKNOWN", "pids": list(rec["pids"]) if include_state else []}


def _save(ctx):
    saver = getattr(ctx.state, "save", None)
    if saver is not None:
        saver()


def running(state, name):
    for rec in _table(state).values():
        if rec["service"] == name:
            return rec["state"] == "RUNNING"
    return False


def _apply(ctx, verb, name, options):
    """Carry out ``verb`` on ``name``; the boolean result of service.control."""
    options = options or {}
    if name not in known_names(ctx.profile):
        raise MatchNotFound()
    rec = _row(ctx, name)
    if rec is None:  # a pseudo service: nothing to track
        return verb != "STOP"
    silent = options.get("silent", True)
    if verb in ("START", "RESTART") or (verb == "RELOAD" and rec["state"] == "RUNNING"):
        if rec["fails"]:
            rec["state"], rec["pids"] = "STOPPED", []
            _save(ctx)
            if not silent:
                raise CallError("%s: service failed to start" % name, errno.EFAULT)
            return False
        if verb != "RELOAD" and not (verb == "START" and rec["state"] == "RUNNING"):
            rec["pids"] = [next(_pids)]
        rec["state"] = "RUNNING"
        _save(ctx)
        return True
    if verb == "RELOAD":  # a stopped service is not started by a reload
        return False
    rec["state"], rec["pids"] = "STOPPED", []
    _save(ctx)
    return True


def _check_verb(verb):
    if verb not in VERBS:
        raise ValidationErrors([("verb", "Input should be 'START', 'STOP', 'RESTART' or 'RELOAD'", errno.EINVAL)])


def after_settings_change(state, name, action):
    """``ssh``/``ftp`` reload, ``cifs``/``nfs`` restart a RUNNING service; a stopped one stays stopped."""
    for rec in _table(state).values():
        if rec["service"] == name and rec["state"] == "RUNNING" and action == "restart":
            rec["pids"] = [next(_pids)]


# --- service.* -----------------------------------------------------------------------------------
@method("service.query")
def service_query(ctx, filters=None, options=None):
    """Rows of the services table (``extra.include_state: false`` skips the state probe)."""
    include = ((options or {}).get("extra") or {}).get("include_state", True)
    rows = [_entry(rec, include) for rec in _rows(ctx)]
    return ctx.query(rows, filters, options)


@method("service.get_instance", schema=False)
def service_get_instance(ctx, id_, options=None):
    """One service by id."""
    for rec in _rows(ctx):
        if rec["id"] == id_:
            return _entry(rec)
    raise InstanceNotFound("Service", id_)


@method("service.update")
def service_update(ctx, id_or_name, service_update):
    """Set start-on-boot (``enable``); an int or digit string is an id, else a name. The row id."""
    if isinstance(id_or_name, int) or (isinstance(id_or_name, str) and id_or_name.isdigit()):
        rec = next((r for r in _rows(ctx) if r["id"] == int(id_or_name)), None)
        if rec is None:
            raise InstanceNotFound("Service", id_or_name)
    else:
        rec = _row(ctx, id_or_name)
        if rec is None:
            raise MatchNotFound()
    if not isinstance(service_update, dict) or not isinstance(service_update.get("enable"), bool):
        raise ValidationErrors([("service_update.enable", "Field required", errno.EINVAL)])
    rec["enable"] = service_update["enable"]
    _save(ctx)
    return rec["id"]


@method("service.control", job=True, profiles=("25.10", "26"))
async def service_control(ctx, job, verb, service, options=None):
    """START/STOP/RESTART/RELOAD ``service``; whether it is running (or, for STOP, stopped) after."""
    _check_verb(verb)
    job.set_progress(0, "%s %s" % (verb.capitalize(), service))
    await job.sleep()
    return _apply(ctx, verb, service, options)


def _plain(verb):
    def handler(ctx, service, options=None):
        return _apply(ctx, verb, service, options)
    handler.__doc__ = "service.control %s as a plain call (25.04, 25.10; private on 26)." % verb
    return handler


for _verb in VERBS:
    method("service.%s" % _verb.lower(), profiles=("25.04", "25.10"))(_plain(_verb))


# --- settings ------------------------------------------------------------------------------------
def _config(state, name, defaults):
    """The settings ``name``: the defaults overlaid with what was stored (reading stores nothing)."""
    cfg = copy.deepcopy(defaults)
    cfg.update(copy.deepcopy((state.data.get("service_config") or {}).get(name) or {}))
    return cfg


def _store(state, name, data):
    state.data.setdefault("service_config", {}).setdefault(name, {}).update(copy.deepcopy(data))


def _sharing(state, name, defaults):
    """The smb/nfs settings: the defaults overlaid with ``test.sharing_config`` (reading stores nothing)."""
    cfg = copy.deepcopy(defaults)
    stored = ((state.data.get(sharing.CONFIG_KIND) or {}).get("config") or {}).get(name) or {}
    cfg.update(copy.deepcopy(stored))
    return cfg


def _store_sharing(state, name, data):
    sharing.sharing_config(state).setdefault(name, {}).update(copy.deepcopy(data))


def _types(verrors, schema, data, defaults, extra_keys=()):
    """Checks the schema cannot do on 25.04 (no schema validation there): known keys, types."""
    for key, value in data.items():
        if key not in defaults and key not in extra_keys:
            verrors.add("%s.%s" % (schema, key), "Extra inputs are not permitted")
            continue
        default = defaults.get(key)
        if isinstance(default, bool) and not isinstance(value, bool):
            verrors.add("%s.%s" % (schema, key), "Input should be a valid boolean")
        elif isinstance(default, int) and not isinstance(default, bool) and (
                not isinstance(value, int) or isinstance(value, bool)):
            verrors.add("%s.%s" % (schema, key), "Input should be a valid integer")
        elif isinstance(default, list) and not isinstance(value, list):
            verrors.add("%s.%s" % (schema, key), "Input should be a valid list")


def _mask(verrors, attribute, value):
    if not isinstance(value, str) or not re.match(r"^[0-7]{3}$", value):
        verrors.add(attribute, "Please provide a valid octal mask of three digits")


def _local_ips(state):
    from . import vm
    return set(vm.bind_choices(state))


def _interfaces(state):
    from . import vm
    cfg = vm.network_config(state)
    names = [i["name"] for i in cfg["interfaces"]] + [b["name"] for b in cfg["bridges"]]
    extra = state.data.get("interfaces") or {}
    names.extend(rec["name"] for rec in extra.values() if isinstance(rec, dict) and rec.get("name"))
    return set(names)


def _data(ctx, args, schema):
    if len(args) > 1:
        raise ValidationErrors([("", "Too many arguments (expected 1, found %d)" % len(args), errno.EINVAL)])
    if not args:
        if not ctx.profile.at_least("26"):
            raise ValidationErrors([(schema, "Field required", errno.EINVAL)])
        return {}
    if not isinstance(args[0], dict):
        raise ValidationErrors([(schema, "Input should be a valid dictionary", errno.EINVAL)])
    return dict(args[0])


@method("ftp.config")
def ftp_config(ctx):
    """FTP service settings."""
    return dict(_config(ctx.state, "ftp", FTP_DEFAULTS), id=1)


@method("ftp.update")
def ftp_update(ctx, *args):
    """Update the FTP settings (reloads a running FTP service); the new settings."""
    schema = "ftp_update"
    data = _data(ctx, args, schema)
    verrors = ValidationErrors()
    _types(verrors, schema, data, FTP_DEFAULTS)
    verrors.raise_if_any()
    new = dict(_config(ctx.state, "ftp", FTP_DEFAULTS))
    new.update(data)
    for key in ("passiveportsmin", "passiveportsmax"):
        if key in data and data[key] != 0 and not 1024 <= data[key] <= 65535:
            verrors.add("%s.%s" % (schema, key), "This value must be 0 or between 1024 and 65535")
    if new["passiveportsmax"] and new["passiveportsmax"] < new["passiveportsmin"]:
        verrors.add("%s.passiveportsmax" % schema, "This value must be larger than passiveportsmin")
    if new["onlyanonymous"]:
        if not new["anonpath"]:
            verrors.add("%s.anonpath" % schema, "This field is required for anonymous login")
        elif not storage.path_exists(ctx.state, new["anonpath"]) or not new["anonpath"].startswith("/mnt/"):
            verrors.add("%s.anonpath" % schema, "This path must be an existing directory inside a pool")
    if new["tls"] and new["ssltls_certificate"] is None:
        verrors.add("%s.ssltls_certificate" % schema, "Please provide a valid certificate id when TLS is enabled")
    for key in ("filemask", "dirmask"):
        if key in data:
            _mask(verrors, "%s.%s" % (schema, key), data[key])
    verrors.raise_if_any()
    _store(ctx.state, "ftp", data)
    after_settings_change(ctx.state, "ftp", "reload")
    _save(ctx)
    return ftp_config(ctx)


def _ssh_entry(state):
    out = dict(_config(state, "ssh", SSH_DEFAULTS), id=1)
    out.update(dict((key, None) for key in SSH_KEYS))
    out["privatekey"] = ""
    out["host_ed25519_key"] = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2ltdWxhdG9yLWtleQ==\n-----END OPENSSH PRIVATE KEY-----\n"
    out["host_ed25519_key_pub"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNpbXVsYXRvci1ob3N0LWtleQ root@truenas"
    return out


@method("ssh.config")
def ssh_config(ctx):
    """SSH service settings, with the host keys."""
    return _ssh_entry(ctx.state)


@method("ssh.update")
def ssh_update(ctx, data):
    """Update the SSH settings (reloads a running SSH service); the new settings."""
    schema = "data"
    data = dict(data) if isinstance(data, dict) else {}
    verrors = ValidationErrors()
    _types(verrors, schema, data, SSH_DEFAULTS)
    verrors.raise_if_any()
    if "tcpport" in data and not 1 <= data["tcpport"] <= 65535:
        verrors.add("%s.tcpport" % schema, "Input should be less than or equal to 65535")
    unknown = [name for name in data.get("bindiface", []) if name not in _interfaces(ctx.state)]
    for name in unknown:
        verrors.add("%s.bindiface" % schema, "%s is not a valid interface" % name)
    for index, group in enumerate(data.get("password_login_groups", [])):
        if not sharing.group_exists(ctx.state, group):
            verrors.add("%s.password_login_groups.%d" % (schema, index), "Group %s not found" % group, errno.ENOENT)
    verrors.raise_if_any()
    _store(ctx.state, "ssh", data)
    after_settings_change(ctx.state, "ssh", "reload")
    _save(ctx)
    return _ssh_entry(ctx.state)


def smb_defaults(profile):
    """The SMB settings of a release: 26 replaced ``enable_smb1`` with ``minimum_protocol``
    (schemas-26 notes; its default SMB2 is inferred, as SMB1 is off by default before 26)."""
    if not profile.at_least("26"):
        return SMB_DEFAULTS
    defaults = dict((k, v) for k, v in SMB_DEFAULTS.items() if k != "enable_smb1")
    defaults["minimum_protocol"] = "SMB2"
    return defaults


@method("smb.config")
def smb_config(ctx):
    """SMB service settings."""
    defaults = smb_defaults(ctx.profile)
    cfg = _sharing(ctx.state, "smb", defaults)
    return dict(dict((k, copy.deepcopy(cfg[k])) for k in defaults), id=1)


@method("smb.update")
def smb_update(ctx, *args):
    """Update the SMB settings (restarts a running SMB service); the new settings."""
    schema = "smb_update"
    data = _data(ctx, args, schema)
    defaults = smb_defaults(ctx.profile)
    verrors = ValidationErrors()
    _types(verrors, schema, data, defaults)
    if data.get("minimum_protocol") not in (None, "SMB1", "SMB2", "SMB3"):
        verrors.add("%s.minimum_protocol" % schema, "Input should be 'SMB1', 'SMB2' or 'SMB3'")
    verrors.raise_if_any()
    new = _sharing(ctx.state, "smb", defaults)
    new.update(data)
    for key in ("netbiosname", "workgroup"):
        if key in data and not NETBIOS_RE.match(data[key] or ""):
            verrors.add("%s.%s" % (schema, key), "Invalid NetBIOS name: 1 to 15 characters, not only digits")
    for index, alias in enumerate(data.get("netbiosalias", [])):
        if not NETBIOS_RE.match(alias or ""):
            verrors.add("%s.netbiosalias.%d" % (schema, index), "Invalid NetBIOS name: 1 to 15 characters")
    if new["netbiosname"].lower() == new["workgroup"].lower():
        verrors.add("%s.netbiosname" % schema, "NetBIOS name and workgroup must be different")
    if "guest" in data and not sharing.user_exists(ctx.state, data["guest"]):
        verrors.add("%s.guest" % schema, "%s: user does not exist" % data["guest"], errno.ENOENT)
    if data.get("admin_group") and not sharing.group_exists(ctx.state, data["admin_group"]):
        verrors.add("%s.admin_group" % schema, "%s: group does not exist" % data["admin_group"], errno.ENOENT)
    for key in ("filemask", "dirmask"):
        if key in data and data[key] != "DEFAULT":
            _mask(verrors, "%s.%s" % (schema, key), data[key])
    if "encryption" in data and data["encryption"] not in ("DEFAULT", "NEGOTIATE", "DESIRED", "REQUIRED"):
        verrors.add("%s.encryption" % schema, "Input should be 'DEFAULT', 'NEGOTIATE', 'DESIRED' or 'REQUIRED'")
    _bindips(ctx, verrors, schema, data)
    verrors.raise_if_any()
    _store_sharing(ctx.state, "smb", data)
    after_settings_change(ctx.state, "cifs", "restart")
    _save(ctx)
    return smb_config(ctx)


def _bindips(ctx, verrors, schema, data):
    local = _local_ips(ctx.state)
    for index, value in enumerate(data.get("bindip", [])):
        try:
            address = str(ipaddress.ip_interface(value).ip)
        except ValueError:
            verrors.add("%s.bindip.%d" % (schema, index), "%r is not a valid IP address" % (value,))
            continue
        if address not in local:
            verrors.add("%s.bindip.%d" % (schema, index), "IP address %s is not configured on this system" % address)


@method("nfs.config")
def nfs_config(ctx):
    """NFS service settings."""
    cfg = _sharing(ctx.state, "nfs", NFS_DEFAULTS)
    return dict(dict((k, copy.deepcopy(cfg[k])) for k in NFS_DEFAULTS), id=1)


@method("nfs.update")
def nfs_update(ctx, *args):
    """Update the NFS settings (restarts a running NFS service); the new settings."""
    schema = "nfs_update"
    data = _data(ctx, args, schema)
    verrors = ValidationErrors()
    _types(verrors, schema, data, NFS_DEFAULTS)
    for key in NFS_READ_ONLY:
        if key in data:
            verrors.add("%s.%s" % (schema, key), "Extra inputs are not permitted")
    verrors.raise_if_any()
    if "servers" in data and data["servers"] is not None and not 1 <= data["servers"] <= 256:
        verrors.add("%s.servers" % schema, "Input should be between 1 and 256")
    if "protocols" in data:
        if not data["protocols"]:
            verrors.add("%s.protocols" % schema, "Must specify at least one value")
        for index, value in enumerate(data["protocols"]):
            if value not in ("NFSV3", "NFSV4"):
                verrors.add("%s.protocols.%d" % (schema, index), "Input should be 'NFSV3' or 'NFSV4'")
    for key in ("mountd_port", "rpcstatd_port", "rpclockd_port"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or not 1 <= value <= 65535):
            verrors.add("%s.%s" % (schema, key), "Input should be between 1 and 65535")
        elif value == RDMA_PORT:
            verrors.add("%s.%s" % (schema, key), "Port %d is reserved for NFS over RDMA" % RDMA_PORT)
    new = _sharing(ctx.state, "nfs", NFS_DEFAULTS)
    new.update(data)
    if new["v4_krb"] and "NFSV4" not in new["protocols"]:
        verrors.add("%s.v4_krb" % schema, "NFSv4 must be enabled for Kerberos")
    _bindips(ctx, verrors, schema, data)
    verrors.raise_if_any()
    _store_sharing(ctx.state, "nfs", data)
    after_settings_change(ctx.state, "nfs", "restart")
    _save(ctx)
    return nfs_config(ctx)
