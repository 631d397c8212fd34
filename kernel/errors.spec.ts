import { DOMAIN_ERRORS } from '../contracts/errors';
import { DomainError, ERROR_STATUS, GENERIC_ERRORS, mergeErrorTables, statusOf } from './errors';

describe('error codes', () => {
  it('should answer every generic and every domain code with its own status', () => {
    for (const table of [GENERIC_ERRORS, ...Object.values(DOMAIN_ERRORS)]) {
      for (const [code, status] of Object.entries(table))
        expect([code, ERROR_STATUS[code as keyof typeof ERROR_STATUS]]).toEqual([code, status]);
    }
    expect(statusOf('CHAT_SLOW_MODE')).toBe(429);
    expect(statusOf('USER_NOT_FOUND')).toBe(404);
  });

  it('should refuse a code that two tables declare', () => {
    expect(() => mergeErrorTables({ A_X: 400 }, { A_X: 409 })).toThrow('the error code A_X is declared twice');
    expect(mergeErrorTables({ A_X: 400 }, { B_X: 409 })).toEqual({ A_X: 400, B_X: 409 });
  });
});

describe(DomainError.name, () => {
  it('should carry its fields and retry-after to the client, and leave out what it was not given', () => {
    const error = new DomainError('CHAT_SLOW_MODE', 'slow', { fields: [{ field: 'text', message: 'wait' }], retryAfter: 3 });
    expect(error.extensions).toEqual({ code: 'CHAT_SLOW_MODE', fields: [{ field: 'text', message: 'wait' }], retryAfter: 3 });
    expect([error.fields, error.retryAfter]).toEqual([[{ field: 'text', message: 'wait' }], 3]);
    expect(new DomainError('NOT_FOUND', 'gone').extensions).toEqual({ code: 'NOT_FOUND' });
  });
});
