/** The chnl domain's error codes and the HTTP status each is answered with. */
export const CHNL_ERRORS = {
  CHNL_NOT_FOUND: 404,
  CHNL_NOT_OWNER: 403,
  CHNL_SELF_FOLLOW: 422,
  CHNL_SELF_ROLE: 422,
  /** The categoryId names no category of the catalogue. */
  CHNL_CATEGORY_NOT_FOUND: 422,
} as const;
