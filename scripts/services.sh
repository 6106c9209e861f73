#!/usr/bin/env bash
# Make sure the PostgreSQL server the PostgreSQL-path tests use is running on 127.0.0.1:5432.
# Tests that need it skip with a reason if it cannot be reached; this only tries to start a local one.
set -uo pipefail
url=${SERENO_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || echo "warning: PostgreSQL is not reachable at $url; PostgreSQL tests will skip"
exit 0
