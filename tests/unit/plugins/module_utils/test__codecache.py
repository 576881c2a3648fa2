# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compiled-code cache used when a module runs from its Ansible zip payload."""

import json
import marshal
import os
import subprocess
import sys
import textwrap
import zipfile

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils import _codecache
from ansible_collections.nasops.truenas.plugins.module_utils._codecache import CodeCache, cache_directory, install

PACKAGE_DIR = "ansible_collections/nasops/truenas/plugins/module_utils"
SOURCE = b"VALUE = 6 * 7\n\ndef double(x):\n    return 2 * x\n"


def run_code(code):
    namespace = {}
    exec(code, namespace)  # pylint: disable=exec-used
    return namespace["VALUE"], namespace["double"](21)


# ---- where the cache lives -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "off", "false", "No", " OFF "])
def test_cache_can_be_turned_off(value):
    assert cache_directory({_codecache.DISABLE_ENV: value, "XDG_CACHE_HOME": "/x"}) is None


def test_cache_directory_under_xdg_cache_home(monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", None)
    assert cache_directory({"XDG_CACHE_HOME": "/var/cache/me"}) == "/var/cache/me/nasops.truenas/code"


def test_relative_xdg_cache_home_is_ignored(monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setenv("HOME", "/home/op")
    assert cache_directory({"XDG_CACHE_HOME": "relative/dir"}) == "/home/op/.cache/nasops.truenas/code"


def test_pycache_prefix_wins(monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", "/srv/pyc")
    assert cache_directory({"XDG_CACHE_HOME": "/var/cache/me"}) == "/srv/pyc/nasops.truenas/code"


# ---- the cache -----------------------------------------------------------------------------


def test_round_trip_and_directory_mode(tmp_path):
    cache = CodeCache(str(tmp_path / "cache" / "code"))
    assert cache.load("_alpha", SOURCE) is None
    cache.store("_alpha", SOURCE, compile(SOURCE, "_alpha.py", "exec"))
    assert oct(os.stat(cache.directory).st_mode & 0o777) == "0o700"
    (entry,) = os.listdir(cache.directory)
    assert entry.startswith("_alpha.%s-" % sys.implementation.cache_tag) and entry.endswith(".code")
    assert oct(os.stat(os.path.join(cache.directory, entry)).st_mode & 0o777) == "0o600"
    assert run_code(CodeCache(cache.directory).load("_alpha", SOURCE)) == (42, 42)


def test_a_changed_source_misses_and_replaces_only_its_own_entry(tmp_path):
    cache = CodeCache(str(tmp_path))
    changed = SOURCE.replace(b"6 * 7", b"6 * 8")
    for name, source in (("_resources", b""), ("_resources.dataset", SOURCE), ("_alpha", SOURCE)):
        cache.store(name, source, compile(source, name, "exec"))
    assert cache.load("_alpha", changed) is None
    cache.store("_alpha", changed, compile(changed, "_alpha.py", "exec"))
    assert run_code(cache.load("_alpha", changed))[0] == 48
    assert cache.load("_alpha", SOURCE) is None
    names = sorted(entry.partition(".%s-" % sys.implementation.cache_tag)[0] for entry in os.listdir(str(tmp_path)))
    assert names == ["_alpha", "_resources", "_resources.dataset"]


def stored(tmp_path):
    cache = CodeCache(str(tmp_path))
    cache.store("_alpha", SOURCE, compile(SOURCE, "_alpha.py", "exec"))
    return cache, cache.path("_alpha", SOURCE)


@pytest.mark.parametrize("content", [b"", b"\x00garbage", marshal.dumps(42), marshal.dumps(("not", "code"))])
def test_damaged_entries_are_misses(tmp_path, content):
    cache, path = stored(tmp_path)
    with open(path, "wb") as handle:
        handle.write(content)
    assert cache.load("_alpha", SOURCE) is None


def flip_bytes(path, positions=(-1, -40, -200)):
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    for position in positions:
        data[position] ^= 0xFF
    with open(path, "wb") as handle:
        handle.write(bytes(data))


def test_an_entry_with_flipped_bytes_is_a_miss_and_is_replaced(tmp_path):
    cache, path = stored(tmp_path)
    flip_bytes(path)
    assert cache.load("_alpha", SOURCE) is None
    cache.store("_alpha", SOURCE, compile(SOURCE, "_alpha.py", "exec"))
    assert run_code(cache.load("_alpha", SOURCE)) == (42, 42)


def test_a_truncated_entry_is_a_miss(tmp_path):
    cache, path = stored(tmp_path)
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data[:len(data) // 2])
    assert cache.load("_alpha", SOURCE) is None


def test_an_entry_without_the_checksum_header_is_a_miss(tmp_path):
    """Entries of the earlier format (bare marshal data) are not trusted either."""
    cache, path = stored(tmp_path)
    with open(path, "wb") as handle:
        handle.write(marshal.dumps(compile(SOURCE, "_alpha.py", "exec")))
    assert cache.load("_alpha", SOURCE) is None


def test_any_error_while_unmarshalling_is_a_miss(tmp_path, monkeypatch):
    """Damaged marshal data can make ``marshal.loads`` raise SystemError ("bad argument to internal
    function"), not only ValueError/EOFError."""
    cache, _path = stored(tmp_path)

    def broken(data):
        raise SystemError("Objects/codeobject.c:250: bad argument to internal function")

    monkeypatch.setattr(_codecache.marshal, "loads", broken)
    assert cache.load("_alpha", SOURCE) is None


def test_an_entry_others_may_write_is_not_trusted(tmp_path):
    cache, path = stored(tmp_path)
    os.chmod(path, 0o620)
    assert CodeCache(str(tmp_path)).load("_alpha", SOURCE) is None


@pytest.mark.parametrize("mode", [0o770, 0o707])
def test_a_directory_others_may_write_is_not_used(tmp_path, mode):
    directory = tmp_path / "shared"
    directory.mkdir()
    os.chmod(str(directory), mode)
    cache = CodeCache(str(directory))
    cache.store("_alpha", SOURCE, compile(SOURCE, "_alpha.py", "exec"))
    assert os.listdir(str(directory)) == []
    assert cache.load("_alpha", SOURCE) is None


def test_a_directory_of_another_user_is_not_used(tmp_path, monkeypatch):
    cache, _path = stored(tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(str(tmp_path)).st_uid + 1)
    assert CodeCache(str(tmp_path)).load("_alpha", SOURCE) is None


def test_a_symlinked_directory_is_not_used(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    cache = CodeCache(str(tmp_path / "link"))
    cache.store("_alpha", SOURCE, compile(SOURCE, "_alpha.py", "exec"))
    assert os.listdir(str(real)) == []


def test_an_unwritable_location_is_no_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = CodeCache(str(blocker / "code"))
    cache.store("_alpha", SOURCE, compile(SOURCE, "_alpha.py", "exec"))
    assert cache.load("_alpha", SOURCE) is None


def test_no_directory_means_no_cache():
    cache = CodeCache(None)
    cache.store("_alpha", SOURCE, compile(SOURCE, "_alpha.py", "exec"))
    assert cache.load("_alpha", SOURCE) is None


# ---- the finder ----------------------------------------------------------------------------


def test_outside_a_zip_payload_nothing_is_installed():
    before = list(sys.meta_path)
    assert install() is None
    assert install(loader=object()) is None
    assert sys.meta_path == before


PAYLOAD_MODULES = {
    "_alpha.py": """
        from ansible_collections.nasops.truenas.plugins.module_utils._pkg.beta import BETA
        ALPHA = "alpha+" + BETA
    """,
    "_pkg/__init__.py": """
        PKG = True
    """,
    "_pkg/beta.py": """
        BETA = "beta"
    """,
    "_broken.py": """
        def explode():
            raise RuntimeError("the source line of this error is shown")
    """,
}

RUNNER = r'''
import builtins, json, sys, traceback
compiled = []
real_compile = builtins.compile
def counting_compile(source, filename, *args, **kwargs):
    if "module_utils/" in str(filename):
        compiled.append(str(filename).rpartition("module_utils/")[2])
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = counting_compile
sys.path.insert(0, sys.argv[1])
from ansible_collections.nasops.truenas.plugins.module_utils import _codecache
del compiled[:]  # the package and _codecache itself are loaded by zipimport; count what follows
from ansible_collections.nasops.truenas.plugins.module_utils import _alpha, _broken
from ansible_collections.nasops.truenas.plugins.module_utils._pkg import PKG
try:
    _broken.explode()
except RuntimeError:
    text = traceback.format_exc()
print(json.dumps({"alpha": _alpha.ALPHA, "pkg": PKG, "compiled": sorted(compiled), "traceback": text,
                  "finders": sum(type(f).__name__ == "Finder" for f in sys.meta_path),
                  "alpha_file": _alpha.__file__, "pkg_path": list(sys.modules[_alpha.__name__.rpartition(".")[0] + "._pkg"].__path__)}))
'''


@pytest.fixture
def payload(tmp_path):
    """A zip laid out like an AnsiballZ payload holding _codecache and a few modules."""
    path = tmp_path / "payload.zip"
    with zipfile.ZipFile(str(path), "w", zipfile.ZIP_DEFLATED) as archive:
        for package in ("ansible_collections", "ansible_collections/nasops", "ansible_collections/nasops/truenas",
                        "ansible_collections/nasops/truenas/plugins", PACKAGE_DIR):
            archive.writestr(package + "/__init__.py", "")
        archive.write(_codecache.__file__, PACKAGE_DIR + "/_codecache.py")
        for name, text in PAYLOAD_MODULES.items():
            archive.writestr(PACKAGE_DIR + "/" + name, textwrap.dedent(text))
    return path


def run_payload(payload, tmp_path, **env):
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    run_env = dict((k, v) for k, v in os.environ.items() if k not in ("PYTHONPATH", _codecache.DISABLE_ENV))
    run_env.update(env)
    proc = subprocess.run([sys.executable, "-s", str(script), str(payload)], env=run_env,
                          capture_output=True, text=True, timeout=60, check=False, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_payload_modules_are_compiled_once_then_loaded_from_the_cache(payload, tmp_path):
    xdg = tmp_path / "xdg"
    first = run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg))
    assert first["alpha"] == "alpha+beta" and first["pkg"] is True and first["finders"] == 1
    # zipimport would compile each of them twice
    assert first["compiled"] == [
        "_alpha.py", "_broken.py", "_pkg/__init__.py", "_pkg/beta.py"]
    entries = sorted(entry.partition(".%s-" % sys.implementation.cache_tag)[0]
                     for entry in os.listdir(str(xdg / "nasops.truenas" / "code")))
    assert entries == ["_alpha", "_broken", "_pkg", "_pkg.beta"]

    second = run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg))
    assert second["alpha"] == "alpha+beta"
    assert second["compiled"] == []
    assert second["alpha_file"].endswith("payload.zip/%s/_alpha.py" % PACKAGE_DIR)
    assert second["pkg_path"] == [str(payload) + "/" + PACKAGE_DIR + "/_pkg"]


def test_corrupted_entries_are_compiled_again_and_replaced(payload, tmp_path):
    """Bytes flipped in every cached entry: the next run still works (it compiles instead) and
    writes good entries again, which the run after it loads."""
    xdg = tmp_path / "xdg"
    run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg))
    directory = xdg / "nasops.truenas" / "code"
    entries = sorted(os.listdir(str(directory)))
    for entry in entries:
        flip_bytes(str(directory / entry), positions=(-1, -20))

    damaged = run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg))
    assert damaged["alpha"] == "alpha+beta" and damaged["pkg"] is True
    assert damaged["compiled"] == ["_alpha.py", "_broken.py", "_pkg/__init__.py", "_pkg/beta.py"]
    assert sorted(os.listdir(str(directory))) == entries

    repaired = run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg))
    assert repaired["alpha"] == "alpha+beta"
    assert repaired["compiled"] == []


def test_tracebacks_of_cached_code_show_the_source(payload, tmp_path):
    xdg = tmp_path / "xdg"
    run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg))
    text = run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg))["traceback"]
    assert 'File "%s/_broken.py", line 3, in explode' % PACKAGE_DIR in text
    assert 'raise RuntimeError("the source line of this error is shown")' in text


def test_with_the_cache_off_nothing_is_written_and_each_module_compiles_once(payload, tmp_path):
    xdg = tmp_path / "xdg"
    for _run in (1, 2):
        result = run_payload(payload, tmp_path, XDG_CACHE_HOME=str(xdg), **{_codecache.DISABLE_ENV: "0"})
        assert result["alpha"] == "alpha+beta"
        assert result["compiled"] == [
            "_alpha.py", "_broken.py", "_pkg/__init__.py", "_pkg/beta.py"]
    assert not xdg.exists()
