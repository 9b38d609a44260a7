"""The isolation checker: from a history, the dependency graph and the anomalies in it.

Adya's dependencies between committed transactions:

- ww (write-write): T1 installed a version of a key and T2 the next one;
- wr (write-read): T2 read the version T1 installed;
- rw (anti-dependency): T1 read a version and T2 installed the next one.

List-append keys recover each key's version order exactly (the longest read is the order, and
every read must be a prefix of it). Registers recover it only where a transaction read a
version and then wrote the key: its version follows the one it read. That is transitive, not
immediate, ordering; a cycle through it exists exactly when one through immediate edges does.

Anomalies, each with the levels that forbid it (`FORBIDDEN`):

- without a cycle: internal (a transaction does not see its own writes), G1a (aborted read:
  a committed transaction saw an aborted one's write), G1b (intermediate read: it saw a
  version its writer overwrote later), lost update (two committed transactions read the same
  version of a key and both wrote it), duplicate, garbage read, incompatible order;
- lost update as a cycle too: T read k, U wrote k, then T wrote k over U's version
  (T -rw(k)-> U -ww(k)-> T), the G-single that a read-modify-write on one key makes;
- cycles: G0 (ww only), G1c (ww and wr), G-single (exactly one rw), G2-item (two or more rw),
  G2 (as G2-item, with an anti-dependency of a predicate read).

The smallest cycle of each kind is reported, found by shortest paths (networkx) inside the
graph's strongly connected components, at most `tries` searches per kind: a history without
anomalies costs one pass of Tarjan's algorithm.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from oracles.isolation.history import APPEND, FAIL, INFO, OK, READ, WRITE, History, Op, Txn

#: keys kept per edge, to explain it (and to tell a two-edge cycle on one key)
KEYS_PER_EDGE = 4
WW, WR, RW, RWP = 1, 2, 4, 8  # edge kinds, as bits; RWP: anti-dependency of a predicate read

LEVELS = ("read-uncommitted", "read-committed", "repeatable-read", "snapshot", "serializable")
_ALWAYS = ("internal", "duplicate", "garbage-read", "incompatible-order", "G0")
_RC = (*_ALWAYS, "G1a", "G1b", "G1c")
_SI = (*_RC, "G-single", "lost-update")
#: what each level forbids; repeatable read as PostgreSQL defines it (snapshot isolation):
#: an engine that defines it otherwise ships a profile that accepts what it allows
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "read-uncommitted": _ALWAYS,
    "read-committed": _RC,
    "repeatable-read": _SI,
    "snapshot": _SI,
    "serializable": (*_SI, "G2-item", "G2"),
}
ANOMALIES = FORBIDDEN["serializable"]


@dataclass(frozen=True)
class Step:
    """One edge of a cycle: `src` -kind-> `dst`, because of `key`."""

    src: int
    dst: int
    kind: str
    key: str

    def __str__(self) -> str:
        return f"T{self.src} -{self.kind}({self.key})-> T{self.dst}"


@dataclass(frozen=True)
class Anomaly:
    kind: str
    txns: tuple[int, ...]  # the transactions involved; for a cycle, in its order
    cycle: tuple[Step, ...] = ()
    detail: str = ""
    #: how a G-single came about, when a profile may accept that: "locking-read" (the
    #: anti-dependency's reader T read a key again with a locking read, which saw a newer
    #: version than its snapshot), "write-latest" (T wrote a key over a version newer than
    #: its snapshot: no first-committer-wins)
    via: str | None = None

    def __str__(self) -> str:
        if self.cycle:
            via = f" (via {self.via})" if self.via else ""
            return f"{self.kind}: " + ", ".join(map(str, self.cycle)) + via
        return f"{self.kind}: {self.detail} ({', '.join(f'T{t}' for t in self.txns)})"


@dataclass
class Report:
    anomalies: list[Anomaly]
    txns: int
    edges: int

    def forbidden(
        self, level: str, accepted: Iterable[tuple[str, str | None]] = ()
    ) -> list[Anomaly]:
        """The anomalies `level` forbids, less those a profile accepts: (kind, None) accepts
        every anomaly of that kind, (kind, via) those that came about that way."""
        ok = set(accepted)
        return [
            a for a in self.anomalies
            if a.kind in FORBIDDEN[level] and (a.kind, None) not in ok and (a.kind, a.via) not in ok
        ]  # fmt: skip


@dataclass
class _Graph:
    """Edges between committed transactions: (src, dst) -> kind bits, and a key per kind."""

    kinds: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    keys: dict[tuple[int, int, int], list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, src: int, dst: int, kind: int, key: str) -> None:
        if src == dst:
            return
        self.kinds[src, dst] |= kind
        keys = self.keys[src, dst, kind]
        if key not in keys and len(keys) < KEYS_PER_EDGE:
            keys.append(key)


class Checker:
    """Checks one history; `check()` gives every anomaly found."""

    def __init__(self, history: History, tries: int = 64, per_kind: int = 4) -> None:
        self.txns: dict[int, Txn] = {t.id: t for t in history.txns}
        self.tries = tries
        self.per_kind = per_kind
        self.anomalies: list[Anomaly] = []
        self.graph = _Graph()
        #: (key, value) -> (writer, is its last write of the key)
        self.writer: dict[tuple[str, object], tuple[int, bool]] = {}
        self._lost: set[frozenset[int]] = set()

    def check(self) -> Report:
        self._index()
        self._observe()
        for txn in self.txns.values():
            if txn.status == OK:
                self._internal(txn)
                self._intermediate(txn)
        self._lists()
        self._registers()
        self._cycles()
        return Report(self.anomalies, len(self.txns), len(self.graph.kinds))

    # -- indexing ----------------------------------------------------------------------------

    def _index(self) -> None:
        for txn in self.txns.values():
            last: dict[str, object] = {}
            for op in txn.ops:
                if op.f in (APPEND, WRITE):
                    if (op.key, op.value) in self.writer:
                        raise ValueError(f"{op.key}={op.value!r} is written twice: values must "
                                         "be unique per key")  # fmt: skip
                    self.writer[op.key, op.value] = (txn.id, False)
                    last[op.key] = op.value
            for key, value in last.items():
                self.writer[key, value] = (txn.id, True)

    def _observe(self) -> None:
        """Each list's version order; every version a committed transaction read, checked once
        (aborted, duplicate, garbage reads); the committed transactions, with those of unknown
        outcome whose writes were read. Only committed transactions' reads count.

        Every read of a list must be a prefix of the longest one: the versions in the longest
        read are checked, and those of the reads that are not prefixes, instead of every
        element of every read.
        """
        self._list_reads: dict[str, list[tuple[int, Op]]] = defaultdict(list)
        observed: list[tuple[int, str, tuple]] = []  # reader, key, versions read
        for txn in self.txns.values():
            if txn.status != OK:
                continue
            for op in txn.ops:
                if op.f == READ and isinstance(op.value, tuple):
                    self._list_reads[op.key].append((txn.id, op))
                elif op.f == READ and op.value is not None:
                    observed.append((txn.id, op.key, (op.value,)))
        self._orders: dict[str, tuple] = {}
        self._unordered: set[int] = set()  # the reads that are not a prefix of the order
        for key, reads in self._list_reads.items():
            reader, longest = max(((t, op.value) for t, op in reads), key=lambda r: len(r[1]))
            self._orders[key] = longest
            observed.append((reader, key, longest))
            for tid, op in reads:
                if longest[: len(op.value)] != op.value:
                    self._flag("incompatible-order", [tid], f"read {key}={list(op.value)}, "
                               f"not a prefix of {list(longest)}")  # fmt: skip
                    observed.append((tid, key, op.value))
                    self._unordered.add(id(op))
        self._committed = {t.id for t in self.txns.values() if t.status == OK}
        for tid, key, values in observed:
            if len(values) > 1 and len(set(values)) != len(values):
                self._flag("duplicate", [tid], f"read {key}={list(values)}")
            for value in values:
                w = self.writer.get((key, value))
                if w is None:
                    self._flag("garbage-read", [tid], f"read {key}={value!r}, never written")
                elif self.txns[w[0]].status == FAIL:
                    self._flag("G1a", [tid, w[0]], f"read {key}={value!r}, written by "
                               f"T{w[0]}, which aborted")  # fmt: skip
                elif self.txns[w[0]].status == INFO:
                    self._committed.add(w[0])

    # -- anomalies without a cycle ------------------------------------------------------------

    def _flag(self, kind: str, txns: Iterable[int], detail: str) -> None:
        self.anomalies.append(Anomaly(kind, tuple(txns), detail=detail))

    def _internal(self, txn: Txn) -> None:
        """A transaction's reads must show its own writes, and a list never shrinks."""
        seen: dict[str, Op] = {}
        mine: dict[str, list] = defaultdict(list)
        wrote: dict[str, object] = {}
        for op in txn.ops:
            if op.f == APPEND:
                mine[op.key].append(op.value)
            elif op.f == WRITE:
                wrote[op.key] = op.value
            elif isinstance(op.value, tuple):
                own, last = mine.get(op.key, []), seen.get(op.key)
                before = last.value if last is not None else None
                shrank = before is not None and op.value[: len(before)] != before
                if (own and list(op.value[len(op.value) - len(own):]) != own) or shrank:
                    # a list that shrank after a locking read: the locking read saw a newer
                    # version than the transaction's snapshot
                    via = "locking-read" if shrank and last.locking else None  # type: ignore[union-attr]
                    self.anomalies.append(Anomaly("internal", (txn.id,), detail=(
                        f"read {op.key}={list(op.value)} after reading {list(before or ())} "
                        f"and appending {own}"), via=via))  # fmt: skip
                seen[op.key] = op
            elif op.key in wrote and op.value != wrote[op.key]:
                self._flag("internal", [txn.id],
                           f"read {op.key}={op.value!r} after writing {wrote[op.key]!r}")

    def _intermediate(self, txn: Txn) -> None:
        """A committed transaction read a version its writer overwrote later (G1b)."""
        for op in txn.ops:
            if op.f != READ:
                continue
            values = _seen(op)
            if values:
                w = self.writer.get((op.key, values[-1]))
                if w is not None and not w[1] and w[0] != txn.id:
                    self._flag("G1b", [txn.id, w[0]], f"read {op.key}={values[-1]!r}, which "
                               f"T{w[0]} overwrote later")  # fmt: skip

    # -- version orders and edges -------------------------------------------------------------

    def _owner(self, key: str, value: object) -> int | None:
        """The committed writer of a version, if it was committed."""
        w = self.writer.get((key, value))
        return w[0] if w is not None and w[0] in self._committed else None

    def _lists(self) -> None:
        first: dict[tuple[int, str], int] = {}  # what a transaction saw before appending
        appends: set[tuple[int, str]] = set()
        for txn in self.txns.values():
            if txn.status != OK:
                continue
            for op in txn.ops:
                if op.f == APPEND:
                    appends.add((txn.id, op.key))
                elif isinstance(op.value, tuple) and (txn.id, op.key) not in appends:
                    first.setdefault((txn.id, op.key), len(op.value))
        for key, key_reads in self._list_reads.items():
            order = self._orders[key]
            owners = [self._owner(key, v) for v in order]
            previous = None
            for owner in owners:  # ww: each committed version and the next
                if owner is not None:
                    if previous is not None:
                        self.graph.add(previous, owner, WW, key)
                    previous = owner
            later = [len(owners)] * (len(owners) + 1)  # the next committed version from i on
            for i in range(len(owners) - 1, -1, -1):
                later[i] = i if owners[i] is not None else later[i + 1]
            for tid, op in key_reads:
                if id(op) in self._unordered:
                    continue
                seen = len(op.value)
                while seen and owners[seen - 1] == tid:  # its own appends at the end
                    seen -= 1
                if seen and owners[seen - 1] is not None:
                    self.graph.add(owners[seen - 1], tid, WR, key)
                n = later[seen]
                while n < len(owners) and owners[n] == tid:
                    n = later[n + 1]
                if n < len(owners):
                    nxt = owners[n]
                    assert nxt is not None
                    self.graph.add(tid, nxt, RWP if op.predicate else RW, key)
        self._lost_updates((k, n, tid) for (tid, k), n in first.items() if (tid, k) in appends)

    def _registers(self) -> None:
        readers: dict[tuple[str, object], list[tuple[int, bool]]] = defaultdict(list)
        successors: dict[tuple[str, object], list[int]] = defaultdict(list)
        rmw = []
        for tid in self._committed:
            read: dict[str, object] = {}
            for op in self.txns[tid].ops:
                if op.f == READ and not isinstance(op.value, tuple):
                    owner = self._owner(op.key, op.value) if op.value is not None else None
                    if owner is not None:
                        self.graph.add(owner, tid, WR, op.key)
                    readers[op.key, op.value].append((tid, op.predicate))
                    read.setdefault(op.key, op.value)
                elif op.f == WRITE and op.key in read:
                    # it wrote the key after reading it: its version follows the one it read
                    successors[op.key, read[op.key]].append(tid)
                    rmw.append((op.key, read.pop(op.key), tid))
        for (key, value), after in successors.items():
            before = self._owner(key, value) if value is not None else None
            for tid in after:
                if before is not None:
                    self.graph.add(before, tid, WW, key)
                for reader, predicate in readers.get((key, value), ()):
                    self.graph.add(reader, tid, RWP if predicate else RW, key)
        self._lost_updates(rmw)

    def _lost_updates(self, read_then_wrote: Iterable[tuple[str, object, int]]) -> None:
        """Two committed transactions read one version of a key, then both wrote the key."""
        by_version: dict[tuple[str, object], list[int]] = defaultdict(list)
        for key, version, tid in read_then_wrote:
            by_version[key, version].append(tid)
        for (key, _), tids in sorted(by_version.items(), key=lambda kv: min(kv[1])):
            if len(tids) > 1:
                pair = sorted(tids)[:2]
                self._lost.add(frozenset(pair))
                self._flag("lost-update", pair, f"both read the same version of {key} and "
                           "wrote it")  # fmt: skip

    # -- cycles ------------------------------------------------------------------------------

    def _cycles(self) -> None:
        full = nx.DiGraph()
        full.add_edges_from(self.graph.kinds)
        components = [c for c in nx.strongly_connected_components(full) if len(c) > 1]
        if not components:
            return
        nodes = set().union(*components)
        kinds = self.graph.kinds
        inner = {e: k for e, k in kinds.items() if e[0] in nodes and e[1] in nodes}

        def sub(mask: int) -> nx.DiGraph:
            g = nx.DiGraph()
            g.add_edges_from(e for e, k in inner.items() if k & mask)
            return g

        ww, g1, g = sub(WW), sub(WW | WR), sub(WW | WR | RW | RWP)
        found: dict[str, list[tuple[Step, ...]]] = defaultdict(list)
        self._close(found, "G0", ww, [e for e, k in inner.items() if k & WW], WW)
        self._close(found, "G1c", g1, [e for e, k in inner.items() if k & WR], WW | WR)
        # an anti-dependency that is also a ww or wr edge makes a G0 or G1c, found as such
        anti = [e for e, k in inner.items() if k & (RW | RWP) and not k & (WW | WR)]
        self._close(found, "G-single", g1, anti, WW | WR)
        self._close(found, "G2", g, anti, WW | WR | RW | RWP)
        for kind in ("G0", "G1c", "lost-update", "G-single", "G2-item", "G2"):
            unique = {frozenset((s.src, s.dst) for s in c): c for c in found.get(kind, [])}
            for cycle in sorted(unique.values(), key=len)[: self.per_kind]:
                txns = tuple(s.src for s in cycle)
                self.anomalies.append(Anomaly(kind, txns, cycle, via=self._via(cycle)))

    def _via(self, cycle: tuple[Step, ...]) -> str | None:
        """How the cycle's one anti-dependency T -rw-> U is closed: by a ww edge into T, or a
        wr edge on a key T wrote ("write-latest"), or a wr edge on a key T read with a
        locking read ("locking-read")."""
        anti = [n for n, s in enumerate(cycle) if s.kind.startswith("rw")]
        if len(anti) != 1:
            return None
        back = cycle[anti[0] - 1]  # the step into the anti-dependency's reader
        reader = self.txns[back.dst]
        if back.kind == "ww" or (back.kind == "wr" and any(
            op.f in (APPEND, WRITE) and op.key == back.key for op in reader.ops
        )):  # fmt: skip
            return "write-latest"
        if back.kind == "wr" and any(
            op.f == READ and op.locking and op.key == back.key for op in reader.ops
        ):
            return "locking-read"
        return None

    def _close(
        self,
        found: dict[str, list[tuple[Step, ...]]],
        kind: str,
        graph: nx.DiGraph,
        starts: list[tuple[int, int]],
        path_mask: int,
    ) -> None:
        """Cycles made of one of `starts` and the shortest path back through `graph`."""
        tries = 0
        for src, dst in sorted(starts):
            if tries >= self.tries:
                return
            if src not in graph or dst not in graph:
                continue
            tries += 1
            try:
                path = nx.bidirectional_shortest_path(graph, dst, src)
            except nx.NetworkXNoPath:
                continue
            first = self._kind_of(src, dst, {"G0": WW, "G1c": WR}.get(kind, RW | RWP))
            cycle = (first, *(self._kind_of(a, b, path_mask) for a, b in itertools.pairwise(path)))
            cycle = self._one_key(cycle)
            label = kind if kind in ("G0", "G1c") else self._classify(cycle)
            if frozenset(s.src for s in cycle) in self._lost:
                continue  # reported as the lost update it is
            if label is not None:
                found[label].append(cycle)

    def _one_key(self, cycle: tuple[Step, ...]) -> tuple[Step, ...]:
        """A two-step cycle told by one key, when both its edges have one in common (a
        read-modify-write on that key: the lost update it is)."""
        if len(cycle) != 2:
            return cycle
        common = set(self._keys(cycle[0])) & set(self._keys(cycle[1]))
        if not common or (cycle[0].key in common and cycle[1].key in common):
            return cycle
        key = min(common)
        return tuple(Step(s.src, s.dst, s.kind, key) for s in cycle)

    def _keys(self, step: Step) -> list[str]:
        bit = {"ww": WW, "wr": WR, "rw": RW, "rw-predicate": RWP}[step.kind]
        return self.graph.keys[step.src, step.dst, bit]

    def _classify(self, cycle: tuple[Step, ...]) -> str | None:
        anti = [s for s in cycle if s.kind in ("rw", "rw-predicate")]
        if len(cycle) == 2 and len(anti) == 1 and {s.kind for s in cycle} & {"ww"} and \
                cycle[0].key == cycle[1].key:  # fmt: skip
            # T read k, U wrote k, T wrote k over U's version: T's update was made on what it
            # had read, not on what it overwrote
            return "lost-update"
        if len(anti) == 1:
            return "G-single"
        if not anti:
            return None  # a G1c, found as such
        return "G2" if any(s.kind == "rw-predicate" for s in anti) else "G2-item"

    def _kind_of(self, src: int, dst: int, mask: int) -> Step:
        bits = self.graph.kinds[src, dst] & mask
        for bit, name in ((WW, "ww"), (WR, "wr"), (RW, "rw"), (RWP, "rw-predicate")):
            if bits & bit:
                return Step(src, dst, name, self.graph.keys[src, dst, bit][0])
        raise AssertionError("no edge of that kind")


def _seen(op: Op) -> tuple:
    """The versions a read observed: a list's elements, or a register's value."""
    if isinstance(op.value, tuple):
        return op.value
    return () if op.value is None else (op.value,)


def check(history: History) -> Report:
    return Checker(history).check()
