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

    # The scan of every meta1 base (all_bases: true).
    ALL_BASES = r'''
options:
  max_unhealthy:
    description:
      - With O(all_bases=true), return at most this many unhealthy bases. The counts always
        cover every base.
      - At least 0.
    type: int
    default: 1000
  connections:
    description:
      - With O(all_bases=true), number of keep-alive connections to the proxy.
      - From 1 to 16.
    type: int
    default: 2
  pipeline_depth:
    description:
      - With O(all_bases=true), requests in flight on each connection (HTTP/1.1 pipelining).
        V(1) sends one request at a time. A proxy that closes its connections is handled by
        sending one request per connection.
      - From 1 to 1024.
    type: int
    default: 64
'''
