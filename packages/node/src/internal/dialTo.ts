/**
 * A dialer that connects every peer id to one TCP address: for load tests and soaks, where one
 * process holds many connections to the same responder (peer ids are then only labels).
 *
 * @internal
 */
import { type ConnectionPool, ProtocolError } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import { dial } from "./bearer.ts"

export const dialTo = (host: string, port: number, openTimeout = 10_000): ConnectionPool.Dialer => () =>
  Effect.gen(function*() {
    return yield* dial({ host, port, noDelay: true }, openTimeout)
  }).pipe(Effect.mapError((e) => new ProtocolError.TransportError({ detail: String(e) })))
