# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # How a module names one reference of the directory.
    DOCUMENTATION = r'''
options:
  account:
    description:
      - Account of the reference, for example V(_RDIR). Use with O(reference).
      - Mutually exclusive with O(cid).
    type: str
  reference:
    description:
      - Name of the reference. Any text is accepted (C(/), C(?), C(&), C(%), spaces,
        non-ASCII); it is sent URL-encoded.
      - At most 1023 bytes in UTF-8, and O(account) at most 63 bytes, because the proxy
        would silently truncate longer names and work on another reference.
    type: str
    aliases: [ref]
  cid:
    description:
      - The container ID (64 hexadecimal characters) instead of O(account) and
        O(reference). A reference that does not exist cannot be created from its cid.
    type: str
'''
