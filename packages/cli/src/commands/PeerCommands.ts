/**
 * `network2 handshake`, `network2 follow` and `network2 fetch`: the initiator against real peers over
 * TCP, with readable lines or JSON lines (`--json`).
 *
 * @since 0.1.0
 */
import { Initiator, type PeerId, PeerId as PeerIds, Protocols } from "@pallas-network2/core"
import * as TcpInterface from "@pallas-network2/node/TcpInterface"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { Point } from "@pallas-network2/core/protocol/Common"
import { type CliCommand, parseArgs, UsageError } from "../Command.ts"
import { runCommand } from "../Runner.ts"
import * as Fetch from "./Fetch.ts"
import * as Follow from "./Follow.ts"
import * as Handshake from "./Handshake.ts"

const peerOf = (text: string): PeerId => {
  const peer = PeerIds.fromString(text)
  if (peer === undefined) throw new UsageError(`not a HOST:PORT address: ${text}`)
  return peer
}

const magicOf = (value: string | true | undefined): number => {
  if (value === undefined) return 764824073
  const n = Number(value)
  if (value === true || !Number.isInteger(n) || n < 0) throw new UsageError("--magic needs a non-negative integer")
  return n
}

/** The initiator over TCP, with the given configuration. @category layers @since 0.1.0 */
export const initiatorLayer = (config: Initiator.InitiatorConfig) =>
  Initiator.managerLayer().pipe(
    Layer.provideMerge(Initiator.layer(config)),
    Layer.provide(TcpInterface.layer({ protocols: Protocols.NodeToNode.protocols }))
  )

const out = (line: string) => Effect.sync(() => void process.stdout.write(line + "\n"))

/** `network2 handshake HOST:PORT [--magic N] [--query] [--json]`. @category commands @since 0.1.0 */
export const handshake: CliCommand = {
  name: "handshake",
  summary: "a peer's negotiated version and data, or its refuse reason (--query: its whole version table)",
  run: (argv) => {
    const args = parseArgs(argv, { valued: ["magic"], booleans: ["query", "json"] })
    if (args.flags.has("help") || args.positional.length !== 1) {
      process.stdout.write("usage: network2 handshake HOST:PORT [--magic N] [--query] [--json]\n")
      return Promise.resolve(args.flags.has("help") ? 0 : 2)
    }
    const peer = peerOf(args.positional[0]!)
    const json = args.flags.has("json")
    const config = Handshake.initiatorConfig({ magic: magicOf(args.flags.get("magic")), query: args.flags.has("query") })
    return runCommand(
      Handshake.run(peer).pipe(
        Effect.tap((report) => out(json ? JSON.stringify(Handshake.toJson(peer, report)) : Handshake.toText(peer, report))),
        Effect.timeout("30 seconds"),
        Effect.provide(initiatorLayer(config)),
        Effect.scoped
      ),
      (report) => (report._tag === "Result" && report.result._tag !== "Refused" ? 0 : 1)
    )
  }
}

/** `network2 follow HOST:PORT... [--magic N] [--from origin|tip|SLOT.HASH] [--limit N] [--json]`. @category commands @since 0.1.0 */
export const follow: CliCommand = {
  name: "follow",
  summary: "follow the chain from one or more peers, printing each roll forward and backward",
  run: (argv) => {
    const args = parseArgs(argv, { valued: ["magic", "from", "limit"], booleans: ["json"] })
    if (args.flags.has("help") || args.positional.length === 0) {
      process.stdout.write("usage: network2 follow HOST:PORT... [--magic N] [--from origin|tip|SLOT.HASH] [--limit N] [--json]\n")
      return Promise.resolve(args.flags.has("help") ? 0 : 2)
    }
    const peers = args.positional.map(peerOf)
    const fromText = (args.flags.get("from") as string | undefined) ?? "tip"
    const start = Follow.parseStart(fromText)
    if (start === undefined) throw new UsageError(`--from: origin, tip or SLOT.HASH, not ${fromText}`)
    const limitText = args.flags.get("limit")
    const limit = limitText === undefined ? undefined : Number(limitText)
    const json = args.flags.has("json")
    const config = Follow.initiatorConfig({ magic: magicOf(args.flags.get("magic")), peers: peers.length })
    return runCommand(
      Follow.run({
        peers,
        start,
        limit,
        print: (e) => {
          const line = json ? Follow.eventJson(e) : Follow.eventText(e)
          return line === undefined ? Effect.void : out(typeof line === "string" ? line : JSON.stringify(line))
        }
      }).pipe(Effect.provide(initiatorLayer(config)), Effect.scoped)
    )
  }
}

/** `network2 fetch HOST:PORT --from SLOT.HASH --to SLOT.HASH [--out FILE] [--magic N] [--json]`. @category commands @since 0.1.0 */
export const fetch: CliCommand = {
  name: "fetch",
  summary: "fetch a range of blocks from a peer (--out FILE writes their CBOR one after another)",
  run: (argv) => {
    const args = parseArgs(argv, { valued: ["magic", "from", "to", "out"], booleans: ["json"] })
    const from = Fetch.parsePoint(String(args.flags.get("from") ?? ""))
    const to = Fetch.parsePoint(String(args.flags.get("to") ?? ""))
    if (args.flags.has("help") || args.positional.length !== 1 || from === undefined || to === undefined) {
      process.stdout.write("usage: network2 fetch HOST:PORT --from SLOT.HASH --to SLOT.HASH [--out FILE] [--magic N] [--json]\n")
      return Promise.resolve(args.flags.has("help") ? 0 : 2)
    }
    const peer = peerOf(args.positional[0]!)
    const json = args.flags.has("json")
    const outPath = args.flags.get("out") as string | undefined
    const file = outPath === undefined ? undefined : fs.openSync(outPath, "w")
    const config = Fetch.initiatorConfig({ magic: magicOf(args.flags.get("magic")) })
    return runCommand(
      Fetch.run({
        peer,
        from,
        to,
        onBlock: (block) =>
          Effect.sync(() => {
            if (file !== undefined) fs.writeSync(file, block.bytes)
            const at = Point.toString(block.point)
            if (json) process.stdout.write(JSON.stringify({ event: "block", point: at, blockNo: block.blockNo, size: block.bytes.length }) + "\n")
            else process.stdout.write(`block ${block.blockNo} at ${at} (${block.bytes.length} bytes)\n`)
          })
      }).pipe(
        Effect.tap((report) => out(json ? JSON.stringify({ event: "done", ...report }) : report._tag === "Fetched" ? `fetched ${report.blocks} blocks (${report.bytes} bytes)` : `failed: ${report.reason} after ${report.blocks} blocks`)),
        Effect.ensuring(Effect.sync(() => file !== undefined && fs.closeSync(file))),
        Effect.provide(initiatorLayer(config)),
        Effect.scoped
      ),
      (report) => (report._tag === "Fetched" ? 0 : 1)
    )
  }
}
