import { DomainError } from '../../../../kernel/errors';

/** Twitch's limit, counted in code points after normalisation, so a client cannot game it with decomposed forms. */
export const MAX_MESSAGE_CODE_POINTS = 500;
/**
 * 500 code points weigh up to 2000 bytes; the cap keeps the heaviest messages (long runs of 4-byte emoji) lighter
 * for every socket they are fanned out to, while 500 characters of any script (3 bytes at most for CJK) pass.
 */
export const MAX_MESSAGE_BYTES = 1500;

/**
 * The text a message is stored, compared and broadcast as: NFKC (so look-alike compatibility forms such as
 * full-width letters compare equal for unique-chat and blocked terms), control characters turned into spaces (no
 * client renders them the same way), runs of spaces collapsed and the ends trimmed.
 */
export function normaliseMessage(raw: string): string {
  const text = raw
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  if (!text) throw new DomainError('VALIDATION_FAILED', 'the message is empty', [{ field: 'text', message: 'must not be blank' }]);
  const codePoints = [...text].length;
  if (codePoints > MAX_MESSAGE_CODE_POINTS || Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new DomainError('CHAT_MESSAGE_TOO_LONG', `a message holds at most ${MAX_MESSAGE_CODE_POINTS} characters`, [
      { field: 'text', message: `at most ${MAX_MESSAGE_CODE_POINTS} characters and ${MAX_MESSAGE_BYTES} bytes` },
    ]);
  }
  return text;
}

/** How unique-chat and duplicate checks compare messages: case and spacing do not make a message different. */
export const comparableText = (text: string): string => text.toLocaleLowerCase('en-US');

export interface Fragment {
  type: 'text' | 'emote' | 'mention';
  text: string;
  emoteId: string | null;
  userId: string | null;
}

const FRAGMENT_TYPES: ReadonlySet<unknown> = new Set<Fragment['type']>(['text', 'emote', 'mention']);
const isIdOrNull = (value: unknown) => value === null || typeof value === 'string';

const isFragment = (value: unknown): value is Fragment =>
  typeof value === 'object' &&
  value !== null &&
  'type' in value &&
  FRAGMENT_TYPES.has(value.type) &&
  'text' in value &&
  typeof value.text === 'string' &&
  'emoteId' in value &&
  isIdOrNull(value.emoteId) &&
  'userId' in value &&
  isIdOrNull(value.userId);

/** A message's fragments column, JSON as sending wrote it; what is not a fragment is left out. */
export const storedFragments = (json: unknown): Fragment[] => (Array.isArray(json) ? json.filter(isFragment) : []);

export interface FragmentLookups {
  /** Emote id by code (case-sensitive, as emote codes are). */
  emotes: ReadonlyMap<string, string>;
  /** User id by lowercase login, for the logins mentioned. */
  users: ReadonlyMap<string, string>;
}

const MENTION = /^@([A-Za-z0-9_]{1,25})(.*)$/su;

/** The logins a text mentions (lowercase), to look them up before parsing. */
export function mentionedLogins(text: string): string[] {
  const logins = new Set<string>();
  for (const word of text.split(' ')) {
    const match = MENTION.exec(word);
    if (match) logins.add(match[1].toLowerCase());
  }
  return [...logins];
}

/** The emote codes a text could hold: its words. */
export const words = (text: string): string[] => [...new Set(text.split(' ').filter(Boolean))];

/**
 * Splits a normalised message into text, emote and mention fragments, in order, adjacent text merged. A word is
 * an emote when it is exactly a known code; `@login` is a mention (with the user's id when the login is known),
 * whatever punctuation follows it staying text.
 */
export function parseFragments(text: string, lookups: FragmentLookups): Fragment[] {
  const fragments: Fragment[] = [];
  const pushText = (piece: string) => {
    if (!piece) return;
    const last = fragments[fragments.length - 1];
    if (last?.type === 'text') last.text += piece;
    else fragments.push({ type: 'text', text: piece, emoteId: null, userId: null });
  };
  text.split(' ').forEach((word, index) => {
    if (index > 0) pushText(' ');
    const emoteId = lookups.emotes.get(word);
    if (emoteId) {
      fragments.push({ type: 'emote', text: word, emoteId, userId: null });
      return;
    }
    const mention = MENTION.exec(word);
    if (mention) {
      fragments.push({ type: 'mention', text: `@${mention[1]}`, emoteId: null, userId: lookups.users.get(mention[1].toLowerCase()) ?? null });
      pushText(mention[2]);
      return;
    }
    pushText(word);
  });
  return fragments;
}

/** Emote-only rooms accept messages made of emotes alone (spaces between them aside). */
export const onlyEmotes = (fragments: readonly Fragment[]): boolean =>
  fragments.every((f) => f.type === 'emote' || (f.type === 'text' && f.text.trim() === ''));

/** The first blocked term the text contains, matched case-insensitively on the normalised text. */
export function findBlockedTerm(text: string, terms: readonly string[]): string | undefined {
  const haystack = comparableText(text);
  return terms.find((term) => haystack.includes(comparableText(term)));
}
