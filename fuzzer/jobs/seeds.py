"""Seed streams: where every database state of a job comes from.

The seed of a state is a hash of (job seed, shard, worker, state index), so any state can be
regenerated on its own (`fuzz run --seed S --worker I --replay-to K`), N shards on N machines
explore disjoint streams without talking to each other, and a resumed run continues with fresh
positions rather than repeating the ones it has done.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not m or not (0 <= int(m.group(1)) < int(m.group(2))):
            raise ValueError(f"a shard is K/N with 0 <= K < N, not {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def state_seed(seed: int, shard: Shard, worker: int, state: int) -> int:
    key = f"sqlparity:{seed}:{shard.index}/{shard.count}:{worker}:{state}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


@dataclass(frozen=True)
class Position:
    """Where a check sits in a job's streams: enough to regenerate it."""

    worker: int
    state: int
    check: int

    def __str__(self) -> str:
        return f"{self.worker}/{self.state}/{self.check}"

    @classmethod
    def parse(cls, text: str) -> Position:
        worker, state, check = (int(x) for x in text.split("/"))
        return cls(worker, state, check)
