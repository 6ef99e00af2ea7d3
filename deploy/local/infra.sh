#!/usr/bin/env bash
# Local infrastructure on loopback for development and CI: Apache Kafka (KRaft,
# single combined broker/controller), FerretDB (MongoDB wire protocol on SQLite),
# Mailpit (SMTP sink with an HTTP API) and Jaeger v2 (traces, in memory). No Docker. `install` also builds kustomize, which
# the tests render the Kubernetes manifests with (deploy/kubernetes/).
#
#   deploy/local/infra.sh install                 build/download into the cache
#   deploy/local/infra.sh start  [--run-dir DIR]  install if needed, start, wait until healthy
#   deploy/local/infra.sh stop   [--run-dir DIR]  SIGTERM, then SIGKILL after INFRA_STOP_TIMEOUT
#   deploy/local/infra.sh status [--run-dir DIR]  exit 0 if all running, 3 otherwise
#   deploy/local/infra.sh clean  [--run-dir DIR]  stop, then delete data, config and logs
#
# INFRA_BENCH_TOOLS=1 also installs what `make bench` needs beside them (wrk).
# Install cache: ${INFRA_CACHE:-<repo>/.cache/infra} (kafka/libs, bin/, stamps/, logs/).
# Run dir:       ${INFRA_RUN:-<repo>/.cache/run}: <name>.pid, <name>.log, conf/, data/,
#                and `env`, the connection settings (KEY=VALUE lines).
# Versions, ports and timeouts: deploy/local/versions.env (override through the environment).
# Requires bash 5, java 17+ to run; mvn and go only when something must be (re)built.
# Progress goes to stderr; `start` prints the contents of RUN_DIR/env on stdout.

set -Eeuo pipefail
# A command failing where `set -e` aborts would otherwise end the script silently.
trap 'printf "[infra] ERROR: unexpected failure (exit %s) at %s line %s: %s\n" "$?" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" >&2' ERR

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd)
PORT_VARS=(INFRA_KAFKA_PORT INFRA_KAFKA_CONTROLLER_PORT INFRA_FERRETDB_PORT INFRA_MAILPIT_SMTP_PORT INFRA_MAILPIT_HTTP_PORT
    INFRA_JAEGER_OTLP_PORT INFRA_JAEGER_QUERY_PORT INFRA_JAEGER_QUERY_GRPC_PORT INFRA_JAEGER_HEALTH_PORT)
EXPLICIT_PORTS=" " # port variables set by the caller (not defaulted by versions.env)
for _var in "${PORT_VARS[@]}"; do
    if [[ -n ${!_var:-} ]]; then EXPLICIT_PORTS+="$_var "; fi
done
unset _var
# shellcheck source-path=SCRIPTDIR source=versions.env
. "$SCRIPT_DIR/versions.env"

INFRA_CACHE=${INFRA_CACHE:-$REPO_ROOT/.cache/infra}
RUN_DIR=${INFRA_RUN:-$REPO_ROOT/.cache/run}
COMPONENTS=(kafka ferretdb mailpit jaeger)
LOG_TAIL_LINES=50

# ----------------------------------------------------------------- helpers --

say() { printf '[infra] %s\n' "$*" >&2; }
die() {
    printf '[infra] ERROR: %s\n' "$*" >&2
    exit 1
}

# Prints the last lines of a log file to stderr, framed so CI output shows it.
show_log_tail() {
    local file=$1
    if [[ -s $file ]]; then
        printf '[infra] ----- last %d lines of %s -----\n' "$LOG_TAIL_LINES" "$file" >&2
        tail -n "$LOG_TAIL_LINES" -- "$file" >&2
        printf '[infra] ----- end of %s -----\n' "$file" >&2
    else
        printf '[infra] (log %s is empty or missing)\n' "$file" >&2
    fi
}

now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    printf '%d\n' $((10#$t / 1000))
}

elapsed_since() { # start_ms -> "12.3s"
    local ms=$(($(now_ms) - $1))
    printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is required ($2) but not on PATH"
}

check_port_var() {
    local name=$1 value=${!1}
    if ! [[ $value =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value > 65535)); then
        die "$name must be a TCP port number, got '$value'"
    fi
}

# Takes an exclusive lock on a file for the rest of the process (fd 9).
# Started services get fd 9 closed so they never hold it.
take_lock() {
    local file=$1
    if ! command -v flock >/dev/null 2>&1; then
        return 0
    fi
    exec 9>"$file"
    flock -w 600 9 || die "could not lock $file within 600 s (another infra.sh running?)"
}

java_bin() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    else
        need java "Kafka runs on Java 17+"
        command -v java
    fi
}

check_java() {
    local java version major
    java=$(java_bin)
    version=$("$java" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
    major=${version%%.*}
    if ! [[ $major =~ ^[0-9]+$ ]] || ((major < 17)); then
        die "Kafka $KAFKA_VERSION needs Java 17 or newer; '$java' reports '${version:-unknown}'"
    fi
}

# Hash of files (relative to a directory), independent of where the repo lives.
hash_files() {
    local dir=$1
    shift
    (cd -- "$dir" && sha256sum -- "$@") | sha256sum | cut -c1-16
}

platform() { printf '%s-%s\n' "$(uname -s)" "$(uname -m)"; }

stamp_file() { printf '%s/stamps/%s\n' "$INFRA_CACHE" "$1"; }

stamp_matches() { # name expected
    local file
    file=$(stamp_file "$1")
    [[ -f $file && $(<"$file") == "$2" ]]
}

write_stamp() {
    mkdir -p -- "$INFRA_CACHE/stamps"
    printf '%s\n' "$2" >"$(stamp_file "$1")"
}

# go.mod version of a required module, e.g. gomod_version DIR github.com/x/y
gomod_version() {
    awk -v m="$2" '{ for (i = 1; i < NF; i++) if ($i == m) { print $(i + 1); exit } }' "$1/go.mod"
}

check_pins() {
    local pom_version ferretdb_version mailpit_version kustomize_version jaeger_version
    pom_version=$(sed -n 's:.*<kafka.version>\([^<]*\)</kafka.version>.*:\1:p' "$SCRIPT_DIR/kafka/pom.xml")
    ferretdb_version=$(gomod_version "$SCRIPT_DIR/ferretdb" github.com/FerretDB/FerretDB)
    mailpit_version=$(gomod_version "$SCRIPT_DIR/mailpit" github.com/axllent/mailpit)
    kustomize_version=$(gomod_version "$SCRIPT_DIR/kustomize" sigs.k8s.io/kustomize/kustomize/v5)
    jaeger_version=$(gomod_version "$SCRIPT_DIR/jaeger" github.com/jaegertracing/jaeger)
    [[ $pom_version == "$KAFKA_VERSION" ]] ||
        die "versions.env KAFKA_VERSION=$KAFKA_VERSION but kafka/pom.xml pins '$pom_version'"
    [[ $ferretdb_version == "$FERRETDB_VERSION" ]] ||
        die "versions.env FERRETDB_VERSION=$FERRETDB_VERSION but ferretdb/go.mod requires '$ferretdb_version'"
    [[ $mailpit_version == "$MAILPIT_VERSION" ]] ||
        die "versions.env MAILPIT_VERSION=$MAILPIT_VERSION but mailpit/go.mod requires '$mailpit_version'"
    [[ $kustomize_version == "$KUSTOMIZE_VERSION" ]] ||
        die "versions.env KUSTOMIZE_VERSION=$KUSTOMIZE_VERSION but kustomize/go.mod requires '$kustomize_version'"
    [[ $jaeger_version == "$JAEGER_VERSION" ]] ||
        die "versions.env JAEGER_VERSION=$JAEGER_VERSION but jaeger/go.mod requires '$jaeger_version'"
}

# Runs a command with its output in a log file; on failure shows the log tail.
run_logged() { # logfile cmd...
    local logfile=$1
    shift
    mkdir -p -- "$(dirname -- "$logfile")"
    if ! "$@" >"$logfile" 2>&1 </dev/null; then
        show_log_tail "$logfile"
        return 1
    fi
}

# ----------------------------------------------------------------- install --

kafka_stamp() {
    printf 'kafka=%s pom=%s\n' "$KAFKA_VERSION" "$(hash_files "$SCRIPT_DIR/kafka" pom.xml)"
}

kafka_installed() {
    stamp_matches kafka "$(kafka_stamp)" &&
        [[ -f $INFRA_CACHE/kafka/libs/kafka_2.13-$KAFKA_VERSION.jar ]]
}

install_kafka() {
    local t0 libs tmp logfile count
    t0=$(now_ms)
    libs=$INFRA_CACHE/kafka/libs
    tmp=$INFRA_CACHE/kafka/libs.tmp
    logfile=$INFRA_CACHE/logs/install-kafka.log
    need mvn "it downloads Kafka from Maven Central"
    rm -rf -- "$tmp"
    mkdir -p -- "$INFRA_CACHE/kafka"
    run_logged "$logfile" mvn -B -Dstyle.color=never -f "$SCRIPT_DIR/kafka/pom.xml" \
        dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime ||
        die "kafka: Maven failed (full log: $logfile)"
    [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] ||
        die "kafka: Maven ran but kafka_2.13-$KAFKA_VERSION.jar is missing (log: $logfile)"
    rm -rf -- "$libs"
    mv -- "$tmp" "$libs"
    write_stamp kafka "$(kafka_stamp)"
    count=$(find "$libs" -name '*.jar' | wc -l)
    say "kafka $KAFKA_VERSION: installed $count jars into $libs in $(elapsed_since "$t0")"
}

go_stamp() { # name version
    local dir=$SCRIPT_DIR/$1 files=(go.mod go.sum) f
    for f in "$dir"/*.go; do
        [[ -e $f ]] && files+=("${f##*/}")
    done
    printf '%s=%s src=%s platform=%s\n' "$1" "$2" "$(hash_files "$dir" "${files[@]}")" "$(platform)"
}

go_installed() { # name binary version
    stamp_matches "$1" "$(go_stamp "$1" "$3")" && [[ -x $INFRA_CACHE/bin/$2 ]]
}

# Builds a Go binary from one of our modules. Only the module proxy is used: the
# committed go.sum must be complete (-mod=readonly), a go.work elsewhere is ignored.
install_go() { # name binary version package
    local name=$1 binary=$2 version=$3 package=$4 t0 tmp logfile ldflags=(-s -w)
    t0=$(now_ms)
    tmp=$INFRA_CACHE/bin/.tmp-$name
    logfile=$INFRA_CACHE/logs/install-$name.log
    need go "it builds $name from deploy/local/$name"
    if [[ $name == mailpit ]]; then
        ldflags+=("-X github.com/axllent/mailpit/config.Version=$version")
    fi
    rm -rf -- "$tmp"
    mkdir -p -- "$tmp"
    (
        cd -- "$SCRIPT_DIR/$name" || exit 1
        export GOBIN=$tmp GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false -trimpath"
        run_logged "$logfile" go install -ldflags="${ldflags[*]}" "$package"
    ) || die "$name: go install failed (full log: $logfile)"
    [[ -x $tmp/$binary ]] || die "$name: build produced no $binary (log: $logfile)"
    mv -f -- "$tmp/$binary" "$INFRA_CACHE/bin/$binary"
    rm -rf -- "$tmp"
    write_stamp "$name" "$(go_stamp "$name" "$version")"
    say "$name $version: built $INFRA_CACHE/bin/$binary in $(elapsed_since "$t0")"
}

ferretdb_installed() { go_installed ferretdb ferretdb-local "$FERRETDB_VERSION"; }
mailpit_installed() { go_installed mailpit mailpit "$MAILPIT_VERSION"; }
kustomize_installed() { go_installed kustomize kustomize "$KUSTOMIZE_VERSION"; }
jaeger_installed() { go_installed jaeger jaeger "$JAEGER_VERSION"; }

missing_parts() {
    kafka_installed || printf 'kafka '
    ferretdb_installed || printf 'ferretdb '
    mailpit_installed || printf 'mailpit '
    kustomize_installed || printf 'kustomize '
    jaeger_installed || printf 'jaeger '
}

KAFKA_INSTALL_JOB=""
kill_kafka_install_job() {
    if [[ -n $KAFKA_INSTALL_JOB ]]; then
        pkill -TERM -P "$KAFKA_INSTALL_JOB" 2>/dev/null || true
        kill -TERM "$KAFKA_INSTALL_JOB" 2>/dev/null || true
    fi
}

# Debian's packages the platform runs beside what is built here, installed with apt-get as root
# when missing: the gateway's nginx (GW-01; deploy/local/gateway.py starts it with a
# configuration and folder of its own, never the package's service), the browser tests' Chromium
# and its driver with a Japanese font (WEB-03: without one every kanji in a screenshot is a box;
# browsers cannot be downloaded at run time), NSS's tools that give Chromium a client certificate
# for kihonet's server (GW-03; tests/kihonet_desk.py), and Prometheus (WEB-02, started by `make up`)
# with its promtool (X-19: `make test` checks and unit-tests the alerting rules with it).
# Each is "package:path that shows it is there"; a package may be named twice, for two paths.
DEBIAN_PARTS=(
    nginx:/usr/sbin/nginx
    chromium:/usr/bin/chromium
    chromium-driver:/usr/bin/chromedriver
    libnss3-tools:/usr/bin/pk12util
    fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
    prometheus:/usr/bin/prometheus
    prometheus:/usr/bin/promtool
)
# `make bench` adds the HTTP load generator its HTTP benches drive (bench/wrkload.py): wrk is C,
# so the load is not the bottleneck a Python client would be.
if [[ ${INFRA_BENCH_TOOLS:-0} == 1 ]]; then
    DEBIAN_PARTS+=(wrk:/usr/bin/wrk)
fi

missing_debian_packages() {
    local part missing=" "
    for part in "${DEBIAN_PARTS[@]}"; do
        if [[ ! -e ${part#*:} && $missing != *" ${part%%:*} "* ]]; then
            missing+="${part%%:*} "
        fi
    done
    printf '%s' "${missing# }"
}

install_debian_packages() {
    local t0 todo logfile=$INFRA_CACHE/logs/install-debian.log
    todo=$(missing_debian_packages)
    [[ -n $todo ]] || return 0
    t0=$(now_ms)
    command -v apt-get >/dev/null 2>&1 || die "missing ${todo% } and there is no apt-get: install them (nginx 1.19 or newer, with auth_request)"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || die "missing ${todo% }: install them as root (apt-get install ${todo% })"
        sudo=(sudo -n)
    fi
    mkdir -p -- "$INFRA_CACHE/logs"
    run_logged "$logfile" "${sudo[@]}" apt-get update || die "apt-get update failed (log: $logfile)"
    # shellcheck disable=SC2086 # the list is package names, split on purpose
    DEBIAN_FRONTEND=noninteractive run_logged "$logfile" "${sudo[@]}" apt-get install -y --no-install-recommends $todo ||
        die "apt-get install ${todo% } failed (log: $logfile)"
    say "installed Debian's ${todo% } in $(elapsed_since "$t0")"
}

# axe-core for the browser tests (WEB-03), from npm at the version the lockfile pins.
install_browser_test_modules() {
    local dir=$REPO_ROOT/tests/browser logfile=$INFRA_CACHE/logs/install-npm.log
    [[ -f $dir/package-lock.json ]] || return 0
    if [[ -f $dir/node_modules/axe-core/axe.min.js && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
        return 0
    fi
    need npm "the browser tests inject axe-core from npm"
    mkdir -p -- "$INFRA_CACHE/logs"
    run_logged "$logfile" npm ci --prefix "$dir" --no-audit --no-fund || die "npm ci in $dir failed (log: $logfile)"
    say "axe-core: installed into $dir/node_modules"
}

cmd_install() {
    local t0 todo
    t0=$(now_ms)
    check_pins
    install_debian_packages
    install_browser_test_modules
    todo=$(missing_parts)
    if [[ -z $todo ]]; then
        say "install: kafka $KAFKA_VERSION, ferretdb $FERRETDB_VERSION, mailpit $MAILPIT_VERSION, kustomize $KUSTOMIZE_VERSION, jaeger $JAEGER_VERSION up to date in $INFRA_CACHE ($(elapsed_since "$t0"))"
        return 0
    fi
    mkdir -p -- "$INFRA_CACHE/bin"
    take_lock "$INFRA_CACHE/.lock"
    todo=$(missing_parts) # another infra.sh may have installed while we waited
    if [[ -z $todo ]]; then
        say "install: installed meanwhile by another process ($(elapsed_since "$t0"))"
        return 0
    fi
    say "install: building ${todo% } into $INFRA_CACHE"
    # Maven (mostly network) runs next to the CPU-bound Go builds.
    if [[ $todo == *kafka* ]]; then
        install_kafka 9>&- &
        KAFKA_INSTALL_JOB=$!
        trap kill_kafka_install_job EXIT
    fi
    [[ $todo != *ferretdb* ]] || install_go ferretdb ferretdb-local "$FERRETDB_VERSION" .
    [[ $todo != *mailpit* ]] || install_go mailpit mailpit "$MAILPIT_VERSION" github.com/axllent/mailpit
    [[ $todo != *kustomize* ]] || install_go kustomize kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
    [[ $todo != *jaeger* ]] || install_go jaeger jaeger "$JAEGER_VERSION" github.com/jaegertracing/jaeger/cmd/jaeger
    if [[ -n $KAFKA_INSTALL_JOB ]]; then
        wait "$KAFKA_INSTALL_JOB" || die "kafka: install failed"
        KAFKA_INSTALL_JOB=""
        trap - EXIT
    fi
    say "install: done in $(elapsed_since "$t0")"
}

# --------------------------------------------------------------- processes --

pid_file() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log\n' "$RUN_DIR" "$1"; }

# A string that the command line of the component's process contains.
marker() {
    case $1 in
    kafka) printf 'kafka.Kafka\n' ;;
    ferretdb) printf 'ferretdb-local\n' ;;
    mailpit) printf 'bin/mailpit\n' ;;
    jaeger) printf 'bin/jaeger\n' ;;
    esac
}

alive() { # pid: exists and is not a zombie
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(awk '{ sub(/^.*\) /, ""); print substr($0, 1, 1) }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

cmdline_of() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true; }

# Pid of the running component according to its pid file, or nothing.
running_pid() {
    local file pid
    file=$(pid_file "$1")
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
    [[ $(cmdline_of "$pid") == *"$(marker "$1")"* ]] || return 1
    printf '%s\n' "$pid"
}

# Live processes of a process group (each component is a session/group leader).
group_members() {
    ps -e -o pid=,pgid=,stat= | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'
}

# Processes of this component that reference this run dir but are not the one in
# the pid file (e.g. the pid file was deleted while it ran).
strays() {
    local name=$1 known=${2:-} pid
    for pid in $(pgrep -f -- "$(marker "$name")" || true); do
        [[ $pid == "$known" || $pid == "$$" ]] && continue
        alive "$pid" || continue
        if [[ $(cmdline_of "$pid") == *"$RUN_DIR/"* ]]; then printf '%s\n' "$pid"; fi
    done
    return 0
}

# Starts a command in its own session (so its whole group can be signalled and it
# survives the caller), stdin from /dev/null, output appended to the log file.
launch() { # name cmd...
    local name=$1 pidfile logfile i
    shift
    pidfile=$(pid_file "$name")
    logfile=$(log_file "$name")
    rm -f -- "$pidfile"
    printf '\n===== %s infra.sh: starting %s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$logfile"
    (
        cd -- "$RUN_DIR"
        # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
        exec setsid bash -c 'echo "$$" >"$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@"
    ) </dev/null >>"$logfile" 2>&1 9>&- &
    for ((i = 0; i < 100; i++)); do
        [[ -s $pidfile ]] && return 0
        sleep 0.05
    done
    die "$name: no pid file after 5 s (log: $logfile)"
}

# Gives init up to 3 s to reap the exited processes, so that `pgrep` right after
# `stop` does not list them as <defunct>. Not an error if it does not.
wait_reaped() { # pid...
    local pid i
    for pid in "$@"; do
        for ((i = 0; i < 30; i++)); do
            [[ -e /proc/$pid ]] || break
            sleep 0.1
        done
    done
}

# Sends SIGTERM to the groups, waits, then SIGKILLs what is left.
terminate_groups() { # pid...
    local pid deadline left
    for pid in "$@"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM -- "$pid" 2>/dev/null || true
    done
    deadline=$(($(now_ms) + INFRA_STOP_TIMEOUT * 1000))
    while :; do
        left=()
        for pid in "$@"; do
            if [[ -n $(group_members "$pid") ]] || alive "$pid"; then
                left+=("$pid")
            fi
        done
        if ((${#left[@]} == 0)); then
            wait_reaped "$@"
            return 0
        fi
        (($(now_ms) >= deadline)) && break
        sleep 0.2
    done
    say "still running after ${INFRA_STOP_TIMEOUT}s, sending SIGKILL to process group(s) ${left[*]}"
    for pid in "${left[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
        kill -KILL -- "$pid" 2>/dev/null || true
    done
    sleep 0.5
    for pid in "${left[@]}"; do
        if [[ -n $(group_members "$pid") ]] || alive "$pid"; then
            die "process group $pid survived SIGKILL: $(group_members "$pid" | tr '\n' ' ')"
        fi
    done
    wait_reaped "$@"
}

# ------------------------------------------------------------ health checks --

tcp_open() { # port
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

# Sends one request (a printf format of raw bytes) to 127.0.0.1:port, reads one
# length-prefixed reply and prints its bytes after the 4-byte length (at most
# 4096) as space-separated hex. Length prefix: "be" = big-endian, excluding
# itself (Kafka); "le" = little-endian, including itself (MongoDB).
tcp_exchange_hex() { # port printf-format be|le
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "$1" >&3
        read -r a b c d < <(head -c 4 <&3 | od -An -v -tu1) || exit 1
        [ -n "$d" ] || exit 1
        if [ "$2" = be ]; then n=$(( (a << 24) | (b << 16) | (c << 8) | d ))
        else n=$(( ((d << 24) | (c << 16) | (b << 8) | a) - 4 )); fi
        [ "$n" -gt 0 ] || exit 1
        [ "$n" -le 4096 ] || n=4096
        head -c "$n" <&3 | od -An -v -tx1' "$1" "$2" "$3" 2>/dev/null | tr -s ' \n' '  '
}

# Kafka Metadata request v4 (all topics) must list this broker (node 1).
kafka_healthy() {
    local hex words
    hex=$(tcp_exchange_hex "$INFRA_KAFKA_PORT" \
        '\x00\x00\x00\x13\x00\x03\x00\x04\x00\x00\x00\x07\x00\x04infr\xff\xff\xff\xff\x00' be) || return 1
    read -r -a words <<<"$hex"
    ((${#words[@]} >= 16)) || return 1
    # correlation id 7, throttle time, broker count >= 1, first broker's node id 1
    [[ ${words[*]:0:4} == "00 00 00 07" && ${words[*]:8:4} != "00 00 00 00" && ${words[*]:12:4} == "00 00 00 01" ]]
}

# MongoDB OP_MSG {ping: 1, $db: "admin"} must answer ok: 1.
ferretdb_healthy() {
    local hex
    # shellcheck disable=SC2016 # "$db" is BSON, not a variable
    hex=$(tcp_exchange_hex "$INFRA_FERRETDB_PORT" \
        '\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02$db\x00\x06\x00\x00\x00admin\x00\x00' le) ||
        return 1
    # "ok" as double 1.0 or int32 1
    [[ $hex == *"01 6f 6b 00 00 00 00 00 00 00 f0 3f"* || $hex == *"10 6f 6b 00 01 00 00 00"* ]]
}

http_status() { # url
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
    else
        local rest=${1#http://} hostport path
        hostport=${rest%%/*}
        path=/${rest#*/}
        # shellcheck disable=SC2016 # expanded by the inner shell
        timeout 3 bash -c '
            exec 3<>"/dev/tcp/${0%:*}/${0##*:}" || exit 1
            printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" "$0" >&3
            head -n 1 <&3' "$hostport" "$path" 2>/dev/null | awk '{ print $2 }' || true
    fi
}

# The health check answers 200 and the query API lists its services.
jaeger_healthy() {
    [[ $(http_status "http://127.0.0.1:$INFRA_JAEGER_HEALTH_PORT/status") == 200 ]] || return 1
    [[ $(http_status "http://127.0.0.1:$INFRA_JAEGER_QUERY_PORT/api/services") == 200 ]]
}

# The HTTP API answers 200 and the SMTP port greets with 220.
mailpit_healthy() {
    local banner
    [[ $(http_status "http://127.0.0.1:$INFRA_MAILPIT_HTTP_PORT/api/v1/messages?limit=1") == 200 ]] || return 1
    # shellcheck disable=SC2016 # expanded by the inner shell
    banner=$(timeout 3 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        head -n 1 <&3
        printf "QUIT\r\n" >&3' "$INFRA_MAILPIT_SMTP_PORT" 2>/dev/null) || return 1
    [[ $banner == 220* ]]
}

ports_of() {
    case $1 in
    kafka) printf '%s %s\n' "$INFRA_KAFKA_PORT" "$INFRA_KAFKA_CONTROLLER_PORT" ;;
    ferretdb) printf '%s\n' "$INFRA_FERRETDB_PORT" ;;
    mailpit) printf '%s %s\n' "$INFRA_MAILPIT_SMTP_PORT" "$INFRA_MAILPIT_HTTP_PORT" ;;
    jaeger) printf '%s %s %s %s\n' "$INFRA_JAEGER_OTLP_PORT" "$INFRA_JAEGER_QUERY_PORT" \
        "$INFRA_JAEGER_QUERY_GRPC_PORT" "$INFRA_JAEGER_HEALTH_PORT" ;;
    esac
}

endpoint_of() {
    case $1 in
    kafka) printf '127.0.0.1:%s (controller %s)\n' "$INFRA_KAFKA_PORT" "$INFRA_KAFKA_CONTROLLER_PORT" ;;
    ferretdb) printf 'mongodb://127.0.0.1:%s/\n' "$INFRA_FERRETDB_PORT" ;;
    mailpit) printf 'smtp 127.0.0.1:%s, http://127.0.0.1:%s\n' "$INFRA_MAILPIT_SMTP_PORT" "$INFRA_MAILPIT_HTTP_PORT" ;;
    jaeger) printf 'otlp http://127.0.0.1:%s, ui and query http://127.0.0.1:%s\n' "$INFRA_JAEGER_OTLP_PORT" "$INFRA_JAEGER_QUERY_PORT" ;;
    esac
}

# ------------------------------------------------------------ start / stop --

kafka_prepare() {
    local conf=$RUN_DIR/conf/kafka.properties data=$RUN_DIR/data/kafka cluster_id java
    mkdir -p -- "$RUN_DIR/conf" "$data"
    cat >"$conf" <<EOF
# Generated by deploy/local/infra.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$INFRA_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$INFRA_KAFKA_PORT,CONTROLLER://127.0.0.1:$INFRA_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$INFRA_KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
offsets.topic.segment.bytes=8388608
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
transaction.state.log.segment.bytes=8388608
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Test-only broker: few threads, small segments and bounded retention.
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608
log.segment.bytes=8388608
log.index.size.max.bytes=1048576
log.retention.hours=24
log.retention.bytes=134217728
EOF
    if [[ ! -f $data/meta.properties ]]; then
        java=$(java_bin)
        # A Kafka cluster id: 16 random bytes, URL-safe base64 without padding,
        # not starting with '-' (it would read as a command line option).
        cluster_id=-
        while [[ $cluster_id == -* ]]; do
            cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        done
        say "kafka: formatting new storage in $data (cluster id $cluster_id)"
        printf '\n===== %s infra.sh: formatting storage =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$(log_file kafka)"
        # shellcheck disable=SC2086 # INFRA_KAFKA_JVM_OPTS is a list of options
        if ! "$java" $INFRA_KAFKA_JVM_OPTS -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" \
            -cp "$INFRA_CACHE/kafka/libs/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" \
            </dev/null >>"$(log_file kafka)" 2>&1; then
            show_log_tail "$(log_file kafka)"
            die "kafka: formatting storage failed"
        fi
    fi
}

kafka_launch() {
    local java
    java=$(java_bin)
    # shellcheck disable=SC2086 # INFRA_KAFKA_JVM_OPTS is a list of options
    launch kafka "$java" $INFRA_KAFKA_JVM_OPTS \
        -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" \
        -cp "$INFRA_CACHE/kafka/libs/*" kafka.Kafka "$RUN_DIR/conf/kafka.properties"
}

ferretdb_launch() {
    mkdir -p -- "$RUN_DIR/data/ferretdb"
    DO_NOT_TRACK=1 launch ferretdb "$INFRA_CACHE/bin/ferretdb-local" \
        --handler=sqlite --sqlite-url="file:$RUN_DIR/data/ferretdb/" \
        --listen-addr="127.0.0.1:$INFRA_FERRETDB_PORT" --log-level="${INFRA_FERRETDB_LOG_LEVEL:-warn}"
}

mailpit_launch() {
    mkdir -p -- "$RUN_DIR/data"
    launch mailpit "$INFRA_CACHE/bin/mailpit" \
        --smtp "127.0.0.1:$INFRA_MAILPIT_SMTP_PORT" --listen "127.0.0.1:$INFRA_MAILPIT_HTTP_PORT" \
        --database "$RUN_DIR/data/mailpit.db" \
        --smtp-auth-accept-any --smtp-auth-allow-insecure --smtp-disable-rdns \
        --disable-version-check
}

# Traces in memory, OTLP/HTTP in, the query API and UI out (deploy/local/jaeger/config.yaml).
jaeger_launch() {
    INFRA_JAEGER_OTLP_PORT=$INFRA_JAEGER_OTLP_PORT INFRA_JAEGER_QUERY_PORT=$INFRA_JAEGER_QUERY_PORT \
        INFRA_JAEGER_QUERY_GRPC_PORT=$INFRA_JAEGER_QUERY_GRPC_PORT \
        INFRA_JAEGER_HEALTH_PORT=$INFRA_JAEGER_HEALTH_PORT \
        launch jaeger "$INFRA_CACHE/bin/jaeger" --config "$SCRIPT_DIR/jaeger/config.yaml"
}

# Refuses to start over a port that something else already listens on.
check_ports_free() { # name
    local port
    for port in $(ports_of "$1"); do
        if tcp_open "$port"; then
            say "$1: port 127.0.0.1:$port is already in use by another process:"
            ss -ltnp "sport = :$port" >&2 2>/dev/null || true
            die "$1: cannot start, port $port is taken (another instance? try '$0 stop', or set the INFRA_*_PORT variables)"
        fi
    done
}

healthy() { "$1_healthy"; }

wait_healthy() { # name log_offset(or empty when not started by us)
    local name=$1 offset=$2 logfile pid deadline
    logfile=$(log_file "$name")
    deadline=$(($(now_ms) + INFRA_START_TIMEOUT * 1000))
    while :; do
        if ! pid=$(running_pid "$name"); then
            say "$name: process exited during startup"
            show_log_tail "$logfile"
            return 1
        fi
        if healthy "$name"; then
            # A freshly started Kafka must also have logged the end of its startup.
            if [[ $name != kafka || -z $offset ]] ||
                tail -c "+$((offset + 1))" -- "$logfile" | grep -q 'Kafka Server started'; then
                return 0
            fi
        fi
        if (($(now_ms) >= deadline)); then
            say "$name: not healthy after ${INFRA_START_TIMEOUT}s (pid $pid, $(endpoint_of "$name"))"
            show_log_tail "$logfile"
            return 1
        fi
        sleep 0.2
    done
}

save_ports() {
    local var
    for var in "${PORT_VARS[@]}"; do
        printf '%s=%s\n' "$var" "${!var}"
    done >"$RUN_DIR/ports.tmp"
    mv -f -- "$RUN_DIR/ports.tmp" "$RUN_DIR/ports"
}

# While anything of this run dir runs, its ports (saved by `start`) win over the
# environment, so that `status` and a repeated `start` look at the right instance.
adopt_running_ports() {
    local name any=0 key value
    [[ -f $RUN_DIR/ports ]] || return 0
    for name in "${COMPONENTS[@]}"; do
        if running_pid "$name" >/dev/null; then any=1; fi
    done
    ((any)) || return 0
    while IFS='=' read -r key value; do
        [[ " ${PORT_VARS[*]} " == *" $key "* && $value =~ ^[0-9]+$ ]] || continue
        if [[ ${!key} != "$value" && $EXPLICIT_PORTS == *" $key "* ]]; then
            say "note: using $key=$value of the instance running in $RUN_DIR (not ${!key})"
        fi
        printf -v "$key" '%s' "$value"
    done <"$RUN_DIR/ports"
}

write_env() {
    local file=$RUN_DIR/env
    cat >"$file.tmp" <<EOF
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$INFRA_KAFKA_PORT
MONGODB_URI=mongodb://127.0.0.1:$INFRA_FERRETDB_PORT/
SMTP_HOST=127.0.0.1
SMTP_PORT=$INFRA_MAILPIT_SMTP_PORT
MAILPIT_URL=http://127.0.0.1:$INFRA_MAILPIT_HTTP_PORT
JAEGER_OTLP_ENDPOINT=http://127.0.0.1:$INFRA_JAEGER_OTLP_PORT
JAEGER_URL=http://127.0.0.1:$INFRA_JAEGER_QUERY_PORT
EOF
    mv -f -- "$file.tmp" "$file"
}

cmd_start() {
    local t0 name offset started=() offsets=() to_start=() i pid
    t0=$(now_ms)
    cmd_install
    check_java
    mkdir -p -- "$RUN_DIR"
    take_lock "$RUN_DIR/.lock"
    adopt_running_ports
    for name in "${COMPONENTS[@]}"; do
        if pid=$(running_pid "$name"); then
            say "$name: already running (pid $pid)"
        else
            rm -f -- "$(pid_file "$name")"
            check_ports_free "$name" # all checked before anything is launched
            to_start+=("$name")
        fi
    done
    save_ports
    for name in "${COMPONENTS[@]}"; do
        if [[ " ${to_start[*]} " != *" $name "* ]]; then
            offsets+=("")
            continue
        fi
        offset=$(stat -c %s -- "$(log_file "$name")" 2>/dev/null || echo 0)
        if [[ $name == kafka ]]; then
            kafka_prepare
        fi
        "${name}_launch"
        started+=("$name")
        offsets+=("$offset")
        say "$name: started (pid $(<"$(pid_file "$name")"), log $(log_file "$name"))"
    done
    for i in "${!COMPONENTS[@]}"; do
        name=${COMPONENTS[$i]}
        if ! wait_healthy "$name" "${offsets[$i]}"; then
            if ((${#started[@]} > 0)); then
                say "stopping what this start launched: ${started[*]}"
                stop_components "${started[@]}" || true
            fi
            die "$name did not become healthy; see $(log_file "$name")"
        fi
        say "$name: healthy at $(endpoint_of "$name")"
    done
    write_env
    say "all healthy in $(elapsed_since "$t0"); settings in $RUN_DIR/env"
    cat -- "$RUN_DIR/env"
}

stop_components() { # name...
    local name pid pids=() extra
    for name in "$@"; do
        pid=$(running_pid "$name" || true)
        extra=$(strays "$name" "$pid")
        if [[ -n $extra ]]; then
            say "$name: also stopping stray process(es) of this run dir: $(tr '\n' ' ' <<<"$extra")"
            # shellcheck disable=SC2206 # one pid per line
            pids+=($extra)
        fi
        if [[ -n $pid ]]; then
            say "$name: stopping (pid $pid)"
            pids+=("$pid")
        else
            say "$name: not running"
        fi
    done
    if ((${#pids[@]} > 0)); then
        terminate_groups "${pids[@]}"
    fi
    for name in "$@"; do
        rm -f -- "$(pid_file "$name")"
        [[ -z $(strays "$name" "") ]] || die "$name: processes remain: $(strays "$name" "" | tr '\n' ' ')"
    done
}

cmd_stop() {
    local t0
    t0=$(now_ms)
    [[ -d $RUN_DIR ]] || {
        say "nothing to stop ($RUN_DIR does not exist)"
        return 0
    }
    take_lock "$RUN_DIR/.lock"
    # Every component, in the reverse order of their start: clients of Kafka would go first.
    local reversed=() i
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do reversed+=("${COMPONENTS[$i]}"); done
    stop_components "${reversed[@]}"
    rm -f -- "$RUN_DIR/env"
    say "stopped in $(elapsed_since "$t0")"
}

cmd_status() {
    local name pid all=0 state stray
    adopt_running_ports
    for name in "${COMPONENTS[@]}"; do
        if pid=$(running_pid "$name"); then
            if healthy "$name"; then state="running  (pid $pid, healthy)"; else state="running  (pid $pid, NOT healthy)"; fi
        else
            state="stopped"
            stray=$(strays "$name" "" | tr '\n' ' ')
            [[ -z $stray ]] || state="stopped  (stray pid ${stray% }: run stop)"
            all=3
        fi
        printf '%-9s %-32s %s\n' "$name" "$state" "$(endpoint_of "$name")"
    done
    return "$all"
}

cmd_clean() {
    cmd_stop
    [[ -d $RUN_DIR ]] || return 0
    rm -rf -- "$RUN_DIR/data" "$RUN_DIR/conf" "$RUN_DIR/env" "$RUN_DIR/ports"
    local name
    for name in "${COMPONENTS[@]}"; do
        rm -f -- "$(log_file "$name")" "$(pid_file "$name")"
    done
    say "cleaned $RUN_DIR (data, config, logs); install cache $INFRA_CACHE kept"
}

usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

main() {
    local cmd="" arg
    while (($# > 0)); do
        arg=$1
        shift
        case $arg in
        --run-dir)
            (($# > 0)) || die "--run-dir needs a directory"
            RUN_DIR=$1
            shift
            ;;
        --run-dir=*) RUN_DIR=${arg#--run-dir=} ;;
        -h | --help | help) cmd=help ;;
        install | start | stop | status | clean)
            [[ -z $cmd ]] || die "one command at a time (got '$cmd' and '$arg')"
            cmd=$arg
            ;;
        *) die "unknown argument '$arg' (try --help)" ;;
        esac
    done
    for arg in "${PORT_VARS[@]}"; do
        check_port_var "$arg"
    done
    [[ $INFRA_START_TIMEOUT =~ ^[0-9]+$ && $INFRA_STOP_TIMEOUT =~ ^[0-9]+$ ]] ||
        die "INFRA_START_TIMEOUT and INFRA_STOP_TIMEOUT must be whole seconds"
    mkdir -p -- "$INFRA_CACHE"
    INFRA_CACHE=$(cd -- "$INFRA_CACHE" && pwd)
    if [[ $cmd == start ]]; then
        mkdir -p -- "$RUN_DIR"
    fi
    if [[ -d $RUN_DIR ]]; then
        RUN_DIR=$(cd -- "$RUN_DIR" && pwd)
    fi
    case $cmd in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status || exit "$?" ;; # 3 = not all running
    clean) cmd_clean ;;
    help) usage ;;
    "") usage >&2 && exit 2 ;;
    esac
}

main "$@"
