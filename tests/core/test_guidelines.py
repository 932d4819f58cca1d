from __future__ import annotations

from rankterm.guidelines import find_guidelines, load_guidelines, parse_guidelines

DOC = """# Team guidelines

Intro text.

## General principles
tags: general

Be careful.

## Code and technical answers
tags: coding, sql

```python
## not a heading inside code
```
Check the code runs.

## Medical
Prefer safety.
"""


def test_sections_are_keyed_by_slug_and_tags_line():
    guide = parse_guidelines(DOC, version="v")
    assert guide.title == "Team guidelines"
    assert [s.title for s in guide.sections] == [
        "General principles",
        "Code and technical answers",
        "Medical",
    ]
    code = guide.sections[1]
    assert {"coding", "sql", "code-and-technical-answers"} <= code.keys
    assert "## not a heading" in code.body and not code.body.startswith("tags")
    assert [s.title for s in guide.for_tags(["sql"])] == ["Code and technical answers"]
    assert [s.title for s in guide.for_tags(["Medical"])] == ["Medical"]
    assert [s.title for s in guide.for_tags(["unknown"])] == ["General principles"]


def test_version_is_the_content_hash(tmp_path):
    path = tmp_path / "guidelines.md"
    path.write_text(DOC)
    first = load_guidelines(path).version
    path.write_text(DOC + "\nmore\n")
    assert load_guidelines(path).version != first
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 12


def test_found_beside_the_pairs_file(tmp_path):
    (tmp_path / "guidelines.md").write_text(DOC)
    assert find_guidelines(None, tmp_path / "pairs.jsonl").title == "Team guidelines"
    assert find_guidelines(None, tmp_path / "sub" / "pairs.jsonl").version == "none"
