# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Execution-environment metadata: what ansible-builder reads from the collection, and the
example EE definition in docs/examples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "execution-environment.yml"
ORIGIN = "  # from collection nasops.truenas"

EXPECTED_PYTHON = ["websocket-client>=1.6.0" + ORIGIN]
EXPECTED_SYSTEM = ["ca-certificates" + ORIGIN]

pytestmark = pytest.mark.timeout(120)


def ansible_builder():
    """The ansible-builder next to this interpreter (the project's venv), else on PATH."""
    candidate = Path(sys.executable).parent / "ansible-builder"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("ansible-builder")
    assert found, "ansible-builder is not installed: run 'make venv' (test-requirements.txt lists it)"
    return found


def run_builder(*args, cwd):
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run([ansible_builder(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=90, check=False)
    assert proc.returncode == 0, "ansible-builder %s failed:\n%s\n%s" % (args[0], proc.stdout, proc.stderr)
    return proc.stdout


@pytest.fixture(scope="module")
def collections_dir(tmp_path_factory):
    """A collections path holding only this checkout as ansible_collections/nasops/truenas."""
    top = tmp_path_factory.mktemp("ee-collections")
    link = top / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return top


@pytest.fixture(scope="module")
def introspection(collections_dir):
    out = run_builder("introspect", "--sanitize", str(collections_dir), cwd=collections_dir)
    return yaml.safe_load(out)


def test_introspect_lists_exactly_websocket_client(introspection):
    assert introspection["python"] == EXPECTED_PYTHON


def test_python_requirement_has_only_a_lower_bound(introspection):
    (line,) = introspection["python"]
    requirement = Requirement(line.split("#", 1)[0].strip())
    assert requirement.name == "websocket-client"
    assert [(spec.operator, spec.version) for spec in requirement.specifier] == [(">=", "1.6.0")]
    assert requirement.marker is None
    assert requirement.extras == set()


def test_introspect_lists_the_bindep_entries(introspection):
    assert introspection["system"] == EXPECTED_SYSTEM


def test_ee_metadata_points_at_the_requirement_files():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta == {
        "version": 1,
        "dependencies": {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"},
    }


@pytest.mark.parametrize("profiles", [
    ["platform:rpm", "platform:centos", "platform:redhat"],
    ["platform:dpkg", "platform:debian", "platform:ubuntu"],
])
def test_bindep_selects_ca_certificates_on_rpm_and_dpkg_platforms(profiles):
    depends = Depends((ROOT / "meta" / "ee-bindep.txt").read_text())
    assert depends.active_rules(profiles) == [("ca-certificates", [], [])]


def test_example_definition_builds_a_context_with_the_collection(tmp_path):
    context = tmp_path / "context"
    run_builder("create", "--file", str(EXAMPLE), "--context", str(context),
                "--output-filename", "Containerfile", cwd=tmp_path)

    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert galaxy == {"collections": [{"name": "nasops.truenas", "version": ">=0.1.0"}]}

    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.17,<2.20 ansible-runner>=2.4"' in containerfile
    # The collection's own dependencies come from introspecting it inside the build.
    assert "introspect.py introspect" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "LABEL ansible-execution-environment=true" in containerfile
