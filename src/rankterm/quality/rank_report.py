"""The report's "Rankings" section: agreement on K-way rankings and gold tau, in Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rankterm.quality.markdown import md, number, table


def rankings_section(summary: Mapping[str, Any]) -> list[str]:
    """Lines of the section, or nothing when the journals hold no rankings."""
    section = summary.get("rankings")
    if not section:
        return []
    w, alpha, implied = section["kendall_w"], section["alpha_ranks"], section["implied_pairs"]
    rows = [
        ["Kendall's W (mean over tasks)", number(w["mean"]), w["n_tasks"], ""],
        ["Kendall's W (lowest task)", number(w["min"]), w["n_tasks"], ""],
        ["alpha over ranks, ordinal", number(alpha["ordinal"]), alpha["n_units"], alpha["reason"]],
        ["alpha over ranks, interval", number(alpha["interval"]), alpha["n_units"], ""],
        ["implied pairs, percent", number(implied["percent"]), implied["n_comparisons"], ""],
        [
            "implied pairs, alpha nominal",
            number(implied["alpha_nominal"]),
            implied["n_comparisons"],
            implied["reason"],
        ],
    ]
    out = [
        "## Rankings",
        "",
        f"{section['n_rankings']} K-way rankings by {section['n_annotators']} annotators on "
        f"{section['n_tasks']} tasks; {section['n_shared_tasks']} tasks ranked by two or more.",
        "",
        "Kendall's W is 1 when everyone gave a task the same order and 0 when their orders "
        "share nothing (tie-corrected, averaged over tasks). Alpha over ranks takes each "
        "candidate's rank as the value (ties share the mean place). Implied pairs: the "
        "comparison each order implies for every two candidates, comparable with agreement on "
        "ordinary pairs. n: tasks, candidates or comparisons used.",
        "",
        table(["measure", "value", "n", "note"], [[md(r[0]), r[1], r[2], md(r[3])] for r in rows]),
    ]
    gold = section.get("gold_tau") or {}
    if gold:
        out += [
            "",
            "Kendall's tau-b against the gold order (1 the same order, -1 reversed):",
            "",
            table(
                ["annotator", "mean tau", "lowest", "gold rankings"],
                [
                    [md(who), number(t["mean_tau"]), number(t["min_tau"]), t["n"]]
                    for who, t in gold.items()
                ],
            ),
        ]
    return out
