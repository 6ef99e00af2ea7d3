#!/usr/bin/env bash
# A dantai-net first login, all the way (seed 000, ID-BIND, ID-MAIL): the forced change, the
# e-mail-authentication address confirmed by its link, the login link followed in the same
# browser (curl's cookie jar), completion, and another browser refused. Needs curl, jq and a
# stack started by `make up`; run it from the repository (it works in a scratch folder).
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the tokens' files
cd "$(mktemp -d)"
ID=$IDENTITY_URL/v1/realms/dantai-net; JAR=browser.jar; H='X-CSRF-Protection: 1'
J='content-type: application/json'; PROV="Authorization: Bearer $(cat "$PROVISIONING_TOKEN_FILE")"
ADMIN=XA3$RANDOM$RANDOM; ADDR=tantou-$RANDOM$RANDOM@example.jp; NEW=Kaisha-Pass-2026
# a call that must succeed: its answer, or its error answer on stderr and the walk stops
api() { local out; out=$(curl -sS --fail-with-body "$@") || { echo "$out" >&2; return 1; }
  if [ -n "$out" ]; then printf '%s\n' "$out"; fi; }
# the token of the link in the n-th mail to $ADDR, once notify has sent it
link() { local found=""
  for _ in $(seq 30); do
    found=$(api -G "$MAILPIT_URL/api/v1/search" --data-urlencode "query=to:$ADDR" \
      | jq -r --argjson n "$1" 'select(.messages_count >= $n) | .messages[0].ID')
    [ -n "$found" ] && break; sleep 1
  done
  [ -n "$found" ] || { echo "no mail $1 to $ADDR within 30 s" >&2; return 1; }
  api "$MAILPIT_URL/api/v1/message/$found" | jq -r .Text | grep -o 'token=[A-Za-z0-9_.-]*' \
    | head -1 | cut -d= -f2; }
# 1. the back office opens an organisation; the admin's initial password is in this answer only
PW=$(api -X POST "$ID/orgs" -H "$PROV" -H "$J" \
  -d "{\"name\": \"サンプル団体\", \"admin\": {\"login_id\": \"$ADMIN\"}}" | jq -r .initial_password)
# 2. the first login (a browser: the cookie jar), then the forced change (step 7)
api -c $JAR -b $JAR -X POST "$ID/login" -H "$J" \
  -d "{\"login_id\": \"$ADMIN\", \"password\": \"$PW\"}" | jq -c .pending_steps
api -c $JAR -b $JAR -H "$H" -X POST "$ID/password" -H "$J" \
  -d "{\"current_password\": \"$PW\", \"new_password\": \"$NEW\"}"
# 3. the e-mail-authentication address (step 9, first time), confirmed by the link in its mail
api -c $JAR -b $JAR -H "$H" -X POST "$ID/login/auth-email" -H "$J" -d "{\"email\": \"$ADDR\"}" \
  | jq -r .message
api -X POST "$ID/auth-email/confirm" -H "$J" -d "{\"token\": \"$(link 1)\"}" | jq -r .message
# 4. the login link, followed in the same browser (the jar carries the pending login)
api -c $JAR -b $JAR -H "$H" -X POST "$ID/login-link" -H "$J" -d "{\"token\": \"$(link 2)\"}" \
  | jq -r .message
# 5. the waiting screen sees it, and completes: a new (rotated) full session, the browser registered
api -b $JAR "$ID/login/progress" | jq -c '{ready, steps: [.steps[] | .state]}'
api -c $JAR -b $JAR -H "$H" -X POST "$ID/login/complete" | jq -c '{user_id, password_change_required}'
api -b $JAR "$IDENTITY_URL/v1/sessions/current" | jq -c '{restricted, pending_steps}'
grep -c '__Host-browser-dantai-net' $JAR
# 6. another browser (no jar) with the right password: BROWSER_MISMATCH, not counted
curl -sS -X POST "$ID/login" -H "$J" -d "{\"login_id\": \"$ADMIN\", \"password\": \"$NEW\"}" \
  | jq -r .code
