# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the domain layer. No Ansible import here: the planners and the
protocol helpers raise these, and only ``module.py`` turns them into a
failed task. (Errors of an exchange with OpenIO are ``client.OioError``.)"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class InvalidInput(ValueError):
    """Bad input detected before anything is sent to the cluster."""
