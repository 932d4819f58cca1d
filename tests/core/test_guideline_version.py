"""One guideline version stamp everywhere: a file is ``sha256:`` + 12 hex digits of its bytes,
whether it is read locally, served by the task server, or found in an older record as the 64
bare hex digits the server used to hand out."""

from __future__ import annotations

import hashlib

from rankterm.guidelines import content_version, load_guidelines, normalize_version
from tests.conftest import SAMPLE_GUIDELINES


def test_the_server_s_old_long_form_and_the_local_form_are_one_version():
    data = SAMPLE_GUIDELINES.read_bytes()
    local = load_guidelines(SAMPLE_GUIDELINES).version
    full = hashlib.sha256(data).hexdigest()
    assert local == content_version(data) == f"sha256:{full[:12]}"
    assert normalize_version(full) == local
    assert normalize_version(full.upper()) == local
    assert normalize_version(f"sha256:{full}") == local
    assert normalize_version(local) == local


def test_anything_else_is_left_as_it_is():
    assert normalize_version(None) is None
    assert normalize_version("none") == "none"
    assert normalize_version("v2-draft") == "v2-draft"
    assert normalize_version("abc123") == "abc123"  # too short to be a content hash
