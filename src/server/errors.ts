// The one error type domain code throws: a code from the protocol's list (spec §0.7 plus this port's codes), the
// message the client reads and, for a few codes, `details`. No HTTP here: http/errors.ts maps each code to its
// status and the `{error}` envelope in one table; the sockets tell the message their own way.
import { ErrorCode, type ExtraErrorCode } from "../protocol/errors.js";
import type { GuardrailErrorCode } from "../protocol/guardrails.js";
import type { OpsErrorCode } from "../protocol/ops.js";
import type { OpsRunbookErrorCode } from "../protocol/opsRunbooks.js";
import type { RecordingErrorCode } from "../protocol/recording.js";
import type { RecoveryErrorCode } from "../protocol/recovery.js";

type ValueOf<T> = T[keyof T];

export type DomainErrorCode =
  | ErrorCode
  | ValueOf<typeof ExtraErrorCode>
  | ValueOf<typeof GuardrailErrorCode>
  | ValueOf<typeof OpsErrorCode>
  | ValueOf<typeof OpsRunbookErrorCode>
  | ValueOf<typeof RecordingErrorCode>
  | ValueOf<typeof RecoveryErrorCode>;

export class DomainError<C extends DomainErrorCode = DomainErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** Input that breaks the spec's rules (§0.6): INVALID_REQUEST with the spec's message. */
export const invalidRequest = (message: string) => new DomainError(ErrorCode.InvalidRequest, message);
