"""Parser for the captured HTTP exchanges in tests/conformance/transcripts/.

A transcript file looks like::

    # action: <name>
    # captured: <ISO timestamp> against ...
    # command: curl ...

    === REQUEST (headers as sent, from curl -v) ===
    > METHOD /path?query HTTP/1.1
    > Header: value
    >

    === REQUEST BODY ===
    <body> | (none)

    === RESPONSE (status line and headers) ===
    < HTTP/1.1 200 OK
    < Header: value
    <

    === RESPONSE BODY (<n> bytes) ===
    <body> | (empty) | <first bytes> + "... [truncated here; full body in X]"

Files are read as bytes: bodies are returned exactly as captured.
"""
import datetime
import gzip
import json
import os
import re

REQ_MARK = b"=== REQUEST (headers as sent, from curl -v) ==="
REQ_BODY_MARK = b"=== REQUEST BODY ==="
RESP_MARK = b"=== RESPONSE (status line and headers) ==="
RESP_BODY_RE = re.compile(rb"^=== RESPONSE BODY \((\d+) bytes\) ===\r?\n", re.M)
TRUNCATED_RE = re.compile(rb"\n?\.\.\. \[truncated here; full body in ([^\]]+)\]\s*$")
STATUS_RE = re.compile(r"^HTTP/(\d(?:\.\d)?) (\d{3})(?: (.*))?$")


class TranscriptError(ValueError):
    pass


class Transcript(object):
    """One captured exchange. Header lists keep the captured order and case;
    ``request_headers``/``response_headers`` dicts are keyed lowercase."""

    def __init__(self):
        self.file = None
        self.name = None             # file name without .txt
        self.action = None
        self.captured = None         # datetime (UTC) or None
        self.captured_raw = None
        self.command = None
        self.url = None              # URL of the curl command
        self.method = None
        self.target = None           # request target as sent (path?query)
        self.path = None             # raw path, not percent-decoded
        self.raw_query = ""
        self.request_header_list = []
        self.request_body = None     # bytes, None for "(none)"
        self.http_version = None
        self.status = None
        self.reason = None
        self.response_header_list = []
        self.response_body = b""
        self.declared_length = None  # the "(<n> bytes)" of the body section
        self.truncated = False       # the file holds only the start of the body
        self.complete = True         # response_body is the whole body

    @property
    def request_headers(self):
        return {k.lower(): v for k, v in self.request_header_list}

    @property
    def response_headers(self):
        return {k.lower(): v for k, v in self.response_header_list}

    @property
    def host(self):
        return self.request_headers.get("host")

    def response_json(self):
        """Response body parsed as JSON, None when empty. Raises ValueError
        for a body that is not JSON (or a truncated one)."""
        if not self.response_body:
            return None
        return json.loads(self.response_body.decode("utf-8"))

    def request_json(self):
        if not self.request_body:
            return None
        return json.loads(self.request_body.decode("utf-8"))

    def __repr__(self):
        return "<Transcript %s %s %s -> %s>" % (self.name, self.method, self.target, self.status)


def _section(data, start_mark, end_mark, name):
    start = data.find(start_mark)
    if start < 0:
        raise TranscriptError("missing section %r" % name)
    start += len(start_mark)
    if data[start:start + 2] == b"\r\n":
        start += 2
    elif data[start:start + 1] == b"\n":
        start += 1
    if end_mark is None:
        return data[start:], start
    end = data.find(end_mark, start)
    if end < 0:
        raise TranscriptError("section %r is not terminated" % name)
    return data[start:end], start


def _header_lines(block, sigil):
    """Lines of a curl -v block (``> `` or ``< ``), without the sigil and
    without the empty line that ends the block."""
    lines = []
    for raw in block.decode("utf-8", "replace").splitlines():
        raw = raw.rstrip("\r")
        if raw.strip() in ("", sigil):
            continue
        if not raw.startswith(sigil):
            raise TranscriptError("unexpected line %r" % raw)
        lines.append(raw[len(sigil):].strip())
    return lines


def _split_header(line):
    name, sep, value = line.partition(":")
    if not sep:
        raise TranscriptError("bad header line %r" % line)
    return name.strip(), value.strip()


def _strip_section_end(block):
    """Drop the blank line that separates a section from the next marker."""
    if block.endswith(b"\r\n\r\n"):
        return block[:-4]
    if block.endswith(b"\n\n"):
        return block[:-2]
    if block.endswith(b"\n"):
        return block[:-1]
    return block


def _parse_timestamp(text):
    text = text.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def parse_bytes(data, name=None, folder=None):
    """Parse the bytes of one transcript. ``folder`` is where a truncated
    body's full copy (``<name>.body.gz`` or ``<name>.body``) is looked up."""
    t = Transcript()
    t.name = name

    # Comment header.
    for raw in data.split(REQ_MARK, 1)[0].decode("utf-8", "replace").splitlines():
        if not raw.startswith("#"):
            continue
        key, _unused, value = raw[1:].strip().partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "action":
            t.action = value
        elif key == "captured":
            t.captured_raw = value.split(" ", 1)[0]
            t.captured = _parse_timestamp(t.captured_raw)
        elif key == "command":
            t.command = value
            urls = re.findall(r"'(https?://[^']*)'|\"(https?://[^\"]*)\"|(https?://\S+)",
                              value)
            if urls:
                t.url = next(u for u in urls[-1] if u)
    if not t.action:
        t.action = name
    if t.name is None:
        t.name = t.action

    # Request line and headers.
    block, _unused = _section(data, REQ_MARK, REQ_BODY_MARK, "request")
    lines = _header_lines(block, ">")
    if not lines:
        raise TranscriptError("no request line")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        raise TranscriptError("bad request line %r" % lines[0])
    t.method = parts[0].upper()
    t.target = parts[1]
    t.path, _unused, t.raw_query = t.target.partition("?")
    t.request_header_list = [_split_header(line) for line in lines[1:]]

    # Request body.
    block, _unused = _section(data, REQ_BODY_MARK, RESP_MARK, "request body")
    body = _strip_section_end(block)
    if body.strip() == b"(none)":
        t.request_body = None
    else:
        length = t.request_headers.get("content-length")
        if length is not None and length.isdigit() and len(body) > int(length):
            body = body[:int(length)]
        t.request_body = body

    # Status line and response headers.
    match = RESP_BODY_RE.search(data)
    if not match:
        raise TranscriptError("missing response body section")
    block, _unused = _section(data[:match.start()], RESP_MARK, None, "response")
    lines = _header_lines(block, "<")
    if not lines:
        raise TranscriptError("no status line")
    status = STATUS_RE.match(lines[0])
    if not status:
        raise TranscriptError("bad status line %r" % lines[0])
    t.http_version = status.group(1)
    t.status = int(status.group(2))
    t.reason = status.group(3) or ""
    t.response_header_list = [_split_header(line) for line in lines[1:]]

    # Response body.
    t.declared_length = int(match.group(1))
    body = data[match.end():]
    trunc = TRUNCATED_RE.search(body)
    if trunc:
        t.truncated = True
        t.response_body = body[:trunc.start()]
        full = _full_body(folder, t.name, trunc.group(1).decode("utf-8", "replace"))
        if full is not None:
            t.response_body = full
        t.complete = full is not None
    elif body.rstrip(b"\r\n") == b"(empty)" and t.declared_length != len(b"(empty)"):
        t.response_body = b""
    else:
        # The capture appends one newline after the body.
        if len(body) > t.declared_length and body[t.declared_length:].strip() == b"":
            body = body[:t.declared_length]
        t.response_body = body
    return t


def _full_body(folder, name, hint):
    if not folder:
        return None
    hint = os.path.basename(hint.strip())
    for candidate in (hint + ".gz", hint, name + ".body.gz", name + ".body"):
        path = os.path.join(folder, candidate)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        if candidate.endswith(".gz"):
            data = gzip.decompress(data)
        return data
    return None


def parse_file(path):
    with open(path, "rb") as handle:
        data = handle.read()
    t = parse_bytes(data, name=os.path.basename(path)[:-len(".txt")]
                    if path.endswith(".txt") else os.path.basename(path),
                    folder=os.path.dirname(os.path.abspath(path)))
    t.file = path
    return t


def load_folder(folder):
    """Every ``*.txt`` transcript of a folder, sorted by file name."""
    out = []
    for entry in sorted(os.listdir(folder)):
        if entry.endswith(".txt"):
            out.append(parse_file(os.path.join(folder, entry)))
    return out
