# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors of the collection, one family. No Ansible import here: the
client, the planners and the protocol helpers raise these, and only
``module.py`` turns them into a failed task.

- :class:`OioError`: a failed exchange with OpenIO (method, URL, statuses);
- :class:`Refused`: a change refused because of what the cluster answered
  (no request failed, so no method and no URL);
- :class:`InvalidInput`: bad input, found before anything is sent; the
  planners' and the payload checks' errors are kinds of it;
- :class:`Unfinished`: a run that stopped part-way: it carries the task's
  result as far as it got, so that the failure says what a re-run finishes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class InvalidInput(ValueError):
    """Bad input detected before anything is sent to the cluster."""


class OioError(Exception):
    """A failed exchange with OpenIO: method, URL, HTTP status, and the
    internal status and message of the error body (when there is one)."""

    def __init__(self, message, method=None, url=None, http_status=None,
                 status=None, body=None, transient=False):
        super(OioError, self).__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.http_status = http_status
        self.status = status
        self.body = body
        self.transient = transient

    def __str__(self):
        parts = []
        if self.method and self.url:
            parts.append("%s %s" % (self.method, self.url))
        if self.http_status is not None:
            parts.append("HTTP %s" % self.http_status)
        if self.status is not None and self.status != self.http_status:
            parts.append("OpenIO status %s" % self.status)
        head = ": ".join(parts) if parts else ""
        return "%s: %s" % (head, self.message) if head else self.message

    def to_dict(self):
        return {
            "method": self.method, "url": self.url,
            "http_status": self.http_status, "status": self.status,
            "message": self.message,
        }


class Refused(OioError):
    """A change refused because of what the cluster answered, not a failed
    exchange: no method, no URL (the requests that told it succeeded), and
    nothing was sent for the change."""

    def __init__(self, message):
        super(Refused, self).__init__(message)


class Unfinished(Exception):
    """A run that stopped part-way. ``result``: the task's result as far as
    it got; ``changed``: whether something was written before it stopped;
    ``error``: the failed exchange behind it, if one was."""

    def __init__(self, message, result, changed, error=None):
        super(Unfinished, self).__init__(message)
        self.result = result
        self.changed = changed
        self.error = error
