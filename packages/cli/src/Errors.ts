/**
 * The errors a `network2` subcommand ends with. `main` prints each as one line (no stack trace) and
 * exits with its code; anything else is an internal error (exit 70).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Bad input the argument parser could not see (a chain with no blocks, an unknown protocol module):
 * one line and exit code 2, as for a bad flag.
 *
 * @category errors
 * @since 0.1.0
 */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * A command that ran and did not succeed (a refused handshake, a failed fetch, a deadline, every peer
 * banned). `detail` is printed as one line unless empty (the command already printed its result);
 * the process exits with `exitCode` (1 unless given).
 *
 * @category errors
 * @since 0.1.0
 */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  detail: Schema.String,
  exitCode: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * One input `network2 decode` could not read (bad hex, bad CBOR, not a message of the protocol, a
 * round-trip mismatch, a truncated segment): reported on its own line, the other inputs still decoded.
 *
 * @category errors
 * @since 0.1.0
 */
export class InputError extends Schema.TaggedError<InputError>()("InputError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}
