#!/bin/sh
# An exec provisioner command: every workspace is a local background process.
#
#   start   starts the workspace's process (if it is not running) and declares its agent ready
#   stop    stops the process
#   delete  stops the process and removes the workspace's folder
#
# The controller runs it once per build with the build in its environment (WORKSPACE_ID,
# WORKSPACE_NAME, TRANSITION, BUILD_NUMBER, TEMPLATE, TEMPLATE_VERSION, PRESET, OWNER,
# PARAM_<NAME>, ...) and the whole job as JSON on stdin. Every output line becomes a job log line;
# exit 0 means success. Replace the "workspace process" below with `docker run -d ...`,
# `kubectl apply ...` or a cloud CLI to build real environments.
set -eu

root="${WORKSPACES_DIR:-${TMPDIR:-/tmp}/prebuild-controller-workspaces}"
dir="$root/$WORKSPACE_ID"
pidfile="$dir/pid"

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

stop_process() {
  if running; then
    kill "$(cat "$pidfile")"
    echo "stopped process $(cat "$pidfile")"
  else
    echo "no process running"
  fi
  rm -f "$pidfile"
}

echo "build #$BUILD_NUMBER: $TRANSITION $WORKSPACE_NAME (template $TEMPLATE $TEMPLATE_VERSION, preset ${PRESET:-none}, owner $OWNER)"

case "$TRANSITION" in
  start)
    mkdir -p "$dir"
    # What the workspace was built with (the job JSON from stdin), for the curious.
    cat > "$dir/job.json"
    if running; then
      echo "already running as process $(cat "$pidfile")"
    else
      # The workspace itself: a loop that records it is alive. setsid gives it its own session so
      # it outlives this script; its output goes to a file so the build does not wait for it.
      setsid sh -c 'while :; do date -u +%FT%TZ > "$1/alive"; sleep 5; done' workspace "$dir" \
        > "$dir/workspace.log" 2>&1 < /dev/null &
      echo "$!" > "$pidfile"
      echo "started process $! in $dir"
    fi
    # Wait until it is really up before calling the agent ready.
    tries=0
    until [ -s "$dir/alive" ]; do
      tries=$((tries + 1))
      if [ "$tries" -gt 50 ]; then
        echo "workspace process did not come up" >&2
        exit 1
      fi
      sleep 0.1
    done
    echo '{"agents":[{"name":"main","lifecycle_state":"ready"}]}'
    ;;
  stop)
    stop_process
    ;;
  delete)
    stop_process
    rm -rf "$dir"
    echo "removed $dir"
    ;;
  *)
    echo "unknown transition: $TRANSITION" >&2
    exit 2
    ;;
esac
