#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_audit_report
short_description: Write the files of an audit report in one step
version_added: 1.1.0
description:
  - Writes the files of a report (the audit role's JSON report, summary, page and metrics) into
    the directory O(path), on the host that runs the module, in one step.
  - Each file is written whole or not at all (a temporary file renamed over it), and only when
    its content or its mode differs from the file already there. O(path) is made when missing.
  - It talks to no namespace and takes no connection options, so it is not in the
    C(openio.sds.oio) action group.
options:
  path:
    description:
      - The directory of the report.
    type: path
    required: true
  files:
    description:
      - The files to write, each file name mapped to its content. A name is a plain file name
        (no directory part); a content is text, written as UTF-8.
    type: dict
    required: true
  mode:
    description:
      - The permissions of the files, as an octal string.
    type: str
    default: '0644'
  directory_mode:
    description:
      - The permissions of O(path) when the module makes it.
    type: str
    default: '0755'
extends_documentation_fragment:
  - openio.sds.attributes
author:
  - openio.sds maintainers (@openio)
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written in check mode; RV(written) names what a real run would write. The
        audit role runs it with C(check_mode) off, as its report is the one thing it writes.
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Write the report of an audit
  openio.sds.oio_audit_report:
    path: /var/tmp/oio-audit
    files:
      report.json: "{{ report | to_nice_json }}"
      summary.txt: "{{ lookup('ansible.builtin.template', 'summary.txt.j2') }}"
'''

RETURN = r'''
path:
  description: The directory of the report.
  returned: always
  type: str
  sample: /var/tmp/oio-audit
written:
  description: The files written (in check mode, the ones a real run would write).
  returned: always
  type: list
  elements: str
  sample: [report.json, summary.txt]
unchanged:
  description: The files already there with the same content and mode.
  returned: always
  type: list
  elements: str
  sample: []
'''

from ansible_collections.openio.sds.plugins.module_utils.files import file_mode, write_files
from ansible_collections.openio.sds.plugins.module_utils.module import OioModule


def work(module):
    p = module.params
    mode, dir_mode = file_mode(p["mode"]), file_mode(p["directory_mode"])
    written, unchanged = write_files(p["path"], p["files"], mode, dir_mode,
                                     check_mode=module.check_mode)
    module.changed = bool(written)
    return {"path": p["path"], "written": written, "unchanged": unchanged}


def main():
    module = OioModule(argument_spec=dict(
        path=dict(type="path", required=True),
        files=dict(type="dict", required=True),
        mode=dict(type="str", default="0644"),
        directory_mode=dict(type="str", default="0755"),
    ), connection=False)
    module.run(work)


if __name__ == "__main__":
    main()
