import { DomainError } from '../../../../kernel/errors';
import { isUuid } from '../../../../kernel/ids';
import type { PrismaClient } from '../data/prisma/client';

export interface QuietHours {
  start: string;
  end: string;
  timeZone: string;
}

export interface PreferencesView {
  goLive: boolean;
  quietHours: QuietHours | null;
  mutedChannelIds: string[];
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

const minutesOf = (value: string, field: string): number => {
  const match = HH_MM.exec(value);
  if (!match)
    throw new DomainError('VALIDATION_FAILED', `${field} must be HH:MM`, { fields: [{ field, message: 'must be HH:MM (24 h)' }] });
  return Number(match[1]) * 60 + Number(match[2]);
};

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Minutes after local midnight in `timeZone` at `at`. */
export function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 60 + part('minute');
}

/**
 * When a push to a user with these quiet hours may go: `at` itself outside them, else the instant they end (to the
 * minute). Hours whose end is before their start span midnight.
 */
export function pushDueAt(at: Date, quiet: { start: number; end: number; timeZone: string } | null): Date {
  if (!quiet || quiet.start === quiet.end) return at;
  const now = localMinutes(at, quiet.timeZone);
  const inside = quiet.start < quiet.end ? now >= quiet.start && now < quiet.end : now >= quiet.start || now < quiet.end;
  if (!inside) return at;
  const wait = (quiet.end - now + 1440) % 1440;
  const due = new Date(at.getTime() + wait * 60_000);
  due.setUTCSeconds(0, 0);
  return due;
}

/** A user's notification preferences: go-live on or off, quiet hours for pushes, muted channels. */
export class PreferencesService {
  constructor(private readonly prisma: PrismaClient) {}

  async get(userId: string): Promise<PreferencesView> {
    const [row, muted] = await Promise.all([
      this.prisma.preference.findUnique({ where: { userId } }),
      this.prisma.channelMute.findMany({ where: { userId }, orderBy: { createdAt: 'asc' }, select: { channelId: true } }),
    ]);
    const quietHours =
      row && row.quietStart !== null && row.quietEnd !== null && row.timeZone
        ? { start: hhmm(row.quietStart), end: hhmm(row.quietEnd), timeZone: row.timeZone }
        : null;
    return { goLive: row?.goLive ?? true, quietHours, mutedChannelIds: muted.map((m) => m.channelId) };
  }

  async update(userId: string, input: { goLive?: boolean | null; quietHours?: QuietHours | null }): Promise<PreferencesView> {
    const data: { goLive?: boolean; quietStart?: number | null; quietEnd?: number | null; timeZone?: string | null } = {};
    if (input.goLive !== undefined && input.goLive !== null) data.goLive = input.goLive;
    if (input.quietHours === null) Object.assign(data, { quietStart: null, quietEnd: null, timeZone: null });
    else if (input.quietHours) {
      const { start, end, timeZone } = input.quietHours;
      if (!knownTimeZone(timeZone)) {
        throw new DomainError('VALIDATION_FAILED', 'unknown time zone', {
          fields: [{ field: 'quietHours.timeZone', message: 'must be an IANA time zone, e.g. Europe/Paris' }],
        });
      }
      Object.assign(data, { quietStart: minutesOf(start, 'quietHours.start'), quietEnd: minutesOf(end, 'quietHours.end'), timeZone });
    }
    await this.prisma.preference.upsert({ where: { userId }, create: { userId, ...data }, update: data });
    return this.get(userId);
  }

  async mute(userId: string, channelId: string, muted: boolean): Promise<PreferencesView> {
    if (!isUuid(channelId)) {
      throw new DomainError('VALIDATION_FAILED', 'channelId must be a UUID', {
        fields: [{ field: 'channelId', message: 'must be a UUID' }],
      });
    }
    if (muted) await this.prisma.channelMute.createMany({ data: [{ userId, channelId }], skipDuplicates: true });
    else await this.prisma.channelMute.deleteMany({ where: { userId, channelId } });
    return this.get(userId);
  }
}
