// Grants the principals of principals.json their ACLs on the topics and groups whose names start with the prefix
// given as the first argument ("" for an environment without one). Run by scripts/kafka.sh as admin.
//
// Every principal may read every topic and group of the prefix and create topics there (a process creates the
// topics it consumes and their dead-letter topics); it may write only its own topics and the dead-letter topic of
// any topic (a consumer dead-letters what it cannot handle). Plain Node, no build: kafka.sh runs before one.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = require('kafkajs');

const prefix = process.argv[2] ?? '';
const root = join(__dirname, '..', '..');
const principals = require('./principals.json');
const topics = readdirSync(join(root, 'contracts', 'events'))
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.slice(0, -'.json'.length));

const allow = (principal, resourceType, resourceName, resourcePatternType, operations) =>
  operations.map((operation) => ({
    resourceType,
    resourceName,
    resourcePatternType,
    principal: `User:${principal}`,
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  }));

const { TOPIC, GROUP } = AclResourceTypes;
const { LITERAL, PREFIXED } = ResourcePatternTypes;
const { READ, WRITE, CREATE, DESCRIBE } = AclOperationTypes;

const acls = Object.entries(principals)
  .filter(([name, grant]) => !name.startsWith('$') && !grant.super)
  .flatMap(([name, grant]) => [
    // An empty prefixed pattern is refused by the broker: without a prefix, "*" names every topic or group.
    ...(prefix
      ? allow(name, TOPIC, prefix, PREFIXED, [READ, DESCRIBE, CREATE])
      : allow(name, TOPIC, '*', LITERAL, [READ, DESCRIBE, CREATE])),
    ...(prefix ? allow(name, GROUP, prefix, PREFIXED, [READ, DESCRIBE]) : allow(name, GROUP, '*', LITERAL, [READ, DESCRIBE])),
    ...grant.writes.flatMap((pattern) =>
      pattern.endsWith('.')
        ? allow(name, TOPIC, `${prefix}${pattern}`, PREFIXED, [WRITE])
        : allow(name, TOPIC, `${prefix}${pattern}`, LITERAL, [WRITE]),
    ),
    ...topics.flatMap((topic) => allow(name, TOPIC, `${prefix}${topic}.dlt`, LITERAL, [WRITE])),
  ]);

async function main() {
  const kafka = new Kafka({
    clientId: 'kafka-acls',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    sasl: { mechanism: 'scram-sha-256', username: process.env.KAFKA_SASL_USERNAME, password: process.env.KAFKA_SASL_PASSWORD },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: acls });
  } finally {
    await admin.disconnect();
  }
  console.error(`kafka acls: ${acls.length} granted on the prefix "${prefix}"`);
}

main().catch((error) => {
  console.error(`kafka acls: ${error.message}`);
  process.exit(1);
});
