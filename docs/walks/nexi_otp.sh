#!/usr/bin/env bash
# nexi's OTP step-up, its permission matrix and the decision API (seed 004, ID-OTP, ID-PERM).
# Needs curl, jq and a stack started by `make up`; run it from the repository (it works in a
# scratch folder). The mails are read from Mailpit.
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the tokens' files
cd "$(mktemp -d)"
ID=$IDENTITY_URL/v1/realms/nexi; DECIDE=$IDENTITY_URL/v1/authz/decisions
J='content-type: application/json'; PROV="Authorization: Bearer $(cat "$PROVISIONING_TOKEN_FILE")"
NEW=Kaisha-Pass-2026; ADMIN=$(date +%s)0
AMAIL=admin-$RANDOM$RANDOM@example.jp; UMAIL=user-$RANDOM$RANDOM@example.jp
# a call that must succeed: its answer, or its error answer on stderr and the walk stops
api() { local out; out=$(curl -sS --fail-with-body "$@") || { echo "$out" >&2; return 1; }
  if [ -n "$out" ]; then printf '%s\n' "$out"; fi; }
# the value after "label：" in the newest mail to an address, once notify has sent it
mailed() { local id value
  for _ in $(seq 30); do
    id=$(api -G "$MAILPIT_URL/api/v1/search" --data-urlencode "query=to:$1" | jq -r '.messages[0].ID // ""')
    value=$([ -n "$id" ] && api "$MAILPIT_URL/api/v1/message/$id" | jq -r .Text | sed -n "s/^$2：//p")
    [ -n "$value" ] && { echo "$value"; return; }; sleep 1
  done
  echo "no mail with $2 to $1 within 30 s" >&2; return 1; }
# log in and change the initial password: the new session's token (the change rotates it)
signed_in() { local first
  first=$(curl -sS --fail-with-body -D - -o /dev/null -X POST "$ID/login" -H "$J" \
    -d "{\"login_id\": \"$1\", \"password\": \"$2\"}" | sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p')
  curl -sS --fail-with-body -D - -o /dev/null -X POST "$ID/password" -H "Authorization: Bearer $first" \
    -H "$J" -d "{\"current_password\": \"$2\", \"new_password\": \"$NEW\"}" \
    | sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p'; }
# 1. the back office opens the organisation; its admin changes the initial password
api -X POST "$ID/orgs" -H "$PROV" -H "$J" -d "{\"name\": \"サンプル商事\",
  \"admin\": {\"login_id\": \"$ADMIN\", \"profile\": {\"email\": \"$AMAIL\"}}}" > org.json
ORG_ID=$(jq -r .org_id org.json); A=$(signed_in "$ADMIN" "$(jq -r .initial_password org.json)")
# 2. an applicant who may input, read contracts of two riders and its own applications;
#    its initial password is mailed to the admin, who passes it on
#    nexi assigns the applicant's login ID (00000000001, …: ID-USER-12)
api -X POST "$ID/orgs/$ORG_ID/users" -H "Authorization: Bearer $A" -H "$J" -d "{
  \"profile\": {\"name\": \"申込 花子\", \"email\": \"$UMAIL\"}, \"permissions\": {\"input_right\": \"input\",
  \"contract_scope\": \"riders\", \"rider_codes\": [\"999999901\", \"999999902\"], \"application_scope\": \"own\"}}" \
  > applicant.json
jq -c '{login_id, user_id}' applicant.json
USER=$(jq -r .login_id applicant.json)
U=$(signed_in "$USER" "$(mailed "$AMAIL" 初期パスワード)")
# 3. the admin switches the OTP on (ワンタイムパスワード利用: 利用する)
api -X PUT "$ID/orgs/$ORG_ID/otp-policy" -H "Authorization: Bearer $A" -H "$J" -d '{"enabled": true}' \
  | jq -c .
# 4. a contract of rider 999999901, a protected operation: OTP_REQUIRED
Q="{\"action\": \"contract.read\", \"resource\": {\"org_id\": \"$ORG_ID\", \"rider_code\": \"999999901\"}, \"protected\": true}"
api -X POST "$DECIDE" -H "Authorization: Bearer $U" -H "$J" -d "$Q" | jq -c .
# 5. a code by mail, entered: the session is replaced by a verified one (a new token)
api -X POST "$ID/otp" -H "Authorization: Bearer $U" | jq -r .message
U=$(curl -sS --fail-with-body -D - -o /dev/null -X POST "$ID/otp/verify" -H "Authorization: Bearer $U" \
  -H "$J" -d "{\"code\": \"$(mailed "$UMAIL" ワンタイムパスワード)\"}" \
  | sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p')
# 6. now allowed; another rider is not in the matrix; the gateway's view of the session
api -X POST "$DECIDE" -H "Authorization: Bearer $U" -H "$J" -d "$Q" | jq -c .
api -X POST "$DECIDE" -H "Authorization: Bearer $U" -H "$J" -d "${Q/999999901/999999909}" | jq -c .
api "$IDENTITY_URL/v1/sessions/current" -H "Authorization: Bearer $U" \
  | jq -c '{permissions, otp_required, otp_verified}'
