#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_dataset
short_description: Manage ZFS datasets and volumes (zvols) on TrueNAS SCALE
version_added: 0.1.0
description:
  - Create, update and delete ZFS filesystems and volumes (zvols) on TrueNAS SCALE 25.04, 25.10 and 26.
  - A dataset is identified by its full O(name), such as C(tank/apps/db). Options that are not set are left as they
    are on an existing dataset; a new dataset gets the TrueNAS defaults, or inherits from its parent.
  - A value equal to what the dataset already has is no change, whether the dataset has it set locally or inherits
    it. For example O(compression=lz4) on a dataset that inherits C(LZ4) from its parent changes nothing, and does not
    set the property locally.
  - Sizes accept a number of bytes or a human size such as V(10G), V(10GiB), V(1.5T) or V(512M). Every multiple is
    binary (V(1K) is 1024 bytes).
  - Choices are case-insensitive (V(lz4) and V(LZ4) are the same); the module returns them upper case, as TrueNAS
    does.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Full name of the dataset, pool first, for example V(tank/apps/db).
      - A pool's root dataset (V(tank)) can be updated, but not created or deleted.
    type: str
    required: true
  state:
    description:
      - V(present) creates the dataset or updates it to match the options given.
      - V(absent) deletes the dataset if it exists. A dataset with child datasets or snapshots needs O(recursive=true).
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - V(filesystem) or V(volume) (a zvol; V(zvol) is accepted too).
      - Defaults to V(volume) when O(volsize) is set, else V(filesystem). Only set when the dataset is created; a
        different type on an existing dataset is an error.
    type: str
  volsize:
    description:
      - Size of a volume. Setting it without O(type) makes a new dataset a volume.
      - Rounded up to a multiple of the volume block size (O(volblocksize), the block size of the existing volume, or
        the block size TrueNAS recommends for the pool), because TrueNAS requires a multiple of it.
      - A volume can only grow; a smaller size is an error. TrueNAS also refuses a new size above 80% of the space
        available to it.
    type: raw
  volblocksize:
    description:
      - Block size of a volume, a power of two from V(512) to V(128K).
      - Only set when the volume is created. When not set, a new volume gets the block size TrueNAS recommends for
        its pool (C(pool.dataset.recommended_zvol_blocksize), as the web interface does).
    type: raw
  sparse:
    description:
      - Create the volume without reserving its space (thin provisioning). Only set when the volume is created.
      - TrueNAS 25.10 and later do not report it; the module reads a volume as sparse when its reservation is smaller
        than its size.
    type: bool
  comments:
    description:
      - Free-form description of the dataset. An empty string means no description.
    type: str
  compression:
    description:
      - Compression algorithm, for example V(lz4), V(zstd), V(zstd-3), V(gzip-9), V(off) or V(inherit).
    type: raw
  atime:
    description:
      - Update access times on reads. V(true), V(false) or V(inherit). Filesystems only.
    type: raw
  exec:
    description:
      - Allow executing programs from the dataset. V(true), V(false) or V(inherit).
    type: raw
  readonly:
    description:
      - Make the dataset read-only. V(true), V(false) or V(inherit).
    type: raw
  recordsize:
    description:
      - Record size of a filesystem, a power of two from V(512) to V(16M), such as V(128K) or V(1M); or V(inherit).
    type: raw
  sync:
    description:
      - Synchronous write behaviour, V(standard), V(always), V(disabled) or V(inherit).
    type: str
  snapdir:
    description:
      - Visibility of the C(.zfs) snapshot directory, V(hidden), V(visible), V(disabled) or V(inherit).
    type: str
  copies:
    description:
      - Number of copies of the data ZFS keeps, V(1), V(2), V(3) or V(inherit).
    type: raw
  deduplication:
    description:
      - Deduplication, V(on), V(verify), V(off) or V(inherit).
    type: raw
  checksum:
    description:
      - Checksum algorithm, for example V(on), V(sha256), V(blake3) or V(inherit).
    type: raw
  quota:
    description:
      - Limit on the space used by the dataset and its children. Filesystems only. V(0) removes the quota;
        otherwise at least V(1G).
    type: raw
  refquota:
    description:
      - Limit on the space used by the dataset itself. Filesystems only. V(0) removes it; otherwise at least V(1G).
    type: raw
  reservation:
    description:
      - Space reserved for the dataset and its children. V(0) removes the reservation.
    type: raw
  refreservation:
    description:
      - Space reserved for the dataset itself. V(0) removes the reservation.
    type: raw
  casesensitivity:
    description:
      - V(sensitive) or V(insensitive) file names. Filesystems only; only set when the filesystem is created.
    type: str
  acltype:
    description:
      - ACL type of a filesystem, V(off), V(nfsv4), V(posix) or V(inherit).
    type: raw
  aclmode:
    description:
      - How chmod acts on ACLs of a filesystem, V(passthrough), V(restricted), V(discard) or V(inherit).
    type: str
  share_type:
    description:
      - Preset for how the new dataset is shared, V(generic), V(smb), V(nfs), V(multiprotocol) or V(apps). TrueNAS
        sets case sensitivity and ACL properties to match.
      - Only used when the dataset is created. TrueNAS does not report it, so it is never compared.
    type: str
  user_properties:
    description:
      - ZFS user properties, C(namespace:property) names (lower case) mapped to string values, such as
        C(org.example:owner).
      - Only the properties listed are managed; others are left alone. A null value removes a property set on this
        dataset.
      - The properties TrueNAS keeps itself (C(org.freenas:description) and the quota thresholds) are refused; use
        O(comments) for the description.
    type: dict
  create_ancestors:
    description:
      - Create missing parent datasets of a new dataset. Without it, a missing parent is an error.
    type: bool
    default: false
  encryption:
    description:
      - Create the dataset as an encryption root with its own key (O(encryption_options)). Only set when the dataset
        is created.
      - V(false) means the dataset has no key of its own; it still inherits the encryption of an encrypted parent.
    type: bool
  encryption_options:
    description:
      - Encryption settings of a new encrypted dataset. Set exactly one of O(encryption_options.passphrase),
        O(encryption_options.key) and O(encryption_options.generate_key).
      - Only used when the dataset is created; the passphrase or key of an existing dataset is never compared or
        changed. The algorithm of an existing dataset is compared.
    type: dict
    suboptions:
      passphrase:
        description:
          - Passphrase of at least 8 characters.
        type: str
      key:
        description:
          - Key as 64 hexadecimal characters (256 bits).
        type: str
      generate_key:
        description:
          - Let TrueNAS generate the key.
        type: bool
      algorithm:
        description:
          - Encryption algorithm, for example V(AES-256-GCM) (the TrueNAS default) or V(AES-128-CCM).
          - Sent only when set. TrueNAS 26 development releases no longer take an algorithm (they always use
            V(AES-256-GCM)); when the server refuses it, the error says so and names this option.
        type: str
      pbkdf2iters:
        description:
          - Number of PBKDF2 iterations for a passphrase.
          - At least 100000 on TrueNAS 25.04 and 25.10 (server default 350000), at least 1300000 on TrueNAS 26
            (server default 1300000). A lower value fails before any change, naming the release.
          - Sent only when set, so the server's default applies otherwise.
        type: int
  recursive:
    description:
      - With O(state=absent), also delete the child datasets and snapshots of the dataset.
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), delete the dataset even when it is busy (in use).
    type: bool
    default: false
notes:
  - An unchanged run costs one query of the dataset. Creating a volume without O(volblocksize) also asks TrueNAS for
    the recommended block size, and creating a dataset first checks that its pool and parent exist.
  - TrueNAS may adjust values it is given (for example O(share_type) sets ACL properties); the module warns when a
    requested value reads back different.
seealso:
  - module: nasops.truenas.truenas_dataset_info
  - module: nasops.truenas.truenas_snapshot
  - module: nasops.truenas.truenas_pool_info
"""

EXAMPLES = r"""
- name: Create a filesystem for application data
  nasops.truenas.truenas_dataset:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: tank/apps/postgres
    create_ancestors: true
    recordsize: 16K
    compression: lz4
    atime: false
    quota: 200G
    comments: PostgreSQL data
    user_properties:
      org.example:owner: dba-team

- name: Manage several datasets with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: A 50 GiB sparse volume for a VM disk
      nasops.truenas.truenas_dataset:
        name: tank/vms/web01-disk0
        volsize: 50G
        volblocksize: 16K
        sparse: true

    # A volume can only grow. To grow one, raise its volsize where the playbook sets it, as here;
    # a second task with the old, smaller size would fail on every later run.
    - name: An 80 GiB volume for a database disk
      nasops.truenas.truenas_dataset:
        name: tank/vms/db01-disk0
        volsize: 80GiB

    - name: An encrypted SMB dataset
      nasops.truenas.truenas_dataset:
        name: tank/private
        share_type: smb
        encryption: true
        encryption_options:
          passphrase: "{{ vault_private_passphrase }}"

    - name: Go back to the compression of the parent
      nasops.truenas.truenas_dataset:
        name: tank/apps/postgres
        compression: inherit

    - name: Delete a dataset with its children and snapshots
      nasops.truenas.truenas_dataset:
        name: tank/scratch
        state: absent
        recursive: true
"""

RETURN = r"""
dataset:
  description:
    - The dataset as TrueNAS reports it after the run, with option names; sizes are in bytes.
    - In check mode, the predicted dataset. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the dataset (its full name).
      type: str
      sample: tank/apps/postgres
    name:
      description: Full name of the dataset.
      type: str
      sample: tank/apps/postgres
    type:
      description: V(FILESYSTEM) or V(VOLUME).
      type: str
      sample: FILESYSTEM
    pool:
      description: Pool of the dataset.
      type: str
      sample: tank
    mountpoint:
      description: Mount point of a filesystem, null for volumes.
      type: str
      sample: /mnt/tank/apps/postgres
    comments:
      description: Description of the dataset (an empty string when it has none).
      type: str
      sample: PostgreSQL data
    compression:
      description: Effective compression.
      type: str
      sample: LZ4
    atime:
      description: Effective atime setting (filesystems).
      type: bool
      sample: false
    exec:
      description: Effective exec setting.
      type: bool
      sample: true
    readonly:
      description: Effective readonly setting.
      type: bool
      sample: false
    recordsize:
      description: Record size in bytes (filesystems).
      type: int
      sample: 16384
    sync:
      description: Effective sync setting.
      type: str
      sample: STANDARD
    snapdir:
      description: Effective snapdir setting.
      type: str
      sample: HIDDEN
    copies:
      description: Effective number of copies.
      type: int
      sample: 1
    deduplication:
      description: Effective deduplication setting.
      type: str
      sample: "OFF"
    checksum:
      description: Effective checksum setting.
      type: str
      sample: "ON"
    quota:
      description: Quota in bytes, 0 for none (filesystems).
      type: int
      sample: 214748364800
    refquota:
      description: Reference quota in bytes, 0 for none (filesystems).
      type: int
      sample: 0
    reservation:
      description: Reservation in bytes, 0 for none.
      type: int
      sample: 0
    refreservation:
      description: Reference reservation in bytes, 0 for none.
      type: int
      sample: 0
    volsize:
      description: Size of a volume in bytes.
      type: int
      returned: for volumes
      sample: 53687091200
    volblocksize:
      description: Block size of a volume in bytes.
      type: int
      returned: for volumes
      sample: 16384
    sparse:
      description: Whether the volume reserves less than its size.
      type: bool
      returned: for volumes
      sample: true
    casesensitivity:
      description: Case sensitivity of a filesystem.
      type: str
      sample: SENSITIVE
    acltype:
      description: Effective ACL type of a filesystem.
      type: str
      sample: POSIX
    aclmode:
      description: Effective ACL mode of a filesystem.
      type: str
      sample: DISCARD
    user_properties:
      description: User properties (inherited ones included), name to value.
      type: dict
      sample: {"org.example:owner": "dba-team"}
    encryption:
      description: Whether the dataset is an encryption root with its own key.
      type: bool
      sample: false
    encryption_options:
      description: Algorithm (and PBKDF2 iterations for passphrases) of an encryption root. Never holds a secret.
      type: dict
      returned: for encryption roots
      sample: {"algorithm": "AES-256-GCM", "pbkdf2iters": 350000}
    encrypted:
      description: Whether the dataset is encrypted (its own key or inherited).
      type: bool
      sample: false
    encryption_root:
      description: Dataset whose key encrypts this dataset, or null.
      type: str
      sample: null
    key_loaded:
      description: Whether the key of an encrypted dataset is loaded.
      type: bool
      sample: false
    locked:
      description: Whether the dataset is encrypted and its key is not loaded.
      type: bool
      sample: false
    encryption_algorithm:
      description: Encryption algorithm, null when not encrypted.
      type: str
      sample: null
    key_format:
      description: Key format of an encrypted dataset (C(PASSPHRASE) or C(HEX)), else null.
      type: str
      sample: null
    used:
      description: Space used by the dataset and its descendants, in bytes.
      type: int
      sample: 98304
    available:
      description: Space available to the dataset, in bytes.
      type: int
      sample: 7650000000000
    usedbydataset:
      description: Space used by the data of the dataset itself, in bytes.
      type: int
      sample: 98304
    usedbysnapshots:
      description: Space used by snapshots of the dataset, in bytes.
      type: int
      sample: 0
    usedbychildren:
      description: Space used by child datasets, in bytes.
      type: int
      sample: 0
    creation:
      description: Creation time, ISO-8601 (UTC).
      type: str
      sample: "2025-10-01T12:00:00+00:00"
    origin:
      description: Snapshot the dataset was cloned from, or null.
      type: str
      sample: null
    source:
      description:
        - Where each inheritable property comes from, C(LOCAL) (set on the dataset), C(INHERITED) or C(DEFAULT).
      type: dict
      sample: {"compression": "INHERITED", "atime": "LOCAL"}
broker_fallback:
  description:
    - Why the session broker could not be used, so that the module connected to TrueNAS directly.
    - Only present then; the module works the same way either way.
  returned: when the session broker could not be used
  type: str
  sample: "the directory /run/user/1000/nasops.truenas has mode 0777: other users may use it (it must be 0700)"
"""

# First: the module_utils imported after it load through the compiled-code cache (faster start-up).
from ansible_collections.nasops.truenas.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.nasops.truenas.plugins.module_utils._module import TrueNASModule
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import DatasetResource


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        type=dict(type="str"),
        volsize=dict(type="raw"),
        volblocksize=dict(type="raw"),
        sparse=dict(type="bool"),
        comments=dict(type="str"),
        compression=dict(type="raw"),
        atime=dict(type="raw"),
        exec=dict(type="raw"),
        readonly=dict(type="raw"),
        recordsize=dict(type="raw"),
        sync=dict(type="str"),
        snapdir=dict(type="str"),
        copies=dict(type="raw"),
        deduplication=dict(type="raw"),
        checksum=dict(type="raw"),
        quota=dict(type="raw"),
        refquota=dict(type="raw"),
        reservation=dict(type="raw"),
        refreservation=dict(type="raw"),
        casesensitivity=dict(type="str"),
        acltype=dict(type="raw"),
        aclmode=dict(type="str"),
        share_type=dict(type="str"),
        user_properties=dict(type="dict"),
        create_ancestors=dict(type="bool", default=False),
        encryption=dict(type="bool"),
        encryption_options=dict(type="dict", options=dict(
            passphrase=dict(type="str", no_log=True),
            key=dict(type="str", no_log=True),
            generate_key=dict(type="bool"),
            algorithm=dict(type="str"),
            pbkdf2iters=dict(type="int"),
        )),
        recursive=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(DatasetResource)


if __name__ == "__main__":
    main()
