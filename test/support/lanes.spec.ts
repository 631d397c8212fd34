import { inLanes } from './lanes';

describe('inLanes', () => {
  it('should run at most `lanes` items at a time and keep the results in the order of the items', async () => {
    let running = 0;
    let most = 0;
    const delays = [30, 5, 20, 1, 10, 2, 15];
    const results = await inLanes(delays, 3, async (delay, index) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      running -= 1;
      return `${index}:${delay}`;
    });
    expect(results).toEqual(delays.map((delay, index) => `${index}:${delay}`));
    expect(most).toBe(3);
  });

  it('should reject with the first failure', async () => {
    await expect(inLanes([1, 2, 3], 2, async (n) => (n === 2 ? Promise.reject(new Error('two')) : n))).rejects.toThrow('two');
  });
});
