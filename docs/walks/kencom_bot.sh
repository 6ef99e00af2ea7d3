#!/usr/bin/env bash
# kencom's bot defence (seed 003 【参考】, ID-BOT): every login carries a solved proof-of-work
# challenge (ALTCHA), checked before anything of the login ID is read; failures from an address
# make its next challenges harder. Needs curl, jq, the repository's Python (for altcha, solving as
# the browser's widget does) and a stack started by `make up`; run it from the repository.
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the Python
cd "$(mktemp -d)"
ID=$IDENTITY_URL/v1/realms/kencom; J='content-type: application/json'
WHO=nobody-$RANDOM$RANDOM@example.jp
# a call that must succeed: its answer, or its error answer on stderr and the walk stops
api() { local out; out=$(curl -sS --fail-with-body "$@") || { echo "$out" >&2; return 1; }
  if [ -n "$out" ]; then printf '%s\n' "$out"; fi; }
login() { curl -sS -X POST "$ID/login" -H "$J" -d "{\"login_id\": \"$WHO\", \"password\": \"x\"$1}" \
  | jq -r .code; }
# the challenge the widget asks for: how many numbers a browser may have to try
api "$ID/login/challenge" > challenge.json; jq -r '"maxNumber \(.parameters.data.maxNumber)"' challenge.json
# 1. no challenge: refused before the login ID is read; a forged one likewise
login ''
login ', "challenge": "bm90IGEgc29sdXRpb24="'
# 2. a third failure from this address: its next challenge is four times harder
login ', "challenge": "bm90IGEgc29sdXRpb24="'
api "$ID/login/challenge" | jq -r '"maxNumber \(.parameters.data.maxNumber)"'
# 3. solved as the widget does: now the password is checked (an unknown ID: INVALID_CREDENTIALS)
SOLVED=$("$PYTHON" -c "import altcha, json, sys, urllib.request as u
c = altcha.Challenge.from_dict(json.load(u.urlopen(sys.argv[1])))
print(altcha.Payload(c, altcha.solve_challenge(c)).to_base64())" "$ID/login/challenge")
login ", \"challenge\": \"$SOLVED\""
# 4. a solution is spent once
login ", \"challenge\": \"$SOLVED\""
