"""Adaptive overlap against a fixed overlap of 3, on the same votes: judgments and hours saved.

Simulated annotators with pre-drawn verdicts judge the same pairs through a real ``rankterm
serve`` (SQLite) twice: in a project with ``--overlap 2 --extra-on-conflict 1`` and in one
with ``--overlap 3``. Annotator k's verdict on a pair is the same in both (``votes[pair][k]``),
so the only difference is the rule. A pair's verdicts are drawn from its own chance of "A":
most pairs are clear (0.9 or 0.1), a share are hard (uniform 0.35-0.65), and some verdicts are
ties. Durations are log-normal (median 40 s; hard pairs take 1.5 times as long).

Figures: judgments each way, judgments saved and their share, hours saved as the server
reports them (``admin project show``: saved judgments times the median duration) and as the
sum of the drawn durations of the verdicts not needed; and pairs sent to adjudication each
way (not like for like: with a fixed overlap, any split under ``any_disagreement`` goes
there; with extra slots, only a split the third verdict did not settle by majority). The
majority label is the same both ways by construction: the third verdict is skipped only when
the first two agree, and then it cannot change their majority.

Usage: ``uv run python benchmarks/bench_adaptive.py [--quick]``.
"""

from __future__ import annotations

import math
import random
import secrets
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from tests.server.conftest import ServerProcess  # noqa: E402

from common import emit, parse_args  # noqa: E402

ANNOTATORS = 3


def draw(n: int, seed: int, hard_share: float, tie_share: float) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        hard = rng.random() < hard_share
        p_a = rng.uniform(0.35, 0.65) if hard else rng.choice((0.9, 0.1))
        votes, durations = [], []
        for _ in range(ANNOTATORS):
            u = rng.random()
            votes.append("tie" if u < tie_share else "A" if rng.random() < p_a else "B")
            seconds = math.exp(rng.gauss(math.log(40), 0.5)) * (1.5 if hard else 1.0)
            durations.append(int(seconds * 1000))
        pairs.append({"id": f"q{i:05d}", "votes": votes, "durations": durations, "hard": hard})
    return pairs


def run_project(url: str, db: Any, pairs: list[dict[str, Any]], **settings: Any) -> dict:
    """Create a project, let the annotators judge what they are served; what it took."""
    from sqlalchemy import select

    from rankterm.core.model import Pair
    from rankterm.server import adaptive, members, projects, users
    from rankterm.server import tables as t
    from rankterm.server.core import get_project, get_user
    from rankterm.server.schemas import ProjectCreate

    name = f"adapt{secrets.token_hex(3)}"
    spec = ProjectCreate(name=name, max_leases=len(pairs), **settings)
    db.write(lambda conn: projects.create_project(conn, spec))
    rows = [
        (i, Pair(id=p["id"], prompt=f"prompt {i}", response_a="a", response_b="b"))
        for i, p in enumerate(pairs)
    ]
    db.write(lambda conn: projects.import_pairs(conn, get_project(conn, name), rows))
    people = []
    for k in range(ANNOTATORS):
        who = f"{name}_a{k}"

        def work(conn: Any, who: str = who) -> str:
            users.add_user(conn, who, "annotator")
            members.add_member(conn, get_project(conn, name), get_user(conn, who))
            return users.create_token(conn, who)

        people.append((who, db.write(work)))
    by_id = {p["id"]: p for p in pairs}
    made = 0
    base = f"{url}/v1/projects/{name}"
    for k, (who, token) in enumerate(people):
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            while True:
                got = http.post(f"{base}/leases", json={"n": 200}).json()["leases"]
                if not got:
                    break
                batch = [
                    {
                        "id": str(uuid.uuid4()),
                        "pair_id": item["pair"]["id"],
                        "annotator": who,
                        "choice": by_id[item["pair"]["id"]]["votes"][k],
                        "strength": None if by_id[item["pair"]["id"]]["votes"][k] == "tie" else 2,
                        "duration_ms": by_id[item["pair"]["id"]]["durations"][k],
                    }
                    for item in got
                ]
                acks = http.post(f"{base}/judgments", json={"judgments": batch}).json()
                assert {a["status"] for a in acks["results"]} == {"accepted"}, acks
                made += len(batch)
    with db.read() as conn:
        project = get_project(conn, name)
        P, J = t.pairs, t.judgments
        conflicts = conn.execute(
            select(P.c.pair_id).where(P.c.project_id == project.id, P.c.conflict.is_(True))
        ).all()
        judged = conn.execute(
            select(P.c.pair_id, J.c.user_id)
            .join(J, J.c.pair_seq == P.c.seq)
            .where(P.c.project_id == project.id)
        ).all()
        saved = adaptive.project_savings(conn, project, fixed=3)
    per_pair = Counter(pair_id for pair_id, _ in judged)
    return {
        "judgments": made,
        "adjudication": len(conflicts),
        "per_pair": per_pair,
        "savings": saved,
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n = 120 if args.quick else 1500
    params = {"pairs": n, "hard_share": 0.3, "tie_share": 0.1, "seed": 7, "quick": args.quick}
    pairs = draw(n, params["seed"], params["hard_share"], params["tie_share"])
    from rankterm.server.db import Database
    from rankterm.server.migrate import run_migrations
    from rankterm.server.settings import resolve_db_url

    with tempfile.TemporaryDirectory(prefix="rankterm-adaptive-") as tmp:
        url = str(Path(tmp) / "a.db")
        db = Database(resolve_db_url(url))
        run_migrations(db)
        server = ServerProcess(url, Path(tmp) / "server.log")
        try:
            adaptive_run = run_project(server.url, db, pairs, overlap=2, extra_on_conflict=1)
            fixed_run = run_project(server.url, db, pairs, overlap=3)
        finally:
            server.stop()
            db.dispose()
    saved = fixed_run["judgments"] - adaptive_run["judgments"]
    unneeded_ms = sum(p["durations"][2] for p in pairs if adaptive_run["per_pair"][p["id"]] == 2)
    server_says = adaptive_run["savings"]
    figures = {
        "judgments_fixed_3": fixed_run["judgments"],
        "judgments_adaptive_2_plus_1": adaptive_run["judgments"],
        "judgments_saved": saved,
        "saved_share": round(saved / fixed_run["judgments"], 4),
        "server_judgments_saved": server_says.judgments_saved,
        "hours_saved_server_estimate": round(server_says.hours_saved or 0.0, 3),
        "hours_saved_drawn_durations": round(unneeded_ms / 3_600_000, 3),
        "adjudication_fixed_3": fixed_run["adjudication"],
        "adjudication_adaptive": adaptive_run["adjudication"],
    }
    emit("adaptive_overlap", params, figures)


if __name__ == "__main__":
    main()
