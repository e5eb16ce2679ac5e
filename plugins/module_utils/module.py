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
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, OioClient, pool_size_for, url_userinfo)
from ansible_collections.openio.sds.plugins.module_utils.errors import (
    InvalidInput, OioError, Refused, Unfinished)
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

# Ranges of the connection options, checked like the modules' own ``ranges``.
CONNECTION_RANGES = dict(timeout=(0.001, 86400), retries=(0, 20))


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
        rdir_scheme=dict(type="str", default="http", choices=["http", "https"],
                         fallback=(env_fallback, ["OIO_RDIR_SCHEME"])),
    )


def range_problem(name, value, low=None, high=None):
    """The error for a number option out of ``[low, high]`` (either end may
    be None), or None when it fits."""
    if value is None:
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            return "%s must be at least %s, got %r" % (name, low, value)
        if low is None:
            return "%s must be at most %s, got %r" % (name, high, value)
        return "%s must be between %s and %s, got %r" % (name, low, high, value)
    return None


def check_ranges(params, ranges):
    """First problem of ``params`` against ``{name: (low, high)}``, or None."""
    for name in sorted(ranges):
        low, high = ranges[name]
        problem = range_problem(name, params.get(name), low, high)
        if problem:
            return problem
    return None


def _is_set(value):
    """Whether an option was given a value: 0 is one (``0 == False`` in
    Python, so a plain membership test would take it for unset)."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (list, dict, str)) and not value)


def only_with_problem(params, rules):
    """First problem of ``params`` against ``[(option, key, values)]``: an
    option that is set (not None, False or empty) while ``params[key]`` is
    not one of ``values``. The spec's ``required_if`` says what a state
    needs; this says what it does not take, so a typo'd state cannot make
    an option a silent no-op."""
    for option, key, values in rules or ():
        values = tuple(values) if isinstance(values, (list, tuple)) else (values,)
        if _is_set(params.get(option)) and params.get(key) not in values:
            return "%s goes with %s %s (%s is %s)" % (
                option, key, " or ".join(str(v).lower() if isinstance(v, bool) else str(v)
                                         for v in values), key, params.get(key))
    return None


class OioModule(object):
    """AnsibleModule plus an :class:`OioClient` and diff bookkeeping.

    A module builds one, then calls :meth:`run` with a function that does the
    work and returns the result dict. Errors of the client and of input
    validation end as one readable ``fail_json`` line.
    """

    def __init__(self, argument_spec=None, supports_check_mode=True, report_stats=False,
                 ranges=None, only_with=None, names_release=False, outage_option=None,
                 connection=True, **kwargs):
        """``ranges``: ``{option: (low, high)}`` for the number options of the
        module (either end may be None); ``only_with``: ``[(option, key,
        values)]``, see :func:`only_with_problem`. Both are checked before
        anything is sent. ``names_release``: the result always names the
        OpenIO SDS release (an info module describes the cluster); others
        name it when the task found it out anyway. ``outage_option``: the
        option whose seconds a transient failure is tried again after the
        retries (the client's ``outage``). ``connection=False``: a module that
        talks to no namespace (it writes local files): no connection options,
        no client."""
        spec = oio_argument_spec() if connection else {}
        spec.update(argument_spec or {})
        self.module = AnsibleModule(argument_spec=spec,
                                    supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        self.changed = False
        self._before = None
        self._after = None
        # Long operations report what they cost (RV stats).
        self.report_stats = report_stats
        self.names_release = names_release
        self._started = time.time()
        self.client = None
        if connection:
            self._hide_url_credentials()
            if not HAS_REQUESTS:
                self.module.fail_json(msg=missing_required_lib("requests"),
                                      exception=REQUESTS_IMPORT_ERROR)
            if self.params["timeout"] <= 0:
                self.module.fail_json(msg="timeout must be greater than 0, got %r"
                                      % self.params["timeout"])
        all_ranges = dict(CONNECTION_RANGES) if connection else {}
        all_ranges.update(ranges or {})
        problem = check_ranges(self.params, all_ranges) or \
            only_with_problem(self.params, only_with)
        if problem:
            self.module.fail_json(msg=problem)
        if not connection:
            return
        try:
            self.client = OioClient(
                self.params["proxy_url"], self.params["namespace"],
                timeout=self.params["timeout"], retries=self.params["retries"],
                validate_certs=self.params["validate_certs"], ca_path=self.params["ca_path"],
                request_id=self.params["request_id"], warn=self.warn,
                rdir_scheme=self.params["rdir_scheme"], check_mode=self.module.check_mode,
                pool_size=pool_size_for(self.params.get("concurrency")),
                outage=self.params[outage_option] if outage_option else 0.0)
        except OioError as exc:
            self.module.fail_json(msg=str(exc))

    def _hide_url_credentials(self):
        """A ``user:password@`` in proxy_url is refused (the client says so),
        and masked wherever the result repeats it (``invocation`` included)."""
        userinfo = url_userinfo(self.params.get("proxy_url"))
        if userinfo:
            self.module.no_log_values.add(userinfo)
            secret = userinfo.split(":", 1)[-1]
            if secret:
                self.module.no_log_values.add(secret)

    @property
    def check_mode(self):
        return self.module.check_mode

    def record_before(self, value):
        self._before = copy.deepcopy(value)

    def record_after(self, value):
        self._after = copy.deepcopy(value)

    def warn(self, msg):
        """A warning in the task's result (the client's retries use it too)."""
        self.module.warn(msg)

    def fail(self, msg, **kwargs):
        """Fail the task with ``msg``; ``changed`` says, as :meth:`exit`
        does, whether something was written before the failure."""
        kwargs.setdefault("changed", self.changed)
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
        except (InvalidInput, Refused) as exc:
            self.fail(str(exc))
        except Unfinished as exc:
            self.changed = exc.changed
            details = dict(exc.result)
            if exc.error is not None:
                details["error"] = exc.error.to_dict()
            self.fail(str(exc), **details)
        except OioError as exc:
            self.fail(str(exc), error=exc.to_dict())
        else:
            self.exit(**result)

    def release_name(self):
        """The release the task talks to, if known (or asked for: one
        conscience read)."""
        if self.client is None:
            return None
        found = facts(self.client)
        if self.names_release or found.release_known:
            try:
                return found.release.name
            except OioError:
                return None
        return None

    def exit(self, **result):
        result.setdefault("changed", self.changed)
        release = self.release_name()
        if release:
            result.setdefault("release", release)
        if self.report_stats:
            result.setdefault("stats", self.stats())
        if self.module._diff and (self._before is not None or self._after is not None):
            result["diff"] = {"before": self._before if self._before is not None else {},
                              "after": self._after if self._after is not None else {}}
        self.module.exit_json(**result)
