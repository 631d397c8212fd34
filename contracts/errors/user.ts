/** The user domain's error codes (accounts and staff) and the HTTP status each is answered with. */
export const USER_ERRORS = {
  USER_LOGIN_TAKEN: 409,
  USER_EMAIL_TAKEN: 409,
  USER_EMAIL_ALREADY_VERIFIED: 409,
  USER_INVALID_VERIFICATION_TOKEN: 400,
  USER_INVALID_CREDENTIALS: 401,
  USER_NOT_FOUND: 404,
  USER_INVALID_REFRESH_TOKEN: 401,
  USER_SUSPENDED: 403,
  /** An account that has not verified its email address yet may not do this (README, Sign-up). */
  USER_EMAIL_NOT_VERIFIED: 403,
  STAFF_NOT_FOUND: 404,
  STAFF_EXISTS: 409,
  STAFF_ROLE_NOT_FOUND: 404,
  STAFF_ROLE_EXISTS: 409,
  STAFF_ROLE_BUILT_IN: 409,
  STAFF_ROLE_IN_USE: 409,
} as const;
