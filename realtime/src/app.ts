import { randomBytes } from 'node:crypto';
import type { IncomingMessage as HttpRequest } from 'node:http';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventBus, IncomingMessage } from '../../kernel/bus/port';
import { DomainError } from '../../kernel/errors';
import { makeEvent, parseEvent } from '../../kernel/events';
import { isUuid } from '../../kernel/ids';
import { createHttpApp, listen } from '../../kernel/http';
import type { Logger } from '../../kernel/log';
import { createIntrospection } from '../../kernel/introspection';
import { createRevocations, type Revocations } from '../../kernel/revocations';
import { PUBLIC_API_RESOURCE } from '../../kernel/scopes';
import { anyTokenVerifier, authenticate, oauthTokenVerifier, sessionTokenVerifier, type TokenVerifier } from './auth';
import type { RtGtwConfig } from './config';
import { Connection, ParkedSubscription } from './connection';
import { PersistedSubscriptions } from './operations';
import { CHAT_TOPICS, type Member, NOTIFICATION_TOPIC, nextFramePrefix, Rooms, STREAM_TOPICS, type StreamTopic } from './rooms';
import { buildRealtimeSchema } from './schema';
import { SocketCaps } from './caps';
import { createLocalViewerCounter, createRedisViewerCounter } from './viewers';
import { realtimeSockets, realtimeSubscriptions } from '../../kernel/metrics';
import { connectRedis } from '../../kernel/redis';
import { PRESENCE_TTL_MS, PresenceWriter, presenceKey } from '../../kernel/presence';
import { clientAddress } from '../../kernel/http';
import { type BanSource, readBansUntilRead, routerBanSource } from './ban-snapshot';

export const REALTIME_PATH = '/graphql';
/** On stop, how long clients get to answer the close before their sockets are destroyed. */
const CLOSE_WAIT_MS = 2_000;

interface Extra {
  conn: Connection;
  request: HttpRequest;
}

/** What onSubscribe hands to subscribe(): the subscription, and how it joins its room and selection. */
interface Ticket {
  conn: Connection;
  parked: ParkedSubscription;
  prefix: string;
  join(member: Member): void;
}

/** What rt-gtw reads: chat for the rooms, streams and channels for streamStatus, fan-out slices for notifications. */
const FEED_TOPICS = [...CHAT_TOPICS, ...STREAM_TOPICS, NOTIFICATION_TOPIC] as const;
type FeedTopic = (typeof FEED_TOPICS)[number];

const STREAM_TOPIC_SET: ReadonlySet<string> = new Set(STREAM_TOPICS);
const isStreamEvent = (event: { type: string }): event is ReturnType<typeof parseEvent<StreamTopic>> => STREAM_TOPIC_SET.has(event.type);

/** Where each instance reports its viewers, for the live domain's streams (live-viewers-wkr). */
const VIEWERS_TOPIC = 'live.viewers.counted.v1';

/** Event ids already fanned out, so a message the relay publishes twice reaches viewers once. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}
  /** True the first time an id is seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

/** Sessions always; OAuth tokens too when the introspection client's secret is configured. */
function defaultVerifier(config: RtGtwConfig, revocations: Revocations): TokenVerifier {
  const session = sessionTokenVerifier(config.ACCESS_TOKEN_PUBLIC_KEYS, revocations);
  if (!config.OAUTH_ROUTER_CLIENT_SECRET) return session;
  const introspection = createIntrospection({
    url: config.OAUTH_INTROSPECTION_URL,
    clientId: config.OAUTH_ROUTER_CLIENT_ID,
    clientSecret: config.OAUTH_ROUTER_CLIENT_SECRET,
    cacheMs: config.OAUTH_INTROSPECTION_CACHE_MS,
    timeoutMs: config.OAUTH_INTROSPECTION_TIMEOUT_MS,
    audience: PUBLIC_API_RESOURCE,
  });
  return anyTokenVerifier(session, oauthTokenVerifier(introspection));
}

export interface RtGtwOptions {
  /** How bearer tokens are verified; session access tokens by default. */
  verifyToken?: TokenVerifier;
  /** The clock bans and timeouts are judged by (milliseconds since the epoch); tests move it instead of waiting. */
  now?: () => number;
  /** Where the bans in force are read at start; the chat domain through the router by default. */
  bans?: BanSource;
}

/** The close code of a socket opened before the gateway knows the bans in force: the client retries later. */
export const NOT_READY_CLOSE_CODE = 1013;

/**
 * rt-gtw: the realtime API over graphql-ws. graphql-ws (makeServer) runs the protocol: the handshake, its close
 * codes, subscribe and complete. Events come from Kafka in a consumer group of this instance's own, from the end,
 * so every instance sees every event; each is executed once per room and selection and written to the sockets
 * directly (rooms.ts).
 */
export async function startRtGtw(config: RtGtwConfig, bus: EventBus, logger: Logger, options: RtGtwOptions = {}) {
  const instanceId = config.RT_INSTANCE_ID ?? `rt-${randomBytes(6).toString('hex')}`;
  const schema = buildRealtimeSchema();
  const persisted = new PersistedSubscriptions(schema);
  const now = options.now ?? Date.now;
  const rooms = new Rooms(schema, now);
  const log = logger.child({ instanceId });
  // A suspended user's sockets close at once; their session tokens open no new one.
  const connections = new Set<Connection>();
  const revocations = createRevocations(bus, log, 'rt-gtw', (userId) => {
    for (const conn of connections) if (conn.userId === userId) conn.forbid('account suspended');
  });
  await revocations.start();
  const verify = options.verifyToken ?? defaultVerifier(config, revocations);
  const redis = config.REDIS_URL
    ? await connectRedis(config.REDIS_URL, log, "viewer counts are this instance's own until it is back")
    : undefined;
  const ttlMs = Math.max(5_000, 3 * config.RT_VIEWER_COUNT_INTERVAL_MS);
  const counter = redis
    ? createRedisViewerCounter(redis, { prefix: config.RT_REDIS_PREFIX, instanceId, ttlMs })
    : createLocalViewerCounter();

  const presence = redis ? new PresenceWriter(redis, presenceKey(config.RT_REDIS_PREFIX), now) : undefined;
  const markPresent = (userIds: string[]) => {
    // A lost mark only means that user's go-live notification comes in its slice's turn, not first.
    presence?.mark(userIds).catch((error) => log.debug({ err: error }, 'presence not marked'));
  };

  const userCaps = new SocketCaps(config.RT_MAX_SOCKETS_PER_USER);
  const addressCaps = new SocketCaps(config.RT_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS);
  const trustedProxies = new Set(config.RT_TRUSTED_PROXIES);

  const recent = new RecentIds(10_000);
  const feed = async (message: IncomingMessage): Promise<void> => {
    let event: ReturnType<typeof parseEvent<FeedTopic>>;
    try {
      event = parseEvent(message.topic as FeedTopic, message.value);
    } catch (error) {
      // Every instance reads every message: dead-lettering here would file one copy per instance. The producer's
      // side checks the contract before its outbox; what still breaks it is logged and skipped.
      log.error({ err: error, topic: message.topic, offset: message.offset }, 'event skipped: it breaks its contract');
      return;
    }
    if (!recent.add(event.id)) return;
    try {
      if (event.type === NOTIFICATION_TOPIC) rooms.onNotificationEvent(event);
      else if (isStreamEvent(event)) rooms.onStreamEvent(event);
      else rooms.onChatEvent(event);
    } catch (error) {
      log.error({ err: error, topic: message.topic, offset: message.offset }, 'event could not be fanned out');
    }
  };
  await bus.ensureTopics([...FEED_TOPICS, VIEWERS_TOPIC]);
  // The bans in force are asked for after the feed is subscribed: what changes meanwhile arrives as events too, and
  // events win over the list (Bans.loading).
  rooms.bans.loading();
  const feedSubscription = await bus.subscribe({
    groupId: `rt-gtw.${instanceId}`,
    topics: [...FEED_TOPICS],
    fromBeginning: false,
    commitOffsets: false,
    handle: feed,
  });
  const stopping = new AbortController();
  let bansKnown = false;
  const bansSource = options.bans ?? routerBanSource(config.ROUTER_URL, config.SERVICE_TOKEN_SIGNING_KEY, config.RT_BANS_READ_TIMEOUT_MS);
  // Start-up waits for the first read only: with the router down the gateway serves its probes, unready, and keeps
  // trying; an orchestrator sends it no client until it is ready.
  let firstRead!: () => void;
  const firstReadDone = new Promise<void>((resolve) => {
    firstRead = resolve;
  });
  const bansRead = readBansUntilRead(
    bansSource,
    log,
    stopping.signal,
    (entries) => {
      rooms.bans.loaded(entries);
      bansKnown = true;
      log.info({ bans: entries.length }, 'bans in force read: ready');
    },
    firstRead,
  );
  await firstReadDone;

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    schema,
    connectionInitWaitTimeout: config.RT_CONNECTION_INIT_TIMEOUT_MS,
    onConnect: async (ctx) => {
      const identity = await authenticate(ctx.connectionParams, verify);
      if (!identity) return false;
      const { conn } = ctx.extra;
      conn.identity = identity;
      const userId = conn.userId;
      const [caps, key] = userId ? [userCaps, userId] : [addressCaps, conn.address];
      if (key !== undefined) {
        if (!caps.take(key)) {
          conn.refuse(userId ? 'too many connections for this user' : 'too many anonymous connections from this address');
          return false;
        }
        conn.onceClosed(() => caps.release(key));
      }
      if (identity.expiresAt !== undefined) conn.expireAt(identity.expiresAt, now());
      return true;
    },
    onSubscribe: (ctx, id, payload): ExecutionArgs | readonly GraphQLError[] => {
      const { conn } = ctx.extra;
      const resolved = persisted.resolve(payload);
      if (!('channelId' in resolved)) return resolved;
      if (conn.subscriptions.size >= config.RT_MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return [new DomainError('BAD_REQUEST', `at most ${config.RT_MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection`)];
      }
      const userId = conn.userId;
      if (resolved.forUser && !userId)
        return [new DomainError('UNAUTHENTICATED', 'your own notifications need a user: connect with a user token')];
      const at = now();
      const until = userId && !resolved.forUser ? rooms.bans.until(resolved.channelId, userId, at) : undefined;
      if (until !== undefined) {
        const retryAfter = Number.isFinite(until) ? Math.ceil((until - at) / 1000) : undefined;
        return [new DomainError('CHAT_BANNED', 'you are banned from this room', { retryAfter })];
      }
      // Counted here, not in subscribe(): the subscribe messages of one read reach this hook before any reaches that.
      let leave = (): void => undefined;
      const parked = new ParkedSubscription(() => {
        leave();
        realtimeSubscriptions.dec();
        if (conn.subscriptions.get(id) === parked) conn.subscriptions.delete(id);
      });
      conn.subscriptions.set(id, parked);
      realtimeSubscriptions.inc();
      const ticket: Ticket = {
        parked,
        join: (member) => {
          if (resolved.forUser && userId) {
            leave = rooms.joinUser(userId, resolved.selectionKey, resolved.operation, resolved.variables, member);
            markPresent([userId.toLowerCase()]);
          } else {
            leave = rooms.join(resolved.channelId, resolved.selectionKey, resolved.operation, resolved.variables, member);
          }
        },
        prefix: nextFramePrefix(id),
        conn,
      };
      return {
        schema,
        document: resolved.operation.document,
        operationName: resolved.operation.name,
        variableValues: resolved.variables,
        contextValue: ticket,
      };
    },
    // Instead of graphql's subscribe: joins the room, whose fan-out writes this subscription's frames.
    subscribe: (args) => {
      const { parked, join, prefix, conn } = args.contextValue as Ticket;
      // The socket may have closed since onSubscribe, ending the subscription: it must not join a room then.
      if (!parked.ended) join({ sink: conn, prefix, complete: () => parked.end() });
      return parked;
    },
  });

  const app = createHttpApp(log, {
    feed: () => bus.healthy(),
    bans: async () => bansKnown,
  });
  const listening = await listen(app, config.RT_PORT);
  const wss = new WebSocketServer({
    server: listening.server,
    path: REALTIME_PATH,
    maxPayload: config.RT_MAX_CLIENT_MESSAGE_BYTES,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const alive = new WeakSet<WebSocket>();
  wss.on('connection', (socket, request) => {
    if (!bansKnown) {
      socket.close(NOT_READY_CLOSE_CODE, 'not ready: retry later');
      return;
    }
    const conn = new Connection(socket, config.RT_MAX_BUFFERED_BYTES, log);
    conn.address = clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trustedProxies);
    connections.add(conn);
    realtimeSockets.inc();
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.on('error', (error) => log.warn({ err: error }, 'socket error'));
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: async (data) => conn.send(data),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              // graphql-ws throws on a well-formed message of a type a client must not send (`next`, `error`...).
              log.warn({ err: error }, 'bad client message');
              socket.close(CloseCode.BadRequest, 'Invalid message received');
            }
          }),
      },
      { conn, request },
    );
    socket.once('close', (code, reason) => {
      connections.delete(conn);
      realtimeSockets.dec();
      conn.endAll();
      void closed(code, reason.toString());
    });
  });

  const keepAlive = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, config.RT_KEEPALIVE_MS);

  let exchanging = false;
  const viewerTick = setInterval(async () => {
    if (exchanging) return;
    exchanging = true;
    try {
      const local = rooms.localDistinctViewers();
      const wanted = rooms.viewerCountChannels();
      // Without Redis (its outage is logged once by the client) each instance counts its own viewers.
      const totals = await counter.exchange(local, wanted).catch(() => createLocalViewerCounter().exchange(local, wanted));
      const at = new Date(now());
      for (const [channelId, count] of totals) rooms.pushViewerCount(channelId, count, at);
      rooms.bans.sweep(at.getTime());
    } finally {
      exchanging = false;
    }
  }, config.RT_VIEWER_COUNT_INTERVAL_MS);

  // A report replaces this instance's last one at the live domain, which sums the instances' current reports: the
  // counts of several instances add up, and those of one that died expire. Sent straight to the bus (no outbox): a
  // lost report is replaced by the next.
  const reportViewers = async (counts: Map<string, number>) => {
    const at = new Date(now());
    const event = makeEvent(
      VIEWERS_TOPIC,
      {
        instanceId,
        countedAt: at.toISOString(),
        ttlSeconds: Math.ceil((3 * config.RT_VIEWER_REPORT_INTERVAL_MS) / 1000),
        counts: [...counts].filter(([channelId]) => isUuid(channelId)).map(([channelId, viewers]) => ({ channelId, viewers })),
      },
      at,
    );
    await bus.publish(VIEWERS_TOPIC, [{ key: instanceId, value: JSON.stringify(event) }]);
  };
  const presenceTick = setInterval(() => markPresent(rooms.subscribedUsers()), PRESENCE_TTL_MS / 3);

  let reporting = false;
  const reportTick = setInterval(async () => {
    if (reporting) return;
    reporting = true;
    try {
      await reportViewers(rooms.localDistinctViewers());
    } catch (error) {
      log.warn({ err: error }, 'viewer counts not reported');
    } finally {
      reporting = false;
    }
  }, config.RT_VIEWER_REPORT_INTERVAL_MS);

  log.info({ url: listening.url, path: REALTIME_PATH }, 'realtime gateway listening');
  return {
    url: listening.url,
    wsUrl: `${listening.url.replace(/^http/, 'ws')}${REALTIME_PATH}`,
    instanceId,
    rooms,
    stop: async () => {
      stopping.abort();
      await bansRead;
      clearInterval(keepAlive);
      clearInterval(viewerTick);
      clearInterval(reportTick);
      clearInterval(presenceTick);
      // Clients reconnect elsewhere on 1001; the HTTP server can only close once the upgraded sockets are gone.
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
      const laggards = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, CLOSE_WAIT_MS);
      await closed;
      clearTimeout(laggards);
      await listening.close();
      await feedSubscription.stop();
      await revocations.stop();
      await counter.stop().catch((error) => log.warn({ err: error }, 'viewer counts not withdrawn'));
      // Its viewers left with their sockets: withdrawn at once rather than when the last report expires.
      await reportViewers(new Map()).catch((error) => log.warn({ err: error }, 'viewer report not withdrawn'));
      await redis?.quit();
    },
  };
}

export type RunningRtGtw = Awaited<ReturnType<typeof startRtGtw>>;
