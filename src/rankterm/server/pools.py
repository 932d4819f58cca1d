"""Annotator pools: which annotators may judge which pairs (issue #17 §4).

A project states *requirements*, one per slice: ``metadata.language=de:languages=de`` reads
"a pair whose ``metadata.language`` is ``de`` needs an annotator whose profile attribute
``languages`` holds ``de``". The slice side is a slice key as ``rankterm report --by`` reads
it (:func:`rankterm.storage.pair_columns.pair_labels`); a pair can fall in several slices and
then needs every one of their attributes.

The lease path never reads pair JSON for this. Each pair's *pool* (the attribute values it
needs, canonical: ``expertise=medical;languages=de``, ``""`` for none) is computed once, at
import and when the requirements change, into ``pairs.pool``; the project keeps the list of
pools its pairs fall in (``projects.pool_keys``). A lease works out, from the annotator's
profile alone, which of those pools they can serve and filters ``pairs.pool IN (...)``. The
key states what it needs, so a server that still holds the project's old settings (they are
cached for a second) never reads a key by new rules: the worst a stale list does is leave a
new pool out for that second.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from rankterm.core.model import Pair, Task, parse_task
from rankterm.quality.slices import JUDGMENT_PREFIX
from rankterm.server import tables as t
from rankterm.server.core import Project, User, forget_project
from rankterm.storage.pair_columns import JUDGMENT_TAGS, MISSING, pair_labels

P, J = t.pairs, t.judgments

#: A profile attribute's name (``languages``, ``expertise``, ``region``).
ATTR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: One value of an attribute: a language tag, a domain, a region code.
ATTR_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}$")
MAX_VALUES = 32
MAX_REQUIREMENTS = 64
MAX_REQUIREMENT_TEXT = 300
#: The longest pool key (the width of pairs.pool).
MAX_KEY = 2000
_FORM = "SLICE=VALUE:ATTRIBUTE=VALUE, e.g. metadata.language=de:languages=de"
_KEY_SEP = ";"


class PoolError(ValueError):
    """A bad requirement or attribute; the message names it."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """Pairs whose ``slice_key`` has the label ``slice_value`` need ``attr`` to hold ``value``."""

    slice_key: str
    slice_value: str
    attr: str
    value: str

    @property
    def slice(self) -> str:
        return f"{self.slice_key}={self.slice_value}"

    @property
    def need(self) -> str:
        return f"{self.attr}={self.value}"

    def __str__(self) -> str:
        return f"{self.slice}:{self.need}"


def _check_slice_key(text: str, key: str) -> None:
    if key == JUDGMENT_TAGS or key.startswith(JUDGMENT_PREFIX):
        raise PoolError(
            f"requirement {text!r}: {key} is a property of judgments; a requirement's slice "
            "is a property of the pair (metadata.KEY, tags, model, a pair field)"
        )
    parts = key.removeprefix("metadata.").split(".") if key.startswith("metadata.") else [key]
    if not all(re.fullmatch(r"[A-Za-z0-9_-]+", part) for part in parts):
        raise PoolError(
            f"requirement {text!r}: slice key {key!r} is not a pair field or metadata.KEY path"
        )


def check_attr_name(name: str, where: str) -> str:
    if not ATTR_NAME.match(name):
        raise PoolError(
            f"{where}: attribute name {name!r} must be lower-case letters, digits or _ "
            "(1-40, starting with a letter)"
        )
    return name


def check_attr_value(value: str, where: str) -> str:
    if not ATTR_VALUE.match(value):
        raise PoolError(
            f"{where}: value {value!r} must be 1-40 letters, digits or . _ + - "
            "(starting with a letter or digit)"
        )
    return value


def parse_requirement(text: str) -> Requirement:
    """``SLICE=VALUE:ATTRIBUTE=VALUE`` -> :class:`Requirement`; :class:`PoolError` naming
    the requirement otherwise. The attribute side has no ``:``, so the last one splits."""
    if not isinstance(text, str) or not text.strip():
        raise PoolError(f"requirement {text!r}: expected {_FORM}")
    if len(text) > MAX_REQUIREMENT_TEXT:
        raise PoolError(f"requirement {text[:40]!r}...: longer than {MAX_REQUIREMENT_TEXT}")
    slice_part, sep, need = text.strip().rpartition(":")
    if not sep:
        raise PoolError(
            f"requirement {text!r}: no ':' between the slice and what it needs; expected {_FORM}"
        )
    key, eq, slice_value = slice_part.partition("=")
    attr, eq2, value = need.partition("=")
    if not eq or not key.strip() or not slice_value.strip():
        raise PoolError(f"requirement {text!r}: the slice must be KEY=VALUE; expected {_FORM}")
    if not eq2 or not attr.strip() or not value.strip():
        raise PoolError(
            f"requirement {text!r}: what the slice needs must be ATTRIBUTE=VALUE; expected {_FORM}"
        )
    key, slice_value, attr, value = (s.strip() for s in (key, slice_value, attr, value))
    _check_slice_key(text, key)
    where = f"requirement {text!r}"
    check_attr_name(attr, where)
    check_attr_value(value, where)
    return Requirement(key, slice_value, attr, value)


def canonical_requirements(texts: Sequence[str]) -> list[str]:
    """Validated, in canonical form, without duplicates (order kept)."""
    if len(texts) > MAX_REQUIREMENTS:
        raise PoolError(f"at most {MAX_REQUIREMENTS} requirements, got {len(texts)}")
    parsed = [parse_requirement(text) for text in texts]
    # A pair in every slice would need all of them: its key must fit pairs.pool.
    if len(_KEY_SEP.join(sorted({r.need for r in parsed}))) > MAX_KEY:
        raise PoolError(
            f"the requirements need more attribute values together than fit a pool "
            f"({MAX_KEY} characters as ATTRIBUTE=VALUE;...): use shorter names or fewer values"
        )
    return list(dict.fromkeys(str(req) for req in parsed))


def parse_requirements(texts: Iterable[str]) -> list[Requirement]:
    return [parse_requirement(text) for text in texts]


# -- profiles ---------------------------------------------------------------------------------


def parse_attr(text: str) -> tuple[str, list[str]]:
    """``languages=de,en`` (command line) -> ``("languages", ["de", "en"])``."""
    name, sep, values = text.partition("=")
    if not sep:
        raise PoolError(f"--attr {text!r}: expected NAME=VALUE[,VALUE...], e.g. languages=de,en")
    return check_attributes({name.strip(): values.split(",")}, f"--attr {text!r}").popitem()


def check_attributes(attrs: Any, where: str = "attributes") -> dict[str, list[str]]:
    """Pool attributes as stored: ``{name: [value, ...]}``, each a short plain string."""
    if not isinstance(attrs, dict):
        raise PoolError(f"{where}: must be an object of NAME: [VALUE, ...]")
    out: dict[str, list[str]] = {}
    for name, values in attrs.items():
        check_attr_name(name, where)
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not values:
            raise PoolError(f"{where}: {name} must be a non-empty list of strings")
        if len(values) > MAX_VALUES:
            raise PoolError(f"{where}: {name} has more than {MAX_VALUES} values")
        clean = []
        for value in values:
            if not isinstance(value, str):
                raise PoolError(f"{where}: {name} must be a list of strings, not {value!r}")
            clean.append(check_attr_value(value.strip(), where))
        out[name] = list(dict.fromkeys(clean))
    return out


def with_attributes(
    profile: Mapping[str, Any], set_: Mapping[str, list[str]], remove: Iterable[str]
) -> dict[str, Any]:
    """``profile`` with attributes set and removed (its other entries kept as they are)."""
    out = dict(profile)
    for name in remove:
        check_attr_name(name, "remove")
        out.pop(name, None)
    out.update(check_attributes(dict(set_)))
    return out


def holds(profile: Mapping[str, Any], attr: str, value: str) -> bool:
    have = profile.get(attr)
    if isinstance(have, str):
        return have == value
    return isinstance(have, list) and value in have


# -- pools ------------------------------------------------------------------------------------


def _labels(task: Task, key: str) -> list[str]:
    """The slice labels of a pair or ranking task (a ranking task's models are its
    candidates')."""
    if key == "model" and not isinstance(task, Pair):
        return sorted({c.model for c in task.responses if c.model}) or [MISSING]
    return pair_labels(task, key)  # type: ignore[arg-type]


def matching(task: Task, requirements: Sequence[Requirement]) -> list[Requirement]:
    """The requirements whose slice ``task`` is in."""
    cache: dict[str, list[str]] = {}
    out = []
    for req in requirements:
        labels = cache.get(req.slice_key)
        if labels is None:
            labels = cache[req.slice_key] = _labels(task, req.slice_key)
        if req.slice_value in labels:
            out.append(req)
    return out


def key_of(matched: Iterable[Requirement]) -> str:
    """The pool key of a pair in the slices of ``matched``: ``attr=value;...`` sorted."""
    return _KEY_SEP.join(sorted({req.need for req in matched}))


def pool_key(task: Task, requirements: Sequence[Requirement]) -> str:
    """What ``task`` needs of its annotators: canonical ``attr=value;...``, "" for nothing."""
    return key_of(matching(task, requirements))


def key_needs(key: str) -> list[tuple[str, str]]:
    """The (attribute, value) pairs a pool key needs."""
    if not key:
        return []
    return [tuple(part.split("=", 1)) for part in key.split(_KEY_SEP)]  # type: ignore[misc]


def serves(profile: Mapping[str, Any], key: str) -> bool:
    return all(holds(profile, attr, value) for attr, value in key_needs(key))


def allowed(project: Project, user: User) -> list[str]:
    """The pools ``user`` may be leased from: ``""`` (pairs that need nothing) and those of
    the project's pools their profile serves.

    Always a filter, even in a project without requirements: ``project`` may be a second
    stale (get_project's cache) while its pairs already carry new pools, and a stale list
    can then only leave pairs out, never let one through.
    """
    return [""] + [key for key in project.pool_keys if key and serves(user.profile, key)]


def requirements_of(conn: Connection, project_id: int, *, lock: bool = False) -> list[Requirement]:
    """The project's requirements as stored now (not the cached project's)."""
    stmt = select(t.projects.c.requirements).where(t.projects.c.id == project_id)
    if lock:
        stmt = stmt.with_for_update()
    return parse_requirements(conn.execute(stmt).scalar_one() or [])


def add_keys(
    conn: Connection, project: Project, keys: set[str], counts: Mapping[str, int] | None = None
) -> None:
    """Note pools that new pairs fall in, and how many joined each slice (``counts``, by
    requirement), under the project row's lock. Other server processes see new pools when
    their cached settings run out (``PROJECT_TTL``); until then those pairs wait, they are
    never leased outside their pool."""
    keys = {key for key in keys if key}
    if not keys and not counts:
        return
    stmt = select(t.projects.c.pool_keys, t.projects.c.slice_pairs).where(
        t.projects.c.id == project.id
    )
    row = conn.execute(stmt.with_for_update()).one()
    have = list(row.pool_keys or [])
    sizes = dict(row.slice_pairs or {})
    for req, n in (counts or {}).items():
        sizes[req] = sizes.get(req, 0) + n
    conn.execute(
        update(t.projects)
        .where(t.projects.c.id == project.id)
        .values(pool_keys=sorted(set(have) | keys), slice_pairs=sizes)
    )
    if keys - set(have):
        forget_project(conn, project.name)


def recompute(conn: Connection, project_id: int, page: int = 1000) -> None:
    """Every pair's pool under the project's current requirements, and the list of pools.

    Reads every pair once (an admin's change of requirements, not a lease). Live leases are
    left alone: what was handed out stays the annotator's to finish.
    """
    requirements = requirements_of(conn, project_id, lock=True)
    keys: set[str] = set()
    sizes: Counter[str] = Counter()
    after = -1
    set_pool = update(P).where(P.c.seq == bindparam("s")).values(pool=bindparam("p"))
    while True:
        rows = conn.execute(
            select(P.c.seq, P.c.data, P.c.pool)
            .where(P.c.project_id == project_id, P.c.seq > after)
            .order_by(P.c.seq)
            .limit(page)
        ).all()
        if not rows:
            break
        changes = []
        for row in rows:
            matched = matching(parse_task(row.data), requirements) if requirements else []
            sizes.update(str(req) for req in matched)
            key = key_of(matched)
            keys.add(key)
            if key != row.pool:
                changes.append({"s": row.seq, "p": key})
        if changes:
            conn.execute(set_pool, changes)
        after = rows[-1].seq
    conn.execute(
        update(t.projects)
        .where(t.projects.c.id == project_id)
        .values(pool_keys=sorted(k for k in keys if k), slice_pairs=dict(sizes))
    )


# -- report -----------------------------------------------------------------------------------


def report(conn: Connection, project: Project) -> dict[str, Any]:
    """Pool composition: per pool (what its pairs need), the slices that put pairs there,
    its pairs, the active members who qualify, and the judgments made by qualified
    annotators and by others (made before the requirement, or imported by an admin).

    A pool no active member can serve is ``uncovered``: its pairs wait for ever until a
    profile changes or someone joins.
    """
    stored = conn.execute(
        select(t.projects.c.requirements, t.projects.c.slice_pairs).where(
            t.projects.c.id == project.id
        )
    ).one()
    requirements = parse_requirements(stored.requirements or [])
    sizes = stored.slice_pairs or {}
    if not requirements:  # every pair's pool is "" (recompute cleared them): nothing to count
        return {"requirements": [], "members": None, "slices": [], "pools": [], "uncovered": []}
    members = conn.execute(
        select(t.users.c.id, t.users.c.name, t.users.c.profile)
        .join(t.project_members, t.project_members.c.user_id == t.users.c.id)
        .where(t.project_members.c.project_id == project.id, t.users.c.active.is_(True))
        .order_by(t.users.c.name)
    ).all()
    pairs = conn.execute(
        select(
            P.c.pool,
            func.count(),
            func.count().filter(P.c.is_gold.is_(True)),
            func.count().filter(P.c.is_gold.is_(False) & P.c.done.is_(False)),
        )
        .where(P.c.project_id == project.id, P.c.pool != "")
        .group_by(P.c.pool)
    ).all()
    judged = conn.execute(
        select(P.c.pool, J.c.user_id, func.count())
        .join(P, P.c.seq == J.c.pair_seq)
        .where(
            J.c.project_id == project.id,
            P.c.pool != "",
            J.c.retracted.is_(False),
            J.c.superseded.is_(False),
        )
        .group_by(P.c.pool, J.c.user_id)
    ).all()
    by_user: dict[str, dict[int, int]] = defaultdict(dict)
    for row in judged:
        by_user[row[0]][row[1]] = row[2]
    authors = {uid for done in by_user.values() for uid in done}
    profiles = dict(
        conn.execute(
            select(t.users.c.id, t.users.c.profile).where(t.users.c.id.in_(sorted(authors)))
        ).all()
        if authors
        else []
    )
    pools = []
    for key, total, gold, open_ in sorted(pairs, key=lambda r: r[0]):
        qualified = [m.name for m in members if serves(m.profile or {}, key)]
        needs = {f"{a}={v}" for a, v in key_needs(key)}
        done = by_user.get(key, {})
        by_qualified = sum(n for uid, n in done.items() if serves(profiles.get(uid) or {}, key))
        pools.append(
            {
                "pool": key,
                "needs": sorted(needs),
                "slices": sorted({r.slice for r in requirements if r.need in needs}),
                "pairs": total,
                "gold_pairs": gold,
                "open_pairs": open_,
                "qualified": qualified,
                "n_qualified": len(qualified),
                "judgments_by_qualified": by_qualified,
                "judgments_by_others": sum(done.values()) - by_qualified,
                "uncovered": not qualified,
            }
        )
    slices = []
    for req in requirements:
        qualified = [m.name for m in members if holds(m.profile or {}, req.attr, req.value)]
        # Judgments on pairs that need what this slice needs (two slices needing the same
        # attribute value share them); the slice's own pairs are counted exactly.
        keys = [p["pool"] for p in pools if req.need in p["needs"]]
        done = [(uid, n) for key in keys for uid, n in by_user.get(key, {}).items()]
        by_qualified = sum(
            n for uid, n in done if holds(profiles.get(uid) or {}, req.attr, req.value)
        )
        slices.append(
            {
                "requirement": str(req),
                "slice": req.slice,
                "needs": req.need,
                "pairs": sizes.get(str(req), 0),
                "qualified": qualified,
                "n_qualified": len(qualified),
                "judgments_by_qualified": by_qualified,
                "judgments_by_others": sum(n for _, n in done) - by_qualified,
                "uncovered": not qualified,
            }
        )
    return {
        "requirements": [str(r) for r in requirements],
        "members": len(members),
        "slices": slices,
        "pools": pools,
        "uncovered": [p["pool"] for p in pools if p["uncovered"]],
    }


def report_lines(data: Mapping[str, Any]) -> list[str]:
    """The report for a terminal: uncovered pools first and loud."""
    if not data["requirements"]:
        return ["pools: (no requirements: every member may judge every pair)"]
    lines = []
    for pool in data["pools"]:
        if pool["uncovered"]:
            gold = f" and {pool['gold_pairs']} gold items" if pool["gold_pairs"] else ""
            lines.append(
                f"UNCOVERED pool {pool['pool']}: {pool['open_pairs']} open pairs{gold} "
                f"({', '.join(pool['slices'])}) that no active member can judge"
            )
    for item in data["slices"]:
        who = ", ".join(item["qualified"]) or "NOBODY"
        if not item["pairs"]:
            lines.append(f"slice {item['slice']} matches no pair of the project (a misspelt key?)")
            continue
        lines.append(
            f"slice {item['slice']} needs {item['needs']}: {item['pairs']} pairs, "
            f"{item['n_qualified']} of {data['members']} members qualify ({who}), judgments: "
            f"{item['judgments_by_qualified']} by qualified, "
            f"{item['judgments_by_others']} by others"
        )
    for pool in data["pools"]:
        lines.append(
            f"pool {pool['pool']}: {pool['pairs']} pairs ({pool['open_pairs']} open, "
            f"{pool['gold_pairs']} gold), {pool['n_qualified']} qualified, judgments: "
            f"{pool['judgments_by_qualified']} by qualified, "
            f"{pool['judgments_by_others']} by others"
        )
    return lines
