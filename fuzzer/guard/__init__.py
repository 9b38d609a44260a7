"""The statement guard of server engines: refuse, before sending it, what would leave the scratch.

`core` reads and judges; `postgres` and `mysql` hold each family's rules as data. An engine
builds a `Guard` from its family's `RULES` and a `Scope` read from the server's catalog.
"""

from fuzzer.guard.core import Guard, Rules, Scope

__all__ = ["Guard", "Rules", "Scope"]
