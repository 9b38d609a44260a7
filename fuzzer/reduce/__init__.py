"""`fuzz reduce`: shrink a case to the smallest script that still shows the same problem.

    from fuzzer.reduce import Reducer, SameError
    result = Reducer(SameError(engine, "22012"), dialect="sqlite").reduce(statements)
    result.statements, result.stats.trials

Modules: `ddmin` (delta debugging over lists), `passes` (candidate edits, lexical and over the
Lark parse tree), `interesting` (what "the same problem" means), `reducer` (the loop).
"""

from fuzzer.reduce.ddmin import ddmin
from fuzzer.reduce.interesting import Command, Crash, Interesting, SameError, SameFinding
from fuzzer.reduce.reducer import Grammar, NotInteresting, Reducer, Reduction, Stats, reduce

__all__ = [
    "Command",
    "Crash",
    "Grammar",
    "Interesting",
    "NotInteresting",
    "Reducer",
    "Reduction",
    "SameError",
    "SameFinding",
    "Stats",
    "ddmin",
    "reduce",
]
