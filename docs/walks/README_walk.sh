#!/usr/bin/env bash
# A login, its mail and its access record: the demo admin forgot its password. Needs curl, jq and
# a stack started by `make up`; run it from the repository (it works in a scratch folder).
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the demo organisation
cd "$(mktemp -d)"; ID=$IDENTITY_URL/v1/realms/demo; J='content-type: application/json'
newest() { curl -sS --fail-with-body -G "$MAILPIT_URL/api/v1/search" \
  --data-urlencode "query=to:$DEMO_ADMIN_EMAIL" | jq -r '.messages[0].ID // ""'; }
BEFORE=$(newest); NEW=Demo-Pass-$RANDOM$RANDOM
# 1. "forgot my password": a temporary password, mailed to the registered address (ID-PW-05)
curl -sS --fail-with-body -X POST "$ID/temporary-password" -H "$J" \
  -d "{\"login_id\": \"$DEMO_ADMIN_LOGIN_ID\", \"email\": \"$DEMO_ADMIN_EMAIL\"}" | jq -r .message
# 2. its mail in Mailpit, once notify has sent it (three an hour at most)
for _ in $(seq 30); do MAIL=$(newest); [ "$MAIL" != "$BEFORE" ] && break; sleep 1; done
[ "$MAIL" != "$BEFORE" ] || { echo "no new mail to $DEMO_ADMIN_EMAIL within 30 s" >&2; exit 1; }
curl -sS --fail-with-body "$MAILPIT_URL/api/v1/message/$MAIL" > mail.json; jq -r .Subject mail.json
TEMP=$(jq -r .Text mail.json | sed -n 's/^仮パスワード：//p')
# 3. log in with it; that session may only change it (the change answers a new session)
curl -sS --fail-with-body -D login.txt -X POST "$ID/login" -H "$J" \
  -d "{\"login_id\": \"$DEMO_ADMIN_LOGIN_ID\", \"password\": \"$TEMP\"}" | jq -c .pending_steps
token() { sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p' "$1"; }
curl -sS --fail-with-body -D changed.txt -X POST "$ID/password" -H "$J" \
  -H "Authorization: Bearer $(token login.txt)" \
  -d "{\"current_password\": \"$TEMP\", \"new_password\": \"$NEW\"}"
jq --arg p "$NEW" '.password = $p' "$DEMO_ADMIN_FILE" > admin.json && cat admin.json > "$DEMO_ADMIN_FILE"
# 4. the login's record in the organisation's access history (audit reads it from Kafka)
LOGIN=$(sed -n 's/^x-correlation-id: \([0-9a-f]*\).*/\1/p' login.txt)
for _ in $(seq 30); do
  curl -sS --fail-with-body -H "Authorization: Bearer $(token changed.txt)" \
    "$AUDIT_URL/v1/realms/demo/orgs/$DEMO_ORG_ID/access-records" > records.json
  jq -er --arg c "$LOGIN" '.items[] | select(.correlation_id == $c and .operation_code == "1-1")
    | "[\(.operation_code)]\(.operation_label) \(.login_id) \(.occurred_at) \(.ip)"' records.json && exit
  sleep 1
done
echo "the login is not in the access history within 30 s" >&2; exit 1
