"""Annotation guidelines: a Markdown file split into sections keyed by tag.

A section is a ``## `` heading and what follows it. Its keys are the heading's slug plus any
names on a ``tags:`` line directly under the heading, so a guideline owner decides which pairs a
section is shown beside without touching the data. The file's content hash is stamped on every
judgment as ``guideline_version``: when the guidelines change, the data says which labels were
made under which text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from rankterm.core.errors import RanktermError, display_path

_TAGS_LINE = re.compile(r"^\s*(?:tags|keys)\s*:\s*(.+)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")


def slug(text: str) -> str:
    """``Code and technical answers`` -> ``code-and-technical-answers``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Section:
    """One ``## `` section of the guidelines."""

    title: str
    keys: frozenset[str]
    body: str

    @property
    def summary(self) -> str:
        """The first sentence-ish line of the body, for the compact panel."""
        for line in self.body.splitlines():
            text = line.strip().lstrip("#>*- ").strip()
            if text:
                return text
        return ""


@dataclass(frozen=True)
class Guidelines:
    """A parsed guideline document and its version."""

    text: str
    version: str
    path: Path | None = None
    title: str = "Guidelines"
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def for_tags(self, tags: list[str] | tuple[str, ...]) -> list[Section]:
        """Sections matching any of a pair's tags, in document order; else the general ones."""
        wanted = {slug(t) for t in tags} | {t.lower() for t in tags}
        matched = [s for s in self.sections if s.keys & wanted]
        if matched:
            return matched
        return [s for s in self.sections if s.keys & {"general", "overview"}]


EMPTY = Guidelines(text="", version="none", title="No guidelines")


_HEX_STAMP = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{12,64})$")


def content_version(data: bytes) -> str:
    """``sha256:`` + 12 hex digits of the file's bytes: short to show, long enough to trust.
    The one stamp for a guideline text, locally and on the task server."""
    return "sha256:" + hashlib.sha256(data).hexdigest()[:12]


def text_version(text: str) -> str:
    """:func:`content_version` of a text (as stored on the task server), by its UTF-8 bytes."""
    return content_version(text.encode("utf-8", "surrogatepass"))


def normalize_version(version: str | None) -> str | None:
    """The stamp of ``version`` as :func:`content_version` writes it. Task servers before
    2026-12 stamped the full 64 hex digits, with no prefix: records made then name the same
    document as ``sha256:`` + its first 12 digits, and are compared and reported as such.
    Anything that is not a content hash (a hand-written version, ``none``) is left alone."""
    if version is None:
        return None
    match = _HEX_STAMP.match(version.strip())
    if match is None or (len(match.group(1)) < 64 and not version.startswith("sha256:")):
        return version
    return "sha256:" + match.group(1)[:12].lower()


def parse_guidelines(text: str, *, version: str, path: Path | None = None) -> Guidelines:
    title = "Guidelines"
    sections: list[Section] = []
    current_title: str | None = None
    current_keys: set[str] = set()
    body: list[str] = []
    in_fence = False
    expect_tags = False

    def close() -> None:
        if current_title is not None:
            sections.append(
                Section(current_title, frozenset(current_keys), "\n".join(body).strip())
            )

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("# ") and title == "Guidelines" and not sections:
            title = line[2:].strip() or title
            if current_title is None:
                continue
        if not in_fence and line.startswith("## "):
            close()
            current_title = line[3:].strip()
            current_keys = {slug(current_title)}
            body = []
            expect_tags = True
            continue
        if expect_tags:
            match = _TAGS_LINE.match(line)
            if match:
                current_keys |= {slug(k) for k in match.group(1).split(",") if k.strip()}
                current_keys |= {k.strip().lower() for k in match.group(1).split(",") if k.strip()}
                expect_tags = False
                continue
            if line.strip():
                expect_tags = False
        if current_title is not None:
            body.append(line)
    close()
    return Guidelines(text=text, version=version, path=path, title=title, sections=tuple(sections))


def load_guidelines(path: Path | str) -> Guidelines:
    """Read and parse a guideline file; a problem is reported by path, never a traceback."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RanktermError(
            f"{display_path(path)}: cannot read guidelines ({exc.strerror})"
        ) from None
    text = data.decode("utf-8", errors="replace")
    return parse_guidelines(text, version=content_version(data), path=path)


def find_guidelines(explicit: Path | None, pairs_path: Path | None) -> Guidelines:
    """``--guidelines`` if given, else ``guidelines.md`` beside the pairs file, else none."""
    if explicit is not None:
        return load_guidelines(explicit)
    if pairs_path is not None:
        beside = pairs_path.parent / "guidelines.md"
        if beside.is_file():
            return load_guidelines(beside)
    return EMPTY


# -- versions: what changed between two texts -------------------------------------------------


@dataclass(frozen=True)
class SectionDiff:
    """Sections of two guideline versions matched by the slug of their title."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    #: Keys (title slugs and ``tags:`` names) of every added, removed or changed section, in
    #: either version: a pair whose tags meet one of them was judged under text that moved.
    keys: frozenset[str] = frozenset()

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def lines(self) -> list[str]:
        """One line per section that moved, ``+`` added, ``-`` removed, ``~`` changed."""
        out = [f"+ {title}" for title in self.added]
        out += [f"- {title}" for title in self.removed]
        out += [f"~ {title}" for title in self.changed]
        return out


def _normalized(body: str) -> str:
    """A section's text up to whitespace: re-wrapping a paragraph is not a new rule."""
    return " ".join(body.split())


def section_diff(old: Guidelines, new: Guidelines) -> SectionDiff:
    """Which sections were added, removed or changed from ``old`` to ``new``. A section whose
    ``tags:`` line changed is changed too: it is now shown beside other pairs."""
    before = {slug(s.title): s for s in old.sections}
    after = {slug(s.title): s for s in new.sections}
    added = [after[k] for k in after if k not in before]
    removed = [before[k] for k in before if k not in after]
    changed, unchanged = [], []
    for key, section in after.items():
        if key not in before:
            continue
        then = before[key]
        if _normalized(then.body) != _normalized(section.body) or then.keys != section.keys:
            changed.append((then, section))
        else:
            unchanged.append(section)
    keys: set[str] = set()
    for section in (*added, *removed):
        keys |= section.keys
    for then, now in changed:
        keys |= then.keys | now.keys
    return SectionDiff(
        added=tuple(s.title for s in added),
        removed=tuple(s.title for s in removed),
        changed=tuple(now.title for _, now in changed),
        unchanged=tuple(s.title for s in unchanged),
        keys=frozenset(keys),
    )


def touched_by(diff: SectionDiff, old: Guidelines, new: Guidelines, tags: list[str]) -> bool:
    """Whether a pair with ``tags`` was shown (or is now shown) a section that moved: the
    sections :meth:`Guidelines.for_tags` picks for it, in either version."""
    shown = {*old.for_tags(tags), *new.for_tags(tags)}
    return any(section.keys & diff.keys for section in shown)
