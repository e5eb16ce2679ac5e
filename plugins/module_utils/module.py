# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module of the collection shares: the connection options, the
client built from them, error reporting, and the single exit path that
emits ``changed`` and the diff."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import time

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.openio.sds.plugins.module_utils.client import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, OioClient, OioError)


class InvalidInput(ValueError):
    """Bad input detected before anything is sent to the cluster."""


def oio_argument_spec():
    """Connection options of every module; the environment variable names are
    the ones the ``openio`` CLI already reads."""
    return dict(
        proxy_url=dict(type="str", required=True, fallback=(env_fallback, ["OIO_PROXYD_URL"])),
        namespace=dict(type="str", required=True, aliases=["ns"],
                       fallback=(env_fallback, ["OIO_NS"])),
        timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["OIO_TIMEOUT"])),
        retries=dict(type="int", default=3, fallback=(env_fallback, ["OIO_RETRIES"])),
        validate_certs=dict(type="bool", default=True,
                            fallback=(env_fallback, ["OIO_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["OIO_CA_PATH"])),
        request_id=dict(type="str", default="ansible-openio",
                        fallback=(env_fallback, ["OIO_REQUEST_ID"])),
    )


class OioModule(object):
    """AnsibleModule plus an :class:`OioClient` and diff bookkeeping.

    A module builds one, then calls :meth:`run` with a function that does the
    work and returns the result dict. Errors of the client and of input
    validation end as one readable ``fail_json`` line.
    """

    def __init__(self, argument_spec=None, supports_check_mode=True, report_stats=False, **kwargs):
        spec = oio_argument_spec()
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec,
                                    supports_check_mode=supports_check_mode, **kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"),
                                  exception=REQUESTS_IMPORT_ERROR)
        self.params = self.module.params
        if self.params["timeout"] <= 0:
            self.module.fail_json(msg="timeout must be greater than 0")
        if self.params["retries"] < 0:
            self.module.fail_json(msg="retries must be 0 or more")
        self.client = OioClient(
            self.params["proxy_url"], self.params["namespace"],
            timeout=self.params["timeout"], retries=self.params["retries"],
            validate_certs=self.params["validate_certs"], ca_path=self.params["ca_path"],
            request_id=self.params["request_id"], warn=self.module.warn)
        self.changed = False
        self._before = None
        self._after = None
        # Long operations report what they cost (RV stats).
        self.report_stats = report_stats
        self._started = time.time()

    @property
    def check_mode(self):
        return self.module.check_mode

    def record_before(self, value):
        self._before = copy.deepcopy(value)

    def record_after(self, value):
        self._after = copy.deepcopy(value)

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, **kwargs)

    def stats(self):
        """Seconds since the module started, HTTP requests sent (retries
        included) and their rate."""
        duration = time.time() - self._started
        requests = self.client.request_count
        return {"duration": round(duration, 3), "requests": requests,
                "rate": round(requests / duration, 1) if duration > 0 else None}

    def run(self, work):
        """Call ``work(self)``, which returns the result dict, and exit."""
        self._started = time.time()
        try:
            result = work(self) or {}
        except InvalidInput as exc:
            self.fail(str(exc))
        except OioError as exc:
            self.fail(str(exc), error=exc.to_dict())
        else:
            self.exit(**result)

    def exit(self, **result):
        result.setdefault("changed", self.changed)
        if self.report_stats:
            result.setdefault("stats", self.stats())
        if self.module._diff and (self._before is not None or self._after is not None):
            result["diff"] = {"before": self._before if self._before is not None else {},
                              "after": self._after if self._after is not None else {}}
        self.module.exit_json(**result)
