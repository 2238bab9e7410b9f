/**
 * `network2 demo`: serves a chain (generated, or a node's chunk with `--chain`) from responders on
 * 127.0.0.1, follows it with the initiator over real TCP from several connections, syncs every header
 * (each checked to link to the one before by hash), fetches every block (each checked against its
 * header and its predecessor), shows progress and prints a summary. Exit code 0 only when the whole
 * chain arrived intact.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Block, Cbor, Initiator, type PeerId } from "@pallas-network2/core"
import type { Point } from "@pallas-network2/core/protocol/Common"

/**
 * What the demo expects to receive: the served chain's first and last blocks.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExpectedChain {
  readonly firstBlockNo: number
  readonly lastBlockNo: number
  readonly first: Point
  readonly last: Point
  readonly blocks: number
}

/**
 * What to expect when a non-empty list of blocks is served.
 *
 * @category constructors
 * @since 0.1.0
 */
export const expectedChain = (blocks: ReadonlyArray<Block.ChainBlock>): ExpectedChain => {
  const first = blocks[0]!
  const last = blocks[blocks.length - 1]!
  return { firstBlockNo: first.blockNo, lastBlockNo: last.blockNo, first: Block.pointOf(first), last: Block.pointOf(last), blocks: blocks.length }
}

/**
 * The demo's result; `ok` only when every block arrived, in order, matching its header.
 *
 * @category models
 * @since 0.1.0
 */
export interface DemoSummary {
  readonly ok: boolean
  readonly problems: ReadonlyArray<string>
  readonly peers: number
  readonly headers: number
  readonly blocks: number
  readonly bytes: number
  readonly headerMillis: number
  readonly blockMillis: number
  readonly millis: number
  readonly bytesPerSecond: number
  readonly blocksPerSecond: number
  readonly blocksByPeer: Readonly<Record<string, number>>
  readonly headersByPeer: Readonly<Record<string, number>>
  readonly rttByPeer: Readonly<Record<string, number | null>>
}

/**
 * Where progress and log lines go.
 *
 * @category models
 * @since 0.1.0
 */
export interface Progress {
  readonly update: (phase: "headers" | "blocks", done: number, total: number, bytes: number, millis: number) => void
  readonly line: (text: string, json: Record<string, unknown>) => void
  readonly finish: () => void
}

/**
 * Byte counts for people (kB, MB, GB, powers of ten).
 *
 * @category utils
 * @since 0.1.0
 */
export const formatBytes = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`

/**
 * A progress display: a bar redrawn in place on a terminal, a plain line every 10 % otherwise,
 * JSON lines with `json`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeProgress = (options: {
  readonly tty: boolean
  readonly json: boolean
  readonly write: (text: string) => void
  readonly writeErr: (text: string) => void
}): Progress => {
  let lastDecile = new Map<string, number>()
  let drawn = false
  return {
    update: (phase, done, total, bytes, millis) => {
      const fraction = total === 0 ? 1 : Math.min(1, done / total)
      const rate = millis > 0 ? (bytes * 1000) / millis : 0
      if (options.json) {
        const decile = Math.floor(fraction * 10)
        if ((lastDecile.get(phase) ?? -1) < decile) {
          lastDecile.set(phase, decile)
          options.write(JSON.stringify({ event: "progress", phase, done, total, bytes, millis }) + "\n")
        }
        return
      }
      if (options.tty) {
        const width = 30
        const filled = Math.round(fraction * width)
        const bar = "#".repeat(filled) + ".".repeat(width - filled)
        const extra = phase === "blocks" ? `  ${formatBytes(bytes)}  ${formatBytes(rate)}/s` : ""
        options.writeErr(`\r${phase.padEnd(7)} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${done}/${total}${extra}   `)
        drawn = true
        return
      }
      const decile = Math.floor(fraction * 10)
      if ((lastDecile.get(phase) ?? -1) < decile) {
        lastDecile.set(phase, decile)
        const extra = phase === "blocks" ? `, ${formatBytes(bytes)}` : ""
        options.writeErr(`${phase}: ${done}/${total} (${(fraction * 100).toFixed(0)}%${extra})\n`)
      }
    },
    line: (text, json) => {
      if (drawn) {
        options.writeErr("\n")
        drawn = false
      }
      options.write(options.json ? JSON.stringify(json) + "\n" : text + "\n")
    },
    finish: () => {
      if (drawn) options.writeErr("\n")
      drawn = false
      lastDecile = new Map()
    }
  }
}

interface HeaderSeen {
  readonly hash: string
  readonly prevHash: string | undefined
  readonly point: Point
}

/**
 * Runs the demo's sync and fetch against the peers through the initiator manager in context.
 *
 * @category flows
 * @since 0.1.0
 */
export const run = Effect.fnUntraced(function*(options: {
  readonly peers: ReadonlyArray<PeerId>
  readonly expected: ExpectedChain
  readonly progress: Progress
  readonly behavior: Initiator.InitiatorBehaviorShape
}) {
  const manager = yield* Initiator.InitiatorManager
  const { expected, progress } = options
  const problems: Array<string> = []
  const headers = new Map<number, HeaderSeen>()
  const headersByPeer: Record<string, number> = {}
  const blocksByPeer: Record<string, number> = {}
  const synced = yield* Deferred.make<void>()
  const fetched = yield* Deferred.make<void>()
  const start = yield* Clock.currentTimeMillis
  let headerEnd = start
  let blocks = 0
  let bytes = 0
  let lastHash: string | undefined
  let promoted = 0

  const handle = (event: Initiator.InitiatorEvent, t: number): Effect.Effect<void> => {
    switch (event._tag) {
      case "HandshakeResult":
        progress.line(Initiator.describeEvent(event), { event: "handshake", peer: event.peer, result: event.result._tag, version: event.result._tag === "Accepted" ? event.result.version : null })
        return Effect.void
      case "PeerPromoted":
        if (event.to === "hot") promoted++
        progress.line(Initiator.describeEvent(event), { event: "promoted", peer: event.peer, from: event.from, to: event.to })
        return Effect.void
      case "PeerDemoted":
      case "PeerBanned":
      case "ConnectFailed":
        progress.line(Initiator.describeEvent(event), { event: event._tag, peer: event.peer, reason: event.reason })
        return Effect.void
      case "HeaderReceived": {
        headersByPeer[event.peer] = (headersByPeer[event.peer] ?? 0) + 1
        const hash = event.point._tag === "Specific" ? Cbor.toHex(event.point.hash) : "origin"
        const seen = headers.get(event.blockNo)
        if (seen === undefined) {
          headers.set(event.blockNo, {
            hash,
            prevHash: event.prevHash === undefined ? undefined : Cbor.toHex(event.prevHash),
            point: event.point
          })
          progress.update("headers", headers.size, expected.blocks, 0, t - start)
          if (headers.size === expected.blocks) {
            headerEnd = t
            return Deferred.succeed(synced, void 0).pipe(Effect.asVoid)
          }
        } else if (seen.hash !== hash) {
          problems.push(`block ${event.blockNo}: ${event.peer} announced ${hash}, another peer ${seen.hash}`)
        }
        return Effect.void
      }
      case "BlockReceived": {
        const b = event.block
        const hash = b.point._tag === "Specific" ? Cbor.toHex(b.point.hash) : "origin"
        const header = headers.get(b.blockNo)
        if (event.index !== blocks) problems.push(`block ${b.blockNo} arrived as number ${event.index}, expected ${blocks}`)
        if (header === undefined || header.hash !== hash) problems.push(`block ${b.blockNo} (${hash}) does not match its header`)
        const prev = b.prevHash === undefined ? undefined : Cbor.toHex(b.prevHash)
        if (lastHash !== undefined && prev !== lastHash) problems.push(`block ${b.blockNo} does not link to the block before it`)
        lastHash = hash
        blocks++
        bytes += b.bytes.length
        blocksByPeer[event.peer] = (blocksByPeer[event.peer] ?? 0) + 1
        progress.update("blocks", blocks, expected.blocks, bytes, t - headerEnd)
        return Effect.void
      }
      case "RangeFetched":
        return Deferred.succeed(fetched, void 0).pipe(Effect.asVoid)
      case "RangeFailed":
        problems.push(`range failed: ${event.reason}`)
        return Deferred.succeed(fetched, void 0).pipe(Effect.asVoid)
      default:
        return Effect.void
    }
  }

  yield* manager.events.pipe(
    Stream.runForEach((event) => Effect.flatMap(Clock.currentTimeMillis, (t) => handle(event, t))),
    Effect.forkScoped
  )
  for (const peer of options.peers) yield* manager.execute(Initiator.InitiatorCommand.IncludePeer(peer))
  yield* manager.execute(Initiator.InitiatorCommand.StartSync(Initiator.SyncStart.origin))
  yield* Deferred.await(synced)
  progress.finish()
  // every header links to the one before it
  for (let n = expected.firstBlockNo + 1; n <= expected.lastBlockNo; n++) {
    const h = headers.get(n)
    const prev = headers.get(n - 1)
    if (h === undefined || prev === undefined) problems.push(`header ${n} missing`)
    else if (h.prevHash !== prev.hash) problems.push(`header ${n} does not link to header ${n - 1}`)
  }
  progress.line(`synced ${headers.size} headers in ${headerEnd - start} ms from ${promoted} hot peers`, {
    event: "synced",
    headers: headers.size,
    millis: headerEnd - start,
    peers: promoted
  })
  const first = headers.get(expected.firstBlockNo)?.point ?? expected.first
  const last = headers.get(expected.lastBlockNo)?.point ?? expected.last
  yield* manager.execute(Initiator.InitiatorCommand.FetchRange(first, last))
  yield* Deferred.await(fetched)
  progress.finish()
  const end = yield* Clock.currentTimeMillis
  if (blocks !== expected.blocks) problems.push(`received ${blocks} blocks, expected ${expected.blocks}`)
  const snapshot = yield* options.behavior.peers
  const rttByPeer: Record<string, number | null> = {}
  for (const [peer, state] of snapshot) rttByPeer[peer] = state.rtt ?? null
  const blockMillis = Math.max(1, end - headerEnd)
  const summary: DemoSummary = {
    ok: problems.length === 0,
    problems: problems.slice(0, 20),
    peers: snapshot.size,
    headers: headers.size,
    blocks,
    bytes,
    headerMillis: headerEnd - start,
    blockMillis,
    millis: end - start,
    bytesPerSecond: Math.round((bytes * 1000) / blockMillis),
    blocksPerSecond: Math.round((blocks * 1000) / blockMillis),
    blocksByPeer,
    headersByPeer,
    rttByPeer
  }
  return summary
})
