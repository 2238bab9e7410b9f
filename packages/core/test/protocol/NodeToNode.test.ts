import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import { Cbor } from "../../src/cbor/index.ts"
import { BlockFetch, ChainSync, Driver, Handshake, KeepAlive, PeerSharing, TxSubmission2 } from "../../src/protocol/index.ts"
import { Point, Tip } from "../../src/protocol/Common.ts"
import { loadVectors, mismatches, vectorsAvailable } from "../utils/vectors.ts"

const modules = {
  "handshake.json": Handshake,
  "chainsync.json": ChainSync,
  "blockfetch.json": BlockFetch,
  "txsubmission2.json": TxSubmission2,
  "keepalive.json": KeepAlive,
  "peersharing.json": PeerSharing
} as const

// keys of `expect` that describe a structure in words, not a field of the message
const wordy = new Set(["header_layout", "block_layout", "block", "hfc_wrapper", "element"])

describe.skipIf(!vectorsAvailable)("node-to-node vectors (../shared/vectors)", () => {
  for (const [file, mod] of Object.entries(modules)) {
    for (const vector of loadVectors(file)) {
      if (file === "chainsync.json" && vector.name.startsWith("ntc_")) continue // node-to-client: local chain-sync
      const expect = vector.expect
      const isElement = "element" in expect
      it(`${file} ${vector.name}`, () => {
        const bytes = Cbor.fromHex(vector.cbor_hex)!
        if (isElement) {
          // a peer address, not a whole message: wrap it in MsgSharePeers
          const whole = Cbor.encode([1, [Cbor.decode(bytes)]])
          const decoded = PeerSharing.protocol.decode(whole)
          assert.isTrue(Result.isSuccess(decoded))
          if (!("decode_only" in expect) && Result.isSuccess(decoded)) {
            assert.strictEqual(Cbor.toHex(PeerSharing.protocol.encode(decoded.success)), Cbor.toHex(whole))
          }
          return
        }
        const decoded = (mod.protocol.decode as (b: Uint8Array) => Result.Result<any, any>)(bytes)
        if (Result.isFailure(decoded)) assert.fail(decoded.failure.message)
        const message = (decoded as Result.Success<any, any>).success
        const json = (mod.toJson as (m: unknown) => Record<string, unknown>)(message)
        // a version table given as a sentence (the harmoniclabs vector) is checked by the byte round trip
        const expected = Object.fromEntries(Object.entries(expect).filter(([k, v]) => !wordy.has(k) && !(k === "versionTable" && typeof v === "string")))
        assert.deepStrictEqual(mismatches(json, expected), [])
        if (!("decode_only" in expect)) {
          assert.strictEqual(Cbor.toHex((mod.protocol.encode as (m: unknown) => Uint8Array)(message)), vector.cbor_hex)
          // the pieces the multiplexer writes are the same bytes
          const pieces = (mod.protocol.encodePieces as (m: unknown) => ReadonlyArray<Uint8Array>)(message)
          assert.strictEqual(pieces.map(Cbor.toHex).join(""), vector.cbor_hex)
        }
      })
    }
  }
})

describe("a block's pieces", () => {
  it("are the bytes of encode for every width of the block's length, the block itself referenced", () => {
    for (const length of [1, 23, 24, 255, 256, 1023, 1024, 65_535, 65_536, 2_000_000]) {
      const block = new Uint8Array(length).fill(7)
      block[0] = 0x82
      const m = BlockFetch.make.block(block)
      const pieces = BlockFetch.protocol.encodePieces!(m)
      assert.strictEqual(pieces.map(Cbor.toHex).join(""), Cbor.toHex(BlockFetch.protocol.encode(m)), `length ${length}`)
      assert.strictEqual(pieces.length, 2)
      assert.strictEqual(pieces[1], block)
    }
  })

  it("are its tag and the block itself for encodeWrapped, whose head before the block is encode's; other messages have none", () => {
    for (const length of [0, 1, 23, 24, 255, 256, 65_535, 65_536, 2_000_000]) {
      const block = new Uint8Array(length).fill(7)
      const m = BlockFetch.make.block(block)
      const wrapped = BlockFetch.protocol.encodeWrapped!(m)!
      assert.strictEqual(wrapped.bytes, block)
      const encoded = BlockFetch.protocol.encode(m)
      const head = encoded.subarray(0, encoded.length - length)
      assert.strictEqual(Cbor.toHex(head), Cbor.toHex(BlockFetch.protocol.encodePieces!(m)[0]!), `length ${length}`)
      assert.strictEqual(head[1], wrapped.tag)
    }
    assert.strictEqual(BlockFetch.protocol.encodeWrapped!(BlockFetch.make.startBatch()), undefined)
    assert.strictEqual(ChainSync.protocol.encodeWrapped!(ChainSync.make.requestNext()), undefined)
  })
})

describe("a block read back", () => {
  it("is the same message however its byte string's length is written; anything else goes to the full decoder", () => {
    const block = new Uint8Array(300).fill(9)
    block[0] = 0x82
    block[1] = 0x03
    const shortest = BlockFetch.protocol.encode(BlockFetch.make.block(block))
    // the same message with the length in four bytes (valid CBOR, not the shortest form)
    const wide = Cbor.fromHex("8204d8185a0000012c" + Cbor.toHex(block))!
    for (const bytes of [shortest, wide]) {
      const decoded = BlockFetch.protocol.decode(bytes)
      assert.isTrue(Result.isSuccess(decoded))
      if (Result.isSuccess(decoded)) {
        const m = decoded.success as Extract<BlockFetch.Message, { _tag: "MsgBlock" }>
        assert.strictEqual(m._tag, "MsgBlock")
        assert.strictEqual(Cbor.toHex(m.block.bytes), Cbor.toHex(block))
        assert.strictEqual(m.block.tag, 3)
      }
    }
    // forms the direct read leaves to the tree decoder, which reads them as the same block: a length
    // in eight bytes, tag 24 written in three bytes
    const small = "8203" + "09".repeat(10)
    for (const hex of ["8204d8185b000000000000000c" + small, "8204d90018580c" + small]) {
      const decoded = BlockFetch.protocol.decode(Cbor.fromHex(hex)!)
      assert.isTrue(Result.isSuccess(decoded), hex)
      if (Result.isSuccess(decoded)) {
        assert.strictEqual(Cbor.toHex((decoded.success as Extract<BlockFetch.Message, { _tag: "MsgBlock" }>).block.bytes), small, hex)
      }
    }
    // an indefinite byte string under tag 24 is refused (as the tree decoder always did)
    assert.isTrue(Result.isFailure(BlockFetch.protocol.decode(Cbor.fromHex("8204d8185f4c" + small + "ff")!)))
    // a byte after the message, or one missing: typed errors from the full decoder
    const longer = new Uint8Array(shortest.length + 1)
    longer.set(shortest)
    assert.isTrue(Result.isFailure(BlockFetch.protocol.decode(longer)))
    assert.isTrue(Result.isFailure(BlockFetch.protocol.decode(shortest.subarray(0, shortest.length - 1))))
  })
})

describe("peer-sharing addresses in the reference byte order", () => {
  it("writes 1.2.3.4 as the word 0x04030201 and 2001:db8::1 as big-endian words", () => {
    const m = PeerSharing.make.sharePeers([{ _tag: "IPv4", ip: "1.2.3.4", port: 3001 }, { _tag: "IPv6", ip: "2001:db8::1", port: 3001 }])
    assert.strictEqual(Cbor.toHex(PeerSharing.protocol.encode(m)), "82018283001a04030201190bb986011a20010db80000011" + "90bb9")
    const back = PeerSharing.protocol.decode(PeerSharing.protocol.encode(m))
    assert.isTrue(Result.isSuccess(back) && JSON.stringify(PeerSharing.toJson(back.success)) === JSON.stringify(PeerSharing.toJson(m)))
  })
})

describe("handshake negotiation", () => {
  const ours = Handshake.n2nVersionTable({ magic: 764824073, versions: [11, 12, 13, 14, 15, 16] })
  it("picks the highest common version", () => {
    const r = Handshake.negotiate(ours, Handshake.n2nVersionTable({ magic: 764824073, versions: [13, 14, 15] }))
    assert.isTrue(r._tag === "Accept" && r.version === 15)
  })
  it("accepts a client that proposes only v11 to v13", () => {
    const r = Handshake.negotiate(ours, Handshake.n2nVersionTable({ magic: 764824073, versions: [11, 12, 13] }))
    assert.isTrue(r._tag === "Accept" && r.version === 13)
  })
  it("refuses a different network magic with a readable reason", () => {
    const r = Handshake.negotiate(ours, Handshake.n2nVersionTable({ magic: 1, versions: [14] }))
    assert.isTrue(r._tag === "Refuse" && r.reason._tag === "Refused" && r.reason.message.includes("network magic 1"))
  })
  it("refuses with our versions when none is common", () => {
    const r = Handshake.negotiate(ours, Handshake.n2nVersionTable({ magic: 764824073, versions: [7, 8] }))
    assert.isTrue(r._tag === "Refuse" && r.reason._tag === "VersionMismatch" && r.reason.versions.length === 6)
  })
  it("initiator-only if either, peer sharing only if both, query if either", () => {
    const r = Handshake.negotiate(
      Handshake.n2nVersionTable({ magic: 2, versions: [14], initiatorOnly: false, peerSharing: true, query: false }),
      Handshake.n2nVersionTable({ magic: 2, versions: [14], initiatorOnly: true, peerSharing: false, query: true })
    )
    assert.isTrue(r._tag === "Accept")
    if (r._tag === "Accept") {
      assert.deepStrictEqual([r.data.initiatorOnlyDiffusionMode, r.data.peerSharing, r.data.query], [true, 0, true])
    }
  })
  it("writes the version table as a definite map with ascending keys (the worked example)", () => {
    const table = Handshake.n2nVersionTable({ magic: 764824073, versions: [15, 14], initiatorOnly: false })
    assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(Handshake.make.propose(table))), "8200a20e841a2d964a09f401f40f841a2d964a09f401f4")
  })
})

describe("state machines (the generic driver)", () => {
  const hash = new Uint8Array(32).fill(7)
  const tip = Tip.make(Point.specific(10, hash), 5)
  const header = { era: 6, bytes: new Uint8Array([0x80]) }

  it("a legal chain-sync conversation passes on both sides, pipelined requests matched in order", () => {
    const client = Driver.make(ChainSync.protocol, "initiator")
    const server = Driver.make(ChainSync.protocol, "responder")
    const convo = [
      ChainSync.make.findIntersect([Point.origin]),
      ChainSync.make.intersectFound(Point.origin, tip),
      ChainSync.make.requestNext(),
      ChainSync.make.rollBackward(Point.origin, tip),
      ChainSync.make.requestNext(),
      ChainSync.make.awaitReply(),
      ChainSync.make.rollForward(header, tip)
    ]
    for (const m of convo) {
      const mine = ChainSync.protocol.transitions.find((t) => t.message === m._tag)!
      const fromClient = ChainSync.protocol.states[mine.from]!.agency === "client"
      const [sender, receiver] = fromClient ? [client, server] : [server, client]
      assert.strictEqual(sender.send(m)._tag, "Deliver")
      const step = receiver.recv(m, 10)
      assert.strictEqual(step._tag, "Deliver", `${m._tag} ${JSON.stringify(step)}`)
    }
    // pipelining: three RequestNext in flight, answers arrive in order
    for (let i = 0; i < 3; i++) assert.strictEqual(client.send(ChainSync.make.requestNext())._tag, "Deliver")
    for (let i = 0; i < 3; i++) {
      const step = client.recv(ChainSync.make.rollForward(header, tip), 10)
      assert.isTrue(step._tag === "Deliver" && step.messages.length === 1)
    }
    assert.strictEqual(client.state, "Idle")
  })

  it("catches wrong agency, a message not allowed in the state, the byte limit and over-pipelining", () => {
    const server = Driver.make(ChainSync.protocol, "responder")
    const agency = server.recv(ChainSync.make.rollForward(header, tip), 10)
    assert.isTrue(agency._tag === "Violation" && agency.error.kind === "Agency")
    const cs = Driver.make(ChainSync.protocol, "initiator")
    cs.send(ChainSync.make.requestNext())
    const unexpected = cs.recv(ChainSync.make.intersectFound(Point.origin, tip), 4)
    assert.isTrue(unexpected._tag === "Violation" && unexpected.error.kind === "UnexpectedMessage")
    const bf = Driver.make(BlockFetch.protocol, "initiator")
    bf.send(BlockFetch.make.requestRange(Point.origin, Point.origin))
    bf.recv(BlockFetch.make.startBatch(), 2)
    const big = bf.recv(BlockFetch.make.block(new Uint8Array(10)), 3_000_000)
    assert.isTrue(big._tag === "Violation" && big.error.kind === "ByteLimit")
    const keep = Driver.make(KeepAlive.protocol, "initiator")
    keep.send(KeepAlive.make.keepAlive(1))
    const pipelined = keep.send(KeepAlive.make.keepAlive(2))
    assert.isTrue(pipelined._tag === "Violation" && pipelined.error.kind === "Pipelining")
  })

  it("tx-submission2: the client opens with MsgInit, the server pulls ids then txs", () => {
    const client = Driver.make(TxSubmission2.protocol, "initiator")
    const server = Driver.make(TxSubmission2.protocol, "responder")
    const txId = { era: 6, txId: new Uint8Array(32) }
    for (const [m, from] of [
      [TxSubmission2.make.init(), client],
      [TxSubmission2.make.requestTxIds(true, 0, 3), server],
      [TxSubmission2.make.replyTxIds([{ txId, size: 100 }]), client],
      [TxSubmission2.make.requestTxs([txId]), server],
      [TxSubmission2.make.replyTxs([{ era: 6, bytes: new Uint8Array([0x80]) }]), client]
    ] as const) {
      const to = from === client ? server : client
      assert.strictEqual(from.send(m)._tag, "Deliver")
      assert.strictEqual(to.recv(m, 10)._tag, "Deliver")
    }
    assert.strictEqual(server.timeout(), undefined) // Idle: the server has agency, nobody waits
  })

  it("timeouts: the waiting side is given the state's timeout", () => {
    const client = Driver.make(KeepAlive.protocol, "initiator")
    assert.strictEqual(client.timeout(), undefined)
    client.send(KeepAlive.make.keepAlive(1))
    assert.strictEqual(client.timeout(), 60_000)
  })
})

describe("codecs never throw on random bytes and round-trip generated messages", () => {
  const protocols = [Handshake, ChainSync, BlockFetch, TxSubmission2, KeepAlive, PeerSharing] as const
  it("random bytes give a typed DecodeError or a message, never an exception", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      for (const mod of protocols) {
        const r = (mod.protocol.decode as (b: Uint8Array) => Result.Result<unknown, { _tag: string }>)(bytes)
        if (Result.isFailure(r)) assert.strictEqual(r.failure._tag, "DecodeError")
      }
    }), { numRuns: 2000 })
  })

  it("encode then decode is the identity", () => {
    const point = fc.oneof(fc.constant(Point.origin), fc.tuple(fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([s, h]) => Point.specific(s, h)))
    const tipArb = fc.tuple(point, fc.nat()).map(([p, n]) => Tip.make(p, n))
    const messages = fc.oneof(
      fc.tuple(point, tipArb).map(([p, t]) => ChainSync.make.rollBackward(p, t)),
      fc.array(point, { maxLength: 5 }).map(ChainSync.make.findIntersect),
      fc.tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ minLength: 1, maxLength: 50 }), tipArb).map(([era, b, t]) => ChainSync.make.rollForward({ era, bytes: b }, t)),
      fc.tuple(point, point).map(([a, b]) => BlockFetch.make.requestRange(a, b)),
      fc.integer({ min: 0, max: 0xffff }).map(KeepAlive.make.keepAlive),
      fc.integer({ min: 0, max: 255 }).map(PeerSharing.make.shareRequest),
      fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([b, a, r]) => TxSubmission2.make.requestTxIds(b, a, r)),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 32, maxLength: 32 })), { maxLength: 4 }).map((ids) => TxSubmission2.make.requestTxs(ids.map(([era, txId]) => ({ era, txId }))))
    )
    const all = { "chain-sync": ChainSync, "block-fetch": BlockFetch, "keep-alive": KeepAlive, "peer-sharing": PeerSharing, "tx-submission2": TxSubmission2 } as const
    fc.assert(fc.property(messages, (m) => {
      const mod = all[m.protocol as keyof typeof all]
      const bytes = (mod.protocol.encode as (x: unknown) => Uint8Array)(m)
      const back = (mod.protocol.decode as (b: Uint8Array) => Result.Result<unknown, unknown>)(bytes)
      assert.isTrue(Result.isSuccess(back))
      assert.strictEqual(Cbor.toHex((mod.protocol.encode as (x: unknown) => Uint8Array)((back as Result.Success<unknown, unknown>).success)), Cbor.toHex(bytes))
    }), { numRuns: 500 })
  })

  it("the message Schemas decode wire bytes", () => {
    const bytes = KeepAlive.protocol.encode(KeepAlive.make.keepAlive(12345))
    const decoded = Schema.decodeUnknownSync(KeepAlive.protocol.schema)(bytes)
    assert.deepStrictEqual(decoded, KeepAlive.make.keepAlive(12345))
  })
})
