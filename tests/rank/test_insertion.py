"""The binary-insertion engine: full orders by truth-telling answers, never an implied
question, contradictions caught and settled, the same state from the same comparisons."""

from __future__ import annotations

import itertools
import uuid

import pytest

from rankterm.core.insertion import (
    Closure,
    Edge,
    Ranker,
    insertion_sequence,
    withdrawn_by,
    worst_case_comparisons,
)
from rankterm.core.model import Choice, Order, parse_order


def weak_orders(k: int) -> list[Order]:
    """Every order of k candidates with ties (ordered set partitions), once each."""
    out: list[Order] = []
    for labels in itertools.product(range(k), repeat=k):
        used = sorted(set(labels))
        if used != list(range(len(used))):
            continue
        out.append([[i for i in range(k) if labels[i] == t] for t in used])
    return out


def truth(order: Order, a: int, b: int) -> Choice:
    rank = {i: t for t, tier in enumerate(order) for i in tier}
    if rank[a] == rank[b]:
        return Choice.TIE
    return Choice.A if rank[a] < rank[b] else Choice.B


def run(order: Order, k: int, sequence=None) -> tuple[Order, int]:
    edges: list[Edge] = []
    asked = 0
    while True:
        ranker = Ranker(k, edges, sequence=sequence)
        q = ranker.next_question()
        if q is None:
            return ranker.order(), asked
        assert ranker.relation(q.a, q.b) is None, "an implied comparison was asked"
        assert not q.recheck
        asked += 1
        edges.append(Edge(uuid.uuid4(), q.a, q.b, truth(order, q.a, q.b)))
        assert asked <= k * (k - 1) // 2


@pytest.mark.parametrize("k", [3, 4, 5])
def test_every_weak_order_is_found_within_the_worst_case(k):
    for order in weak_orders(k):
        found, asked = run(order, k, insertion_sequence(k, f"x{order}"))
        assert found == [sorted(t) for t in order]
        assert asked <= worst_case_comparisons(k)


def test_six_strict_orders_take_at_most_eleven_of_fifteen():
    worst = 0
    for perm in itertools.permutations(range(6)):
        order = [[i] for i in perm]
        found, asked = run(order, 6)
        assert found == order
        worst = max(worst, asked)
    assert worst == worst_case_comparisons(6) == 11


def test_worst_case_formula():
    assert [worst_case_comparisons(k) for k in (3, 4, 6, 9)] == [3, 5, 11, 21]


def test_a_tie_puts_the_candidate_into_the_tier():
    ranker = Ranker(3, [Edge(1, 1, 0, Choice.TIE)])
    assert ranker.progress().tiers == [[0, 1]]
    q = ranker.next_question()
    assert (q.a, q.b) == (2, 0)  # against the tier's representative, not each member
    ranker = Ranker(3, [Edge(1, 1, 0, Choice.TIE), Edge(2, 2, 0, Choice.B)])
    assert ranker.order() == [[0, 1], [2]]


def test_same_comparisons_give_the_same_next_question():
    seq = insertion_sequence(6, "ann\x00task")
    assert seq == insertion_sequence(6, "ann\x00task")
    edges = [Edge(1, seq[1], seq[0], Choice.A), Edge(2, seq[2], seq[0], Choice.B)]
    assert (
        Ranker(6, edges, sequence=seq).next_question()
        == Ranker(6, list(edges), sequence=seq).next_question()
    )


def test_undo_is_dropping_the_last_comparison():
    edges = [Edge(1, 1, 0, Choice.A)]
    before = Ranker(3, edges).next_question()
    after = Ranker(3, [*edges, Edge(2, before.a, before.b, Choice.B)]).next_question()
    assert Ranker(3, edges).next_question() == before != after


def chain() -> list[Edge]:
    # A > B, B > C (so A > C is implied and never asked)
    return [Edge("ab", 0, 1, Choice.A), Edge("bc", 1, 2, Choice.A)]


def test_closure_implies_transitive_answers():
    closure = Closure(3, chain())
    assert closure.relation(0, 2) is Choice.A
    assert closure.relation(2, 0) is Choice.B
    assert closure.consistent


def test_typed_order_against_the_comparisons_is_reasked():
    ranker = Ranker(3, chain(), typed=parse_order("CAB", 3))  # says C > A > B
    q = ranker.next_question()
    # C > A contradicts A > B > C; C > B contradicts B > C
    assert q.recheck and {q.a, q.b} == {0, 2}
    assert q.implied is Choice.A and q.typed is Choice.B  # A-vs-C terms: A better, typed C
    assert ranker.order() is None


def test_insisting_on_a_contradiction_withdraws_the_chain():
    new = Edge("ca", 2, 0, Choice.A)  # C > A after A > B > C
    gone = withdrawn_by(3, chain(), new)
    assert {e.id for e in gone} == {"ab", "bc"}
    ranker = Ranker(3, [*chain(), new])
    assert {e.id for e in ranker.dropped} == {"ab", "bc"}
    assert ranker.closure.consistent
    assert ranker.relation(2, 0) is Choice.A


def test_changing_ones_mind_on_a_reask_keeps_the_chain():
    new = Edge("ac", 0, 2, Choice.A)  # the re-ask confirms A > C
    assert withdrawn_by(3, chain(), new) == []


def test_a_new_answer_replaces_the_old_one_on_the_same_pair():
    gone = withdrawn_by(3, chain(), Edge("ba", 1, 0, Choice.TIE))
    assert [e.id for e in gone] == ["ab"]


def test_tie_contradiction_inside_a_class():
    edges = [Edge("t1", 0, 1, Choice.TIE), Edge("t2", 1, 2, Choice.TIE)]
    gone = withdrawn_by(3, edges, Edge("x", 0, 2, Choice.A))
    assert {e.id for e in gone} == {"t1", "t2"}
    ranker = Ranker(3, [*edges, Edge("x", 0, 2, Choice.A)])
    assert ranker.closure.consistent


def test_typed_order_settled_by_reasks_is_the_answer():
    typed = parse_order("CAB", 3)
    edges = chain()
    ranker = Ranker(3, edges, typed=typed)
    while (q := ranker.next_question()) is not None:
        edges.append(Edge(uuid.uuid4(), q.a, q.b, q.typed))  # the person confirms the typed
        ranker = Ranker(3, edges, typed=typed)
    assert ranker.order() == [[2], [0], [1]]


def test_typed_order_with_unasked_pairs_stands():
    ranker = Ranker(4, [Edge(1, 0, 1, Choice.A)], typed=parse_order("A=C>B>D", 4))
    assert ranker.next_question() is None
    assert ranker.order() == [[0, 2], [1], [3]]


def test_bad_sequence_is_refused():
    with pytest.raises(ValueError):
        Ranker(3, sequence=[0, 0, 1])
