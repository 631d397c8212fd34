import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable } from './unavailable';

describe('isDatabaseUnavailable', () => {
  const prisma = (code: string, cause?: Record<string, unknown>) =>
    Object.assign(new Error('prisma'), { code, meta: cause ? { driverAdapterError: { cause } } : undefined });

  it.each([
    ['Prisma cannot reach the server', prisma('P1001')],
    ['a driver adapter that cannot connect', prisma('P2010', { kind: 'DatabaseNotReachable' })],
    ['a server shutting down', prisma('P2010', { kind: 'postgres', code: '57P03' })],
    ['a connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a connection exception', Object.assign(new Error('x'), { code: '08006' })],
    ['a connection ended under a query', new Error('Connection terminated unexpectedly')],
    ['a query on a connection already lost', new Error('Client has encountered a connection error and is not queryable')],
    ['no connection free in the pool within its wait', new Error('timeout exceeded when trying to connect')],
    ['one wrapped by GraphQL', new GraphQLError('wrapped', { originalError: prisma('P1001') })],
    ['one given as a cause', new Error('outer', { cause: Object.assign(new Error('x'), { code: '57P01' }) })],
    [
      'no connection free to start a transaction in time',
      Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { code: 'P2028' }),
    ],
    [
      'a transaction expired while the server answered slowly',
      Object.assign(
        new Error(
          'Transaction API error: Transaction already closed: A query cannot be executed on an expired transaction. The timeout for this transaction was 5000 ms, however 5234 ms passed since the start of the transaction.',
        ),
        { code: 'P2028' },
      ),
    ],
  ])('should be true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', prisma('P2002', { kind: 'UniqueConstraintViolation' })],
    ['a syntax error', Object.assign(new Error('x'), { code: '42601' })],
    ['a plain error', new Error('boom')],
    ['another transaction API error', Object.assign(new Error('Transaction API error: Transaction already closed'), { code: 'P2028' })],
    [
      'a query on a transaction the code already committed',
      Object.assign(new Error('Transaction already closed: A query cannot be executed on a committed transaction.'), { code: 'P2028' }),
    ],
    ['not an error', 'P1001'],
  ])('should be false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
