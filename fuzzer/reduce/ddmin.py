"""Delta debugging: the smallest sublist of a list that still passes a test.

Zeller and Hildebrandt's ddmin ("Simplifying and Isolating Failure-Inducing Input", 2002).
The reducer uses it wherever the parts of a case are independent-looking items whose order
matters: the statements of a script, the rows of a multi-row INSERT. It is a pure function
of its input and the test's answers, so a reduction is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Sequence[T], n: int) -> list[list[T]]:
    """Split items into n contiguous chunks whose sizes differ by at most one."""
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (i < extra)
        out.append(list(items[start:end]))
        start = end
    return [c for c in out if c]


def ddmin(items: Sequence[T], test: Callable[[list[T]], bool]) -> list[T]:
    """A 1-minimal sublist of `items` (order kept) for which `test` holds.

    `test(items)` is assumed to hold and the empty list is never tried. Each round splits the
    current list into n chunks and tries each chunk alone (one statement may be all that
    matters), then each complement (drop one chunk), and doubles n when neither helps.
    """
    current = list(items)
    n = 2
    while len(current) >= 2:
        parts = chunks(current, min(n, len(current)))
        reduced = next((p for p in parts if len(parts) > 1 and test(p)), None)
        if reduced is not None:
            current, n = reduced, 2
            continue
        if len(parts) > 2:  # with two parts, each complement is the other part
            for i in range(len(parts)):
                complement = [x for j, p in enumerate(parts) if j != i for x in p]
                if test(complement):
                    reduced = complement
                    break
        if reduced is not None:
            current, n = reduced, max(n - 1, 2)
            continue
        if len(parts) >= len(current):
            break
        n = min(2 * n, len(current))
    return current
