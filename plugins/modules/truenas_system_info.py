#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_system_info
short_description: Read system facts of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the version, host name, uptime, memory, CPU and load of TrueNAS SCALE 25.04, 25.10 and 26
    (C(system.info)).
  - On request also realtime statistics (O(include_stats)), the available update (O(include_updates); never
    downloaded or applied) and the alerts (O(include_alerts)).
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  include_stats:
    description:
      - Add RV(system.stats), realtime CPU, memory, network, disk I/O, pool and ZFS ARC figures. They come from one
        event of the C(reporting.realtime) event source, which TrueNAS sends every 2 seconds, so reading them takes
        up to about 2 seconds.
    type: bool
    default: false
  stats_timeout:
    description:
      - Seconds to wait for the statistics with O(include_stats=true). Default the connection O(timeout).
    type: int
  include_updates:
    description:
      - Add RV(system.updates), whether a newer TrueNAS version is offered. TrueNAS 25.10 and later answer through
        C(update.status), 25.04 through C(update.check_available). Nothing is downloaded or applied.
    type: bool
    default: false
  include_alerts:
    description:
      - Add RV(system.alerts), the alerts TrueNAS shows (C(alert.list)), most severe first.
    type: bool
    default: false
  include_dismissed_alerts:
    description:
      - With O(include_alerts), also return alerts a user dismissed.
    type: bool
    default: false
seealso:
  - module: nasops.truenas.truenas_pool_info
  - module: nasops.truenas.truenas_disk_info
"""

EXAMPLES = r"""
- name: Read the system facts
  nasops.truenas.truenas_system_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: result

- name: Require TrueNAS 25.10 or later, with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Read the system facts
      nasops.truenas.truenas_system_info:
      register: facts

    - name: Check the version
      ansible.builtin.assert:
        that: facts.system.version is version('25.10', '>=')

    - name: Read the realtime statistics, the available update and the active alerts
      nasops.truenas.truenas_system_info:
        include_stats: true
        include_updates: true
        include_alerts: true
      register: health

    - name: Report the CPU and memory use
      ansible.builtin.debug:
        msg: >-
          CPU {{ health.system.stats.cpu.usage }} %,
          {{ health.system.stats.memory.physical_memory_available | human_readable }} memory available

    - name: Report an update and critical alerts
      ansible.builtin.debug:
        msg:
          - "update: {{ health.system.updates.version if health.system.updates.available else 'none' }}"
          - "{{ health.system.alerts | selectattr('level', 'in', ['CRITICAL', 'ERROR']) | map(attribute='text') }}"
"""

RETURN = r"""
system:
  description: The system facts.
  returned: always
  type: dict
  contains:
    version:
      description: TrueNAS version.
      type: str
      sample: 25.10.1
    hostname:
      description: Host name.
      type: str
      sample: truenas
    uptime:
      description: Uptime in words, as TrueNAS shows it.
      type: str
      sample: "3 days, 4:05:06.12"
    uptime_seconds:
      description: Uptime in seconds.
      type: float
      sample: 273906.12
    boottime:
      description: Boot time, ISO-8601 (UTC).
      type: str
      sample: "2025-10-12T08:00:00+00:00"
    datetime:
      description: Current time of the system, ISO-8601 (UTC).
      type: str
      sample: "2025-10-15T12:05:06+00:00"
    buildtime:
      description: Build time of the TrueNAS version, ISO-8601 (UTC).
      type: str
      sample: "2025-10-01T00:00:00+00:00"
    timezone:
      description: Time zone.
      type: str
      sample: UTC
    loadavg:
      description: Load averages over 1, 5 and 15 minutes.
      type: list
      elements: float
      sample: [0.12, 0.2, 0.18]
    memory:
      description: Physical memory.
      type: dict
      contains:
        total:
          description: Physical memory in bytes.
          type: int
          sample: 68719476736
        ecc:
          description: Whether the memory is ECC.
          type: bool
          sample: true
    cpu:
      description: Processor.
      type: dict
      contains:
        model:
          description: CPU model.
          type: str
          sample: AMD EPYC 7302P 16-Core Processor
        cores:
          description: Logical cores.
          type: int
          sample: 32
        physical_cores:
          description: Physical cores.
          type: int
          sample: 16
    system_product:
      description: Hardware product name, or null.
      type: str
      sample: null
    system_product_version:
      description: Hardware product version, or null.
      type: str
      sample: null
    system_manufacturer:
      description: Hardware manufacturer, or null.
      type: str
      sample: null
    system_serial:
      description: Hardware serial number, or null.
      type: str
      sample: null
    stats:
      description: Realtime statistics (one sample of C(reporting.realtime)).
      returned: with O(include_stats=true)
      type: dict
      contains:
        cpu:
          description: C(usage) and C(temperature) of the whole CPU (percent, Celsius or null), C(cores) the usage of
            each core.
          type: dict
          sample: {usage: 7.5, temperature: 41.0, cores: [3.1, 12.0]}
        memory:
          description: Bytes - C(physical_memory_total), C(physical_memory_available), C(arc_size),
            C(arc_free_memory), C(arc_available_memory).
          type: dict
        network:
          description: Per interface C(link_up), C(speed) (Mb/s), C(received_bytes_rate) and C(sent_bytes_rate)
            (bytes per second).
          type: dict
        disks:
          description: All disks together - C(busy) (percent), C(read_bytes), C(write_bytes) (per second),
            C(read_ops), C(write_ops) (per second).
          type: dict
        pools:
          description: Per pool, as TrueNAS reports it.
          type: dict
        zfs:
          description: ZFS ARC and L2ARC hit and miss rates, as TrueNAS reports them.
          type: dict
    updates:
      description: Whether a newer TrueNAS version is offered.
      returned: with O(include_updates=true)
      type: dict
      contains:
        status:
          description:
            - V(AVAILABLE), V(UNAVAILABLE), V(REBOOT_REQUIRED) (an update was applied and waits for a reboot) or
              V(ERROR) (the update server could not be asked; see RV(system.updates.error)).
          type: str
          sample: AVAILABLE
        available:
          description: Whether a newer version is offered.
          type: bool
          sample: true
        version:
          description: The version offered, or null.
          type: str
          sample: 25.10.6
        train:
          description: Update train (TrueNAS 25.10 and later; null before).
          type: str
          sample: TrueNAS-SCALE-Stable
        release_notes_url:
          description: Release notes of the version offered, or null.
          type: str
          sample: https://www.truenas.com/docs/scale/25.10/gettingstarted/scalereleasenotes/
        error:
          description: With RV(system.updates.status=ERROR), C(errname) and C(reason); else null.
          type: dict
          sample: null
    alerts:
      description: Alerts, most severe first; dismissed ones only with O(include_dismissed_alerts=true).
      returned: with O(include_alerts=true)
      type: list
      elements: dict
      contains:
        uuid:
          description: Alert id.
          type: str
        klass:
          description: Alert class.
          type: str
          sample: ScrubNotStarted
        level:
          description: V(CRITICAL), V(ERROR), V(WARNING), V(NOTICE) or V(INFO).
          type: str
          sample: WARNING
        text:
          description: The alert text.
          type: str
        datetime:
          description: When the alert was raised, ISO-8601.
          type: str
        last_occurrence:
          description: Its last occurrence, ISO-8601.
          type: str
        dismissed:
          description: Whether a user dismissed it.
          type: bool
        source:
          description: Source of the alert.
          type: str
        node:
          description: Node (host) that raised it.
          type: str
        key:
          description: Deduplication key.
          type: str
        one_shot:
          description: Whether the alert stays until dismissed.
          type: bool
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.system import SystemResource


def argument_spec():
    return dict(
        include_stats=dict(type="bool", default=False),
        stats_timeout=dict(type="int"),
        include_updates=dict(type="bool", default=False),
        include_alerts=dict(type="bool", default=False),
        include_dismissed_alerts=dict(type="bool", default=False),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    resource = SystemResource()
    module.run_info(resource.gather, resource.RESULT_KEY, "read the system facts")


if __name__ == "__main__":
    main()
