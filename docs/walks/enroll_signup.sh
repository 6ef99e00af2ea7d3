#!/usr/bin/env bash
# kencom's sign-up, eligibility and the checkup-results gate (seed 003, EN-01…08): a roster, a
# sign-up, its activation link, the insurance card, the member's login, the 健診閲覧コード and the
# secret question. Needs curl, jq, iconv, the repository's Python (for altcha, solving as the
# browser's widget does) and a stack started by `make up`; run it from the repository.
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the Python
cd "$(mktemp -d)"
EN=$ENROLL_URL/v1/realms/kencom; ID=$IDENTITY_URL/v1/realms/kencom; J='content-type: application/json'
PROV="Authorization: Bearer $(cat "$PROVISIONING_TOKEN_FILE")"   # the back office's token
ADDR=hanako-$RANDOM$RANDOM@example.jp; PASS=Kenko-Pass9; UNION=0612$(printf %04d $((RANDOM % 10000)))
# a call that must succeed: its answer, or its error answer on stderr and the walk stops
api() { local out; out=$(curl -sS --fail-with-body "$@") || { echo "$out" >&2; return 1; }
  if [ -n "$out" ]; then printf '%s\n' "$out"; fi; }
token() { sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p'; }
# a solved ALTCHA challenge: every kencom login carries one (ID-BOT-01)
solved() { "$PYTHON" -c "import altcha, json, sys, urllib.request as u
c = altcha.Challenge.from_dict(json.load(u.urlopen(sys.argv[1])))
print(altcha.Payload(c, altcha.solve_challenge(c)).to_base64())" "$ID/login/challenge"; }
# 1. the back office imports the union's roster (a CSV file with a header; cp932 or UTF-8)
printf '記号,番号,氏名カナ,生年月日,続柄\r\n71-1234,12345678,ケンコム ハナコ,1985/04/01,本人\r\n' \
  | iconv -f utf-8 -t cp932 > roster.csv
api -X PUT "$EN/rosters/$UNION/file" -H "$PROV" -H 'content-type: text/csv' \
  --data-binary @roster.csv | jq -c '{version, rows, changed}'
# 2. sign up from a PC; the answer is the same whether or not the address is registered
api -X POST "$EN/signups" -H "$J" -d "{\"email\": \"$ADDR\", \"email_confirmation\": \"$ADDR\",
  \"password\": \"$PASS\", \"channel\": \"pc\", \"accept_terms\": true, \"accept_privacy\": true}" |
  jq -r .message
# 3. the link in the mail (valid 1 hour from a PC, 24 from the app) opens the card step
for _ in $(seq 30); do
  MAIL=$(api -G "$MAILPIT_URL/api/v1/search" --data-urlencode "query=to:$ADDR" | jq -r '.messages[0].ID // ""')
  [ -n "$MAIL" ] && break; sleep 1
done
[ -n "$MAIL" ] || { echo "no activation mail to $ADDR within 30 s" >&2; exit 1; }
api "$MAILPIT_URL/api/v1/message/$MAIL" > mail.json; jq -r .Subject mail.json
TOKEN=$(jq -r .Text mail.json | grep -o 'token=[^[:space:]]*' | head -1 | cut -d= -f2)
STEP=$(api -X POST "$EN/signups/activate" -H "$J" -d "{\"token\": \"$TOKEN\"}" | jq -r .signup_token)
# 4. the insurance card as typed: half-width kana, 記号 after its hyphen, the last 7 of 8 digits
api -X POST "$EN/signups/eligibility" -H "$J" -d "{\"signup_token\": \"$STEP\",
  \"name_kana\": \"ｹﾝｺﾑ ﾊﾅｺ\", \"birth_date\": \"1985-04-01\", \"insurer_number\": \"$UNION\",
  \"symbol\": \"71-1234\", \"number\": \"12345678\"}" | jq -c '{code, status}'
# identity makes the member from the sign-up's events (a saga): wait until it is registered
for _ in $(seq 30); do
  USER=$(api -X POST "$EN/signups/progress" -H "$J" -d "{\"signup_token\": \"$STEP\"}" \
    | jq -r 'select(.status == "registered") | .user_id')
  [ -n "$USER" ] && break; sleep 1
done
[ -n "$USER" ] || { echo "the member was not registered within 30 s" >&2; exit 1; }
echo "member $USER"
# 5. the member logs in through identity with the password chosen at sign-up
MEMBER="Authorization: Bearer $(api -D - -o /dev/null -X POST "$ID/login" -H "$J" \
  -d "{\"login_id\": \"$ADDR\", \"password\": \"$PASS\", \"challenge\": \"$(solved)\"}" | token)"
# 6. kencom's support desk (made here) issues the 健診閲覧コード printed on the postcard
"$PYTHON" "$REPO/deploy/local/stack.py" support-operator kencom > operator.json
OPID=$(jq -r .login_id operator.json); OPPW=$(jq -r .initial_password operator.json)
FIRST=$(api -D - -o /dev/null -X POST "$ID/login" -H "$J" -d "{\"login_id\": \"$OPID\",
  \"password\": \"$OPPW\", \"challenge\": \"$(solved)\"}" | token)
SUPPORT=$(api -D - -o /dev/null -X POST "$ID/password" -H "Authorization: Bearer $FIRST" -H "$J" \
  -d "{\"current_password\": \"$OPPW\", \"new_password\": \"Kaisha-Pass-2026\"}" | token)
CODE=$(api -X POST "$EN/members/$USER/checkup-code" -H "Authorization: Bearer $SUPPORT" | jq -r .code)
# 7. the member: the code, a secret question confirmed before it is saved, then its answer
api -X POST "$EN/checkup-access/code" -H "$MEMBER" -H "$J" -d "{\"code\": \"$CODE\"}" | jq -r .message
api -X POST "$EN/checkup-access/secret-question" -H "$MEMBER" -H "$J" \
  -d '{"question_id": "birthplace", "answer": "Sapporo"}' | jq -c '{question, answer}'
api -X POST "$EN/checkup-access/secret-question/confirm" -H "$MEMBER" | jq -c .
api -X POST "$EN/checkup-access/answer" -H "$MEMBER" -H "$J" -d '{"answer": "Sapporo"}' | jq -r .message
