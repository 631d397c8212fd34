import { chunksOf } from './kafka';

const message = (value: string) => ({ key: 'k', value });

describe('chunksOf', () => {
  it('keeps the order and cuts before a message that would pass the limit', () => {
    const messages = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)].map(message);
    expect(chunksOf(messages, 90).map((chunk) => chunk.map((m) => m.value[0]).join(''))).toEqual(['ab', 'c']);
  });

  it('sends a message larger than the limit alone rather than never', () => {
    const messages = ['a', 'b'.repeat(100), 'c'].map(message);
    expect(chunksOf(messages, 50).map((chunk) => chunk.length)).toEqual([1, 1, 1]);
  });

  it('counts headers and keys', () => {
    const messages = [
      { key: 'k', value: 'x', headers: { h: 'y'.repeat(60) } },
      { key: 'k', value: 'x', headers: { h: 'y'.repeat(60) } },
    ];
    expect(chunksOf(messages, 100)).toHaveLength(2);
    expect(chunksOf([], 100)).toEqual([]);
  });
});
