import type { ErrorCode } from "../../src/contract/index.ts";

/** A failure with the contract's error code and a message a person can act on. */
export class PipelineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retriable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PipelineError";
  }
  toJSON() {
    return { code: this.code, message: this.message, retriable: this.retriable };
  }
}

export function asPipelineError(error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  if ((error as Error)?.name === "AbortError") return new PipelineError("CANCELLED", "The job was stopped", true, { cause: error });
  return new PipelineError("INTERNAL", `Unexpected failure: ${(error as Error)?.message ?? String(error)}`, true, { cause: error });
}
