import { generatedKeysEnv } from '../../../kernel/keys';
import { paymStoreConfigSchema, paymWebhooksConfigSchema } from './config';

const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/platform';
const key = {
  client_email: 'platform@project.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n',
};

describe('paym config: Google Play', () => {
  it('should take the service account key as its JSON or as the JSON in base64', () => {
    for (const value of [JSON.stringify(key), Buffer.from(JSON.stringify(key)).toString('base64')]) {
      const config = paymWebhooksConfigSchema.parse({ DATABASE_URL, PAYM_GOOGLE_SERVICE_ACCOUNT_KEY: value });
      expect(config.PAYM_GOOGLE_SERVICE_ACCOUNT_KEY).toEqual(key);
    }
    expect(paymWebhooksConfigSchema.parse({ DATABASE_URL }).PAYM_GOOGLE_SERVICE_ACCOUNT_KEY).toBeUndefined();
  });

  it('should refuse a key that is not a service account JSON key', () => {
    for (const value of ['not a key', JSON.stringify({ client_email: 'x' }), Buffer.from('{"private_key": 1}').toString('base64')]) {
      const parsed = paymWebhooksConfigSchema.safeParse({ DATABASE_URL, PAYM_GOOGLE_SERVICE_ACCOUNT_KEY: value });
      expect(parsed.success).toBe(false);
    }
  });

  it("should need the push subscription's service account with its audience", () => {
    const keys = generatedKeysEnv({});
    expect(paymStoreConfigSchema.safeParse({ DATABASE_URL, ...keys }).success).toBe(true);
    const parsed = paymStoreConfigSchema.safeParse({ DATABASE_URL, ...keys, PAYM_GOOGLE_PUSH_AUDIENCE: 'https://a.test' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain('PAYM_GOOGLE_PUSH_SERVICE_ACCOUNT');
  });
});
