# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Common to every module: the action group.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a changed status prediction without modifying the cluster.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when run with C(--diff).
  action_group:
    description: Use C(group/openio.sds.oio) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - openio.sds.oio
'''

    # Modules that only read.
    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module never changes anything, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module never changes anything.
'''

    # Modules that change the cluster, with full check mode and diff support.
    STATEFUL = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written; the module returns the predicted result.
  diff_mode:
    support: full
'''
