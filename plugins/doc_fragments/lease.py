# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Modules that write meta0 take the namespace-wide writer lease.
    DOCUMENTATION = r'''
options:
  lease_timeout:
    description:
      - Before it writes meta0, the task takes the namespace-wide meta0 writer lease (the
        reference C(_OIOSDS/meta0-writer), created atomically), then plans again from the
        mapping as it is. Another task holding it is waited for up to this many seconds;
        then the task fails, naming the holder and writing nothing.
      - From 0 to 86400.
      - Check mode never takes the lease, and neither does a task that changes nothing.
      - A first bootstrap (no mapping yet, so no meta1 to hold the lease) runs without it.
    type: float
    default: 600
  lease_ttl:
    description:
      - How long the lease stays valid without being extended, in seconds. The holder extends
        it every third of this while it runs, checks it right before each C(meta0_force), and
        destroys it when done; the lease of a task that died (its proxy unreachable, say)
        expires after this long, and is then taken over, with a warning.
      - From 3 to 86400.
    type: float
    default: 300
'''
