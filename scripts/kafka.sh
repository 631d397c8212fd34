#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, broker and controller in one JVM) for development, tests and CI.
# Kafka is in neither Debian nor npm and there is no Docker engine, so the broker's jars come from Maven Central
# (scripts/kafka/pom.xml) and run on the installed Java 17.
#
#   bash scripts/kafka.sh start    fetch the jars if needed, wipe the data dir, format it, start, wait until ready
#   bash scripts/kafka.sh resume   start again on the data dir a stopped broker left, keeping its topics and offsets
#   bash scripts/kafka.sh ensure   use a broker that already answers on the port, or start one
#   bash scripts/kafka.sh stop     SIGTERM the broker and wait for it to exit
#   bash scripts/kafka.sh status   exit 0 when the broker runs and answers, 1 otherwise
#   bash scripts/kafka.sh fetch    only fetch the jars into the cache
#   bash scripts/kafka.sh acls [P] grant the principals their ACLs on the topics prefixed P (done on start for "")
#
# Clients authenticate with SASL/SCRAM-SHA-256 as one of the principals of scripts/kafka/principals.json, each
# allowed to write its own topics only (scripts/kafka/acls.cjs); the password of principal <name> is
# KAFKA_PASSWORD_<NAME> when set, else "<name>-dev-password-for-loopback-only" (a broker on loopback for development and tests).
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT + 1), KAFKA_VERSION (4.4.0),
# KAFKA_CACHE_DIR (~/.cache/platform-kafka/<version>/libs), KAFKA_DATA_DIR (<repo>/.data/kafka),
# KAFKA_HEAP (-Xmx512m -Xms128m), KAFKA_START_TIMEOUT seconds (120).
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${KAFKA_VERSION:-4.4.0}"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
libs_dir="${KAFKA_CACHE_DIR:-${HOME}/.cache/platform-kafka/${version}/libs}"
data_dir="${KAFKA_DATA_DIR:-${repo_dir}/.data/kafka}"
heap="${KAFKA_HEAP:--Xmx512m -Xms128m}"
start_timeout="${KAFKA_START_TIMEOUT:-120}"
pid_file="${data_dir}/kafka.pid"
log_file="${data_dir}/server.log"

say() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

fetch() {
  # The marker is written last, so an interrupted download is never mistaken for a complete cache.
  if [[ -f "${libs_dir}/.complete" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (Apache Maven is needed to fetch Kafka from Maven Central)"
  say "fetching Apache Kafka ${version} from Maven Central into ${libs_dir}"
  local staging="${libs_dir}.partial.$$"
  rm -rf "${staging}"
  mkdir -p "${staging}"
  # Maven's output is kept for a failure only: even with -q, Debian's mvn prints stray terminal escape codes.
  if ! mvn -q -B -f "${repo_dir}/scripts/kafka/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="${version}" -DoutputDirectory="${staging}" -DincludeScope=runtime \
      >"${staging}.log" 2>&1; then
    cat "${staging}.log" >&2
    rm -rf "${staging}" "${staging}.log"
    die "could not fetch org.apache.kafka:kafka_2.13:${version} from Maven Central"
  fi
  rm -f "${staging}.log"
  [[ -f "${staging}/kafka_2.13-${version}.jar" ]] || die "kafka_2.13-${version}.jar missing after the fetch"
  touch "${staging}/.complete"
  rm -rf "${libs_dir}"
  mv "${staging}" "${libs_dir}"
}

running_pid() {
  [[ -f "${pid_file}" ]] || return 1
  local pid
  pid="$(cat "${pid_file}")"
  [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null || return 1
  # A stale pid file may name a pid the system has since given to an unrelated process.
  tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "${pid}"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Answers once the broker serves metadata; with `coordinators`, also once its group and transaction coordinators
# have loaded, so that the first consumer group and idempotent producer of a test run do not start by retrying
# "coordinator not available".
broker_answers() {
  (cd "${repo_dir}" && KAFKA_PROBE_BROKER="127.0.0.1:${port}" KAFKA_PROBE_COORDINATORS="${1:-}" \
    KAFKA_PROBE_PASSWORD="$(password_of admin)" node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const kafka = new Kafka({
      clientId: "kafka-sh-probe",
      brokers: [process.env.KAFKA_PROBE_BROKER],
      sasl: { mechanism: "scram-sha-256", username: "admin", password: process.env.KAFKA_PROBE_PASSWORD },
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, retry: { retries: 1 } });
    admin.connect()
      .then(() => admin.describeCluster())
      .then(() => process.env.KAFKA_PROBE_COORDINATORS && admin.describeGroups(["kafka-sh-probe"]))
      .then(() => process.env.KAFKA_PROBE_COORDINATORS && producer.connect())
      .then(() => process.exit(0), () => process.exit(1));
  ') >/dev/null 2>&1
}

principals() {
  node -e 'console.log(Object.keys(require(process.argv[1])).filter((k) => !k.startsWith("$")).join(" "))' \
    "${repo_dir}/scripts/kafka/principals.json"
}

password_of() {
  local var="KAFKA_PASSWORD_${1^^}"
  printf '%s' "${!var:-$1-dev-password-for-loopback-only}"
}

write_config() {
  cat >"${data_dir}/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${controller_port}
listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
# Clients prove who they are (SCRAM, the credentials formatted into the metadata log) and may do what their ACLs
# allow, nothing else. The controller listener is this JVM's own (loopback, never advertised): its anonymous
# principal is the broker talking to its controller, which must be a super user.
sasl.enabled.mechanisms=SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
log.dirs=${data_dir}/logs
num.partitions=3
auto.create.topics.enable=true
# One broker: internal topics cannot have three replicas, or groups fail with "coordinator not available".
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions make the first group join and the first idempotent producer quicker; one broker gains
# nothing from fifty.
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0
EOF
  cat >"${data_dir}/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
}

java_cmd() {
  local -a heap_flags
  read -r -a heap_flags <<<"${heap}"
  java_args=(java "${heap_flags[@]}" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=${data_dir}/log4j2.properties" -cp "${libs_dir}/*")
}

fail_with_log() {
  say "$1"
  if [[ -f "${log_file}" ]]; then
    say "last lines of ${log_file}:"
    tail -n 40 "${log_file}" >&2
  fi
  exit 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "${pid_file}"
    say "not running"
    return 0
  fi
  say "stopping pid ${pid}"
  kill -TERM "${pid}"
  local waited=0
  while kill -0 "${pid}" 2>/dev/null; do
    if ((waited >= 60)); then
      say "pid ${pid} still running after 30 s, sending SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  rm -f "${pid_file}"
  say "stopped"
}

start() {
  command -v java >/dev/null || die "java not found (Kafka ${version} needs Java 17+)"
  fetch
  if running_pid >/dev/null; then
    stop
  fi
  if port_in_use "${port}" || port_in_use "${controller_port}"; then
    die "port ${port} or ${controller_port} is taken by a process this script did not start (set KAFKA_PORT)"
  fi
  case "${data_dir}" in
    "" | "/" | "${HOME}" | "${repo_dir}") die "refusing to wipe KAFKA_DATA_DIR=${data_dir}" ;;
  esac
  rm -rf "${data_dir}"
  mkdir -p "${data_dir}/logs"
  write_config

  local cluster_id="-"
  # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding, as `kafka-storage random-uuid` makes;
  # like Kafka's own generator, never one that starts with "-", which the tool would take for an option.
  while [[ "${cluster_id}" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  done
  local -a java_args
  java_cmd
  local -a scram=()
  local name
  for name in $(principals); do
    scram+=(--add-scram "SCRAM-SHA-256=[name=${name},password=$(password_of "${name}")]")
  done
  if ! "${java_args[@]}" kafka.tools.StorageTool format --standalone -t "${cluster_id}" "${scram[@]}" \
      -c "${data_dir}/server.properties" >"${data_dir}/format.log" 2>&1; then
    cat "${data_dir}/format.log" >&2
    die "formatting the storage failed"
  fi
  launch
  acls ""
}

# Grants every principal its ACLs on the topics and groups prefixed $1 (tests grant them in their namespace).
acls() {
  (cd "${repo_dir}" && KAFKA_BROKERS="127.0.0.1:${port}" KAFKA_SASL_USERNAME=admin KAFKA_SASL_PASSWORD="$(password_of admin)" \
    node scripts/kafka/acls.cjs "${1:-}") || die "granting the ACLs failed"
}

# Runs the broker on the formatted data dir and waits until it answers.
launch() {
  local began=${SECONDS}
  local -a java_args
  java_cmd
  # nohup execs java in place, so $! is the broker's own pid and the broker outlives this shell.
  nohup "${java_args[@]}" kafka.Kafka "${data_dir}/server.properties" >"${log_file}" 2>&1 </dev/null &
  local pid=$!
  echo "${pid}" >"${pid_file}"

  local deadline=$((SECONDS + start_timeout))
  until broker_answers coordinators; do
    kill -0 "${pid}" 2>/dev/null || fail_with_log "the broker exited during startup"
    if ((SECONDS >= deadline)); then
      kill -TERM "${pid}" 2>/dev/null || true
      fail_with_log "the broker did not answer on 127.0.0.1:${port} within ${start_timeout} s"
    fi
    sleep 1
  done
  say "Kafka ${version} ready on 127.0.0.1:${port} (pid ${pid}, $((SECONDS - began)) s, log ${log_file})"
}

# For fault tests: the broker comes back as after a restart in production, with the messages and the committed
# offsets it had. The log is appended to, so that the lines of the run before the stop stay readable.
resume() {
  [[ -f "${data_dir}/server.properties" && -d "${data_dir}/logs" ]] || die "no formatted data dir at ${data_dir} (run start first)"
  if running_pid >/dev/null; then
    die "the broker of ${data_dir} is running already"
  fi
  if port_in_use "${port}" || port_in_use "${controller_port}"; then
    die "port ${port} or ${controller_port} is taken by a process this script did not start (set KAFKA_PORT)"
  fi
  log_file="${data_dir}/server.$(date +%s).log"
  launch
}

status() {
  local pid
  if pid="$(running_pid)" && broker_answers; then
    say "running: pid ${pid}, 127.0.0.1:${port}, Kafka ${version}"
    return 0
  fi
  if [[ -n "${pid:-}" ]]; then
    say "pid ${pid} is running but 127.0.0.1:${port} does not answer (see ${log_file})"
  else
    say "not running"
  fi
  return 1
}

# For the test command: a broker that already answers here (this checkout's, another checkout's, an operator's)
# is used as it is; otherwise one is started.
ensure() {
  if broker_answers coordinators; then
    say "using the broker already answering on 127.0.0.1:${port}"
    return 0
  fi
  if port_in_use "${port}" && ! running_pid >/dev/null; then
    die "something answers on 127.0.0.1:${port} but not as this project's broker (SASL/SCRAM as admin): stop it, or set KAFKA_PORT"
  fi
  start
}

case "${1:-}" in
  start) start ;;
  resume) resume ;;
  ensure) ensure ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch ;;
  acls) acls "${2:-}" ;;
  *) die "usage: $0 start|resume|ensure|stop|status|fetch|acls [prefix]" ;;
esac
