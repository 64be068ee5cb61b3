#!/usr/bin/env bash
# Checks with a real Prometheus that increase() sees the FIRST event of every counter the
# dashboards and alert rules use: a series that only appears at its first increment starts at 1,
# and increase() over it reads 0. Starts a controller (in-process echo daemon), a provisionerd
# whose echo builds all fail, and Prometheus scraping both every second, all on a fresh database;
# causes each event once, then queries increase(...[1m]) and prints what it saw.
#
#   ADMIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres scripts/prometheus/live-increase-check.sh
#
# Needs prometheus, psql, curl, jq and node on PATH, and `npm run build` done. Exits 1 when an
# increase() is 0 (or missing) after its event, 2 when something it needs is missing. Everything
# it makes (processes, database, temp folder) is removed on exit.
#
# coderd_api_requests_processed_total has its series at 0 for code="500" only (every route, from
# the start): its first 201 or 404 is reported as "by-design", not a failure, and the 500 series
# are checked to exist at 0 before any request.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLI=("node" "$ROOT/bin/prebuild-controller.js")

die() {
  echo "live-increase-check: $*" >&2
  exit 2
}
for tool in prometheus psql curl jq node; do
  command -v "$tool" >/dev/null ||
    die "$tool is not on PATH (prometheus, promtool: apt-get install --no-install-recommends prometheus)"
done
[[ -n ${ADMIN_DATABASE_URL:-} ]] ||
  die "set ADMIN_DATABASE_URL to a PostgreSQL URL allowed to create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres"
[[ -f $ROOT/dist/cli/main.js ]] || die "no dist/: run npm run build first"
psql "$ADMIN_DATABASE_URL" -qAtc 'select 1' >/dev/null || die "cannot connect to ADMIN_DATABASE_URL"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/live-increase-check.XXXXXX")
DB="promcheck_$$_$RANDOM"
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$ADMIN_DATABASE_URL" -qc "drop database if exists \"$DB\" with (force)" >/dev/null 2>&1 || true
  if ((status != 0)) && [[ -z ${KEEP_LOGS:-} ]]; then
    for log in "$WORK"/*.log; do
      echo "--- last lines of $(basename "$log")" >&2
      tail -n 15 "$log" >&2
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
API_PORT=$(free_port)
PD_PORT=$(free_port)
PROM_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
PROM="http://127.0.0.1:$PROM_PORT"

psql "$ADMIN_DATABASE_URL" -qc "create database \"$DB\"" >/dev/null
DATABASE_URL=$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.href)' "$ADMIN_DATABASE_URL" "$DB")
export DATABASE_URL
export LOG_LEVEL=info
unset PREBUILD_CONTROLLER_API_TOKEN PREBUILD_CONTROLLER_URL PREBUILD_CONTROLLER_TOKEN

"${CLI[@]}" migrate >"$WORK/migrate.log" 2>&1

# The controller's daemon builds pool=good jobs; the provisionerd fails every pool=bad job.
"${CLI[@]}" run --listen "127.0.0.1:$API_PORT" --provisioner-tags pool=good \
  --reconcile-interval 2s --prebuild-metrics-interval 5s --echo-duration 1s \
  --lifecycle-interval 2s >"$WORK/controller.log" 2>&1 &
PIDS+=($!)
"${CLI[@]}" provisionerd --tags pool=bad --echo-failure-rate 1 --echo-duration 1s \
  --metrics-listen "127.0.0.1:$PD_PORT" >"$WORK/provisionerd.log" 2>&1 &
PIDS+=($!)

cat >"$WORK/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: prebuild-controller
    static_configs:
      - targets: ['127.0.0.1:$API_PORT', '127.0.0.1:$PD_PORT']
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)

# One number: the sum of the query's series at time $2 (default now), or "none" without any.
query() {
  local args=(--data-urlencode "query=$1")
  [[ -n ${2:-} ]] && args+=(--data-urlencode "time=$2")
  local answer
  answer=$(curl -fsS --get "$PROM/api/v1/query" "${args[@]}" 2>/dev/null) || {
    echo none
    return
  }
  jq -r '.data.result | if length == 0 then "none" else (map(.value[1] | tonumber) | add | tostring) end' <<<"$answer"
}
wait_for() { # description, seconds, command...
  local what=$1 seconds=$2
  shift 2
  for ((i = 0; i < seconds * 2; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  echo "live-increase-check: timed out waiting for $what" >&2
  exit 1
}
is_positive() {
  local value
  value=$(query "$1")
  [[ $value != none ]] && awk -v v="$value" 'BEGIN { exit !(v > 0) }'
}
both_up() { [[ $(query 'sum(up{job="prebuild-controller"})') == 2 ]]; }
api() { # method, path, [json body]
  curl -fsS -X "$1" "$API$2" ${3:+-H 'content-type: application/json' --data "$3"}
}

wait_for "the controller, provisionerd and Prometheus" 60 both_up
sleep 3 # a few scrapes before any event

FAILED=0
# The request counter pre-creates code="500" only (bounded cardinality; the error ratio and
# alerts read 5xx): a first event of another code is invisible by design.
by_design() { [[ $1 == coderd_api_requests_processed_total* && $1 != *'code="500"'* ]]; }
declare -A BEFORE
# before SELECTOR: its value before the phase's events ("none": no series yet).
before() { BEFORE[$1]=$(query "$1"); }
# after SELECTOR: waits for the series to move, then requires increase(...[1m]) > 0; lowest is
# the smallest sample Prometheus holds (0 = the series was scraped at 0 before its first event).
after() {
  local selector=$1 seen increase lowest
  wait_for "$selector to count its first event" 90 is_positive "$selector"
  sleep 2
  seen=$(query "$selector")
  lowest=$(query "min_over_time($selector[10m])")
  increase=$(query "increase($selector[1m])")
  local verdict=ok
  if [[ $increase == none ]] || awk -v v="$increase" 'BEGIN { exit !(v <= 0) }'; then
    if by_design "$selector"; then
      verdict=by-design
    else
      verdict=INVISIBLE
      FAILED=1
    fi
  fi
  printf '%-9s %s\n          before=%s lowest=%s now=%s increase[1m]=%.3f\n' "$verdict" "$selector" \
    "${BEFORE[$selector]}" "$lowest" "$seen" "${increase/none/0}"
}
phase() {
  local name=$1
  shift
  echo "== $name"
  local selector
  for selector in "${CHECKS[@]}"; do before "$selector"; done
  "$@"
  for selector in "${CHECKS[@]}"; do after "$selector"; done
}

# Before any API request: the 500 series of the routes exist at 0 (lowest over the scrapes so
# far must be 0 too, so they were there from the first scrape that has them).
echo "== before any API request: every route's code=\"500\" series at 0"
for selector in \
  'coderd_api_requests_processed_total{path="/api/v1/templates",method="POST",code="500"}' \
  'coderd_api_requests_processed_total{path="/api/v1/workspaces",method="POST",code="500"}' \
  'coderd_api_requests_processed_total{path="/api/v1/presets",method="GET",code="500"}'; do
  seen=$(query "$selector")
  verdict=ok
  [[ $seen == 0 ]] || {
    verdict=MISSING
    FAILED=1
  }
  printf '%-9s %s\n          now=%s\n' "$verdict" "$selector" "$seen"
done

# Phase 1: push two templates over the API. good/small keeps 1 prebuild (built), good/plain has
# none; bad/doomed keeps 1 prebuild whose build always fails.
cat >"$WORK/good.yaml" <<YAML
name: good
provisioner: echo
tags: { pool: good }
lifecycle: { default_ttl: 8h }
presets:
  - name: small
    default: true
    prebuilds: { instances: 1 }
  - name: plain
YAML
cat >"$WORK/bad.yaml" <<YAML
name: bad
provisioner: echo
tags: { pool: bad }
presets:
  - name: doomed
    default: true
    prebuilds: { instances: 1 }
YAML
push_templates() {
  "${CLI[@]}" template push --url "$API" "$WORK/good.yaml" >/dev/null
  "${CLI[@]}" template push --url "$API" "$WORK/bad.yaml" >/dev/null
}
CHECKS=(
  'coderd_api_requests_processed_total{path="/api/v1/templates",method="POST",code="201"}'
  'coderd_prebuilt_workspaces_created_total{template_name="good",preset_name="small"}'
  'coderd_prebuilt_workspaces_created_total{template_name="bad",preset_name="doomed"}'
  'coderd_prebuilt_workspaces_failed_total{template_name="bad",preset_name="doomed"}'
  'coderd_prebuilt_workspaces_time_to_ready_seconds_count{template_name="good",preset_name="small"}'
  'coderd_prebuilds_reconciliation_actions_total{type="create"}'
  'coderd_workspace_builds_enqueued_total{build_reason="prebuild",transition="start",status="success"}'
  'coderd_provisioner_jobs_acquired_total{provisioner="echo"}'
  'coderd_provisioner_jobs_completed_total{provisioner="echo"}'
  'coderd_provisioner_jobs_failed_total{provisioner="echo"}'
)
phase "push templates (prebuilds created, one preset's builds fail)" push_templates

api POST /api/v1/users '{"username":"alice"}' >/dev/null
wait_for "good/small to have an eligible prebuild" 60 is_positive \
  'coderd_prebuilt_workspaces_eligible{template_name="good",preset_name="small"}'

claim() {
  api POST /api/v1/workspaces \
    '{"owner":"alice","template":"good","preset":"small","name":"claimed-1"}' >"$WORK/claim.json"
  [[ $(jq -r .claimed "$WORK/claim.json") == true ]] || die "the claim built a new workspace"
}
CHECKS=(
  'coderd_prebuilt_workspaces_claimed_total{template_name="good",preset_name="small"}'
  'coderd_prebuilt_workspace_claim_duration_seconds_count{template_name="good",preset_name="small"}'
  'coderd_api_requests_processed_total{path="/api/v1/workspaces",method="POST",code="201"}'
)
phase "claim a prebuild of good/small" claim

regular() {
  api POST /api/v1/workspaces \
    '{"owner":"alice","template":"good","preset":"plain","name":"regular-1","ttl_ms":60000}' >/dev/null
}
CHECKS=('coderd_workspace_creation_total{template_name="good",preset_name="plain"}')
phase "create a regular workspace from good/plain (1 minute TTL)" regular

miss() {
  api POST /api/v1/workspaces \
    '{"owner":"alice","template":"bad","preset":"doomed","name":"missed-1"}' >/dev/null
}
CHECKS=(
  'coderd_prebuilt_workspace_claim_misses_total{template_name="bad",preset_name="doomed"}'
  'coderd_workspace_creation_total{template_name="bad",preset_name="doomed"}'
)
phase "create from bad/doomed with no prebuild ready (a claim miss)" miss

not_found() { curl -sS -o /dev/null "$API/no/such/route"; }
CHECKS=('coderd_api_requests_processed_total{path="unmatched",code="404"}')
phase "a request no route answers" not_found

nothing() { :; }
CHECKS=(
  'coderd_lifecycle_transitions_total{operation="stop",reason="autostop"}'
  'coderd_lifecycle_jobs_total{outcome="built"}'
)
phase "wait for good/plain's workspace to autostop" nothing

if ((FAILED)); then
  echo "live-increase-check: some first events were invisible to increase()" >&2
  exit 1
fi
echo "live-increase-check: every first event was an increase"
