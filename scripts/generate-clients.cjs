'use strict';
/*
 * Generates the Prisma client of every domain (prisma/<domain>/schema.prisma) or of the domains named on the
 * command line. Plain CommonJS so that it runs from `postinstall` before anything is compiled, and with
 * `npm ci --omit=dev` (the Prisma CLI is a runtime dependency, TypeScript is not).
 *
 * The Prisma CLI insists on locating its native schema engine even to generate, and would download it from a host
 * these machines cannot reach: it is pointed at a stand-in that fails if anything ever runs it.
 */
const { spawn } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prismaDir = path.join(root, 'prisma');
const cli = require.resolve('prisma/build/index.js');
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: path.join(__dirname, 'no-schema-engine.sh'),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};

const available = readdirSync(prismaDir).filter((name) => existsSync(path.join(prismaDir, name, 'schema.prisma')));
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length) {
  console.error(`unknown domain ${unknown.join(', ')}: the domains are ${available.join(', ')}`);
  process.exit(1);
}

function generate(domain) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'generate', '--schema', path.join('prisma', domain, 'schema.prisma')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ domain, code, output }));
  });
}

Promise.all((requested.length ? requested : available).map(generate)).then((results) => {
  for (const { domain, code, output } of results) {
    if (code === 0) console.log(`${domain}: ${output.match(/Generated Prisma Client.*/)?.[0] ?? 'generated'}`);
    else console.error(`${domain}: prisma generate failed (exit ${code})\n${output}`);
  }
  process.exitCode = results.every((result) => result.code === 0) ? 0 : 1;
});
