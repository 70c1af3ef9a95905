/**
 * Stable error codes of ArcFace.ts. Each code maps to one HTTP status and one CLI exit code, in
 * one place ({@link ERROR_CODES}), so the CLI and the server never disagree about a failure.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { http: 400, exit: 1 },
  IMAGE_EMPTY: { http: 400, exit: 2 },
  IMAGE_TRUNCATED: { http: 400, exit: 2 },
  IMAGE_CORRUPT: { http: 400, exit: 2 },
  IMAGE_UNSUPPORTED_FORMAT: { http: 415, exit: 2 },
  IMAGE_TOO_LARGE: { http: 413, exit: 2 },
  FILE_NOT_FOUND: { http: 404, exit: 2 },
  NO_FACE: { http: 422, exit: 4 },
  MODEL_NOT_FOUND: { http: 500, exit: 3 },
  MODEL_UNKNOWN_NAME: { http: 400, exit: 3 },
  MODEL_INVALID: { http: 500, exit: 3 },
  MODEL_UNSUPPORTED_FORMAT: { http: 500, exit: 3 },
  MODEL_CONTRACT_MISMATCH: { http: 500, exit: 3 },
  MODEL_CHECKSUM_MISMATCH: { http: 500, exit: 3 },
  MODEL_DOWNLOAD_FAILED: { http: 502, exit: 3 },
  MODEL_CACHE_UNWRITABLE: { http: 500, exit: 3 },
  ARCHIVE_INVALID: { http: 500, exit: 3 },
  ARCHIVE_UNSUPPORTED_VERSION: { http: 500, exit: 3 },
  EMBEDDING_SIZE_MISMATCH: { http: 400, exit: 2 },
  MODEL_MISMATCH: { http: 409, exit: 3 },
  GALLERY_CORRUPT: { http: 500, exit: 2 },
  GALLERY_BUSY: { http: 503, exit: 2 },
  IDENTITY_NOT_FOUND: { http: 404, exit: 2 },
  IDENTITY_EXISTS: { http: 409, exit: 2 },
  UNAUTHORIZED: { http: 401, exit: 1 },
  FORBIDDEN: { http: 403, exit: 1 },
  RATE_LIMITED: { http: 429, exit: 1 },
  QUEUE_FULL: { http: 503, exit: 1 },
  PAYLOAD_TOO_LARGE: { http: 413, exit: 2 },
  TIMEOUT: { http: 504, exit: 1 },
  NOT_FOUND: { http: 404, exit: 1 },
  PROTOCOL_INVALID: { http: 400, exit: 2 },
  VIDEO_DECODE_FAILED: { http: 422, exit: 2 },
  VIDEO_UNSUPPORTED: { http: 415, exit: 2 },
  VIDEO_TIMEOUT: { http: 504, exit: 2 },
  VIDEO_STREAM_ENDED: { http: 502, exit: 2 },
  VIDEO_STREAM_UNAVAILABLE: { http: 502, exit: 2 },
  VIDEO_DEVICE_NOT_FOUND: { http: 404, exit: 2 },
  VIDEO_ENCODE_FAILED: { http: 500, exit: 2 },
  INTERNAL: { http: 500, exit: 1 },
  BODY_INVALID: { http: 400, exit: 1 },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, exit: 1 },
  URI_TOO_LONG: { http: 414, exit: 1 },
  KEYS_CORRUPT: { http: 500, exit: 2 },
  KEYS_BUSY: { http: 503, exit: 2 },
  REQUEST_TIMEOUT: { http: 408, exit: 1 },
  HEADERS_TOO_LARGE: { http: 431, exit: 1 },
  MULTIPLE_FACES: { http: 422, exit: 4 },
  PERSON_NOT_FOUND: { http: 404, exit: 2 },
  FACE_NOT_FOUND: { http: 404, exit: 2 },
  RATE_LIMIT_UNAVAILABLE: { http: 503, exit: 1 },
  SOURCE_CHANGED: { http: 409, exit: 2 },
  QUEUE_UNAVAILABLE: { http: 503, exit: 2 },
  GALLERY_PARAMS_MISMATCH: { http: 409, exit: 2 },
  VIDEO_TOO_LARGE: { http: 413, exit: 2 },
  VIDEO_JOB_INTERRUPTED: { http: 503, exit: 1 },
  STORE_UNSUPPORTED: { http: 501, exit: 2 },
  // `arcface serve` at start-up, never an HTTP answer: the port is held by another process, as a
  // busy gallery is (exit 2).
  PORT_IN_USE: { http: 503, exit: 2 },
  GALLERY_SEALED: { http: 500, exit: 2 },
  GALLERY_KEY_MISMATCH: { http: 500, exit: 2 },
  GALLERY_NOT_SEALED: { http: 409, exit: 2 },
  SEALING_UNSUPPORTED: { http: 400, exit: 2 },
  SIGHTING_NOT_FOUND: { http: 404, exit: 2 },
} as const satisfies Record<string, { http: number; exit: number }>;

/** One of the stable error codes; tests and clients match on these, never on messages. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error type users see. `code` is stable; `message` says what was expected and what came.
 *
 * @example
 * try { await decodeImage(bytes) } catch (e) { if (isArcFaceError(e, 'IMAGE_TRUNCATED')) retry() }
 */
export class ArcFaceError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly exitCode: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArcFaceError';
    this.code = code;
    this.httpStatus = ERROR_CODES[code].http;
    this.exitCode = ERROR_CODES[code].exit;
    this.details = options?.details === undefined ? undefined : Object.freeze({ ...options.details });
  }

  /** A plain object for JSON responses: `{code, message}` and nothing internal. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/**
 * True when `e` is an {@link ArcFaceError}, optionally with the given code.
 *
 * @example
 * if (isArcFaceError(err, 'NO_FACE')) console.log('no face')
 */
export function isArcFaceError(e: unknown, code?: ErrorCode): e is ArcFaceError {
  return e instanceof ArcFaceError && (code === undefined || e.code === code);
}

/**
 * Any thrown value as an {@link ArcFaceError}, the one mapping the CLI, the inference workers and the
 * server share: an ArcFaceError passes through; TypeError and RangeError (the "Expected … but
 * received …" boundary checks) become `INVALID_ARGUMENT` with their message; anything else becomes
 * `INTERNAL`, the original kept as `cause` for logs and never shown to a client.
 *
 * @example
 * const e = asArcFaceError(new RangeError('Expected k ≥ 1 but received 0')) // INVALID_ARGUMENT
 */
export function asArcFaceError(err: unknown): ArcFaceError {
  if (err instanceof ArcFaceError) return err;
  if (err instanceof TypeError || err instanceof RangeError) return new ArcFaceError('INVALID_ARGUMENT', err.message, { cause: err });
  return new ArcFaceError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * An image-input error (an `IMAGE_*` code: empty, truncated, corrupt, unsupported or too large) with
 * the input it concerns named first, for calls that take several images: `the second image
 * (README.md): Expected an image in one of …`. Any other error passes unchanged, and so does a
 * message that already names the input.
 *
 * @example
 * try { await decodeImage(bytes) } catch (e) { throw inImageInput(e, 'the first image (a.jpg)') }
 */
export function inImageInput(err: unknown, input: string): unknown {
  if (!(err instanceof ArcFaceError) || !err.code.startsWith('IMAGE_') || err.message.includes(input)) return err;
  return new ArcFaceError(err.code, `${input}: ${err.message}`, { cause: err, ...(err.details === undefined ? {} : { details: { ...err.details } }) });
}
