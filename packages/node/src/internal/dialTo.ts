/**
 * A dialer that connects every peer id to one TCP address: for load tests and soaks, where one
 * process holds many connections to the same responder (peer ids are then only labels).
 *
 * @internal
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { type ConnectionPool, ProtocolError } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import { fromSocket } from "./bearer.ts"

export const dialTo = (host: string, port: number, openTimeout = 10_000): ConnectionPool.Dialer => () =>
  Effect.gen(function*() {
    const socket = yield* NodeSocket.makeNet({ host, port, openTimeout, noDelay: true })
    return yield* fromSocket(socket)
  }).pipe(Effect.mapError((e) => new ProtocolError.TransportError({ detail: String(e) })))
