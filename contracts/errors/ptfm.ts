/** The platform domain's error codes and the HTTP status each is answered with. */
export const PTFM_ERRORS = {
  /** `upToId` names no notification of the caller's inbox. */
  PTFM_NOTIFICATION_NOT_FOUND: 404,
  /** A push subscription whose endpoint is not an https URL, or whose keys are not the browser's base64url keys. */
  PTFM_PUSH_SUBSCRIPTION_INVALID: 422,
  /** No category has that id. */
  PTFM_CATEGORY_NOT_FOUND: 404,
  /** Another category already has that slug. */
  PTFM_CATEGORY_SLUG_TAKEN: 409,
  /** No trust and safety case has that id. */
  PTFM_CASE_NOT_FOUND: 404,
  /** The case is resolved: it is neither assigned nor resolved again. */
  PTFM_CASE_RESOLVED: 409,
} as const;
