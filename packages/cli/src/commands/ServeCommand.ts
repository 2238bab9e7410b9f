/**
 * `network2 serve`: the effect/cli command of `./Serve.ts` listening on TCP through the node package's
 * TCP interface.
 *
 * @since 0.1.0
 */
import { Protocols } from "@pallas-network2/core"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Serve from "./Serve.ts"

/**
 * The TCP Interface that listens for the responder; `sduTimeout` (ms) bounds a started segment during
 * and after the handshake (default 10 s / 30 s).
 *
 * @category layers
 * @since 0.1.0
 */
export const listen = (host: string, port: number, sduTimeout?: number) =>
  TcpInterface.layer({
    protocols: Protocols.NodeToNode.protocols,
    listen: { host, port },
    duplex: false,
    initiatorOnInbound: true,
    ...(sduTimeout !== undefined ? { sduTimeout: { handshake: sduTimeout, after: sduTimeout } } : {})
  })

/**
 * The `serve` subcommand.
 *
 * @category commands
 * @since 0.1.0
 */
export const command = Serve.command(listen)
