# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Poll until a predicate holds, on a monotonic clock, with an overall timeout.

Used for state the API reports asynchronously (a VM reaching RUNNING or STOPPED). In check mode the
waiter polls nothing and returns at once.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASTimeoutError


class Waiter:
    """``Waiter(check_mode=False, clock=time.monotonic, sleep=time.sleep)``.

    ``clock`` and ``sleep`` are injectable so tests run without real time passing.
    """

    def __init__(self, check_mode=False, clock=time.monotonic, sleep=time.sleep):
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep

    def wait(self, fetch, predicate, timeout, interval=2.0, what="the expected state"):
        """Call ``fetch()`` until ``predicate(value)`` is true and return that value.

        ``fetch`` is called at once, then every ``interval`` seconds, never sleeping past the
        deadline. When ``timeout`` seconds pass without the predicate holding, raise
        ``TrueNASTimeoutError`` naming ``what`` and the last value seen. In check mode nothing is
        fetched and ``None`` is returned.
        """
        if self.check_mode:
            return None
        if timeout < 0:
            raise ValueError("timeout must not be negative, got %r" % timeout)
        if interval <= 0:
            raise ValueError("interval must be positive, got %r" % interval)
        deadline = self.clock() + timeout
        while True:
            value = fetch()
            if predicate(value):
                return value
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise TrueNASTimeoutError(
                    "Timed out after %s seconds waiting for %s (last seen: %r)" % (_seconds(timeout), what, value)
                )
            self.sleep(min(interval, remaining))


def _seconds(value):
    return ("%.1f" % value).rstrip("0").rstrip(".")
