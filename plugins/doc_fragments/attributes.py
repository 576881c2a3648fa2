# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # Resource modules: check mode, diff mode and idempotence.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description:
      - Can run in check mode and return the predicted changed status and object without modifying TrueNAS.
      - In check mode the module makes no call that changes anything on the server.
    support: full
  diff_mode:
    description:
      - Returns the object before and after the change (the options the module manages) when run in diff mode.
    support: full
  idempotent:
    description:
      - Running the module again with the same arguments reports no change.
    support: full
"""

    # Every module of the collection belongs to the action group.
    ACTIONGROUP = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/nasops.truenas.truenas) in C(module_defaults) to set the connection options once for all
        modules of this collection.
    support: full
    membership:
      - nasops.truenas.truenas
"""

    # Read-only modules: they never change anything.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description:
      - This module only reads from TrueNAS and runs the same way in check mode.
    support: full
  diff_mode:
    description:
      - This module makes no changes, so there is no diff.
    support: N/A
  idempotent:
    description:
      - This module only reads, so it never reports a change.
    support: full
"""
