#!/usr/bin/env python3
"""Runs a peer minimizer on the wanted-action sets of a refine benchmark corpus.

Usage: minimize.py PEER CORPUS_DIR OUT [EVERY]

PEER is `policy_sentry` (policy_sentry.writing.minimize.minimize_statement_actions,
PyPI policy-sentry) or `policyuniverse` (policyuniverse.expander_minimizer.
minimize_statement_actions, PyPI policyuniverse). CORPUS_DIR is what
`cargo bench --bench corpus -- generate` wrote: `wanted.jsonl` (per case, per
Allow statement, the catalog actions that must stay allowed) and `actions.txt`
(every action of refine's bundled catalog). Every EVERY-th case is run (1:
all of them).

Both peers are given the same catalog as refine, lowercased (both compare
lowercased names): policy_sentry through its `all_actions` argument,
policyuniverse by replacing its module-level `all_permissions` (its own
bundled list dates from 2023 and would reject newer wanted actions). So the
comparison is of the algorithms on the same data, not of catalog ages.

Writes OUT as JSON lines, one per case run:
    {"id": ..., "seconds": ..., "statements": [{"index": i, "actions": [...]}
                                                or {"index": i, "error": "..."}]}
`seconds` is the time inside the minimizer calls only (not reading files).
"""

import contextlib
import io
import json
import sys
import time


def load_peer(name, catalog):
    if name == "policy_sentry":
        from policy_sentry.writing.minimize import minimize_statement_actions

        def run(wanted):
            return minimize_statement_actions(wanted, catalog)

        return run
    if name == "policyuniverse":
        from policyuniverse import expander_minimizer

        expander_minimizer.all_permissions = catalog

        def run(wanted):
            statement = {"Effect": "Allow", "Action": wanted, "Resource": "*"}
            # It prints a line per "denied prefix" action; keep stdout clean.
            with contextlib.redirect_stdout(io.StringIO()):
                return expander_minimizer.minimize_statement_actions(statement)

        return run
    sys.exit(f"minimize.py: unknown peer {name!r}: policy_sentry or policyuniverse")


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    peer, corpus, out = sys.argv[1:4]
    every = int(sys.argv[4]) if len(sys.argv) == 5 else 1
    with open(f"{corpus}/actions.txt") as f:
        catalog = {line.strip().lower() for line in f if line.strip()}
    run = load_peer(peer, catalog)
    with open(f"{corpus}/wanted.jsonl") as f, open(out, "w") as w:
        for n, line in enumerate(f):
            if n % every:
                continue
            case = json.loads(line)
            statements = []
            seconds = 0.0
            for statement in case["statements"]:
                start = time.perf_counter()
                try:
                    actions = run(list(statement["wanted"]))
                    result = {"index": statement["index"], "actions": actions}
                except Exception as err:  # a peer's failure is a result too
                    result = {"index": statement["index"], "error": f"{type(err).__name__}: {err}"}
                seconds += time.perf_counter() - start
                statements.append(result)
            w.write(json.dumps({"id": case["id"], "seconds": seconds, "statements": statements}) + "\n")


if __name__ == "__main__":
    main()
