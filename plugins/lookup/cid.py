# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: cid
short_description: The container ID (cid) of an account and reference, as OpenIO computes it
version_added: 1.0.0
description:
  - Returns the cid of a reference (a container, C(_RDIR/<volume>), an sqlx base) without asking the
    cluster, computed as OpenIO does it, the uppercase hexadecimal SHA-256 of the account, a NUL byte
    and the reference name, in UTF-8.
  - Its first four hex digits are the meta0 prefix, and the first C(meta1_digits) of them name the
    meta1 base.
  - Without O(reference), each term is a reference name of O(account). With O(reference), the terms
    are ignored and one cid is returned.
  - Names longer than the proxy accepts (account 63 bytes, reference 1023 bytes) are refused
    rather than hashed, since the proxy would truncate them first.
options:
  _terms:
    description: Reference names of O(account).
    type: list
    elements: str
  account:
    description: Account of the reference(s).
    type: str
    required: true
  reference:
    description: One reference name; the terms are then ignored.
    type: str
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: The cid of one container
  ansible.builtin.debug:
    msg: "{{ lookup('openio.sds.cid', account='lab_acct', reference='lab_ref1') }}"
  # EE3038EF0349B143F1876FBB2139163A116C0753C981BE107C952ED90B38A004

- name: The meta1 base (digits 4) of several references of an account
  ansible.builtin.debug:
    msg: "{{ query('openio.sds.cid', 'c1', 'c2', account='acct') | map('truncate', 4, True, '') | list }}"

- name: Where the rdir assignment of a volume lives
  openio.sds.oio_election_info:
    type: meta1
    cid: "{{ lookup('openio.sds.cid', account='_RDIR', reference='rawx-1') }}"
'''

RETURN = r'''
_raw:
  description: One cid (64 uppercase hex digits) per reference.
  type: list
  elements: str
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.openio.sds.plugins.module_utils.names import check_name_lengths, compute_cid


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        account = self.get_option("account")
        reference = self.get_option("reference")
        names = [reference] if reference is not None else list(terms or [])
        if not isinstance(account, str) or not account:
            raise AnsibleLookupError("openio.sds.cid: account must be a non-empty string")
        if not names:
            raise AnsibleLookupError("openio.sds.cid: give a reference, or reference names as terms")
        out = []
        for name in names:
            if not isinstance(name, str) or not name:
                raise AnsibleLookupError("openio.sds.cid: a reference name must be a non-empty "
                                         "string, got %r" % (name,))
            problem = check_name_lengths(account, name)
            if problem:
                raise AnsibleLookupError("openio.sds.cid: %s" % problem)
            out.append(compute_cid(account, name))
        return out
