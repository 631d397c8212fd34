import type { Logger } from '../../kernel/log';
import { admitting } from './admission';
import { ProblemError } from './problem';
import type { GraphQLCall, GraphQLResult, RouterClient } from './router-client';

const call: GraphQLCall = { operationName: 'GetUserByLogin', id: 'x', api: 'private.v1', variables: {}, requestId: 'r' };

/** A router whose calls stay in flight until the test finishes them. */
function heldRouter() {
  const pending: (() => void)[] = [];
  const router: RouterClient = {
    execute: () => new Promise<GraphQLResult>((resolve) => pending.push(() => resolve({ data: {} }))),
    healthy: async () => true,
    close: () => undefined,
  };
  return { router, finishOne: () => pending.shift()?.() };
}

describe('admitting', () => {
  const logger = () => ({ warn: jest.fn() }) as unknown as Logger & { warn: jest.Mock };

  it('should refuse a call over the limit at once with 503 and Retry-After, and admit again once one finishes', async () => {
    const { router, finishOne } = heldRouter();
    const admitted = admitting(router, 2, logger());
    const first = admitted.execute(call);
    const second = admitted.execute(call);
    const refusal = await admitted.execute(call).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ProblemError);
    expect(refusal).toMatchObject({ status: 503, code: 'UNAVAILABLE', headers: { 'retry-after': '1' } });
    finishOne();
    await expect(first).resolves.toEqual({ data: {} });
    const third = admitted.execute(call);
    finishOne();
    finishOne();
    await expect(Promise.all([second, third])).resolves.toEqual([{ data: {} }, { data: {} }]);
  });

  it('should count a call that failed as finished', async () => {
    const router: RouterClient = { execute: () => Promise.reject(new Error('down')), healthy: async () => false, close: () => undefined };
    const admitted = admitting(router, 1, logger());
    await expect(admitted.execute(call)).rejects.toThrow('down');
    await expect(admitted.execute(call)).rejects.toThrow('down');
  });

  it('should log once when refusing begins and once, with the count, when it ends', async () => {
    const { router, finishOne } = heldRouter();
    const log = logger();
    const admitted = admitting(router, 2, log);
    const held = [admitted.execute(call), admitted.execute(call)];
    for (let i = 0; i < 5; i += 1) await admitted.execute(call).catch(() => undefined);
    expect(log.warn).toHaveBeenCalledTimes(1);
    finishOne();
    await held[0];
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenLastCalledWith({ refused: 5 }, 'router calls under the limit again');
    finishOne();
    await held[1];
    expect(log.warn).toHaveBeenCalledTimes(2);
  });
});
