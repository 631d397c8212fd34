import { DomainError } from '../../../../kernel/errors';
import {
  findBlockedTerm,
  mentionedLogins,
  normaliseMessage,
  onlyEmotes,
  parseFragments,
  MAX_MESSAGE_CODE_POINTS,
  storedFragments,
} from './text';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
};

describe('normaliseMessage', () => {
  it('should apply NFKC, turn controls into spaces, collapse spaces and trim', () => {
    expect(normaliseMessage('  ｈｅｌｌｏ\u0007 \n\n ﬁne  ')).toBe('hello fine');
  });

  it('should compose decomposed characters so that they count once', () => {
    const decomposed = 'e\u0301'.repeat(MAX_MESSAGE_CODE_POINTS);
    expect([...normaliseMessage(decomposed)]).toHaveLength(MAX_MESSAGE_CODE_POINTS);
  });

  it('should refuse more than 500 code points', () => {
    expect(codeOf(() => normaliseMessage('a'.repeat(MAX_MESSAGE_CODE_POINTS)))).toBeUndefined();
    expect(codeOf(() => normaliseMessage('a'.repeat(MAX_MESSAGE_CODE_POINTS + 1)))).toBe('CHAT_MESSAGE_TOO_LONG');
  });

  it('should accept 500 characters of a 3-byte script and refuse 500 code points weighing more than the byte cap', () => {
    expect(codeOf(() => normaliseMessage('語'.repeat(MAX_MESSAGE_CODE_POINTS)))).toBeUndefined();
    expect(codeOf(() => normaliseMessage('😀'.repeat(MAX_MESSAGE_CODE_POINTS)))).toBe('CHAT_MESSAGE_TOO_LONG');
  });

  it('should drop invisible format characters and keep the joiner of emoji sequences', () => {
    expect(normaliseMessage('he\u200Bllo \u202Eworld\u2066')).toBe('hello world');
    expect(normaliseMessage('👩\u200D💻')).toBe('👩\u200D💻');
  });

  it('should refuse a blank message', () => {
    expect(codeOf(() => normaliseMessage('\t\n \u0000 '))).toBe('VALIDATION_FAILED');
  });
});

describe('parseFragments', () => {
  const lookups = {
    emotes: new Map([
      ['Kappa', 'e0000000-0000-4000-8000-000000000001'],
      ['PogChamp', 'e0000000-0000-4000-8000-000000000002'],
    ]),
    users: new Map([['ninja_fan', 'u0000000-0000-4000-8000-000000000001']]),
  };

  it('should split text, emotes and mentions in order, merging adjacent text', () => {
    expect(parseFragments('hi @Ninja_Fan, look Kappa kappa PogChamp', lookups)).toEqual([
      { type: 'text', text: 'hi ', emoteId: null, userId: null },
      { type: 'mention', text: '@Ninja_Fan', emoteId: null, userId: 'u0000000-0000-4000-8000-000000000001' },
      { type: 'text', text: ', look ', emoteId: null, userId: null },
      { type: 'emote', text: 'Kappa', emoteId: 'e0000000-0000-4000-8000-000000000001', userId: null },
      { type: 'text', text: ' kappa ', emoteId: null, userId: null },
      { type: 'emote', text: 'PogChamp', emoteId: 'e0000000-0000-4000-8000-000000000002', userId: null },
    ]);
  });

  it('should keep a mention of an unknown login without a user', () => {
    expect(parseFragments('@nobody_here', lookups)).toEqual([{ type: 'mention', text: '@nobody_here', emoteId: null, userId: null }]);
  });

  it('should rebuild the text from its fragments', () => {
    const text = 'a @b Kappa c@d  PogChampx';
    expect(
      parseFragments(text, lookups)
        .map((f) => f.text)
        .join(''),
    ).toBe(text);
  });

  it('should tell emote-only messages apart', () => {
    expect(onlyEmotes(parseFragments('Kappa PogChamp Kappa', lookups))).toBe(true);
    expect(onlyEmotes(parseFragments('Kappa hi', lookups))).toBe(false);
  });
});

describe('mentionedLogins and findBlockedTerm', () => {
  it('should list each mentioned login once, lowercase', () => {
    expect(mentionedLogins('@Ana hi @ana @bob! email@x')).toEqual(['ana', 'bob']);
  });

  it('should match blocked terms case-insensitively inside words', () => {
    expect(findBlockedTerm('You are a BADWORDer', ['nice', 'badword'])).toBe('badword');
    expect(findBlockedTerm('all good', ['badword'])).toBeUndefined();
  });

  it.each([
    ['an invisible character inside it', 'bad\u200Bword'],
    ['a Cyrillic look-alike letter', 'b\u0430dword'],
    ['leetspeak', 'b4dw0rd'],
    ['full-width letters', 'ＢＡＤＷＯＲＤ'],
    ['diacritics', 'bádwörd'],
    ['a bidi override', 'bad\u202Eword'],
  ])('should find a blocked term written with %s', (_case, text) => {
    expect(findBlockedTerm(normaliseMessage(`you ${text}!`), ['badword'])).toBe('badword');
  });

  it('should fold the terms themselves the same way', () => {
    expect(findBlockedTerm('you badword', ['b\u0430dw0rd'])).toBe('b\u0430dw0rd');
  });

  it('should not find a term that only shares letters with the text', () => {
    expect(findBlockedTerm('bad words are a bad idea', ['badidea'])).toBeUndefined();
  });
});

describe('storedFragments', () => {
  it('should give back the fragments a message was stored with', () => {
    const fragments = parseFragments('hi @ada Kappa', { emotes: new Map([['Kappa', 'e1']]), users: new Map([['ada', 'u1']]) });
    expect(storedFragments(JSON.parse(JSON.stringify(fragments)))).toEqual(fragments);
  });

  it('should leave out what is not a fragment', () => {
    const text = { type: 'text', text: 'hi', emoteId: null, userId: null };
    expect(storedFragments([text, { type: 'bold', text: 'x', emoteId: null, userId: null }, { type: 'text' }, null])).toEqual([text]);
    expect(storedFragments({ fragments: [text] })).toEqual([]);
  });
});
