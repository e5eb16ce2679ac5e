# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # How a module names one replicated base (the type is documented by each
    # module, since not every module takes every type).
    DOCUMENTATION = r'''
options:
  account:
    description:
      - Account of the reference that names the base, with O(reference).
      - For V(meta1) the base is the one holding that reference.
    type: str
  reference:
    description:
      - Name of the reference that names the base, with O(account).
    type: str
  cid:
    description:
      - The base as a cid (64 hex characters).
      - For V(meta2) and V(sqlx), the base name C(CID.SEQ) is accepted; the proxy only reaches
        sequence 1, so another sequence is refused.
      - For V(meta1), the base name or prefix (1 to 4 hex characters, for example V(AB00)) is
        accepted.
    type: str
    aliases: [base]
'''
