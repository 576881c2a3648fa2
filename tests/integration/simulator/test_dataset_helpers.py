"""The storage helpers other simulator services use, the choice methods, and the dataset/file seed
sections."""
import copy

import pytest

from tests.simulator.pytest_plugin import SimCallError
from tests.simulator.server import CallContext
from tests.simulator.services import dataset as storage
from tests.simulator.state import DEFAULT_SEED, load_seed_file

GiB = 1024 ** 3
SEED = load_seed_file(DEFAULT_SEED)


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


@pytest.mark.sim_profiles("25.10")
def test_lookup_helpers(sim, c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": GiB, "sparse": True})
    state = sim.state
    assert sim.run(lambda: (storage.dataset_exists(state, "tank/vms"), storage.dataset_exists(state, "tank/no"))) == (
        True, False)
    assert sim.run(lambda: (storage.is_volume(state, "tank/vms/disk0"), storage.is_volume(state, "tank/vms"),
                            storage.is_volume(state, "tank/no"))) == (True, False, False)
    assert sim.run(storage.effective_property, state, "tank/vms", "compression") == ("lz4", "INHERITED", "tank")
    assert sim.run(storage.effective_property, state, "tank/isos", "recordsize") == ("1048576", "LOCAL", None)
    assert storage.zvol_path("tank/vms/my disk") == "/dev/zvol/tank/vms/my+disk"
    assert sim.run(lambda: storage.get_dataset(state, "tank/vms")["type"]) == "FILESYSTEM"


@pytest.mark.sim_profiles("25.10")
def test_files_registry(sim):
    state = sim.state
    iso = "/mnt/tank/isos/ubuntu-24.04.iso"
    assert sim.run(storage.list_files, state) == ["/mnt/tank/isos/talos-1.8.iso", iso]
    assert sim.run(lambda: [storage.path_type(state, p) for p in (
        iso, "/mnt/tank/isos", "/mnt/tank/isos/missing.iso", "/mnt/tank", "/mnt", "/etc/passwd",
        "/mnt/nopool/x", "relative/path")]) == ["FILE", "DIRECTORY", None, "DIRECTORY", "DIRECTORY", None, None, None]
    assert sim.run(storage.dataset_for_path, state, "/mnt/tank/isos/a/b.iso") == "tank/isos"
    assert sim.run(storage.dataset_for_path, state, "/var/tmp") is None
    entry = sim.run(storage.add_file, state, "/mnt/tank/media/shows/pilot.mkv", 1234)
    assert entry == {"path": "/mnt/tank/media/shows/pilot.mkv", "type": "FILE", "size": 1234}
    assert sim.run(storage.path_type, state, "/mnt/tank/media/shows") == "DIRECTORY"
    with pytest.raises(ValueError):
        sim.run(storage.add_file, state, "/srv/outside.iso")
    assert sim.run(storage.remove_file, state, "/mnt/tank/media/shows") == 1
    assert sim.run(storage.path_exists, state, "/mnt/tank/media/shows/pilot.mkv") is False


@pytest.mark.sim_profiles("25.10")
def test_files_in_a_locked_dataset_are_hidden(sim, c):
    c.request("pool.dataset.create", {"name": "tank/vault", "encryption": True, "inherit_encryption": False,
                                      "encryption_options": {"generate_key": True}})
    state = sim.state
    sim.run(storage.add_file, state, "/mnt/tank/vault/secret.txt", 10)
    assert sim.run(storage.path_exists, state, "/mnt/tank/vault/secret.txt") is True

    def lock():
        state.data["datasets"]["tank/vault"]["encryption"]["key_loaded"] = False
    sim.run(lock)
    assert sim.run(lambda: (storage.is_locked(state, "tank/vault"), storage.path_exists(state, "/mnt/tank/vault"),
                            storage.path_exists(state, "/mnt/tank/vault/secret.txt"))) == (True, True, False)


@pytest.mark.sim_profiles("25.04", "25.10")
def test_zvol_created_by_another_service(sim):
    def from_service():
        ctx = CallContext(sim, None)
        return ctx.call("pool.dataset.create", {"name": "tank/vms/vm1-disk", "type": "VOLUME", "volsize": 20 * GiB,
                                                "volblocksize": "16K"})
    entry = sim.run(from_service)
    assert (entry["id"], entry["type"], entry["volsize"]["parsed"]) == ("tank/vms/vm1-disk", "VOLUME", 20 * GiB)

    def bad_size():
        return CallContext(sim, None).call("pool.dataset.create", {"name": "tank/vms/vm2-disk", "type": "VOLUME",
                                                                   "volsize": 20 * GiB + 1})
    with pytest.raises(Exception) as exc:
        sim.run(bad_size)
    assert exc.value.errors == [("pool_dataset_create.volsize", "Volume size should be a multiple of volume block size",
                                 22)]


def test_choices(c):
    assert c.request("pool.dataset.recordsize_choices") == [
        "512", "512B", "1K", "2K", "4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1M", "2M", "4M", "8M", "16M"]
    compression = c.request("pool.dataset.compression_choices")
    assert compression["LZ4"] == "LZ4" and compression["ZSTD-FAST-1000"] == "ZSTD-FAST-1000"
    assert len(compression) == 50 and "INHERIT" not in compression
    assert c.request("pool.dataset.checksum_choices") == {
        "ON": "ON", "FLETCHER2": "FLETCHER2", "FLETCHER4": "FLETCHER4", "SHA256": "SHA256", "SHA512": "SHA512",
        "SKEIN": "SKEIN", "EDONR": "EDONR", "BLAKE3": "BLAKE3"}
    assert c.request("pool.dataset.recommended_zvol_blocksize", "tank") == "16K"
    with pytest.raises(SimCallError) as exc:
        c.request("pool.dataset.recommended_zvol_blocksize", "nopool")
    assert exc.value.error["data"]["reason"] == "[ENOENT] nopool: pool does not exist"


def test_recommended_blocksize_grows_with_raidz_width(sim_factory, sim_client):
    seed = copy.deepcopy(SEED)
    seed["disks"] += [{"name": "sd%s" % x, "size": 10 ** 12} for x in "ghijklmnop"]
    seed["pools"] += [
        {"name": "z5", "topology": {"data": [{"type": "RAIDZ1", "disks": ["sdg", "sdh", "sdi", "sdj", "sdk", "sdl"]}]}},
        {"name": "z3", "topology": {"data": [{"type": "RAIDZ2", "disks": ["sdm", "sdn", "sdo", "sdp"]}]}},
    ]
    c = sim_client(sim_factory("25.10", tls=False, seed=seed), login=True)
    assert c.request("pool.dataset.recommended_zvol_blocksize", "z5") == "32K"
    assert c.request("pool.dataset.recommended_zvol_blocksize", "z3") == "16K"


def test_seed_sections(sim_factory, sim_client):
    seed = copy.deepcopy(SEED)
    seed["datasets"] += [
        {"name": "tank/vms/web", "volsize": "20G", "used": "3G", "comments": "web server disk"},
        {"name": "tank/vms/thin", "type": "VOLUME", "volsize": 1073741824, "sparse": True, "volblocksize": "64K"},
        {"name": "tank/secure", "encryption": {"passphrase": "seeded passphrase", "locked": True}},
        {"name": "tank/secure/docs", "used": "1.5G", "properties": {"quota": "10G", "atime": "OFF"},
         "user_properties": {"org.example:owner": "ops"},
         "snapshots": ["first", {"name": "held", "holds": ["truenas"], "properties": {"org.example:why": "audit"}}]},
    ]
    seed["files"] += ["/mnt/tank/media/readme.txt", {"path": "/mnt/tank/media/shows", "type": "directory"}]
    server = sim_factory("25.10", tls=False, seed=seed)
    c = sim_client(server, login=True)
    web = c.request("pool.dataset.get_instance", "tank/vms/web")
    assert (web["type"], web["volsize"]["parsed"], web["usedbydataset"]["parsed"]) == ("VOLUME", 20 * GiB, 3 * GiB)
    assert web["refreservation"]["parsed"] == 20 * GiB + (7 + 1280 + 2 + 1) * 2 * 131072
    assert web["user_properties"]["comments"]["value"] == "web server disk"
    assert web["creation"]["parsed"] == {"$date": 1735689600000}
    thin = c.request("pool.dataset.get_instance", "tank/vms/thin")
    assert (thin["volblocksize"]["value"], thin["refreservation"]["parsed"]) == ("64K", None)
    docs = c.request("pool.dataset.get_instance", "tank/secure/docs")
    assert (docs["locked"], docs["encryption_root"], docs["usedbydataset"]["parsed"]) == (True, "tank/secure",
                                                                                          1610612736)
    assert (docs["quota"]["parsed"], docs["atime"]["value"]) == (10 * GiB, "OFF")
    assert docs["user_properties"]["org.example:owner"]["value"] == "ops"
    snaps = c.request("pool.snapshot.query", [["dataset", "=", "tank/secure/docs"]], {"extra": {"holds": True}})
    assert [(s["snapshot_name"], s["holds"], s["properties"].get("org.example:why", {}).get("value")) for s in snaps] == [
        ("first", {}, None), ("held", {"truenas": 1735689600}, "audit")]
    state = server.state
    assert server.run(storage.path_type, state, "/mnt/tank/media/shows") == "DIRECTORY"
    assert server.run(storage.path_type, state, "/mnt/tank/media/readme.txt") == "FILE"


def test_seed_errors_name_the_problem(tmp_path):
    from tests.simulator.state import State

    state = State()
    bad = copy.deepcopy(SEED)
    bad["datasets"] = [{"name": "tank/a/b"}]
    with pytest.raises(ValueError) as exc:
        state.load_seed(bad)
    assert str(exc.value) == "seed dataset tank/a/b: parent tank/a is missing"
    bad = copy.deepcopy(SEED)
    bad["datasets"] = [{"name": "nopool/a"}]
    with pytest.raises(ValueError) as exc:
        state.load_seed(bad)
    assert str(exc.value) == "seed dataset nopool/a: pool nopool is not in the pools section"
    bad = copy.deepcopy(SEED)
    bad["files"] = ["/srv/x.iso"]
    with pytest.raises(ValueError) as exc:
        state.load_seed(bad)
    assert str(exc.value) == "/srv/x.iso is not inside a dataset"


def test_size_and_time_parsing():
    assert [storage.parse_size(v) for v in (512, "512", "1K", "1.5G", "10GiB", "2 TB", "3m")] == [
        512, 512, 1024, 1610612736, 10737418240, 2199023255552, 3145728]
    with pytest.raises(ValueError):
        storage.parse_size("lots")
    with pytest.raises(ValueError):
        storage.parse_size(True)
    assert [storage.nicenum(n, suffix_bytes=True) for n in (0, 512, 98304, 1536, 10737418240, 7864128667648)] == [
        "0B", "512B", "96K", "1.50K", "10G", "7.15T"]
    assert [storage.human_binary(n) for n in (0, 1, 512, 1536, 10737418240, 1099511627776 * 1500)] == [
        "0 bytes", "1 byte", "512 bytes", "1.5 KiB", "10 GiB", "1.46 PiB"]
    assert storage.ctime_text(1755475200) == "Mon Aug 18  0:00 2025"
    assert storage.parse_time("2025-01-01T00:00:00Z") == 1735689600
