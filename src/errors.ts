/** Every error the library raises on purpose; `name` is stable so callers can switch on it. */
export class GpuFrameError extends Error {
  override name = 'GpuFrameError';
}

/** A column name that the input schema does not have. */
export class UnknownColumnError extends GpuFrameError {
  override name = 'UnknownColumnError';
  constructor(readonly column: string, readonly available: readonly string[]) {
    super(`unknown column '${column}'; available columns: ${available.join(', ') || '(none)'}`);
  }
}

/** An operation applied to values of a type it does not accept (e.g. sum of strings, int = string). */
export class TypeMismatchError extends GpuFrameError {
  override name = 'TypeMismatchError';
}

/** An Arrow type that the engine cannot read. */
export class UnsupportedTypeError extends GpuFrameError {
  override name = 'UnsupportedTypeError';
  constructor(readonly column: string, readonly type: string) {
    super(`column '${column}' has unsupported Arrow type ${type}`);
  }
}

/** Two output columns of one result with the same name. */
export class DuplicateColumnError extends GpuFrameError {
  override name = 'DuplicateColumnError';
  constructor(readonly column: string) {
    super(`duplicate output column name '${column}'; give one of them another name with .as(name)`);
  }
}

/** A session or call option that is out of range or of the wrong kind. */
export class InvalidOptionError extends GpuFrameError {
  override name = 'InvalidOptionError';
}

/** An input file that is missing, unreadable or not in the format it is read as. */
export class InputFileError extends GpuFrameError {
  override name = 'InputFileError';
  constructor(readonly path: string, reason: string) {
    super(`input file '${path}' ${reason}`);
  }
}

/** An exact integer result that does not fit the result type (sum of integers beyond Int64). */
export class ArithmeticOverflowError extends GpuFrameError {
  override name = 'ArithmeticOverflowError';
}

/** A task that failed on every allowed attempt; the job fails with it. */
export class TaskFailedError extends GpuFrameError {
  override name = 'TaskFailedError';
  constructor(
    readonly stageId: number,
    readonly partition: number,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `task for partition ${partition} of stage ${stageId} failed after ${attempts} attempt(s): ` +
        (cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)),
    );
  }
}

/** No WebGPU adapter could be opened; the message says what to install. */
export class GpuUnavailableError extends GpuFrameError {
  override name = 'GpuUnavailableError';
}

/** The GPU device was lost or rejected a command (validation / out-of-memory error). */
export class GpuDeviceError extends GpuFrameError {
  override name = 'GpuDeviceError';
}

/** The executor running a task went away (its worker thread exited or crashed); the task is retried. */
export class ExecutorLostError extends GpuFrameError {
  override name = 'ExecutorLostError';
}

/** The job was cancelled through its AbortSignal. */
export class JobCancelledError extends GpuFrameError {
  override name = 'JobCancelledError';
}

/** The cluster's NATS server cannot be reached, or was lost for longer than the session waits for it. */
export class ClusterUnavailableError extends GpuFrameError {
  override name = 'ClusterUnavailableError';
}

/** A cluster job had tasks to run and no executor process was there to take them for as long as the session waits. */
export class NoExecutorError extends GpuFrameError {
  override name = 'NoExecutorError';
}

const REVIVABLE: Record<string, { prototype: GpuFrameError }> = {
  GpuFrameError, UnknownColumnError, TypeMismatchError, UnsupportedTypeError, DuplicateColumnError,
  InvalidOptionError, ArithmeticOverflowError, GpuUnavailableError, GpuDeviceError, InputFileError,
  ExecutorLostError,
};

/** Rebuilds an error that crossed a thread boundary as plain data, keeping its class where it is ours. */
export function reviveError(e: { name: string; message: string; stack?: string }): Error {
  const cls = REVIVABLE[e.name];
  const err = cls ? Object.setPrototypeOf(new GpuFrameError(e.message), cls.prototype) as Error : new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** A map task that would leave the GPU for the CPU, in a session that asked for no fallback (gpuFallback: 'error'). */
export class GpuFallbackError extends GpuFrameError {
  override name = 'GpuFallbackError';
  constructor(readonly reasons: readonly string[]) {
    super(`a map task has no GPU kernel and gpuFallback is 'error': ${reasons.join('; ')}`);
  }
}

/** Text in the expression language (--where, --agg, ...) that does not parse; points at the bad token. */
export class ExprSyntaxError extends GpuFrameError {
  override name = 'ExprSyntaxError';
  constructor(
    readonly what: string,
    readonly text: string,
    /** 1-based column of the offending token in `text`. */
    readonly column: number,
    readonly expected: string,
    readonly found: string,
  ) {
    // Control characters would break the caret's alignment: show each as one space.
    const shown = text.replace(/[\t\n\r\v\f]/g, ' ');
    super(`syntax error in ${what} at column ${column}: expected ${expected}, found ${found}\n  ${shown}\n  ${' '.repeat(column - 1)}^`);
  }
}
