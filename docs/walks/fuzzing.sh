#!/usr/bin/env bash
# schemathesis against all five services, one operation's tests (introspection, for each of the five
# callers): no server error, a documented status, a body as documented. The test starts its own
# service processes, on the infrastructure `make up` started (its variables: .cache/run/env).
# Needs the repository's Python with its dev dependencies; run it from the repository.
set -euo pipefail
RUN=${INFRA_RUN:-.cache/run}
. "$RUN/stack.env"                    # what make up wrote: the repository, its Python
set -a; . "$RUN/env"; set +a          # the infra variables: Kafka, FerretDB, Mailpit
cd "$(mktemp -d)"                     # hypothesis keeps its examples here, not in the repository
# the whole module (441 tests, minutes): leave out -k; more random cases: FUZZ_EXAMPLES=50
FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-10} "$PYTHON" -m pytest -p no:cacheprovider -q --no-header \
  "$REPO/tests/integration/test_fuzz_openapi.py" -k "${FUZZ_ONLY:-identity and sessions/current]}"
