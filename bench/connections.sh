#!/usr/bin/env bash
# How many PostgreSQL connections the topology of README "Scale" holds when idle:
# `aspe up --api 2 --runners 2 --workers 2` on the demo, in a schema of its own, with a mail
# sink on loopback so that the demo's e-mails go through the workers (a worker's pool process
# opens its connections on its first task, and keeps them). It prints the total every 30 s,
# then the connections of each process, and drops its schema.
#
#   bash bench/connections.sh            # ASPE_WORKER_CONCURRENCY as set (default 4)
#   ASPE_WORKER_CONCURRENCY=2 bash bench/connections.sh
#
# Needs PostgreSQL (ASPE_TEST_POSTGRES_URL, default the test database), Redis on 6379, psql, ss.
set -u
cd "$(dirname "$0")/.."
url=${ASPE_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
data=$(mktemp -d)
export ASPE_ENV=test ASPE_DATA_DIR=$data ASPE_DATABASE_URL=$url ASPE_DATABASE_SCHEMA=aspe_connections
export ASPE_REDIS_URL=redis://127.0.0.1:6379/7 ASPE_CELERY_QUEUE=aspe_connections
export ASPE_SMTP_URL=smtp://127.0.0.1:8025 ASPE_API_PORT=8700
sql() { psql "$url" -qtAc "$1" 2>/dev/null; }
count() { sql "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"; }

sql "drop schema if exists aspe_connections cascade; create schema aspe_connections"
.venv/bin/python -m aiosmtpd -n -l 127.0.0.1:8025 -c aiosmtpd.handlers.Sink &
sink=$!
echo "before: $(count)"
.venv/bin/aspe demo > "$data/demo.log" 2>&1
.venv/bin/aspe up --api 2 --runners 2 --workers 2 > "$data/up.log" 2>&1 &
up=$!
for seconds in 30 60 90 120; do sleep 30; echo "after ${seconds} s: $(count)"; done
echo "per process:"
ss -tnpH dst "$(sql "select host(inet_server_addr()) || ':' || inet_server_port()")" | grep -o 'pid=[0-9]*' | sort | uniq -c |
    while read -r connections pid; do
        echo "  $connections $(ps -o args= -p "${pid#pid=}" | cut -c1-80)"
    done | sort -k3
kill -TERM "$up"; wait "$up"; kill "$sink"
sql "drop schema aspe_connections cascade"
rm -rf "$data"
