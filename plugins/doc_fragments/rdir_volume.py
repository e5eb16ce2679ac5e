# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Modules about one volume's reverse index.
    DOCUMENTATION = r'''
options:
  volume:
    description:
      - Volume ID, that is the service ID of the rawx or meta2 service, or its address
        when it has none.
    type: str
    required: true
    aliases: [service_id]
'''

    # The kind of that volume, rawx unless told.
    SERVICE_TYPE = r'''
options:
  service_type:
    description:
      - The kind of volume.
    type: str
    default: rawx
    choices: [rawx, meta2]
'''
