#!/bin/sh
# Entry point of the container image (Dockerfile): prebuild-controller with one check first. The
# image has no embedded PostgreSQL, so the commands that always use the database need
# DATABASE_URL (or DATABASE_URL_FILE, or --database-url): without it they stop here with one line
# instead of trying to start a PostgreSQL the image does not have.
set -eu
here=$(dirname "$(readlink -f "$0")")
case "${1:-}" in
  run | migrate | provisionerd | tokens)
    if [ -z "${DATABASE_URL:-}" ] && [ -z "${DATABASE_URL_FILE:-}" ]; then
      case " $* " in
        *" --database-url"* | *" --help "* | *" -h "*) ;;
        *)
          echo "prebuild-controller: set DATABASE_URL (or DATABASE_URL_FILE): this image has no embedded PostgreSQL" >&2
          exit 2
          ;;
      esac
    fi
    ;;
esac
exec node "$here/prebuild-controller.js" "$@"
