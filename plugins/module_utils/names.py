# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identifiers of the OpenIO directory: cids, prefixes, base names, addresses."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import re

HEX = "0123456789ABCDEF"
NUM_PREFIXES = 65536
# A cid's first 0 to 4 hex digits select its meta1 base.
MAX_DIGITS = 4
DIGITS_RANGE = (0, MAX_DIGITS)
# The proxy keeps the account in a 64-byte buffer and the reference in a
# 1024-byte one: longer names are truncated before hashing.
MAX_ACCOUNT_BYTES = 63
MAX_REFERENCE_BYTES = 1023
RDIR_ACCOUNT = "_RDIR"

_CID_RE = re.compile(r"^[0-9A-Fa-f]{64}$")
_BASE_RE = re.compile(r"^([0-9A-Fa-f]{64})\.([0-9]+)$")
_ADDR_RE = re.compile(
    r"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]):([0-9]{1,5})$")


def compute_cid(account, reference):
    """cid = uppercase hex SHA-256 of account + NUL + reference (UTF-8)."""
    data = _utf8(account) + b"\x00" + _utf8(reference)
    return hashlib.sha256(data).hexdigest().upper()


def _utf8(value):
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8")


def check_name_lengths(account, reference):
    """Error message when the proxy would truncate a name, else None."""
    if len(_utf8(account)) > MAX_ACCOUNT_BYTES:
        return "account %r is longer than %d bytes" % (account, MAX_ACCOUNT_BYTES)
    if len(_utf8(reference)) > MAX_REFERENCE_BYTES:
        return "reference name is longer than %d bytes" % MAX_REFERENCE_BYTES
    return None


def is_cid(value):
    return isinstance(value, str) and bool(_CID_RE.match(value))


def split_base_name(value):
    """``CID`` or ``CID.SEQ`` -> (CID uppercase, seq or None); ValueError otherwise."""
    if is_cid(value):
        return value.upper(), None
    match = _BASE_RE.match(value or "")
    if not match:
        raise ValueError("%r is neither a 64-hex cid nor a CID.SEQ base name" % (value,))
    return match.group(1).upper(), int(match.group(2))


_PREFIXES = []


def upper_prefix(value):
    """``value`` as the uppercase 4-hex prefix it names, or None. The set of
    the 65,536 prefixes is built once: a mapping is checked prefix by
    prefix, and a set lookup is the cheapest check there is."""
    if not _PREFIXES:
        _PREFIXES.append(frozenset("%04X" % n for n in range(NUM_PREFIXES)))
    if value in _PREFIXES[0]:
        return value
    if isinstance(value, str) and value.upper() in _PREFIXES[0]:
        return value.upper()
    return None


def is_addr(value):
    """True for an ``IP:PORT`` string with a valid IPv4 and port."""
    if not isinstance(value, str):
        return False
    match = _ADDR_RE.match(value)
    return bool(match) and 0 < int(match.group(1)) < 65536


def peer_list_problem(addrs):
    """Why ``addrs`` is not a list of peers meta0 can take (a non-empty list
    of distinct IP:PORT addresses), or None."""
    if not isinstance(addrs, (list, tuple)) or not addrs:
        return "must map to a non-empty list of addresses, got %r" % (addrs,)
    for addr in addrs:
        if not is_addr(addr):
            return "%r is not an IP:PORT address" % (addr,)
    if len(set(addrs)) != len(addrs):
        return "lists an address twice: %r" % (list(addrs),)
    return None


def peer_lists_problem(lists):
    """``(key, problem)`` of the first of ``{key: addrs}`` that
    :func:`peer_list_problem` refuses, or None. A mapping repeats a few
    hundred lists over 65,536 prefixes: each distinct list is checked once."""
    checked = {}
    for key, addrs in lists.items():
        try:
            seen = tuple(addrs) if isinstance(addrs, list) else addrs
            if seen not in checked:
                checked[seen] = peer_list_problem(addrs)
            problem = checked[seen]
        except TypeError:  # an unhashable value: not a list of addresses anyway
            problem = peer_list_problem(addrs)
        if problem:
            return key, problem
    return None


def prefix_of(cid):
    return cid[:4].upper()


def base_key(prefix, digits):
    """Short base key used by the mapping planners: the first ``digits`` chars."""
    return prefix[:digits]


def base_name(prefix, digits):
    """meta1 base name: first ``digits`` hex chars padded with 0 to 4 chars."""
    return prefix[:digits].ljust(4, "0")


def base_cid(base):
    """The cid the admin routes take for a meta1 base: the base padded with 0."""
    return base.ljust(64, "0")


def digits_problem(digits):
    """Why ``digits`` cannot be meta1 digits, or None: the one rule."""
    if isinstance(digits, bool) or not isinstance(digits, int) or \
            not DIGITS_RANGE[0] <= digits <= DIGITS_RANGE[1]:
        return "digits must be an integer between %d and %d, got %r" % (DIGITS_RANGE + (digits,))
    return None


def base_keys(digits):
    """All base keys for ``digits`` in lexicographic order ('' for digits 0)."""
    problem = digits_problem(digits)
    if problem:
        raise ValueError(problem)
    if digits == 0:
        return [""]
    return ["%0*X" % (digits, i) for i in range(16 ** digits)]


def siblings(base, digits):
    """Every 4-hex prefix that belongs to base key ``base``."""
    span = 16 ** (4 - digits)
    start = int(base.ljust(4, "0"), 16) if digits else 0
    return ["%04X" % p for p in range(start, start + span)]
