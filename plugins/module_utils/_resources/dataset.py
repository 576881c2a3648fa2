# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of ZFS datasets and zvols (``pool.dataset``) on TrueNAS 25.04, 25.10 and 26.

Options are in Ansible vocabulary: sizes in bytes (human sizes accepted), enums case-insensitive
and returned upper case, on/off properties as booleans, ``inherit`` for inheritable properties.
Records are read with one ``pool.dataset.query`` by id that asks only for the properties
normalised here. Version differences (where ``comments`` lives) follow the capabilities.

Helpers shared with the other storage descriptors: :func:`iso_date`, :func:`prop_value`,
:func:`prop_parsed`, :func:`light_query_options`.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.nasops.truenas.plugins.module_utils._compare import Comparator, OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._sizes import human, round_up, to_bytes

INHERIT = "INHERIT"
FILESYSTEM = "FILESYSTEM"
VOLUME = "VOLUME"
KiB = 1024
MiB = 1024 ** 2
GiB = 1024 ** 3
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

COMPRESSION = tuple(
    ["ON", "OFF", "LZ4", "GZIP", "GZIP-1", "GZIP-9", "ZSTD", "ZSTD-FAST", "ZLE", "LZJB"]
    + ["ZSTD-%d" % level for level in range(1, 20)]
    + ["ZSTD-FAST-%d" % level for level in range(1, 11)]
    + ["ZSTD-FAST-%d" % level for level in (20, 30, 40, 50, 60, 70, 80, 90, 100, 500, 1000)]
)
COMPRESSION_TEXT = ("on, off, lz4, lzjb, zle, gzip, gzip-1, gzip-9, zstd, zstd-1 to zstd-19, zstd-fast, zstd-fast-1 to "
                    "zstd-fast-10, zstd-fast-20 to zstd-fast-100 in steps of 10, zstd-fast-500, zstd-fast-1000, inherit")
CHECKSUMS = ("ON", "OFF", "FLETCHER2", "FLETCHER4", "SHA256", "SHA512", "SKEIN", "EDONR", "BLAKE3")
SYNC = ("STANDARD", "ALWAYS", "DISABLED")
SNAPDIR = ("DISABLED", "VISIBLE", "HIDDEN")
DEDUP = ("ON", "VERIFY", "OFF")
ACLTYPES = ("OFF", "NFSV4", "POSIX")
ACLMODES = ("PASSTHROUGH", "RESTRICTED", "DISCARD")
CASES = ("SENSITIVE", "INSENSITIVE")
SHARE_TYPES = ("GENERIC", "MULTIPROTOCOL", "NFS", "SMB", "APPS")
ENC_ALGORITHMS = ("AES-128-CCM", "AES-192-CCM", "AES-256-CCM", "AES-128-GCM", "AES-192-GCM", "AES-256-GCM")
TYPES = (FILESYSTEM, VOLUME)

# Options that only apply to one dataset type.
VOLUME_ONLY = ("volsize", "volblocksize", "sparse")
FILESYSTEM_ONLY = ("atime", "recordsize", "quota", "refquota", "casesensitivity", "acltype", "aclmode")
# Options whose value may be "inherit" (zfs inherit on update).
INHERITABLE = ("compression", "atime", "exec", "readonly", "recordsize", "sync", "snapdir", "copies",
               "deduplication", "checksum", "acltype", "aclmode")
# Sources meaning "not set on this dataset".
NOT_LOCAL = ("INHERITED", "DEFAULT", "NONE")
# TrueNAS keeps these ZFS user properties itself; 25.10 reports them under user_properties by API name.
TRUENAS_USER_PROPS = {
    "org.freenas:description": "comments",
    "org.freenas:quota_warning": "quota_warning",
    "org.freenas:quota_critical": "quota_critical",
    "org.freenas:refquota_warning": "refquota_warning",
    "org.freenas:refquota_critical": "refquota_critical",
    "org.truenas:managedby": "managedby",
}
TRUENAS_USER_PROP_NAMES = frozenset(TRUENAS_USER_PROPS.values())

# ZFS property names asked for in every query (the API reports them under the Field api names).
QUERY_PROPERTIES = (
    "compression", "atime", "exec", "readonly", "recordsize", "sync", "snapdir", "copies", "dedup", "checksum",
    "quota", "refquota", "reservation", "refreservation", "casesensitivity", "acltype", "aclmode", "volsize",
    "volblocksize", "used", "available", "usedbydataset", "usedbysnapshots", "usedbychildren", "creation",
    "origin", "encryption", "keyformat", "pbkdf2iters",
)

_COMPONENT = re.compile(r"^[A-Za-z0-9_.: -]+$")
_USER_PROP_KEY = re.compile(r"^[a-z0-9_.-]+:[a-z0-9_.:-]+$")
_HEX_KEY = re.compile(r"^[0-9A-Fa-f]{64}$")
_TRUE_WORDS = ("ON", "TRUE", "YES")
_FALSE_WORDS = ("OFF", "FALSE", "NO")


# ---- shared helpers ----------------------------------------------------------------------------


def iso_date(value):
    """A TrueNAS timestamp (decoded datetime, ``{"$date": ms}`` or epoch seconds) as ISO-8601 text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dict) and isinstance(value.get("$date"), (int, float)):
        value = EPOCH + datetime.timedelta(milliseconds=value["$date"])
    elif isinstance(value, (int, float)):
        value = EPOCH + datetime.timedelta(seconds=value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.isoformat()
    return value if isinstance(value, str) else None


def prop_value(prop):
    """The ``value`` of a TrueNAS property dict (or the plain value when it is not one)."""
    if isinstance(prop, dict):
        return prop.get("value")
    return prop


def prop_parsed(prop):
    """The ``parsed`` value of a TrueNAS property dict; sizes are compared on it, never on ``value``."""
    if isinstance(prop, dict):
        if "parsed" in prop:
            return prop["parsed"]
        return prop.get("value")
    return prop


def prop_bytes(prop):
    """A size property as an int of bytes (``None`` when unknown)."""
    value = prop_parsed(prop)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raw = prop.get("rawvalue") if isinstance(prop, dict) else None
    for candidate in (raw, prop_value(prop)):
        if candidate in (None, "", "none", "-"):
            continue
        try:
            return to_bytes(candidate)
        except ValueError:
            continue
    return None


def light_query_options(properties=()):
    """``pool.dataset.query`` options for a quick look: no children, only ``properties``."""
    return {"extra": {"retrieve_children": False, "properties": list(properties), "retrieve_user_props": False}}


def dataset_query_options(caps, snapshot_count=False):
    """``pool.dataset.query`` options for the normalised record (no children, only what is used)."""
    properties = list(QUERY_PROPERTIES)
    if caps is not None and not caps.dataset_tn_props_in_user_properties:
        properties.append("comments")
    extra = {"retrieve_children": False, "properties": properties, "retrieve_user_props": True}
    if snapshot_count:
        extra["snapshots_count"] = True
    return {"extra": extra}


def valid_dataset_name(value):
    """Raise ValueError unless ``value`` is a ZFS dataset name (``pool`` or ``pool/a/b``)."""
    if not isinstance(value, str) or not value:
        raise ValueError("must be a dataset name such as tank/data, got %r" % (value,))
    if len(value) >= 256:
        raise ValueError("%r is longer than 255 characters" % value)
    parts = value.split("/")
    for part in parts:
        if not part:
            raise ValueError("%r is not a dataset name: it has an empty component (a leading, trailing or double /)" % value)
        if part in (".", "..") or not _COMPONENT.match(part):
            raise ValueError("%r is not a dataset name: components may only hold letters, digits, space and _ - . :"
                             % value)
    if not parts[0][0].isalpha():
        raise ValueError("%r is not a dataset name: the pool name must start with a letter" % value)
    if value.endswith(" "):
        raise ValueError("%r is not a dataset name: trailing spaces are not allowed" % value)
    return value


# ---- option parsers ------------------------------------------------------------------------------


def _choices_text(choices, inherit):
    names = [c.lower() for c in choices] + (["inherit"] if inherit else [])
    return ", ".join(names)


def enum(choices, inherit=False, aliases=None, text=None):
    """A parser for a case-insensitive enum; booleans stand for ON/OFF (YAML reads ``off`` as false).

    ``text`` describes the choices in messages when listing them all would be too long.
    """
    aliases = aliases or {}
    described = text or _choices_text(choices, inherit)

    def parse(value):
        if isinstance(value, bool):
            text = "ON" if value else "OFF"
        elif isinstance(value, str):
            text = value.strip().upper()
        else:
            raise ValueError("expected one of %s, got %r" % (described, value))
        text = aliases.get(text, text)
        if text in choices or (inherit and text == INHERIT):
            return text
        raise ValueError("%r is not a valid choice; use one of %s (case-insensitive)" % (value, described))

    return parse


def on_off(value):
    """``true``/``false`` (also on/off, yes/no) or ``inherit`` -> True, False or INHERIT."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if text in _TRUE_WORDS:
            return True
        if text in _FALSE_WORDS:
            return False
        if text == INHERIT:
            return INHERIT
    raise ValueError("expected true, false or inherit, got %r" % (value,))


def _is_inherit(value):
    return isinstance(value, str) and value.strip().upper() == INHERIT


def _block_size(value, option, largest):
    size = to_bytes(value)
    if size < 512 or size > largest or size & (size - 1):
        raise ValueError("%r is not a valid %s: use a power of two from 512 bytes to %s, such as 16K"
                         % (value, option, human(largest)))
    return size


def parse_recordsize(value):
    if _is_inherit(value):
        return INHERIT
    return _block_size(value, "record size", 16 * MiB)


def parse_volblocksize(value):
    return _block_size(value, "block size", 128 * KiB)


def parse_volsize(value):
    size = to_bytes(value)
    if size <= 0:
        raise ValueError("must be greater than zero, got %r" % (value,))
    return size


def parse_size(value):
    """Sizes where 0 (or ``none``) removes the limit."""
    if isinstance(value, str) and value.strip().lower() == "none":
        return 0
    return to_bytes(value)


def parse_quota(value):
    size = parse_size(value)
    if 0 < size < GiB:
        raise ValueError("%r is below the TrueNAS minimum of 1 GiB (1073741824 bytes); use 0 to remove the quota" % (value,))
    return size


def parse_copies(value):
    if _is_inherit(value):
        return INHERIT
    try:
        copies = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        copies = None
    if copies not in (1, 2, 3) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("expected 1, 2, 3 or inherit, got %r" % (value,))
    return copies


def parse_user_properties(value):
    """``{"ns:prop": "value"}``; ``null`` removes a property set on this dataset."""
    if not isinstance(value, dict):
        raise ValueError("expected a dictionary of namespace:property -> value, got %r" % (value,))
    result = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _USER_PROP_KEY.match(key):
            raise ValueError("%r is not a user property name; use namespace:property in lower case, such as "
                             "org.example:owner" % (key,))
        if key in TRUENAS_USER_PROPS:
            raise ValueError("%s is managed by TrueNAS%s" % (key, "; use the comments option" if key == "org.freenas:description" else ""))
        if item is None or isinstance(item, str):
            result[key] = item
        elif isinstance(item, bool):
            raise ValueError("the value of %s is a boolean; quote it to store the text you mean" % key)
        elif isinstance(item, (int, float)):
            result[key] = str(item)
        else:
            raise ValueError("the value of %s must be a string, got %r" % (key, item))
    return result


# The lowest pbkdf2iters of any release; the release's own floor is capability ``pbkdf2iters_min``.
PBKDF2ITERS_FLOOR = 100000


def check_pbkdf2iters(caps, desired):
    """OptionError when ``encryption_options.pbkdf2iters`` is below this release's floor."""
    iters = (desired.get("encryption_options") or {}).get("pbkdf2iters")
    floor = caps.pbkdf2iters_min if caps is not None else PBKDF2ITERS_FLOOR
    if iters is not None and floor and iters < floor:
        raise OptionError("encryption_options.pbkdf2iters", "must be at least %d on TrueNAS %s, got %d"
                          % (floor, caps.version_string, iters))


def parse_encryption_options(value):
    if not isinstance(value, dict):
        raise ValueError("expected a dictionary, got %r" % (value,))
    result = dict((key, item) for key, item in value.items() if item is not None)
    if "algorithm" in result:
        algorithm = str(result["algorithm"]).strip().upper()
        if algorithm not in ENC_ALGORITHMS:
            raise OptionError("encryption_options.algorithm", "%r is not a valid choice; use one of %s"
                              % (result["algorithm"], ", ".join(ENC_ALGORITHMS)))
        result["algorithm"] = algorithm
    if "pbkdf2iters" in result and result["pbkdf2iters"] < PBKDF2ITERS_FLOOR:
        raise OptionError("encryption_options.pbkdf2iters", "must be at least %d (at least 1300000 on TrueNAS 26)"
                          % PBKDF2ITERS_FLOOR)
    if "passphrase" in result and len(result["passphrase"]) < 8:
        raise OptionError("encryption_options.passphrase", "must be at least 8 characters long")
    if "key" in result and not _HEX_KEY.match(result["key"]):
        raise OptionError("encryption_options.key", "must be 64 hexadecimal characters (a 256-bit key)")
    chosen = [name for name in ("passphrase", "key") if name in result] + (["generate_key"] if result.get("generate_key") else [])
    if len(chosen) > 1:
        raise OptionError("encryption_options", "set only one of passphrase, key and generate_key, not %s" % " and ".join(chosen))
    return result


# ---- API -> option values ------------------------------------------------------------------------


def upper_value(prop):
    value = prop_value(prop)
    return value.upper() if isinstance(value, str) else value


def on_off_value(prop):
    value = upper_value(prop)
    if value == "ON":
        return True
    if value == "OFF":
        return False
    return value


def size_or_zero(prop):
    """Quotas and reservations: ``none`` (parsed null) is 0."""
    value = prop_bytes(prop)
    return 0 if value is None else value


def int_value(prop):
    value = prop_parsed(prop)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(prop_value(prop))
    except (TypeError, ValueError):
        return None


def origin_value(prop):
    return prop_value(prop) or None


def date_value(prop):
    return iso_date(prop_parsed(prop))


def user_properties_value(props):
    """``{"ns:prop": value}`` of every user property (inherited ones too), TrueNAS ones left out."""
    result = {}
    for key, prop in (props or {}).items():
        if key in TRUENAS_USER_PROP_NAMES or key in TRUENAS_USER_PROPS:
            continue
        result[key] = prop_value(prop)
    return result


# ---- option values -> API ------------------------------------------------------------------------


def on_off_api(value):
    if value is True:
        return "ON"
    if value is False:
        return "OFF"
    return value


def block_api(value):
    """Bytes -> the TrueNAS block size text ("512", "16K", "1M")."""
    if value == INHERIT:
        return value
    if value < KiB:
        return str(value)
    if value < MiB:
        return "%dK" % (value // KiB)
    return "%dM" % (value // MiB)


class InheritableSize(Comparator):
    """Sizes in bytes that may also be INHERIT (a difference unless both are INHERIT)."""

    name = "inheritable_size"

    def equal(self, desired, current):
        if desired == INHERIT or current == INHERIT or desired is None or current is None:
            return desired == current
        return to_bytes(desired) == to_bytes(current)


class UserProperties(Comparator):
    """User properties: only the keys the user gave; ``None`` means "not set here"."""

    name = "user_properties"

    def equal(self, desired, current):
        current = current or {}
        for key, value in desired.items():
            if value is None:
                if key in current:
                    return False
            elif current.get(key) != value:
                return False
        return True

    def merge(self, current, desired):
        merged = dict(current or {})
        for key, value in desired.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged


class EncryptionOptions(Comparator):
    """Only ``algorithm`` (and ``pbkdf2iters`` of passphrase keys) can be read back; secrets never."""

    name = "encryption_options"

    def equal(self, desired, current):
        if not desired or not current:
            return True
        if "algorithm" in desired and desired["algorithm"] != current.get("algorithm"):
            return False
        if "pbkdf2iters" in desired and current.get("pbkdf2iters") and desired["pbkdf2iters"] != current["pbkdf2iters"]:
            return False
        return True


# option -> API key of create/update payloads, and the converter of its value.
WRITE = {
    "type": ("type", None), "volsize": ("volsize", None), "volblocksize": ("volblocksize", block_api),
    "sparse": ("sparse", None), "comments": ("comments", None), "compression": ("compression", None),
    "atime": ("atime", on_off_api), "exec": ("exec", on_off_api), "readonly": ("readonly", on_off_api),
    "recordsize": ("recordsize", block_api), "sync": ("sync", None), "snapdir": ("snapdir", None),
    "copies": ("copies", None), "deduplication": ("deduplication", None), "checksum": ("checksum", None),
    "quota": ("quota", None), "refquota": ("refquota", None), "reservation": ("reservation", None),
    "refreservation": ("refreservation", None), "casesensitivity": ("casesensitivity", None),
    "acltype": ("acltype", None), "aclmode": ("aclmode", None), "share_type": ("share_type", None),
}


class DatasetResource(Resource):
    NAME = "dataset"
    NAMESPACE = "pool.dataset"
    RESULT_KEY = "dataset"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("data.PoolDatasetCreateFilesystem", "data.PoolDatasetCreateVolume", "data.FILESYSTEM",
                      "data.VOLUME", "data", "pool_dataset_create", "pool_dataset_update")
    FIELDS = (
        Field("name", parse=valid_dataset_name),
        Field("type", parse=enum(TYPES, aliases={"ZVOL": VOLUME, "FS": FILESYSTEM}), create_only=True),
        Field("volsize", compare="size", parse=parse_volsize, from_api=prop_bytes),
        Field("volblocksize", compare="size", parse=parse_volblocksize, from_api=prop_bytes, create_only=True),
        Field("sparse", create_only=True),
        Field("comments", api_aliases=("user_properties.comments",), from_api=prop_value),
        Field("compression", compare="ienum", parse=enum(COMPRESSION, inherit=True, text=COMPRESSION_TEXT),
              from_api=upper_value),
        Field("atime", parse=on_off, from_api=on_off_value),
        Field("exec", parse=on_off, from_api=on_off_value),
        Field("readonly", parse=on_off, from_api=on_off_value),
        Field("recordsize", compare=InheritableSize(), parse=parse_recordsize, from_api=prop_bytes),
        Field("sync", compare="ienum", parse=enum(SYNC, inherit=True), from_api=upper_value),
        Field("snapdir", compare="ienum", parse=enum(SNAPDIR, inherit=True), from_api=upper_value),
        Field("copies", parse=parse_copies, from_api=int_value),
        Field("deduplication", compare="ienum", parse=enum(DEDUP, inherit=True), from_api=upper_value),
        Field("checksum", compare="ienum", parse=enum(CHECKSUMS, inherit=True), from_api=upper_value),
        Field("quota", compare="size", parse=parse_quota, from_api=size_or_zero),
        Field("refquota", compare="size", parse=parse_quota, from_api=size_or_zero),
        Field("reservation", compare="size", parse=parse_size, from_api=size_or_zero),
        Field("refreservation", compare="size", parse=parse_size, from_api=size_or_zero),
        Field("casesensitivity", compare="ienum", parse=enum(CASES), from_api=upper_value, create_only=True),
        Field("acltype", compare="ienum", parse=enum(ACLTYPES, inherit=True), from_api=upper_value),
        Field("aclmode", compare="ienum", parse=enum(ACLMODES, inherit=True), from_api=upper_value),
        Field("share_type", compare="ignore", parse=enum(SHARE_TYPES), create_only=True),
        Field("user_properties", compare=UserProperties(), parse=parse_user_properties,
              from_api=user_properties_value, api_aliases=("user_properties_update",)),
        Field("encryption", create_only=True),
        Field("encryption_options", compare=EncryptionOptions(), parse=parse_encryption_options, create_only=True,
              no_log=True),
        Field("pool", output_only=True),
        Field("mountpoint", output_only=True),
        Field("encrypted", output_only=True),
        Field("encryption_root", output_only=True),
        Field("key_loaded", output_only=True),
        Field("locked", output_only=True),
        Field("encryption_algorithm", output_only=True, from_api=prop_value),
        Field("key_format", output_only=True, from_api=prop_value),
        Field("used", output_only=True, from_api=prop_bytes),
        Field("available", output_only=True, from_api=prop_bytes),
        Field("usedbydataset", output_only=True, from_api=prop_bytes),
        Field("usedbysnapshots", output_only=True, from_api=prop_bytes),
        Field("usedbychildren", output_only=True, from_api=prop_bytes),
        Field("creation", output_only=True, from_api=date_value),
        Field("origin", output_only=True, from_api=origin_value),
    )

    def secret_options(self):
        return ["encryption_options.passphrase", "encryption_options.key"]

    # ---- local validation --------------------------------------------------------------------

    def validate(self, desired, params):
        dtype = desired.get("type") or (VOLUME if "volsize" in desired else None)
        if dtype:
            reason = "volsize makes this a volume" if "type" not in desired else "type is %s" % dtype.lower()
            self.check_type_options(dtype, desired, reason)
        if "encryption_options" in desired and not desired.get("encryption"):
            raise OptionError("encryption_options", "only applies together with encryption: true")

    @staticmethod
    def check_type_options(dtype, desired, reason):
        wrong = FILESYSTEM_ONLY if dtype == VOLUME else VOLUME_ONLY
        for option in wrong:
            if option in desired:
                kind = "filesystems" if dtype == VOLUME else "volumes (zvols)"
                raise OptionError(option, "only applies to %s, and %s" % (kind, reason))

    # ---- reading -----------------------------------------------------------------------------

    def query_filters(self, desired):
        return [["id", "=", desired["name"]]]

    def option_for(self, attribute):
        """As the engine does; a refused ``encryption_options.algorithm`` on TrueNAS 26 says why."""
        option = super(DatasetResource, self).option_for(attribute)
        caps = getattr(self, "_caps", None)
        if option == "encryption_options.algorithm" and caps is not None and caps.version >= (26,):
            return ("encryption_options.algorithm (TrueNAS %s no longer takes an encryption algorithm and always uses "
                    "AES-256-GCM; remove the option)" % caps.version_string)
        return option

    def find(self, ctx):
        self._caps = ctx.caps
        desired = ctx.desired
        absent = ctx.params.get("state") == "absent"
        recursive = bool(ctx.params.get("recursive"))
        raw = ctx.client.get_one(self.method("query"), self.query_filters(desired),
                                 dataset_query_options(ctx.caps, snapshot_count=absent and not recursive))
        if absent:
            if raw is not None:
                ctx.action = "delete %s" % ctx.what
                self._check_delete(ctx, raw)
            return raw
        if raw is None:
            ctx.action = "create %s" % ctx.what
            self._prepare_create(ctx)
        else:
            ctx.action = "update %s" % ctx.what
            self._prepare_update(ctx, raw)
        return raw

    def reread(self, ctx, record):
        raw = ctx.client.get_one(self.method("query"), self.query_filters(ctx.desired), dataset_query_options(ctx.caps))
        if raw is not None:
            self._settle(ctx, raw)
        return raw

    def normalize(self, record, caps=None):
        result = Resource.normalize(self, record, caps)
        result["name"] = record.get("name") or record.get("id")
        in_user_props = caps.dataset_tn_props_in_user_properties if caps is not None else None
        user = record.get("user_properties") or {}
        if in_user_props is True or (in_user_props is None and "comments" in user):
            comments = user.get("comments")
        else:
            comments = record.get("comments")
        result["comments"] = prop_value(comments) if comments is not None else ""
        if result.get("type") == VOLUME:
            refreservation = result.get("refreservation") or 0
            result["sparse"] = bool(result.get("volsize")) and refreservation < result["volsize"]
        else:
            result.pop("sparse", None)
        root = record.get("encryption_root")
        result["encryption"] = bool(record.get("encrypted")) and root == result["name"]
        if result["encryption"]:
            options = {"algorithm": result.get("encryption_algorithm")}
            iters = int_value(record.get("pbkdf2iters"))
            if iters:
                options["pbkdf2iters"] = iters
            result["encryption_options"] = options
        else:
            result.pop("encryption_options", None)
        result["source"] = self.sources(record)
        return result

    def sources(self, record):
        """``{option: source}`` of the inheritable properties (LOCAL, INHERITED, DEFAULT, ...)."""
        sources = {}
        for option in INHERITABLE:
            prop = record.get(self.fields[option].api)
            if isinstance(prop, dict) and prop.get("source"):
                sources[option] = prop["source"]
        return sources

    # ---- planning ----------------------------------------------------------------------------

    def _check_delete(self, ctx, raw):
        name = raw.get("id") or raw.get("name")
        if "/" not in name:
            raise OptionError("name", "%r is the root dataset of pool %r and cannot be deleted" % (name, name))
        if ctx.params.get("recursive"):
            return
        children = ctx.client.query(self.method("query"), [["id", "^", name + "/"]],
                                    dict(light_query_options(), limit=1))
        snapshots = raw.get("snapshot_count") or 0
        found = []
        if children:
            found.append("child datasets (%s)" % children[0].get("id"))
        if snapshots:
            found.append("%d snapshot%s" % (snapshots, "" if snapshots == 1 else "s"))
        if found:
            raise OptionError("recursive", "dataset %r has %s; set recursive: true to delete them with it"
                              % (name, " and ".join(found)))

    def _prepare_create(self, ctx):
        desired = ctx.desired
        name = desired["name"]
        if "/" not in name:
            raise OptionError("name", "dataset %r does not exist; a new dataset needs a full name such as %s/data"
                              % (name, name))
        dtype = desired.setdefault("type", VOLUME if "volsize" in desired else FILESYSTEM)
        if dtype == VOLUME and "volsize" not in desired:
            raise OptionError("volsize", "is required to create a volume")
        self.check_type_options(dtype, desired, "a new dataset without volsize is a filesystem")
        if desired.get("encryption") and not any((desired.get("encryption_options") or {}).get(key)
                                                 for key in ("passphrase", "key", "generate_key")):
            raise OptionError("encryption_options", "a new encrypted dataset needs a passphrase, a key or generate_key: true")
        if desired.get("encryption"):
            check_pbkdf2iters(ctx.caps, desired)
        self._check_parent(ctx, name)
        if dtype == VOLUME:
            block = desired.get("volblocksize")
            if block is None:
                block = self._recommended_block_size(ctx, name.split("/", 1)[0])
                desired["volblocksize"] = block
            desired["volsize"] = round_up(desired["volsize"], block)

    def _check_parent(self, ctx, name):
        parts = name.split("/")
        ancestors = ["/".join(parts[:i]) for i in range(1, len(parts))]
        rows = ctx.client.query(self.method("query"), [["id", "in", ancestors]], light_query_options())
        found = dict((row.get("id"), row) for row in rows or [])
        pool = parts[0]
        if pool not in found:
            raise OptionError("name", "pool %r does not exist" % pool)
        parent = ancestors[-1]
        if parent not in found and not ctx.params.get("create_ancestors"):
            raise OptionError("name", "parent dataset %r does not exist; set create_ancestors: true to create it"
                              % parent)
        existing = [a for a in ancestors if a in found]
        if found[existing[-1]].get("type") == VOLUME:
            raise OptionError("name", "%r is a volume and cannot hold datasets" % existing[-1])

    def _recommended_block_size(self, ctx, pool):
        text = ctx.client.call("pool.dataset.recommended_zvol_blocksize", pool)
        try:
            return parse_volblocksize(text)
        except ValueError:
            raise TrueNASError("pool.dataset.recommended_zvol_blocksize: unexpected answer %r" % (text,))

    def _prepare_update(self, ctx, raw):
        desired = ctx.desired
        current = self.normalize(raw, ctx.caps)
        dtype = current.get("type")
        if desired.get("type", dtype) != dtype:
            return
        self.check_type_options(dtype, desired, "%r is a %s" % (current["name"], "volume" if dtype == VOLUME else "filesystem"))
        if dtype == VOLUME and "volsize" in desired:
            block = current.get("volblocksize") or 16 * KiB
            desired["volsize"] = round_up(desired["volsize"], block)
            if current.get("volsize") and desired["volsize"] < current["volsize"]:
                raise OptionError("volsize", "cannot shrink volume %r from %s to %s; TrueNAS only grows volumes"
                                  % (current["name"], human(current["volsize"]), human(desired["volsize"])))
        self._settle(ctx, raw, current)

    def _settle(self, ctx, raw, current=None):
        """Requests that already hold: ``inherit`` for a property not set on the dataset, and
        ``null`` user properties not set on it, become its current value (no change)."""
        desired = ctx.desired
        current = current if current is not None else self.normalize(raw, ctx.caps)
        for option in INHERITABLE:
            if desired.get(option) != INHERIT:
                continue
            prop = raw.get(self.fields[option].api)
            if isinstance(prop, dict) and prop.get("source") in NOT_LOCAL and option in current:
                desired[option] = current[option]
        wanted = desired.get("user_properties")
        if wanted:
            props = raw.get("user_properties") or {}
            settled = dict(wanted)
            for key, value in wanted.items():
                prop = props.get(key)
                if value is None and not (isinstance(prop, dict) and prop.get("source") == "LOCAL"):
                    del settled[key]
            desired["user_properties"] = settled

    # ---- writing -----------------------------------------------------------------------------

    def payload(self, values):
        data = {}
        for option, value in values.items():
            if option not in WRITE:
                continue
            key, convert = WRITE[option]
            data[key] = convert(value) if convert else value
        return data

    def create_params(self, ctx):
        desired = ctx.desired
        values = dict((k, v) for k, v in desired.items() if v != INHERIT)
        data = {"name": desired["name"]}
        data.update(self.payload(values))
        props = desired.get("user_properties") or {}
        user = [{"key": key, "value": value} for key, value in sorted(props.items()) if value is not None]
        if user:
            data["user_properties"] = user
        if ctx.params.get("create_ancestors"):
            data["create_ancestors"] = True
        if desired.get("encryption"):
            data["encryption"] = True
            data["inherit_encryption"] = False
            data["encryption_options"] = dict(desired.get("encryption_options") or {})
        return [data]

    def update_params(self, ctx, record, changes):
        data = self.payload(changes)
        if "user_properties" in changes:
            current = self.normalize(record, ctx.caps).get("user_properties") or {}
            items = []
            for key, value in sorted(ctx.desired["user_properties"].items()):
                if value is None:
                    items.append({"key": key, "remove": True})
                elif current.get(key) != value:
                    items.append({"key": key, "value": value})
            data["user_properties_update"] = items
        return [record.get("id") or record.get("name"), data]

    def delete_params(self, ctx, record):
        options = {"recursive": bool(ctx.params.get("recursive")), "force": bool(ctx.params.get("force"))}
        return [record.get("id") or record.get("name"), options]


def datasets_under(client, caps, name=None):
    """Normalised records of ``name`` and every dataset below it (all datasets without ``name``)."""
    resource = DatasetResource()
    filters = [["id", "^", name]] if name else []
    rows = client.query(resource.method("query"), filters, dataset_query_options(caps))
    result = []
    for row in rows or []:
        ident = row.get("id") or row.get("name")
        if name and ident != name and not ident.startswith(name + "/"):
            continue
        result.append(resource.normalize(row, caps))
    return sorted(result, key=lambda item: item["name"].split("/"))


def gather_datasets(client, params):
    """truenas_dataset_info: the dataset ``params["name"]`` and everything under it, or all datasets."""
    name = params.get("name")
    if name is not None:
        try:
            valid_dataset_name(name)
        except ValueError as exc:
            raise OptionError("name", str(exc))
    return datasets_under(client, client.caps, name)
