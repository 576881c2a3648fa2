"""`ansible-galaxy collection build` gives a tarball with the collection and none of the caches."""
import os
import subprocess
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORBIDDEN = (".venv/", ".cache/", ".ansible/", ".hypothesis/", ".pytest_cache/", "__pycache__/", "tests/output/",
             ".git/", "bench-results.json", ".molecule/")


def test_collection_tarball_has_no_caches(tmp_path):
    subprocess.run([os.path.join(ROOT, ".venv", "bin", "ansible-galaxy"), "collection", "build", "--force",
                    "--output-path", str(tmp_path), ROOT], check=True, capture_output=True, text=True)
    (tarball,) = tmp_path.glob("nasops-truenas-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert [n for n in names if any(part in n + "/" for part in FORBIDDEN)] == []
    for expected in ("MANIFEST.json", "README.md", "meta/runtime.yml", "plugins/modules/truenas_vm.py",
                     "plugins/inventory/truenas.py", "roles/k8s_cluster_vms/tasks/main.yml", "LICENSE"):
        assert expected in names, expected
