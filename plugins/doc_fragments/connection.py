# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every module of openio.sds.
    DOCUMENTATION = r'''
options:
  proxy_url:
    description:
      - URL of the oio-proxy of the namespace, for example V(http://10.0.0.1:6006).
      - A missing scheme means C(http://); C(https://) reaches the proxy over TLS. The rdir
        services have their own scheme, O(rdir_scheme).
      - oio-proxy has no authentication, so a URL with user information
        (C(http://user:password@host)) is refused before anything is sent, and the password
        is masked in the task result.
      - If not set, the environment variable E(OIO_PROXYD_URL) is used.
    type: str
    required: true
  namespace:
    description:
      - Name of the OpenIO namespace, for example V(OPENIO). The proxy rejects a
        namespace that is not its own (HTTP 400).
      - 1 to 63 characters among ASCII letters, digits, C(.), C(_) and C(-), starting with a
        letter or a digit. Anything else is refused before a request is sent.
      - If not set, the environment variable E(OIO_NS) is used.
    type: str
    required: true
    aliases: [ns]
  timeout:
    description:
      - Seconds to wait for one answer. Also sent to the proxy as the request's
        deadline budget (C(x-oio-timeout)).
      - Greater than 0, at most 86400.
      - If not set, the environment variable E(OIO_TIMEOUT) is used.
    type: float
    default: 30
  retries:
    description:
      - How many more times to try a request after a transient failure (connection
        error, HTTP 503 or 504, or an internal OpenIO status such as 503, 504 or a
        network error between the proxy and a service), with jittered exponential backoff.
      - Reads are always retried. A write is retried only where it is idempotent on
        the server, or when the connection could not be opened at all. Each retry
        leaves a warning.
      - 0 to 20.
      - After 5 connection failures in a row to one endpoint (the proxy or one rdir
        service), the remaining requests to it fail at once instead of being retried, so
        that a dead proxy is reported within seconds with what was done and what was not.
      - If not set, the environment variable E(OIO_RETRIES) is used.
    type: int
    default: 3
  validate_certs:
    description:
      - Whether to check the TLS certificate of the proxy and rdir services.
      - If not set, the environment variable E(OIO_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM file) to validate the services' certificates with.
      - If not set, the environment variable E(OIO_CA_PATH) is used.
    type: path
  request_id:
    description:
      - Prefix of the request ID sent in C(x-oio-req-id) with every request, so that
        the proxy's and services' logs can be matched with a run. A random suffix
        is added per request; the whole ID is at most 63 characters.
      - Printable ASCII only (no control characters such as CR or LF), at most 63
        characters; anything else is refused before any request.
      - If not set, the environment variable E(OIO_REQUEST_ID) is used.
    type: str
    default: ansible-openio
  rdir_scheme:
    description:
      - Scheme of the requests sent to the rdir services, which are reached directly at
        their conscience address, not through the proxy. They speak plain HTTP in a
        standard deployment, whatever the scheme of O(proxy_url).
      - If not set, the environment variable E(OIO_RDIR_SCHEME) is used.
    type: str
    choices: [http, https]
    default: http
notes:
  - Proxy settings from the environment (E(HTTP_PROXY), E(HTTPS_PROXY), C(.netrc)) are
    not used, since the modules talk to the cluster's own services directly.
  - All options of this fragment can be set once for every module with
    C(module_defaults) and the action group C(group/openio.sds.oio).
requirements:
  - requests (Python library, on the host that runs the module)
'''
