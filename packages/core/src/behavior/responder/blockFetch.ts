/**
 * The responder's block-fetch server side. In `auto` mode it streams each requested range from the
 * ChainSource in a fiber of its own, the ranges of one peer one after the other, with at most the
 * block-fetch window of blocks and of bytes waiting to be written (room comes back as blocks are sent);
 * in `manual` mode it emits `BlockRangeRequested` and sends the blocks of `ProvideBlocks`.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Stream from "effect/Stream"
import { ChainSourceError, type ChainSourceShape } from "../../chain/ChainSource.ts"
import type { PeerId } from "../../Primitives.ts"
import * as BlockFetch from "../../protocol/BlockFetch.ts"
import type { Point } from "../../protocol/Common.ts"
import type { ResponderCommand } from "../Responder.ts"
import type { Connection, ResponderContext, SubBehavior } from "./context.ts"

/** The block-fetch requests the server side reads. */
type Request = Extract<BlockFetch.Message, { readonly _tag: "MsgRequestRange" | "MsgClientDone" }>

/** The commands that answer block-fetch requests in `manual` mode. */
type Command = Extract<ResponderCommand, { readonly _tag: "ProvideBlocks" | "ProvideNoBlocks" }>

/** What the peer snapshot shows of block-fetch: whether a batch is being streamed. */
export interface BlockFetchView {
  readonly streaming: boolean
}

/** One peer's block-fetch state. */
interface BlockFetchState {
  readonly conn: Connection
  /** `auto` mode: the ranges asked for and not streamed yet. */
  readonly ranges: Array<{ readonly from: Point; readonly to: Point }>
  /** `auto` mode: whether the streaming fiber runs. */
  streaming: boolean
  /** `auto` mode: the blocks, and their bytes, sent and not written yet. */
  waitingBlocks: number
  waitingBytes: number
  /**
   * `auto` mode: the blocks the streaming fiber took from the chain source and the window had no
   * room for yet, from {@link at} on: the `Sent` of written blocks sends them as room comes back,
   * within the handling of that event (no fiber woken per window's worth).
   */
  chunk: ReadonlyArray<Uint8Array> | undefined
  at: number
  /** `auto` mode: the blocks and bytes of the range being streamed sent so far. */
  rangeBlocks: number
  rangeBytes: number
  /**
   * `auto` mode: resumes the streaming fiber, set while it waits for its {@link chunk} to be sent
   * whole (then it takes the next one from the chain source).
   */
  wake: (() => void) | undefined
  /** `manual` mode: the range the application has to answer. */
  pending: { readonly from: Point; readonly to: Point } | undefined
}

/** The block-fetch server side. */
export type BlockFetchBehavior = SubBehavior<Request, Command, BlockFetchView>

/** Makes the block-fetch server side. */
export const make = (ctx: ResponderContext): BlockFetchBehavior => {
  const states = new Map<PeerId, BlockFetchState>()
  const fiberKey = (conn: Connection) => `${conn.peer}/block-fetch`
  const locked = ctx.locked
  const { blockFetchWindow, blockFetchWindowBytes } = ctx.settings
  /** Whether the peer's blocks sent and not written yet fill the block-fetch window. */
  const full = (st: BlockFetchState) => st.waitingBlocks >= blockFetchWindow || st.waitingBytes >= blockFetchWindowBytes

  /**
   * Sends as many blocks of the peer's {@link BlockFetchState.chunk} as the window has room for, as
   * one run (under the lock); `true` once the whole chunk is sent.
   */
  const pump = (st: BlockFetchState): boolean => {
    const chunk = st.chunk
    if (chunk === undefined) return true
    // the blocks the window has room for, counted first: the run's array is made to measure
    const from = st.at
    let i = from
    let runBytes = 0
    for (; i < chunk.length && !full(st); i++) {
      const length = chunk[i]!.length
      runBytes += length
      st.waitingBlocks++
      st.waitingBytes += length
    }
    st.at = i
    const n = i - from
    if (n > 0) {
      const conn = st.conn
      st.rangeBlocks += n
      st.rangeBytes += runBytes
      conn.served.blocks += n
      conn.served.blockBytes += runBytes
      const run = new Array<BlockFetch.Message>(n)
      for (let k = 0; k < n; k++) run[k] = BlockFetch.make.block(chunk[from + k]!)
      ctx.sendMany(conn, run)
    }
    if (i < chunk.length) return false
    st.chunk = undefined
    return true
  }

  /**
   * Streams one range. A chain source failure (or a defect in it) closes this peer with the reason;
   * an interruption (the peer left) ends it quietly.
   */
  const streamRange = (st: BlockFetchState, chain: ChainSourceShape, from: Point, to: Point): Effect.Effect<void> =>
    Effect.gen(function*() {
      const conn = st.conn
      const stream = yield* chain.range(from, to)
      if (stream === undefined) {
        yield* locked(Effect.sync(() => {
          ctx.send(conn, BlockFetch.make.noBlocks())
          ctx.emit({ _tag: "BlocksServed", peer: conn.peer, from, to, blocks: 0, bytes: 0 })
        }))
        return
      }
      yield* locked(Effect.sync(() => {
        st.rangeBlocks = 0
        st.rangeBytes = 0
        ctx.send(conn, BlockFetch.make.startBatch())
      }))
      // each chunk of the source: what the window has room for goes out now, the rest as written
      // blocks make room (`onSent`); the next chunk is taken once this one is sent whole
      const sent = Effect.callback<void>((resume) => {
        if (st.chunk === undefined) return resume(Effect.void)
        st.wake = () => resume(Effect.void)
        return Effect.sync(() => {
          st.wake = undefined
        })
      })
      yield* Stream.runForEachArray(stream, (chunk) =>
        Effect.flatMap(
          locked(Effect.sync(() => {
            st.chunk = chunk
            st.at = 0
            return pump(st)
          })),
          (whole) => whole ? Effect.void : sent
        ))
      yield* locked(Effect.sync(() => {
        ctx.send(conn, BlockFetch.make.batchDone())
        ctx.emit({ _tag: "BlocksServed", peer: conn.peer, from, to, blocks: st.rangeBlocks, bytes: st.rangeBytes })
      }))
    }).pipe(Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.void
      const error = Cause.findErrorOption(cause)
      return locked(ctx.chainFailed(
        st.conn,
        error._tag === "Some"
          ? error.value
          : new ChainSourceError({ operation: "range", detail: `defect: ${String(Cause.squash(cause))}` })
      ))
    }))

  /** Serves the queued ranges of a peer one after the other (block-fetch clients may pipeline). */
  const startStreaming = Effect.fnUntraced(function*(st: BlockFetchState, chain: ChainSourceShape) {
    if (st.streaming) return
    st.streaming = true
    const loop: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const range = yield* locked(Effect.sync(() => {
          const next = st.ranges.shift()
          if (next === undefined) st.streaming = false
          return next
        }))
        if (range === undefined) return
        yield* streamRange(st, chain, range.from, range.to)
      }
    })
    yield* FiberMap.run(ctx.fibers, fiberKey(st.conn), loop)
  })

  const provide = (st: BlockFetchState, command: Command) => {
    const conn = st.conn
    if (st.pending === undefined) return ctx.rejected(command, "the peer did not ask for blocks")
    st.pending = undefined
    const blocks = command._tag === "ProvideBlocks" ? command.blocks : []
    if (blocks.length === 0) return ctx.send(conn, BlockFetch.make.noBlocks())
    const run: Array<BlockFetch.Message> = [BlockFetch.make.startBatch()]
    for (const b of blocks) {
      conn.served.blocks++
      conn.served.blockBytes += b.length
      run.push(BlockFetch.make.block(b))
    }
    run.push(BlockFetch.make.batchDone())
    ctx.sendMany(conn, run)
  }

  return {
    protocol: "block-fetch",
    isRequest: (m): m is Request =>
      m.protocol === "block-fetch" && (m._tag === "MsgRequestRange" || m._tag === "MsgClientDone"),
    connected: (conn: Connection) =>
      Effect.sync(() => {
        states.set(conn.peer, {
          conn,
          ranges: [],
          streaming: false,
          waitingBlocks: 0,
          waitingBytes: 0,
          chunk: undefined,
          at: 0,
          rangeBlocks: 0,
          rangeBytes: 0,
          wake: undefined,
          pending: undefined
        })
      }),
    disconnected: Effect.fnUntraced(function*(conn: Connection) {
      states.delete(conn.peer)
      yield* FiberMap.remove(ctx.fibers, fiberKey(conn))
    }),
    onMessage: Effect.fnUntraced(function*(conn: Connection, message: Request) {
      const st = states.get(conn.peer)
      if (st === undefined || message._tag === "MsgClientDone") return
      if (ctx.source !== undefined) {
        st.ranges.push({ from: message.from, to: message.to })
        return yield* startStreaming(st, ctx.source)
      }
      st.pending = { from: message.from, to: message.to }
      ctx.emit({ _tag: "BlockRangeRequested", peer: conn.peer, from: message.from, to: message.to })
    }),
    onSent: (conn, messages) => {
      const st = states.get(conn.peer)
      if (st === undefined || st.waitingBlocks === 0) return
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!
        if (m._tag !== "MsgBlock" || st.waitingBlocks === 0) continue
        st.waitingBlocks--
        st.waitingBytes -= m.block.bytes.length
      }
      // the blocks waiting for room go now, in this event's handling; the streaming fiber takes the
      // next chunk once this one went whole
      if (st.chunk === undefined || full(st) || !pump(st)) return
      const wake = st.wake
      if (wake !== undefined) {
        st.wake = undefined
        wake()
      }
    },
    onCommand: (conn, command) =>
      Effect.sync(() => {
        const st = states.get(conn.peer)
        if (st !== undefined) provide(st, command)
      }),
    view: (conn) => ({ streaming: states.get(conn.peer)?.streaming === true })
  }
}
