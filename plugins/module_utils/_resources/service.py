# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptors of system services (``service.*``) and of the FTP, SSH, SMB and NFS service
settings (``<ns>.config`` / ``<ns>.update``).

Service control: ``service.control`` (a job) where the capability ``service_control`` holds (25.10
and later), else ``service.start|stop|restart|reload`` (25.04). Either way the module then polls
``service.query`` until the service reports the wanted state.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource

# Names users know -> the TrueNAS service name.
ALIASES = {
    "smb": "cifs", "samba": "cifs", "cifs": "cifs", "iscsi": "iscsitarget", "iscsitarget": "iscsitarget",
    "sshd": "ssh", "ssh": "ssh", "nfs": "nfs", "ftp": "ftp", "snmp": "snmp", "ups": "ups", "nut": "ups",
    "nvmet": "nvmet", "nvme": "nvmet", "nvmeof": "nvmet", "webshare": "webshare",
}
VERBS = {"started": "START", "stopped": "STOP", "restarted": "RESTART", "reloaded": "RELOAD"}
RUNNING = "RUNNING"
STOPPED = "STOPPED"


def service_name(value):
    name = value.strip().lower()
    return ALIASES.get(name, name)


class ServiceResource(Resource):
    NAME = "service"
    NAMESPACE = "service"
    RESULT_KEY = "service"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("service_update", "data")
    JOBS = frozenset(["service.control"])
    ABSENT_STATES = ()
    FIELDS = (
        Field("name", api="service", parse=service_name),
        Field("enabled", api="enable"),
        Field("state", api="state", output_only=True),
        Field("pids", output_only=True),
    )

    def find(self, ctx):
        raw = ctx.client.get_one("service.query", self.query_filters(ctx.desired))
        if raw is None:
            ctx.action = None
            rows = ctx.client.query("service.query", [], {"select": ["service"], "extra": {"include_state": False}})
            known = sorted(row["service"] for row in rows)
            raise OptionError("name", "TrueNAS %s has no service '%s'; the services on this server are %s (smb means "
                                      "cifs, iscsi means iscsitarget)"
                              % (ctx.caps.version_string, ctx.params["name"], ", ".join(known)))
        return raw

    def label(self, params):
        return "'%s'" % service_name(params["name"]) if params.get("name") else ""

    def managed_options(self):
        return ["name", "enabled", "state"]

    def update_params(self, ctx, record, changes):
        return [record["id"], {"enable": changes["enabled"]}]

    def post_apply(self, ctx, after):
        """Bring the service to ``state`` and wait until TrueNAS reports it."""
        wanted = ctx.params.get("state")
        if not wanted:
            return False, after
        running = after.get("state") == RUNNING
        verb = VERBS[wanted]
        if (wanted == "started" and running) or (wanted == "stopped" and not running):
            return False, after
        if wanted == "reloaded" and not running:
            verb = "START"  # nothing to reload: start it
        target = STOPPED if verb == "STOP" else RUNNING
        if ctx.check_mode:
            predicted = dict(after, state=target)
            return True, predicted
        name = after["name"]
        action = "%s %s" % (verb.lower(), ctx.what)
        if ctx.caps.service_control:
            result = ctx.write("service.control", verb, name, {"timeout": ctx.params.get("wait_timeout")},
                               action=action, timeout=ctx.params.get("wait_timeout"))
        else:
            result = ctx.write("service.%s" % verb.lower(), name, action=action)
        ctx.action = "wait for %s to report %s" % (ctx.what, target)
        record = ctx.waiter.wait(
            lambda: ctx.client.get_one("service.query", [["id", "=", after["id"]]]),
            lambda row: row is None or row.get("state") == target or result is False,
            ctx.params.get("wait_timeout") or 120, interval=1.0, what="%s to report %s" % (ctx.what, target))
        ctx.action = None
        if record is None or record.get("state") != target:
            raise TrueNASError("%s did not %s: TrueNAS reports it %s"
                               % (ctx.what, verb.lower(), (record or {}).get("state", "missing")))
        return True, self.normalize(record, ctx.caps)


def gather_services(client, params):
    """truenas_service_info: every service (or those named), with enabled, state and pids."""
    resource = ServiceResource()
    filters = []
    if params.get("name"):
        filters.append(["service", "in", [service_name(n) for n in params["name"]]])
    return [resource.normalize(row, client.caps) for row in client.query("service.query", filters, {"order_by": ["service"]})]


# ---- settings --------------------------------------------------------------------------------


class SettingsResource(Resource):
    """A settings singleton: ``<NAMESPACE>.config`` and ``<NAMESPACE>.update(data)``."""

    IDENTITY = ()
    ABSENT_STATES = ()
    PRIMARY_KEY = "id"

    def label(self, params):
        return ""

    def find(self, ctx):
        return ctx.client.call(self.method("config"))

    def reread(self, ctx, record):
        return ctx.client.call(self.method("config"))

    def update_params(self, ctx, record, changes):
        return [self.payload(changes)]


def _port(value):
    if not 1 <= value <= 65535:
        raise ValueError("must be a TCP port between 1 and 65535, got %d" % value)
    return value


def _passive_port(value):
    if value != 0 and not 1024 <= value <= 65535:
        raise ValueError("must be 0 (any port) or between 1024 and 65535, got %d" % value)
    return value


def _mask(value):
    value = str(value)
    if len(value) != 3 or any(ch not in "01234567" for ch in value):
        raise ValueError("must be three octal digits such as 022, got %r" % value)
    return value


def _smb_mask(value):
    return "DEFAULT" if str(value).upper() == "DEFAULT" else _mask(value)


def _upper(value):
    return value.upper()


def _upper_list(value):
    return [item.upper() for item in value]


def _optional(value):
    return value or None


class FtpSettingsResource(SettingsResource):
    NAME = "FTP service settings"
    NAMESPACE = "ftp"
    RESULT_KEY = "ftp"
    ERROR_PREFIXES = ("ftp_update", "data")
    FIELDS = (
        Field("ftp_port", api="port", parse=_port),
        Field("clients"),
        Field("ipconnections"),
        Field("loginattempt"),
        Field("idle_timeout", api="timeout"),
        Field("timeout_notransfer"),
        Field("onlyanonymous"),
        Field("anonpath", parse=_optional),
        Field("onlylocal"),
        Field("banner"),
        Field("filemask", parse=_mask),
        Field("dirmask", parse=_mask),
        Field("fxp"),
        Field("resume"),
        Field("defaultroot"),
        Field("ident"),
        Field("reversedns"),
        Field("masqaddress"),
        Field("passiveportsmin", parse=_passive_port),
        Field("passiveportsmax", parse=_passive_port),
        Field("localuserbw"),
        Field("localuserdlbw"),
        Field("anonuserbw"),
        Field("anonuserdlbw"),
        Field("tls"),
        Field("tls_policy"),
        Field("ssltls_certificate"),
        Field("options"),
    )

    def validate(self, desired, params):
        low, high = desired.get("passiveportsmin"), desired.get("passiveportsmax")
        if low and high and high < low:
            raise OptionError("passiveportsmax", "must not be lower than passiveportsmin (%d)" % low)
        if desired.get("onlyanonymous") and desired.get("anonpath") is None and "anonpath" in desired:
            raise OptionError("anonpath", "is required with onlyanonymous: true")


class SshSettingsResource(SettingsResource):
    NAME = "SSH service settings"
    NAMESPACE = "ssh"
    RESULT_KEY = "ssh"
    ERROR_PREFIXES = ("data", "ssh_update")
    SECRET_KEYS = ("privatekey", "host_dsa_key", "host_ecdsa_key", "host_ed25519_key", "host_key", "host_rsa_key")
    FIELDS = (
        Field("tcpport", parse=_port),
        Field("bindiface", compare="set"),
        Field("password_login_groups", compare="set"),
        Field("passwordauth"),
        Field("kerberosauth"),
        Field("tcpfwd"),
        Field("compression"),
        Field("sftp_log_level", parse=_upper),
        Field("sftp_log_facility", parse=_upper),
        Field("weak_ciphers", compare="set", parse=_upper_list),
        Field("options"),
        Field("host_ed25519_key_pub", output_only=True),
        Field("host_ecdsa_key_pub", output_only=True),
        Field("host_rsa_key_pub", output_only=True),
    )


class SmbSettingsResource(SettingsResource):
    NAME = "SMB service settings"
    NAMESPACE = "smb"
    RESULT_KEY = "smb"
    ERROR_PREFIXES = ("smb_update", "data")
    FIELDS = (
        Field("netbiosname"),
        Field("netbiosalias", compare="set"),
        Field("workgroup"),
        Field("description"),
        Field("enable_smb1", capability="smb_enable_smb1"),
        Field("minimum_protocol", capability="smb_minimum_protocol"),
        Field("unixcharset", parse=_upper),
        Field("localmaster"),
        Field("syslog"),
        Field("aapl_extensions"),
        Field("admin_group", parse=_optional),
        Field("guest"),
        Field("filemask", parse=_smb_mask),
        Field("dirmask", parse=_smb_mask),
        Field("ntlmv1_auth"),
        Field("multichannel"),
        Field("encryption", compare="ienum", parse=_upper),
        Field("bindip", compare="set"),
        Field("smb_options"),
        Field("debug"),
        Field("server_sid", output_only=True),
    )

    def validate(self, desired, params):
        name, group = desired.get("netbiosname"), desired.get("workgroup")
        if name and group and name.lower() == group.lower():
            raise OptionError("netbiosname", "must differ from workgroup (%s)" % group)


def _servers(value):
    if not 1 <= value <= 256:
        raise ValueError("must be between 1 and 256, got %d" % value)
    return value


def _nfs_port(value):
    if not 1 <= value <= 65535:
        raise ValueError("must be a port between 1 and 65535, got %d" % value)
    if value == 20049:
        raise ValueError("20049 is reserved for NFS over RDMA")
    return value


def _protocols(value):
    result = []
    for item in value:
        protocol = item.upper().replace("NFS", "NFSV").replace("VV", "V") if item else item
        if protocol in ("NFSV3", "NFSV4") and protocol not in result:
            result.append(protocol)
        elif protocol not in ("NFSV3", "NFSV4"):
            raise ValueError("%r is not a protocol; use NFSV3 and/or NFSV4" % item)
    if not result:
        raise ValueError("must name at least one of NFSV3 and NFSV4")
    return result


class NfsSettingsResource(SettingsResource):
    NAME = "NFS service settings"
    NAMESPACE = "nfs"
    RESULT_KEY = "nfs"
    ERROR_PREFIXES = ("nfs_update", "data")
    FIELDS = (
        Field("servers", parse=_servers),
        Field("allow_nonroot"),
        Field("protocols", compare="set", parse=_protocols),
        Field("v4_krb"),
        Field("v4_domain"),
        Field("bindip", compare="set"),
        Field("mountd_port", parse=_nfs_port),
        Field("rpcstatd_port", parse=_nfs_port),
        Field("rpclockd_port", parse=_nfs_port),
        Field("mountd_log"),
        Field("statd_lockd_log"),
        Field("userd_manage_gids"),
        Field("rdma"),
        Field("v4_krb_enabled", output_only=True),
    )

    def validate(self, desired, params):
        if desired.get("v4_krb") and "protocols" in desired and "NFSV4" not in desired["protocols"]:
            raise OptionError("v4_krb", "needs NFSV4 in protocols")
