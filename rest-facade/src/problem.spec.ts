import { problemFromGraphQL } from './problem';

describe('problemFromGraphQL', () => {
  it('should keep Retry-After on a server-side refusal, hiding its message', () => {
    const problem = problemFromGraphQL({ message: 'pool of 127.0.0.1:5432 exhausted', extensions: { code: 'UNAVAILABLE', retryAfter: 5 } });
    expect(problem.status).toBe(503);
    expect(problem.headers['retry-after']).toBe('5');
    expect(problem.message).not.toContain('127.0.0.1');
  });

  it('should answer a 500 without Retry-After', () => {
    const problem = problemFromGraphQL({ message: 'internal error', extensions: { code: 'INTERNAL' } });
    expect(problem.status).toBe(500);
    expect(problem.headers).toEqual({});
  });
});
