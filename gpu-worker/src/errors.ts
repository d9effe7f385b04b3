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

// Every other failure is classified in one place: pipeline/step.ts classify().
