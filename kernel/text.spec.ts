import { textProblem, textProblems } from './text';

describe('textProblem', () => {
  it('should accept ordinary text, emoji (surrogate pairs) included', () => {
    expect(textProblem('Speedrunning 🎮 all day — ça va')).toBeUndefined();
  });

  it('should refuse a NUL character', () => {
    expect(textProblem('a\u0000b')).toBe('must not contain NUL characters');
  });

  it.each(['\ud800', 'x\udfffy', '\udc00\ud800'])('should refuse the lone surrogate in %j', (value) => {
    expect(textProblem(value)).toBe('must be well-formed Unicode (no lone surrogates)');
  });
});

describe('textProblems', () => {
  it('should name every bad string of a body, nested ones and keys included', () => {
    expect(textProblems({ title: 'ok', tags: ['fine', 'b\u0000d'], links: { 'k\ud800': 'v' } }, 'body')).toEqual([
      { field: 'body.tags.1', message: 'must not contain NUL characters' },
      { field: 'body.links.k\ud800', message: 'name must be well-formed Unicode (no lone surrogates)' },
    ]);
  });

  it('should find nothing in numbers, booleans and null', () => {
    expect(textProblems({ a: 1, b: true, c: null }, 'body')).toEqual([]);
  });
});
