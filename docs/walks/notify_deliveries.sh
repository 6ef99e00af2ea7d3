#!/usr/bin/env bash
# Notify's delivery log, searched by the realm's support desk (NT-03, X-15): a support operator
# made with this stack's settings, its session after the forced change, the demo admin's mails;
# anyone else is refused without a word about whether mail exists. Needs curl, jq and a stack
# started by `make up`; run it from the repository (it works in a scratch folder).
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the Python
cd "$(mktemp -d)"
ID=$IDENTITY_URL/v1/realms/demo; J='content-type: application/json'
DELIVERIES="$NOTIFY_URL/v1/realms/demo/deliveries?recipient=$DEMO_ADMIN_EMAIL"
token() { sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p' "$1"; }   # from saved headers
# 1. a support operator of the demo realm: its login ID and initial password
"$PYTHON" "$REPO/deploy/local/stack.py" support-operator demo > operator.json
OPID=$(jq -r .login_id operator.json); OPPW=$(jq -r .initial_password operator.json)
echo "support operator $OPID"
# 2. its session: log in, change the initial password (the change answers the full session)
curl -sS --fail-with-body -D login.txt -X POST "$ID/login" -H "$J" \
  -d "{\"login_id\": \"$OPID\", \"password\": \"$OPPW\"}" | jq -c .pending_steps
curl -sS --fail-with-body -D changed.txt -X POST "$ID/password" -H "$J" \
  -H "Authorization: Bearer $(token login.txt)" \
  -d "{\"current_password\": \"$OPPW\", \"new_password\": \"Support-Pass-2026\"}"
SUPPORT="Authorization: Bearer $(token changed.txt)"
# 3. a mail to the demo admin (a temporary password, ID-PW-05), then its delivery in the log
curl -sS --fail-with-body -X POST "$ID/temporary-password" -H "$J" \
  -d "{\"login_id\": \"$DEMO_ADMIN_LOGIN_ID\", \"email\": \"$DEMO_ADMIN_EMAIL\"}" > /dev/null
for _ in $(seq 30); do
  curl -sS --fail-with-body -H "$SUPPORT" "$DELIVERIES" > deliveries.json
  jq -e '.items | length > 0' deliveries.json > /dev/null && break; sleep 1
done
jq -r '.items[] | "\(.template) \(.status) \(.recipient)"' deliveries.json | head -3
# 4. without a session: 401 SESSION_EXPIRED, whether or not any mail exists
curl -sS "$DELIVERIES" | jq -r .code
