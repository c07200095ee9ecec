// Errors raised by scaler providers: the HTTP status (0 when there was no response) and a stable code.

/** Stable codes a ProviderError can carry. */
export const ProviderErrorCodes = {
  /** the API refused the token (401/403) */
  UNAUTHORIZED: "UNAUTHORIZED",
  /** the API rejected the request as invalid (422): bad region, size, image, ssh key, droplet limit ... */
  UNPROCESSABLE: "UNPROCESSABLE",
  /** still rate limited (429) after waiting as long as we are allowed to */
  RATE_LIMITED: "RATE_LIMITED",
  /** the API kept answering 5xx (or the network failed) after all retries */
  UNAVAILABLE: "UNAVAILABLE",
  /** the snapshot named by --image does not exist on the account */
  IMAGE_NOT_FOUND: "IMAGE_NOT_FOUND",
  /** any other unexpected status */
  HTTP_ERROR: "HTTP_ERROR",
  /** no token was given */
  NO_TOKEN: "NO_TOKEN",
} as const;

export type ProviderErrorCode = (typeof ProviderErrorCodes)[keyof typeof ProviderErrorCodes];

/** A cloud or process provider failed; `status` is the HTTP status (0 if none), `code` is stable. */
export class ProviderError extends Error {
  status: number;
  code: ProviderErrorCode;
  constructor(message: string, status: number, code: ProviderErrorCode, opts?: ErrorOptions) {
    super(message, opts);
    this.status = status;
    this.code = code;
    this.name = "ProviderError";
  }
}
