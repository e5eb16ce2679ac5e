"""The release facts (pure): record formats, admin answers, detection."""
from ansible_collections.openio.sds.plugins.module_utils.release import LEGACY, MODERN, detect

CID = "C" * 64


def test_rawx_records_of_each_release():
    legacy = LEGACY.chunk_record("%s|CONTENT|CHUNK" % CID, {"mtime": 7})
    assert legacy == {"container_id": CID, "content_id": "CONTENT", "chunk_id": "CHUNK",
                      "mtime": 7}
    modern = MODERN.chunk_record("%s|CHUNK" % CID, {"content_id": "CONTENT", "mtime": 7,
                                                    "path": "o", "version": 3})
    assert modern == {"container_id": CID, "chunk_id": "CHUNK", "content_id": "CONTENT",
                      "mtime": 7, "path": "o", "version": 3}
    # Each release's key is not the other's.
    assert LEGACY.chunk_record("%s|CHUNK" % CID, {"mtime": 7}) is None
    assert MODERN.chunk_record("%s|CONTENT|CHUNK" % CID, {"mtime": 7}) is None


def test_a_2026_record_without_its_path_cannot_be_pushed_back():
    assert MODERN.chunk_record("%s|CHUNK" % CID, {"content_id": "X", "mtime": 7,
                                                  "version": 1}) is None
    assert MODERN.chunk_record("%s|CHUNK" % CID, {"content_id": "X", "mtime": -1,
                                                  "path": "o", "version": 1}) is None


def test_delete_bodies_name_the_record():
    record = MODERN.chunk_record("%s|CHUNK" % CID, {"content_id": "X", "mtime": 1,
                                                    "path": "o", "version": 1})
    assert MODERN.chunk_delete_body(record) == {"container_id": CID, "content_id": "X",
                                                "chunk_id": "CHUNK"}


def test_admin_has_bodies():
    assert LEGACY.base_file("/v/7D/7D2A.meta1") == ("/v/7D/7D2A.meta1", None)
    assert MODERN.base_file("/v/7D/7D2A.meta1:1796394479") == ("/v/7D/7D2A.meta1", 1796394479)
    # Taken for 7.3.0, the mtime would stay in the path.
    assert LEGACY.base_file("/v/7D/7D2A.meta1:1796394479")[0].endswith(":1796394479")


def test_admin_remove_answers():
    assert LEGACY.removed(200, "") is True
    assert LEGACY.removed(431, "") is False
    assert LEGACY.removed(503, "") is None
    assert MODERN.removed(200, {"deleted": True}) is True
    assert MODERN.removed(200, {"deleted": False}) is False
    assert MODERN.removed(200, "") is None


def test_detection_from_conscience_entries():
    assert detect([]) is None
    assert detect([{"addr": "a", "score": 1, "tags": {"tag.lock": False}}]) is LEGACY
    assert detect([{"addr": "a", "score": 1, "scores": {"score.put": 1, "score.get": 1},
                    "tags": {"tag.lock": False, "tag.putlock": False}}]) is MODERN
