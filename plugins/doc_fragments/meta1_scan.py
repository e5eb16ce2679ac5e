# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The scan of the meta1 bases (oio_meta1_elections and its info twin).
    DOCUMENTATION = r'''
options:
  max_unhealthy:
    description:
      - Return at most this many unhealthy bases. The counts always
        cover every base.
      - At least 0.
    type: int
    default: 1000
  concurrency:
    description:
      - Requests sent at once, one per base. Each request asks for
        keep-alive and the sessions are pooled, so at most this many connections to the proxy
        are open.
      - A real proxy spends a few milliseconds of the cluster's work on each C(admin/status)
        (it asks every peer); beyond a few requests at once the cluster, not the client, sets
        the pace. On 2026.14 the first read of a base waits about 0.1 s for its election,
        which the default keeps busy reading others.
      - From 1 to 64.
    type: int
    default: 32
  verify:
    description:
      - V(all) reads every meta1 base (65,536 with 4 digits).
      - V(sample) reads a random sample of O(sample_size) bases plus the O(include_bases) and
        O(sample_per_service) bases of every meta1;
        the counts then cover the bases read (RV(scope) says which).
    type: str
    default: all
    choices: [all, sample]
  sample_size:
    description:
      - With O(verify=sample), how many bases chosen at random are read.
      - At least 0.
    type: int
    default: 1000
  sample_per_service:
    description:
      - With O(verify=sample), also this many bases chosen at random among those each meta1
        of the meta0 mapping holds (one read of the mapping), so that the sample checks every
        meta1 service.
      - At least 0; none when not set.
    type: int
  include_bases:
    description:
      - With O(verify=sample), bases always read (base names such as V(AB00), prefixes or
        cids), for example those whose peers just changed.
    type: list
    elements: str
    default: []
'''
