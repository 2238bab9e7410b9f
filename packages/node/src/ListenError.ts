/**
 * Why a listener could not be opened (a TCP port or a Unix socket path): the address is in use, the
 * process may not bind it, or another reason the system gave. A layer that listens fails with it
 * instead of dying, so an application (or the CLI) can say so in one line.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A listener that could not be opened.
 *
 * - `AddressInUse`: another socket is bound there (`EADDRINUSE`).
 * - `PermissionDenied`: the process may not bind there (`EACCES`, `EPERM`: a port below 1024, a
 *   read-only directory).
 * - `AddressNotAvailable`: no interface of this machine has that address (`EADDRNOTAVAIL`).
 * - `Other`: anything else, with the system's message in `detail`.
 *
 * @example
 * ```ts
 * import { ListenError } from "@pallas-network2/node"
 * const e = new ListenError.ListenError({ address: "127.0.0.1:3001", reason: "AddressInUse", detail: "EADDRINUSE" })
 * e.message // "cannot listen on 127.0.0.1:3001: the address is in use (EADDRINUSE)"
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ListenError extends Schema.TaggedError<ListenError>()("ListenError", {
  address: Schema.String,
  reason: Schema.Literals(["AddressInUse", "PermissionDenied", "AddressNotAvailable", "Other"]),
  detail: Schema.String
}) {
  override get message(): string {
    const what = this.reason === "AddressInUse"
      ? "the address is in use"
      : this.reason === "PermissionDenied"
      ? "permission denied"
      : this.reason === "AddressNotAvailable"
      ? "no interface has that address"
      : "failed"
    return `cannot listen on ${this.address}: ${what} (${this.detail})`
  }
}

const codeOf = (error: unknown): string | undefined => {
  let e: unknown = error
  // the platform's SocketServerError wraps a reason that wraps the system error
  for (let depth = 0; depth < 4 && typeof e === "object" && e !== null; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === "string") return code
    e = (e as { reason?: unknown; cause?: unknown }).reason ?? (e as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * The ListenError for a failure to open a listener at `address` (a system error, or the platform's
 * socket server error that wraps one).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromCause = (address: string, error: unknown): ListenError => {
  const code = codeOf(error)
  const reason = code === "EADDRINUSE"
    ? "AddressInUse"
    : code === "EACCES" || code === "EPERM"
    ? "PermissionDenied"
    : code === "EADDRNOTAVAIL"
    ? "AddressNotAvailable"
    : "Other"
  const detail = code ?? (error instanceof Error ? error.message : String(error))
  return new ListenError({ address, reason, detail })
}
