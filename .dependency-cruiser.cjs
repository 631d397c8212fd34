/**
 * Domain boundaries (DESIGN §2): a domain owns its folder, its Prisma client and its tables; what crosses domains
 * goes through the graph or through events, never through imports. `npm run schema:check` runs these rules over
 * subgraphs/, router/, rest-facade/ and kernel/; bin/, bench/, test/ and scripts/ are composition roots and may
 * import anything, and so are the unit specs beside the code (`*.spec.ts`), which are tests too. Type-only imports
 * count: a type from another domain's Prisma client couples the two as well.
 */
const SPEC = '\\.spec\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-cross-domain-import',
      comment:
        "A subgraph never imports another domain's code, Prisma client included: read its data through the graph " +
        '(a federation entity) or consume its events.',
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/', pathNot: SPEC },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'subgraph-imports-own-folder-contracts-kernel',
      comment: 'A subgraph imports only its own folder, contracts/ and the shared kernel (kernel/).',
      severity: 'error',
      from: { path: '^subgraphs/[^/]+/', pathNot: SPEC },
      to: {
        pathNot: ['^subgraphs/', '^contracts/', '^kernel/'],
        dependencyTypesNot: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg'],
      },
    },
    {
      name: 'gateway-imports-no-subgraph',
      comment: "The router and the REST facade reach subgraphs over HTTP only; a subgraph's internals are not theirs to " + 'import.',
      severity: 'error',
      from: { path: '^(router|rest-facade)/', pathNot: SPEC },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'facade-imports-no-router',
      comment:
        'The REST facade reaches the router over HTTP, or in-process through the port the kernel declares ' +
        "(kernel/router-port.ts) that bin/ wires: never through the router's internals.",
      severity: 'error',
      from: { path: '^rest-facade/', pathNot: SPEC },
      to: { path: '^router/' },
    },
    {
      name: 'router-imports-no-facade',
      comment: 'The router serves every client alike; it knows nothing of the REST facade in front of it.',
      severity: 'error',
      from: { path: '^router/', pathNot: SPEC },
      to: { path: '^rest-facade/' },
    },
    {
      name: 'realtime-imports-no-subgraph',
      comment: "The realtime gateway learns of other domains through their events only; a subgraph's internals are not its to import.",
      severity: 'error',
      from: { path: '^realtime/', pathNot: SPEC },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'kernel-imports-no-app',
      comment: 'The shared kernel is the bottom layer: it never imports a subgraph, the router or the REST facade.',
      severity: 'error',
      from: { path: '^kernel/', pathNot: SPEC },
      to: { path: '^(subgraphs|router|rest-facade|realtime)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
