"""Which candidate responses face each other.

``all``: every unordered pair among a prompt's candidates (n candidates, n(n-1)/2 pairs).
``arena``: like Chatbot Arena, a few random pairs of *distinct models* per prompt.
Sides are shuffled with the run's seed, so that model order on the command line never becomes
a position bias in the labels.
"""

from __future__ import annotations

import itertools
import random
from typing import Protocol, TypeVar


class Candidate(Protocol):
    """Anything with the model that wrote it."""

    model: str


C = TypeVar("C", bound=Candidate)

PAIRINGS = ("all", "arena")


def pair_all(candidates: list[C], rng: random.Random) -> list[tuple[C, C]]:
    """Every unordered pair, each with its sides in random order."""
    return [_shuffled(a, b, rng) for a, b in itertools.combinations(candidates, 2)]


def pair_arena(candidates: list[C], count: int, rng: random.Random) -> list[tuple[C, C]]:
    """Up to ``count`` distinct random pairs of candidates from two different models."""
    options = [(a, b) for a, b in itertools.combinations(candidates, 2) if a.model != b.model]
    rng.shuffle(options)
    return [_shuffled(a, b, rng) for a, b in options[:count]]


def _shuffled(a: C, b: C, rng: random.Random) -> tuple[C, C]:
    return (a, b) if rng.random() < 0.5 else (b, a)
