import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { dropDatabase, ensureDatabase, withDatabase } from '../kernel/db/admin';
import { domainDatabaseUrl } from '../kernel/db/client';

/*
 * Prisma's CLI drives a native schema engine that it downloads from binaries.prisma.sh on first use; machines that
 * reach only the npm registry cannot get it. The same engine is published on npm compiled to WebAssembly, talking
 * to PostgreSQL through a driver adapter: this module runs it with @prisma/adapter-pg, fixing the three places
 * where adapter-pg 7.10.1 falls short of what the engine needs (see `DomainAdapterFactory`). Re-check those on any
 * upgrade of the Prisma packages, which are pinned for that reason.
 */

export type { SchemaEngine };
export type { MigrationList, SchemaFilter } from '@prisma/schema-engine-wasm';

/** The part of the WebAssembly API used here; the project's `lib` (ES2023, no DOM) does not declare it. */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, object>) => { exports: Record<string, unknown> };
  RuntimeError: ErrorConstructor;
};
type WasmModule = object;

const CHAR_OID = 18;
const TEXT_OID = 25;

interface EngineBindings {
  SchemaEngine: typeof SchemaEngine;
  __wbg_set_wasm(exports: Record<string, unknown>): void;
}

interface CompiledEngine {
  module: WasmModule;
  bindingsSource: string;
}

let compiled: CompiledEngine | undefined;

/**
 * The package's JavaScript bindings are an ES module that imports its `.wasm` file, which Node 20 loads only with
 * an experimental flag and jest's CommonJS loader not at all. Their only module syntax is `export` in front of
 * top-level declarations, so they are evaluated here as a function body that returns those declarations, and the
 * compiled `.wasm` is instantiated against them. A fresh instance per engine keeps a panic in one (after which
 * wasm-bindgen forbids further calls) from poisoning the next.
 */
function instantiateSchemaEngine(): typeof SchemaEngine {
  compiled ??= compileSchemaEngine();
  const bindings = new Function('setTimeout', compiled.bindingsSource)(unrefSetTimeout) as EngineBindings;
  const instance = new WebAssembly.Instance(compiled.module, { './schema_engine_bg.js': bindings });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bindings.SchemaEngine;
}

/**
 * The engine schedules timers that it never clears (they kept a finished command's process up for about 10 s):
 * unreferenced, they do not hold the process open.
 */
function unrefSetTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(callback, ms).unref();
}

function compileSchemaEngine(): CompiledEngine {
  const bindingsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const names: string[] = [];
  const body = readFileSync(bindingsPath, 'utf8').replace(
    /^export (function|class|const|let) ([\w$]+)/gm,
    (_, kind: string, name: string) => {
      names.push(name);
      return `${kind} ${name}`;
    },
  );
  if (/^\s*(import|export)\b/m.test(body) || !names.includes('SchemaEngine')) {
    throw new Error(`${bindingsPath} is not in the shape this loader expects; re-check it after upgrading the package`);
  }
  return {
    module: new WebAssembly.Module(readFileSync(bindingsPath.replace(/\.js$/, '.wasm'))),
    bindingsSource: `"use strict";\n${body}\nreturn { ${names.join(', ')} };`,
  };
}

export interface EngineOptions {
  databaseUrl: string;
  /** The domain's PostgreSQL schema: the default schema of every connection the engine opens. */
  schema: string;
  datamodel: { path: string; content: string };
  /** Engine log lines at WARN and above. */
  onWarning?: (message: string) => void;
}

/** Runs `work` with a schema engine bound to one domain, then releases every connection and shadow database. */
export function withSchemaEngine<T>(options: EngineOptions, work: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  return reportingPanics(async () => {
    const factory = new DomainAdapterFactory(options.databaseUrl, options.schema);
    try {
      const engine = await instantiateSchemaEngine().new(
        { datamodels: [[options.datamodel.path, options.datamodel.content]] },
        (line: string) => forwardWarning(line, options.onWarning),
        bindMigrationAwareSqlAdapterFactory(factory),
      );
      try {
        return await work(engine);
      } finally {
        release(engine);
      }
    } finally {
      await factory.close();
    }
  });
}

/**
 * Freeing also unregisters the engine's finalizer. After a panic the engine refuses to be freed ("attempted to
 * take ownership of Rust value while it was borrowed"); its wasm instance is discarded anyway, and with the
 * finalizer gone, garbage collection cannot hit the same refusal later as an uncaught error.
 */
function release(engine: SchemaEngine): void {
  try {
    engine.free();
  } catch {
    // The panic that caused this is what the caller gets to see.
  }
}

function forwardWarning(line: string, onWarning?: (message: string) => void): void {
  if (!onWarning) return;
  const entry = JSON.parse(line) as { level?: string; fields?: { message?: string } };
  if ((entry.level === 'WARN' || entry.level === 'ERROR') && entry.fields?.message) onWarning(entry.fields.message);
}

/**
 * A Rust panic reaches JavaScript as a bare `RuntimeError: unreachable`; Prisma's wasm modules hand its message to
 * `globalThis.PRISMA_WASM_PANIC_REGISTRY.set_message` first. The registry is shared with Prisma Client (which
 * swaps `set_message` the same way around its own calls), so it is borrowed for the engine's work, not replaced.
 */
async function reportingPanics<T>(work: () => Promise<T>): Promise<T> {
  const host = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
  host.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: () => undefined };
  const registry = host.PRISMA_WASM_PANIC_REGISTRY;
  const previous = registry.set_message;
  let panic: string | undefined;
  registry.set_message = (message) => {
    panic = message;
  };
  try {
    return await work();
  } catch (error) {
    if (panic === undefined || !(error instanceof WebAssembly.RuntimeError)) throw error;
    throw new Error(`schema engine panicked: ${panic}`, { cause: error });
  } finally {
    registry.set_message = previous;
  }
}

/**
 * The engine's connections, each with the domain schema as its default schema, built on adapter-pg with three
 * fixes:
 * 1. the engine's catalog queries return columns of type `"char"` (OID 18: `relkind`, `contype`, ...), which
 *    adapter-pg refuses ("Column type 'char' could not be deserialized"); they are handed over as text, which is
 *    what their values are;
 * 2. adapter-pg's `executeScript` splits a migration on `;`, which breaks `$$` bodies and string literals and
 *    applies half a migration when a statement fails; here a migration is sent as one simple-protocol query, which
 *    PostgreSQL runs as one implicit transaction, all or nothing;
 * 3. adapter-pg's shadow database drops itself before closing its own pool ("being accessed by other users"), and
 *    its pool follows the URL's database rather than the shadow's name, so its "shadow" can be the real database;
 *    here the shadow database is created from its own URL and dropped after its pool is closed, WITH (FORCE).
 */
class DomainAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';
  private readonly openAdapters = new Set<() => Promise<void>>();

  constructor(
    private readonly databaseUrl: string,
    private readonly schema: string,
  ) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.open(this.databaseUrl);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadowUrl = withDatabase(this.databaseUrl, `prisma_shadow_${this.schema}_${randomBytes(6).toString('hex')}`);
    await ensureDatabase(shadowUrl);
    const adapter = await this.open(shadowUrl, () => dropDatabase(shadowUrl));
    try {
      await adapter.executeScript(`CREATE SCHEMA ${pg.escapeIdentifier(this.schema)}`);
    } catch (error) {
      await adapter.dispose();
      throw error;
    }
    return adapter;
  }

  /** Whatever the engine left open: its main connection, and a shadow database if it failed mid-way. */
  async close(): Promise<void> {
    for (const dispose of [...this.openAdapters]) await dispose();
  }

  private async open(url: string, afterClose?: () => Promise<void>): Promise<SqlDriverAdapter> {
    const pool = new pg.Pool({ connectionString: domainDatabaseUrl(url, this.schema), max: 2 });
    const runScript = pool.query.bind(pool) as (text: string) => Promise<unknown>;
    reportCharAsText(pool);
    const adapter = await new PrismaPg(pool, { schema: this.schema }).connect();
    adapter.executeScript = async (script) => {
      try {
        await runScript(script);
      } catch (error) {
        throw asDriverAdapterError(error);
      }
    };
    const dispose = async () => {
      this.openAdapters.delete(dispose);
      await pool.end();
      await afterClose?.();
    };
    this.openAdapters.add(dispose);
    adapter.dispose = dispose;
    return adapter;
  }
}

function reportCharAsText(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  pool.query = (async (config: pg.QueryConfig) => {
    const result = await query(config);
    for (const field of result.fields) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    return result;
  }) as typeof pool.query;
}

/** The shape the engine turns into "ERROR: ... (SQLSTATE)" with PostgreSQL's detail and hint. */
function asDriverAdapterError(error: unknown): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code ?? 'XX000',
    severity: error.severity ?? 'ERROR',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
  });
}
