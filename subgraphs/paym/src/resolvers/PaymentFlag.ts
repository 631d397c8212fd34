import type { PaymentFlagResolvers } from './types.generated';

export const PaymentFlag: PaymentFlagResolvers = {
  buyer: (flag) => ({ id: flag.userId }),
  reason: (flag) => flag.reason as never,
};
