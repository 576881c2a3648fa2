"""Per-release facts of the simulated TrueNAS (one :class:`Profile` per supported version).

Everything that differs between 25.04, 25.10 and 26 is declared here by name; the rest of the
simulator asks the profile (``ctx.profile.at_least("25.10")`` or a flag) and never compares
version strings itself.
"""
import dataclasses
import typing as t


def parse_version(text):
    """``"25.04.2.6"`` -> ``(25, 4, 2, 6)``."""
    return tuple(int(part) for part in str(text).split("."))


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    product_version: str
    api_version: str
    api_versions: t.Tuple[str, ...]
    # core.ping is callable before login (25.10+).
    ping_before_auth: bool
    # core.set_options knows `legacy_jobs` (new-style jobs, 25.10+); on 25.04 it returns null.
    legacy_jobs_option: bool
    # The job object carries `message_ids` (25.10+).
    message_ids: bool
    # Error traces carry `frames` (gone from 26.0.0-BETA.3).
    trace_frames: bool
    # Largest accepted query-options `limit` (None: unchecked, 25.04).
    query_limit_max: t.Optional[int]
    # QueryOptions accepts `extend`, `extend_context`, `prefix`, `relationships` (25.04 only).
    legacy_query_options: bool
    # Params are validated against tests/simulator/schemas/*.json (pydantic everywhere, 25.10+).
    validate_schemas: bool
    # auth.mechanism_choices works before login (26; broken from 25.04.2 through 25.10).
    mechanism_choices_before_auth: bool
    # core.get_methods is callable before login (25.04; lists only no-auth methods).
    get_methods_before_auth: bool
    # Pending call tasks are cancelled when the socket closes (26).
    cancel_calls_on_disconnect: bool
    # nginx proxy_read_timeout in front of the middleware: 60 s on 25.x, 3600 s on 26.
    idle_timeout: float
    # auth.login_ex knows `login_options.reconnect_token`, SCRAM and DENIED (26).
    login_v26: bool
    # The method schema files params (and, in tests, results) are checked with: tests/simulator/<set>/.
    schema_set: str = "schemas"
    # SMB DEFAULT_SHARE options have hostsallow/hostsdeny and the FCP_SHARE purpose exists (25.10.1+).
    smb_hosts_and_fcp: bool = True

    @property
    def version(self):
        """The product version as a tuple, e.g. ``(25, 10, 5)``."""
        return parse_version(self.product_version)

    def at_least(self, version):
        """True when this release is ``version`` (e.g. ``"25.10"``) or newer."""
        wanted = parse_version(version)
        return self.version[:len(wanted)] >= wanted

    @property
    def version_string(self):
        """``system.version``: ``"TrueNAS-<product version>"``."""
        return "TrueNAS-" + self.product_version


PROFILES = {
    "25.04": Profile(
        name="25.04",
        product_version="25.04.2.6",
        api_version="v25.04.2",
        api_versions=("v25.04.0", "v25.04.1", "v25.04.2"),
        ping_before_auth=False,
        legacy_jobs_option=False,
        message_ids=False,
        trace_frames=True,
        query_limit_max=None,
        legacy_query_options=True,
        validate_schemas=False,
        mechanism_choices_before_auth=False,
        get_methods_before_auth=True,
        cancel_calls_on_disconnect=False,
        idle_timeout=60.0,
        login_v26=False,
    ),
    "25.10": Profile(
        name="25.10",
        product_version="25.10.5",
        api_version="v25.10.5",
        api_versions=(
            "v25.04.0", "v25.04.1", "v25.04.2", "v25.10.0", "v25.10.1", "v25.10.2", "v25.10.3",
            "v25.10.4", "v25.10.5",
        ),
        ping_before_auth=True,
        legacy_jobs_option=True,
        message_ids=True,
        trace_frames=True,
        query_limit_max=10000,
        legacy_query_options=False,
        validate_schemas=True,
        mechanism_choices_before_auth=False,
        get_methods_before_auth=False,
        cancel_calls_on_disconnect=False,
        idle_timeout=60.0,
        login_v26=False,
    ),
    "26": Profile(
        name="26",
        product_version="26.0.0",
        api_version="v26.0.0",
        api_versions=(
            "v25.04.0", "v25.04.1", "v25.04.2", "v25.10.0", "v25.10.1", "v25.10.2", "v25.10.3",
            "v25.10.4", "v26.0.0",
        ),
        ping_before_auth=True,
        legacy_jobs_option=True,
        message_ids=True,
        trace_frames=False,
        query_limit_max=10000,
        legacy_query_options=False,
        validate_schemas=True,
        mechanism_choices_before_auth=True,
        get_methods_before_auth=False,
        cancel_calls_on_disconnect=True,
        idle_timeout=3600.0,
        login_v26=True,
        schema_set="schemas-26",
    ),
}

NAMES = tuple(PROFILES)

# Patch releases that differ from the newest of their series: same method table as the series
# (``name``), other product version and facts. Chosen with ``get("25.10.0")`` / ``--profile 25.10.0``.
SUB_PROFILES = {
    "25.10.0": dataclasses.replace(
        PROFILES["25.10"],
        product_version="25.10.0",
        api_version="v25.10.0",
        api_versions=("v25.04.0", "v25.04.1", "v25.04.2", "v25.10.0"),
        smb_hosts_and_fcp=False,
    ),
}

ALL_NAMES = NAMES + tuple(SUB_PROFILES)


def get(name):
    """The Profile called ``name`` (a series or a patch release of SUB_PROFILES); ValueError naming the
    choices otherwise."""
    name = str(name)
    found = PROFILES.get(name) or SUB_PROFILES.get(name)
    if found is None:
        raise ValueError("unknown profile %r (choose one of %s)" % (name, ", ".join(ALL_NAMES)))
    return found
