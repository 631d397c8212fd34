#!/usr/bin/env bash
# Makes sure the services the tests talk to are up: PostgreSQL and Redis (started by the machine, restarted here
# if they have stopped) and a single-node Kafka (started by scripts/kafka.sh when none answers on KAFKA_PORT).
set -euo pipefail
repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "services.sh: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "services.sh: starting Redis" >&2
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

bash "${repo_dir}/scripts/kafka.sh" ensure
