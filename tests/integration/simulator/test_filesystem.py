"""filesystem.stat on the simulator: stat objects of files, dataset mountpoints and directories,
ENOENT for missing paths, parameter validation, and files that other services create or hide."""
import errno

import pytest

from tests.simulator.services import dataset as storage

# tank and the datasets of the default seed were created with the pool: 2025-01-01T00:00:00Z.
TANK_CREATED = 1735689600.0
# The default seed's system build time (2025-10-01T00:00:00Z): the times of / and /mnt.
BUILD_TIME = 1759276800.0
ISO = "/mnt/tank/isos/talos-1.8.iso"


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def error(c, *params):
    msg = c.call("filesystem.stat", *params)
    assert "error" in msg, msg
    err = msg["error"]
    err["data"].pop("trace")
    return err


def times(when):
    return {"atime": when, "mtime": when, "ctime": when, "btime": when}


def test_stat_of_an_iso_file(c):
    assert c.request("filesystem.stat", ISO) == dict({
        "realpath": ISO, "type": "FILE", "size": 104857600, "allocation_size": 104857600, "mode": 0o100644,
        "mount_id": 20588, "uid": 0, "gid": 0, "dev": 201784, "inode": 3377567429, "nlink": 1, "acl": False,
        "is_mountpoint": False, "is_ctldir": False, "attributes": [], "user": "root", "group": "root",
    }, **times(TANK_CREATED))


def test_stat_of_a_dataset_mountpoint(c):
    assert c.request("filesystem.stat", "/mnt/tank/isos") == dict({
        "realpath": "/mnt/tank/isos", "type": "DIRECTORY", "size": 4, "allocation_size": 512, "mode": 0o40755,
        "mount_id": 20588, "uid": 0, "gid": 0, "dev": 201784, "inode": 34, "nlink": 2, "acl": False,
        "is_mountpoint": True, "is_ctldir": False, "attributes": ["MOUNT_ROOT"], "user": "root", "group": "root",
    }, **times(TANK_CREATED))


def test_stat_of_the_pool_root_counts_the_child_datasets(c):
    # apps, isos, media and vms: four entries, all directories.
    assert c.request("filesystem.stat", "/mnt/tank/") == dict({
        "realpath": "/mnt/tank", "type": "DIRECTORY", "size": 6, "allocation_size": 512, "mode": 0o40755,
        "mount_id": 34029, "uid": 0, "gid": 0, "dev": 710186, "inode": 34, "nlink": 6, "acl": False,
        "is_mountpoint": True, "is_ctldir": False, "attributes": ["MOUNT_ROOT"], "user": "root", "group": "root",
    }, **times(TANK_CREATED))


def test_stat_of_mnt_and_root(c):
    assert c.request("filesystem.stat", "/mnt") == dict({
        "realpath": "/mnt", "type": "DIRECTORY", "size": 4, "allocation_size": 512, "mode": 0o40755,
        "mount_id": 15475, "uid": 0, "gid": 0, "dev": 191610, "inode": 4063649, "nlink": 4, "acl": False,
        "is_mountpoint": False, "is_ctldir": False, "attributes": [], "user": "root", "group": "root",
    }, **times(BUILD_TIME))
    root = c.request("filesystem.stat", "/")
    assert (root["type"], root["is_mountpoint"], root["inode"], root["mount_id"]) == ("DIRECTORY", True, 34, 15475)


def test_plain_directory_and_path_normalisation(sim, c):
    sim.run(storage.add_file, sim.state, "/mnt/tank/media/shows/s1/pilot.mkv", 1000)
    sim.run(storage.add_file, sim.state, "/mnt/tank/media/shows/notes.txt", 10)
    assert c.request("filesystem.stat", "/mnt/tank/media/shows") == dict({
        "realpath": "/mnt/tank/media/shows", "type": "DIRECTORY", "size": 4, "allocation_size": 512,
        "mode": 0o40755, "mount_id": 17198, "uid": 0, "gid": 0, "dev": 475315, "inode": 1811426294, "nlink": 3,
        "acl": False, "is_mountpoint": False, "is_ctldir": False, "attributes": [], "user": "root", "group": "root",
    }, **times(TANK_CREATED))
    small = c.request("filesystem.stat", "/mnt/tank/media/../media/shows/./notes.txt")
    assert (small["realpath"], small["type"], small["size"], small["allocation_size"]) == (
        "/mnt/tank/media/shows/notes.txt", "FILE", 10, 512)


@pytest.mark.parametrize("path", [
    "/mnt/tank/isos/missing.iso", "/mnt/nopool/a.iso", "/etc/passwd", "relative/path", "/mnt/tank/isos/a/b.iso",
])
def test_missing_path_is_enoent(c, path):
    assert error(c, path) == {"code": -32001, "message": "Method call error", "data": {
        "error": errno.ENOENT, "errname": "ENOENT", "reason": "[ENOENT] Path %s not found" % path, "extra": None}}


def test_bad_params(sim, c):
    modern = sim.profile.at_least("25.10")

    def invalid(attribute, message):
        return {"code": -32602, "message": "Invalid params", "data": {
            "error": 22, "errname": "EINVAL", "reason": "[EINVAL] %s: %s\n" % (attribute, message),
            "extra": [[attribute, message, 22]]}}

    assert error(c, 5) == invalid("path", "Input should be a valid string" if modern else "Not a string")
    assert error(c, "") == invalid("path", "String should have at least 1 character")
    assert error(c) == invalid("path", "Field required")


def test_raw_image_created_by_a_vm_device_exists(c):
    vm = c.request("vm.create", {"name": "fsprobe", "memory": 512})
    c.request("vm.device.create", {"vm": vm["id"], "attributes": {
        "dtype": "RAW", "path": "/mnt/tank/vms/fsprobe.img", "size": 1048577}})
    image = c.request("filesystem.stat", "/mnt/tank/vms/fsprobe.img")
    assert (image["type"], image["size"], image["allocation_size"], image["nlink"]) == ("FILE", 1048577, 1049088, 1)
    assert c.request("filesystem.stat", "/mnt/tank/vms")["size"] == 3


def test_new_dataset_is_mounted_and_a_locked_one_hides_its_files(sim, c):
    c.request("pool.dataset.create", {"name": "tank/vault", "encryption": True, "inherit_encryption": False,
                                      "encryption_options": {"generate_key": True}})
    created = float(sim.state_dump("datasets")["tank/vault"]["creation"])
    mountpoint = c.request("filesystem.stat", "/mnt/tank/vault")
    assert {k: mountpoint[k] for k in ("type", "is_mountpoint", "inode", "attributes", "btime", "mtime")} == {
        "type": "DIRECTORY", "is_mountpoint": True, "inode": 34, "attributes": ["MOUNT_ROOT"], "btime": created,
        "mtime": created}
    sim.run(storage.add_file, sim.state, "/mnt/tank/vault/secret.txt", 10)
    assert c.request("filesystem.stat", "/mnt/tank/vault/secret.txt")["size"] == 10

    def lock():
        sim.state.data["datasets"]["tank/vault"]["encryption"]["key_loaded"] = False
    sim.run(lock)
    assert error(c, "/mnt/tank/vault/secret.txt")["data"]["reason"] == (
        "[ENOENT] Path /mnt/tank/vault/secret.txt not found")
