"""What `fuzz generate` prints, pinned by hash: the generator may not drift by accident.

A refactor of the generator or the dialects must not change a single generated statement,
or every stored seed, finding and benchmark figure would silently mean something else. This
test hashes what `fuzz generate` prints (database script and queries) for every dialect, every
option set and 30 seeds, and compares with the hashes recorded in `golden/generate.json`.

When a change is meant to alter the generated SQL, regenerate the hashes on purpose and commit
them with the change, saying why in the commit message:

    .venv/bin/python tests/test_generator_golden.py     # rewrites tests/golden/generate.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fuzzer.cli import cli
from fuzzer.dialects import DIALECTS

GOLDEN = Path(__file__).parent / "golden" / "generate.json"
SEEDS = range(30)
#: every option set `fuzz generate` takes: the flags, by a name for the data file
OPTION_SETS: dict[str, tuple[str, ...]] = {
    "default": (),
    "deterministic": ("--deterministic",),
    "portable": ("--portable",),
    "deterministic-portable": ("--deterministic", "--portable"),
}


def generate_args(dialect: str, flags: tuple[str, ...], seed: int) -> list[str]:
    return ["generate", "--dialect", dialect, "--seed", str(seed), *flags]


def printed_hash(dialect: str, flags: tuple[str, ...], seed: int) -> str:
    result = CliRunner().invoke(cli, generate_args(dialect, flags, seed))
    assert result.exit_code == 0, result.output
    return hashlib.sha256(result.output.encode()).hexdigest()


def hashes() -> dict[str, dict[str, list[str]]]:
    return {
        dialect: {
            name: [printed_hash(dialect, flags, seed) for seed in SEEDS]
            for name, flags in OPTION_SETS.items()
        }
        for dialect in DIALECTS
    }


@pytest.mark.parametrize("option_set", OPTION_SETS)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_fuzz_generate_prints_what_it_printed_when_the_hashes_were_recorded(
    dialect: str, option_set: str
) -> None:
    recorded = json.loads(GOLDEN.read_text())[dialect][option_set]
    flags = OPTION_SETS[option_set]
    drifted = [
        " ".join(["fuzz", *generate_args(dialect, flags, seed)])
        for seed, expected in zip(SEEDS, recorded, strict=True)
        if printed_hash(dialect, flags, seed) != expected
    ]
    assert not drifted, "the generator now prints something else for:\n" + "\n".join(drifted)


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(hashes(), indent=1) + "\n")
    sys.stdout.write(f"wrote {GOLDEN}\n")
