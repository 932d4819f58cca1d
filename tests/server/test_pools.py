"""Annotator pools (issue #17 §4): a slice's pairs go only to annotators whose profile has
what the slice needs: ordinary pairs, gold items and ranking tasks alike."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest

from rankterm.core.model import Pair, RankTask
from rankterm.server import pools, users
from rankterm.server.core import PROJECT_TTL, forget_project, get_project
from rankterm.sources.client import TaskClient
from tests.server.conftest import Backend, judgment
from tests.server.test_cli import run

GERMAN = "metadata.language=de:languages=de"
MEDICAL = "metadata.domain=medical:expertise=medical"


def pair(pair_id: str, gold: str | None = None, **metadata: Any) -> Pair:
    return Pair(
        id=pair_id, prompt="q", response_a="a", response_b="b", metadata=metadata, gold=gold
    )


def attrs(backend: Backend, name: str, **values: list[str]) -> None:
    backend.db.write(lambda conn: users.set_attributes(conn, name, values))


def leased_ids(backend: Backend, project: str, token: str, n: int = 50) -> set[str]:
    with TaskClient(backend.url, project, token) as c:
        return {item.pair.id for item in c.lease(n).leases}


def set_requirements(backend: Backend, project: str, requirements: list[str]) -> None:
    from rankterm.server import projects
    from rankterm.server.schemas import ProjectUpdate

    change = ProjectUpdate(requirements=requirements)
    backend.db.write(lambda conn: projects.update_project(conn, project, change))
    time.sleep(PROJECT_TTL + 0.2)  # the server's cached settings run out


def test_german_slice_never_leased_to_a_non_german_annotator(backend: Backend) -> None:
    project = backend.project(overlap=2, requirements=[GERMAN])
    de = [pair(f"de{i}", language="de") for i in range(3)]
    en = [pair(f"en{i}", language="en") for i in range(3)]
    ranking = RankTask(
        id="rank-de", prompt="q", responses=["x", "y", "z"], metadata={"language": "de"}
    )
    backend.add_pairs(project, [*de, *en, ranking])
    anna, anna_token = backend.user()
    bert, bert_token = backend.user()
    attrs(backend, anna, languages=["en"])
    attrs(backend, bert, languages=["de", "en"])

    assert leased_ids(backend, project, anna_token) == {"en0", "en1", "en2"}
    with TaskClient(backend.url, project, anna_token) as c:
        assert c.lease(10).exhausted  # the German pairs are there, not for her
        # Without a lease she cannot judge one either: the submit path needs the lease.
        acks = c.submit([judgment("de0", anna)])
        assert acks[0].status == "rejected" and "no lease" in (acks[0].reason or "")
    assert leased_ids(backend, project, bert_token) == {
        "de0",
        "de1",
        "de2",
        "en0",
        "en1",
        "en2",
        "rank-de",
    }

    # Her profile changes: her very next lease has the German pairs (one slot left each).
    attrs(backend, anna, languages=["en", "de"])
    assert leased_ids(backend, project, anna_token) == {"de0", "de1", "de2", "rank-de"}


def test_a_pair_in_two_slices_needs_both(backend: Backend) -> None:
    project = backend.project(overlap=1, requirements=[GERMAN, MEDICAL])
    backend.add_pairs(project, [pair("de-med", language="de", domain="medical")])
    de_only, de_token = backend.user()
    both, both_token = backend.user()
    attrs(backend, de_only, languages=["de"])
    attrs(backend, both, languages=["de"], expertise=["medical"])
    assert leased_ids(backend, project, de_token) == set()
    assert leased_ids(backend, project, both_token) == {"de-med"}


def test_gold_items_respect_pools(backend: Backend) -> None:
    project = backend.project(overlap=1, gold_rate=1.0, requirements=[GERMAN])
    backend.add_pairs(
        project,
        [pair("gold-de", gold="A", language="de"), pair("gold-en", gold="A", language="en")],
    )
    anna, anna_token = backend.user()
    bert, bert_token = backend.user()
    attrs(backend, anna, languages=["en"])
    attrs(backend, bert, languages=["de"])
    for _ in range(3):  # gold is drawn at random: never the German one, however often
        assert leased_ids(backend, project, anna_token) <= {"gold-en"}
    assert leased_ids(backend, project, bert_token) == {"gold-de", "gold-en"}


def test_new_requirements_apply_to_the_next_lease_and_leases_out_stay_valid(
    backend: Backend,
) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, [pair(f"de{i}", language="de") for i in range(3)])
    anna, anna_token = backend.user()
    attrs(backend, anna, languages=["en"])
    with TaskClient(backend.url, project, anna_token) as c:
        held = c.lease(1).leases[0]
        set_requirements(backend, project, [GERMAN])
        assert c.lease(10).leases == []
        # The lease she held before the change is still hers to finish.
        assert c.submit([judgment(held.pair.id, anna)])[0].status == "accepted"
    # The report tells that verdict apart: made by someone outside the pool.
    with backend.db.engine.connect() as conn:
        (german,) = pools.report(conn, get_project(conn, project))["pools"]
    assert (german["judgments_by_qualified"], german["judgments_by_others"]) == (0, 1)
    set_requirements(backend, project, [])
    assert len(leased_ids(backend, project, anna_token)) == 2


def test_the_report_calls_out_a_slice_nobody_can_serve(backend: Backend, tmp_path) -> None:
    project = backend.project(overlap=1, requirements=[GERMAN, MEDICAL])
    backend.add_pairs(
        project,
        [pair("de0", language="de"), pair("med0", domain="medical"), pair("en0", language="en")],
    )
    anna, anna_token = backend.user()
    attrs(backend, anna, languages=["de"])
    with TaskClient(backend.url, project, anna_token) as c:
        leases = c.lease(10).leases
        assert {i.pair.id for i in leases} == {"de0", "en0"}
        c.submit([judgment(i.pair.id, anna) for i in leases])
    _, admin_token = backend.user("admin")
    with TaskClient(backend.url, project, admin_token) as c:
        report = c.stats()["pools"]
    assert report["uncovered"] == ["expertise=medical"]
    by_pool = {p["pool"]: p for p in report["pools"]}
    assert by_pool["expertise=medical"]["uncovered"] is True
    assert by_pool["expertise=medical"]["open_pairs"] == 1
    german = by_pool["languages=de"]
    assert german["qualified"] == [anna] and german["judgments_by_qualified"] == 1
    assert german["slices"] == ["metadata.language=de"]
    slices = {s["requirement"]: s for s in report["slices"]}
    assert slices[MEDICAL]["n_qualified"] == 0 and slices[GERMAN]["n_qualified"] == 1
    assert slices[GERMAN]["judgments_by_qualified"] == 1
    assert (slices[GERMAN]["pairs"], slices[MEDICAL]["pairs"]) == (1, 1)
    assert slices[GERMAN]["judgments_by_others"] == 0

    db = str(backend.db_url)
    code, out, _ = run("admin", "project", "pools", project, "--db", db)
    assert code == 0
    assert out.splitlines()[0].startswith("UNCOVERED pool expertise=medical: 1 open pairs")
    code, out, _ = run("admin", "project", "pools", project, "--json", "--db", db)
    assert orjson.loads(out)["uncovered"] == ["expertise=medical"]
    code, out, _ = run("admin", "project", "show", project, "--db", db)
    assert "UNCOVERED pool expertise=medical" in out
    # A misspelt slice key matches nothing: said when set, and in the report.
    typo = "metadata.langauge=de:languages=de"
    code, _, err = run("admin", "project", "set", project, "--require", GERMAN, "--require", typo,
                       "--db", db)  # fmt: skip
    assert code == 0 and f"warning: {typo} matches no pair" in err
    out = run("admin", "project", "pools", project, "--db", db)[1]
    assert "slice metadata.langauge=de matches no pair of the project" in out


def test_admin_api_sets_attributes_and_requirements(server: Backend) -> None:
    project = server.project()
    anna, _ = server.user()
    _, admin_token = server.user("admin")
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=server.url, headers=headers) as http:
        r = http.patch(
            f"/v1/users/{anna}/attributes",
            json={"set": {"languages": ["de", "en"], "region": ["EU"]}, "remove": []},
        )
        assert r.status_code == 200
        assert r.json()["profile"]["languages"] == ["de", "en"]
        r = http.patch(f"/v1/users/{anna}/attributes", json={"remove": ["region"]})
        assert "region" not in r.json()["profile"]
        r = http.patch(f"/v1/users/{anna}/attributes", json={"set": {"languages": ["d e"]}})
        assert r.status_code == 422 and "'d e'" in r.text
        r = http.patch(f"/v1/projects/{project}", json={"requirements": [GERMAN]})
        assert r.status_code == 200 and r.json()["requirements"] == [GERMAN]
        r = http.patch(f"/v1/projects/{project}", json={"requirements": ["metadata.language=de"]})
        assert r.status_code == 422 and "metadata.language=de" in r.text
    # Annotators cannot change anyone's attributes, their own included.
    _, token = server.user()
    r = httpx.patch(
        f"{server.url}/v1/users/{anna}/attributes",
        json={"set": {"languages": ["fr"]}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403


def test_cli_attributes_and_requirements(tmp_path) -> None:
    db = str(tmp_path / "pools.db")
    assert run("admin", "migrate", "--db", db)[0] == 0
    code, _, err = run(
        "admin", "project", "create", "p", "--require", "metadata.language=de", "--db", db
    )
    assert code == 2 and "requirement 'metadata.language=de'" in err and "':'" in err
    code, _, err = run(
        "admin", "project", "create", "p", "--require", "judgment.source=x:languages=de", "--db", db
    )
    assert code == 2 and "judgment.source is a property of judgments" in err
    code, _, err = run(
        "admin",
        "project",
        "create",
        "p",
        "--require",
        "metadata.language=de:Languages=de",
        "--db",
        db,
    )
    assert code == 2 and "attribute name 'Languages'" in err
    assert run("admin", "project", "create", "p", "--require", GERMAN, "--db", db)[0] == 0
    code, out, _ = run("admin", "project", "show", "p", "--db", db)
    assert f"requirements = ['{GERMAN}']" in out
    code, _, err = run("admin", "project", "set", "p", "--require", "x=y:z", "--db", db)
    assert code == 2 and "requirement 'x=y:z'" in err
    assert (
        run("admin", "project", "set", "p", "--require", MEDICAL, "--require", GERMAN, "--db", db)[
            0
        ]
        == 0
    )
    assert (
        f"requirements = ['{MEDICAL}', '{GERMAN}']"
        in run("admin", "project", "show", "p", "--db", db)[1]
    )
    assert run("admin", "project", "set", "p", "--no-requirements", "--db", db)[0] == 0
    assert "requirements = []" in run("admin", "project", "show", "p", "--db", db)[1]

    assert run("admin", "user", "add", "anna", "--attr", "languages=de,en", "--db", db)[0] == 0
    assert (
        run(
            "admin",
            "user",
            "set",
            "anna",
            "--attr",
            "expertise=medical",
            "--attr",
            "region=EU",
            "--db",
            db,
        )[0]
        == 0
    )
    out = run("admin", "user", "list", "--db", db)[1]
    assert "anna\tannotator\texpertise=medical languages=de,en region=EU" in out
    assert run("admin", "user", "set", "anna", "--unset-attr", "region", "--db", db)[0] == 0
    assert "region" not in run("admin", "user", "list", "--db", db)[1]
    code, _, err = run("admin", "user", "set", "anna", "--attr", "languages", "--db", db)
    assert code == 2 and "--attr 'languages'" in err
    code, _, err = run("admin", "user", "set", "anna", "--attr", "languages=de,", "--db", db)
    assert code == 2 and "value ''" in err


# -- the pieces, without a server ----------------------------------------------------------


def test_parse_requirement() -> None:
    req = pools.parse_requirement(" metadata.locale=de:AT:languages=de ")
    assert (req.slice_key, req.slice_value, req.attr, req.value) == (
        "metadata.locale",
        "de:AT",
        "languages",
        "de",
    )
    assert str(pools.parse_requirement("tags=medical:expertise=medical")) == (
        "tags=medical:expertise=medical"
    )
    for bad, says in [
        ("", "expected SLICE=VALUE"),
        ("metadata.language=:languages=de", "the slice must be KEY=VALUE"),
        ("metadata.language=de:languages", "ATTRIBUTE=VALUE"),
        ("metadata..x=de:languages=de", "not a pair field"),
        ("judgment.tags=x:languages=de", "property of judgments"),
        ("metadata.language=de:languages=d/e", "value 'd/e'"),
    ]:
        with pytest.raises(pools.PoolError, match=says):
            pools.parse_requirement(bad)
    assert pools.canonical_requirements([GERMAN, f" {GERMAN} "]) == [GERMAN]
    wide = [f"metadata.x=a:a{'b' * 38}=v{i:02d}{'w' * 36}" for i in range(30)]
    with pytest.raises(pools.PoolError, match="more attribute values together"):
        pools.canonical_requirements(wide)


def test_pool_keys_and_who_serves_them() -> None:
    reqs = pools.parse_requirements([GERMAN, MEDICAL, "metadata.locale=de-AT:languages=de"])
    assert pools.pool_key(pair("x", language="de", domain="medical"), reqs) == (
        "expertise=medical;languages=de"
    )
    assert pools.pool_key(pair("x", locale="de-AT"), reqs) == "languages=de"
    assert pools.pool_key(pair("x", language="en"), reqs) == ""
    ranking = RankTask(
        id="r", prompt="q", responses=["a", "b", "c"], metadata={"domain": "medical"}
    )
    assert pools.pool_key(ranking, reqs) == "expertise=medical"
    model = pools.parse_requirements(["model=m1:languages=de"])
    assert (
        pools.pool_key(
            RankTask(id="r", prompt="q", responses=[{"content": "a", "model": "m1"}, "b", "c"]),
            model,
        )
        == "languages=de"
    )
    key = "expertise=medical;languages=de"
    assert pools.serves({"languages": ["de"], "expertise": ["medical"]}, key)
    assert not pools.serves({"languages": ["de"]}, key)
    assert pools.serves({"languages": "de"}, "languages=de")  # a --profile file's plain string
    assert pools.serves({}, "")


def test_import_after_requirements_records_pools(server: Backend) -> None:
    project = server.project(requirements=[GERMAN])
    server.add_pairs(project, [pair("de0", language="de"), pair("en0", language="en")])
    with server.db.engine.connect() as conn:
        forget_project(conn, project)
        assert get_project(conn, project).pool_keys == ["languages=de"]


def test_blind_repeats_follow_the_pool_too(backend: Backend) -> None:
    """A repeat is a lease like any other: once an annotator no longer serves a pool (their
    profile changed), its pairs do not come back to them as repeats either."""
    project = backend.project(overlap=1, repeat_rate=1.0, repeat_gap=0, requirements=[GERMAN])
    backend.add_pairs(project, [pair("de0", language="de"), pair("en0", language="en")])
    anna, token = backend.user()
    attrs(backend, anna, languages=["de", "en"])
    with TaskClient(backend.url, project, token) as c:
        leases = c.lease(10).leases  # rates summing to 1 with nothing judged: ordinary pairs
        assert {i.pair.id for i in leases} == {"de0", "en0"}
        assert all(
            a.status == "accepted" for a in c.submit([judgment(i.pair.id, anna) for i in leases])
        )
        attrs(backend, anna, languages=["en"])
        again = c.lease(10).leases
        assert [i.pair.id for i in again] == ["en0"]
