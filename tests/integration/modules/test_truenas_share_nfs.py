# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_share_nfs run by ansible-playbook against the simulator, on every profile.

The playbook runs CHECK -> apply -> idempotent CHECK -> idempotent for create, update and
delete, plus bad-input and server-validation failures. Between steps it reads the simulator's
state file (written on every change) to check TrueNAS itself, never the module's own output.
Afterwards the simulator's call log shows which mutating calls really reached the server.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.simulator.profiles import NAMES

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.timeout(180)

PLAYBOOK = r"""
- name: truenas_share_nfs against the simulator
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/nasops.truenas.truenas:
      url: "{{ sim_url }}"
      api_key: "{{ sim_api_key }}"
      username: "{{ sim_username }}"
      ca_path: "{{ sim_ca }}"
  vars:
    share_path: /mnt/tank/media
    bad_network_msg: "networks: '10.0.0.300' is not a valid IPv4 or IPv6 network"
    bad_user_msg: "Failed to update NFS share '/mnt/tank/media': maproot_user: User not found: nosuchuser"
    # Out of band: the simulator's own state, re-read every time these are used.
    truenas: "{{ lookup('ansible.builtin.file', state_file) | from_json }}"
    ours: "{{ truenas.data.nfs_shares | default({}) | dict2items | map(attribute='value')
              | selectattr('path', 'equalto', share_path) | list }}"
  tasks:
    - name: Create (check mode)
      nasops.truenas.truenas_share_nfs: &create
        path: "{{ share_path }}"
        comment: Media library
        networks: [10.0.0.5, 192.168.7.9/24]
        hosts: [client1.example.com]
        readonly: true
        security: [sys]
      check_mode: true
      diff: true
      register: create_check

    - name: Check mode created nothing
      ansible.builtin.assert:
        that:
          - create_check is changed
          - ours | length == 0
          - create_check.diff.before == {}
          - create_check.diff.after.path == share_path
          - create_check.nfs_share.networks == ['10.0.0.5/32', '192.168.7.0/24']

    - name: Create
      nasops.truenas.truenas_share_nfs: *create
      diff: true
      register: create

    - name: The share exists on TrueNAS as requested
      ansible.builtin.assert:
        that:
          - create is changed
          - ours | length == 1
          - ours[0].id == create.nfs_share.id
          - ours[0].comment == 'Media library'
          - ours[0].networks == ['10.0.0.5/32', '192.168.7.0/24']
          - ours[0].hosts == ['client1.example.com']
          - ours[0].ro
          - ours[0].security == ['SYS']
          - ours[0].enabled
          - create.nfs_share.readonly
          - create.diff.after.readonly
          - (truenas_version == '26') == ('dataset' in create.nfs_share)

    - name: Create again (check mode)
      nasops.truenas.truenas_share_nfs: *create
      check_mode: true
      register: create_check_again

    - name: Create again
      nasops.truenas.truenas_share_nfs: *create
      register: create_again

    - name: Both are unchanged
      ansible.builtin.assert:
        that:
          - create_check_again is not changed
          - create_again is not changed
          - create_again.nfs_share == create.nfs_share

    - name: Update (check mode)
      nasops.truenas.truenas_share_nfs: &update
        path: "{{ share_path }}"
        readonly: false
        networks: [192.168.7.0/24, 10.0.0.5/32, 10.9.0.0/16]
        maproot_user: admin
      check_mode: true
      diff: true
      register: update_check

    - name: Check mode changed nothing
      ansible.builtin.assert:
        that:
          - update_check is changed
          - update_check.diff.before.readonly
          - not update_check.diff.after.readonly
          - ours[0].ro
          - ours[0].maproot_user is none
          - ours[0].networks | length == 2

    - name: Update
      nasops.truenas.truenas_share_nfs: *update
      register: update

    - name: The share is updated on TrueNAS
      ansible.builtin.assert:
        that:
          - update is changed
          - not ours[0].ro
          - ours[0].maproot_user == 'admin'
          - ours[0].networks | sort == ['10.0.0.5/32', '10.9.0.0/16', '192.168.7.0/24']
          - ours[0].comment == 'Media library'
          - update.nfs_share.id == create.nfs_share.id

    - name: Update again (check mode)
      nasops.truenas.truenas_share_nfs: *update
      check_mode: true
      register: update_check_again

    - name: Update again
      nasops.truenas.truenas_share_nfs: *update
      register: update_again

    - name: Both are unchanged
      ansible.builtin.assert:
        that:
          - update_check_again is not changed
          - update_again is not changed

    - name: Bad input is refused before anything is sent
      nasops.truenas.truenas_share_nfs:
        path: "{{ share_path }}"
        networks: [10.0.0.300]
      register: bad_network
      ignore_errors: true

    - name: A server-side validation error names the option
      nasops.truenas.truenas_share_nfs:
        path: "{{ share_path }}"
        maproot_user: nosuchuser
      register: bad_user
      ignore_errors: true

    - name: Both failed clearly and TrueNAS is unchanged
      ansible.builtin.assert:
        that:
          - bad_network is failed
          - bad_network.msg == bad_network_msg
          - bad_user is failed
          - bad_user is not changed
          - bad_user.msg == bad_user_msg
          - bad_user.error.errors[0].option == 'maproot_user'
          - ours[0].maproot_user == 'admin'

    - name: Delete (check mode)
      nasops.truenas.truenas_share_nfs: &delete
        path: "{{ share_path }}"
        state: absent
      check_mode: true
      diff: true
      register: delete_check

    - name: Check mode deleted nothing
      ansible.builtin.assert:
        that:
          - delete_check is changed
          - delete_check.diff.after == {}
          - ours | length == 1

    - name: Delete
      nasops.truenas.truenas_share_nfs: *delete
      register: delete

    - name: The share is gone from TrueNAS
      ansible.builtin.assert:
        that:
          - delete is changed
          - delete.nfs_share == {}
          - ours | length == 0

    - name: Delete again (check mode)
      nasops.truenas.truenas_share_nfs: *delete
      check_mode: true
      register: delete_check_again

    - name: Delete again
      nasops.truenas.truenas_share_nfs: *delete
      register: delete_again

    - name: Both are unchanged
      ansible.builtin.assert:
        that:
          - delete_check_again is not changed
          - delete_again is not changed
"""


@pytest.fixture
def collections_path(tmp_path):
    """An ANSIBLE_COLLECTIONS_PATH holding this checkout as nasops.truenas."""
    link = tmp_path / "collections" / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return tmp_path / "collections"


@pytest.mark.parametrize("profile", NAMES)
def test_share_nfs_playbook(profile, sim_factory, tmp_path, collections_path):
    state_file = tmp_path / "state.json"
    server = sim_factory(profile, state_file=str(state_file))
    playbook = tmp_path / "share_nfs.yml"
    playbook.write_text(PLAYBOOK)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({
        "sim_url": server.url,
        "sim_api_key": server.credentials["api_key"],
        "sim_username": server.credentials["username"],
        "sim_ca": server.ca_file,
        "state_file": str(state_file),
        "truenas_version": profile,
    }))
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("TRUENAS_", "ANSIBLE_")):
            del env[name]
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / "ansible-home"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    server.reset_counters()
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook), "-e", "@%s" % extra],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=170, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "failed=0" in output
    assert server.credentials["api_key"] not in output

    # Out of band: exactly one create, one update and one delete reached TrueNAS; every check-mode
    # run, idempotent run and refused input made none.
    assert len(server.calls("sharing.nfs.create")) == 1
    assert len(server.calls("sharing.nfs.delete")) == 1
    updates = server.calls("sharing.nfs.update")
    assert len(updates) == 2  # the real update, and the one TrueNAS refused (unknown user)
    assert server.state_dump("nfs_shares") == {}
