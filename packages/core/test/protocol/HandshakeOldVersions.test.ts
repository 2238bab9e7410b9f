/**
 * Node-to-node proposals from older clients: versions 1 to 3 carry the bare network magic, versions 4
 * to 10 `[magic, initiatorOnly]` (diffusion mode entered the handshake at v4), v11 on the four-field
 * shape. Each decodes in its own shape and encodes back to the same bytes; a responder that speaks
 * none of them refuses with `VersionMismatch` listing its own versions, and picks the highest common
 * version when there is one.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { Cbor } from "../../src/cbor/index.ts"
import { ChainSource, GeneratedChain, Interface, PeerId, TestInterface } from "../../src/index.ts"
import * as Handshake from "../../src/protocol/Handshake.ts"
import { advanceUntil } from "../utils/clock.ts"
import { protocols, responderAt } from "../utils/emulation.ts"

const MAINNET = 764824073
const MAGIC = `1a${MAINNET.toString(16)}`

const decode = (hex: string): Handshake.Message => {
  const r = Handshake.protocol.decode(Cbor.fromHex(hex)!)
  assert.isTrue(Result.isSuccess(r), hex)
  return (r as Result.Success<Handshake.Message, unknown>).success
}

const table = (m: Handshake.Message): Handshake.VersionTable => {
  if (m._tag !== "MsgProposeVersions") return assert.fail(m._tag)
  return m.versionTable
}

/** The responder's table: what Responder.make negotiates with by default (v11 to v16). */
const responderTable = Handshake.n2nVersionTable({ magic: MAINNET, versions: [11, 12, 13, 14, 15, 16] })

describe("handshake: node-to-node versions below 7 in their own shapes", () => {
  it("v1-v3 (bare magic) and v4-v6 ([magic, initiatorOnly]) decode as such and encode back byte for byte", () => {
    // {1: magic, 2: magic, 3: magic, 4: [magic, false], 5: [magic, true], 6: [magic, false]}
    const m = `1a${MAINNET.toString(16)}`
    const hex = `8200a6` + `01${m}` + `02${m}` + `03${m}` + `0482${m}f4` + `0582${m}f5` + `0682${m}f4`
    const t = table(decode(hex))
    assert.deepStrictEqual([...t.keys()], [1, 2, 3, 4, 5, 6])
    for (const v of [1, 2, 3]) assert.deepStrictEqual(t.get(v), { networkMagic: MAINNET })
    assert.deepStrictEqual(t.get(4), { networkMagic: MAINNET, initiatorOnlyDiffusionMode: false })
    assert.deepStrictEqual(t.get(5), { networkMagic: MAINNET, initiatorOnlyDiffusionMode: true })
    for (const d of t.values()) assert.isUndefined(d.undecoded)
    assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(Handshake.make.propose(t))), hex)
  })

  it("every version from 1 to 16 in one proposal, each in its own shape, is read and written back exactly", () => {
    const entries: Array<[number, Cbor.Value]> = []
    for (let v = 1; v <= 16; v++) {
      entries.push([
        v,
        v < 4
          ? 2
          : v <= 10
          ? [2, false]
          : v <= 15
          ? [2, false, 1, false]
          : [2, false, 1, false, false]
      ])
    }
    const bytes = Cbor.encode([0, new Map(entries)])
    const t = table(decode(Cbor.toHex(bytes)))
    for (const d of t.values()) assert.isUndefined(d.undecoded, "every entry is in its version's shape")
    assert.strictEqual(t.get(7)!.initiatorOnlyDiffusionMode, false)
    assert.strictEqual(t.get(3)!.networkMagic, 2)
    assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(Handshake.make.propose(t))), Cbor.toHex(bytes))
  })

  it("an accept of an old version is read in that version's shape", () => {
    const m = `1a${MAINNET.toString(16)}`
    for (const [hex, version, data] of [
      [`830103${m}`, 3, { networkMagic: MAINNET }],
      [`830106` + `82${m}f5`, 6, { networkMagic: MAINNET, initiatorOnlyDiffusionMode: true }]
    ] as const) {
      const msg = decode(hex)
      assert.deepStrictEqual(msg, Handshake.make.accept(version, data))
      assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(msg)), hex)
    }
  })

  it("a v1-v6 entry in the other shape is kept as received and the proposal still decodes", () => {
    // v2 with a diffusion-mode pair, v5 with a bare magic: neither is that version's shape
    const bytes = Cbor.encode([0, new Map<Cbor.Value, Cbor.Value>([[2, [MAINNET, false]], [5, MAINNET]])])
    const t = table(decode(Cbor.toHex(bytes)))
    assert.isDefined(t.get(2)!.undecoded)
    assert.isDefined(t.get(5)!.undecoded)
    assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(Handshake.make.propose(t))), Cbor.toHex(bytes))
  })

  it("the responder refuses a proposal of old versions only with VersionMismatch and its own versions", () => {
    const m = `1a${MAINNET.toString(16)}`
    const proposal = table(decode(`8200a4` + `01${m}` + `03${m}` + `0482${m}f4` + `0682${m}f4`))
    const n = Handshake.negotiate(responderTable, proposal)
    assert.deepStrictEqual(n, { _tag: "Refuse", reason: { _tag: "VersionMismatch", versions: [11, 12, 13, 14, 15, 16] } })
    // and the refusal on the wire: [2, [0, [11, ..., 16]]]
    if (n._tag !== "Refuse") return
    assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(Handshake.make.refuse(n.reason))), "82028200860b0c0d0e0f10")
  })

  it("old versions beside a supported one: the highest common version is accepted", () => {
    const m = `1a${MAINNET.toString(16)}`
    const proposal = table(decode(`8200a4` + `01${m}` + `0682${m}f4` + `0782${m}f4` + `0e84${m}f401f4`))
    const n = Handshake.negotiate(responderTable, proposal)
    assert.strictEqual(n._tag, "Accept")
    if (n._tag === "Accept") assert.deepStrictEqual([n.version, n.data.networkMagic], [14, MAINNET])
  })

  it("a node-to-client proposal keeps its shapes: v1 without the bit and the bare magic, v15+ [magic, query]", () => {
    const hex = "8200a2011a2d964a091980021a2d964a09" // a real cardano-cli proposal (N2C v1 and v2)
    const t = table(decode(hex))
    assert.deepStrictEqual(t.get(1), { networkMagic: MAINNET })
    assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(Handshake.make.propose(t))), hex)
    const n2c = Handshake.n2cVersionTable({ magic: MAINNET, versions: [15, 16] })
    const bytes = Handshake.protocol.encode(Handshake.make.propose(n2c))
    assert.strictEqual(Cbor.toHex(bytes), `8200a219800f82${MAGIC}f4198010 82${MAGIC}f4`.replace(/ /g, ""))
  })
})

describe("handshake: the responder behavior answers an old client's proposal", () => {
  it.effect("a proposal of v1-v6 only (the old client's bytes) is refused with VersionMismatch [11..16]; with v14 beside them, v14 is accepted", () =>
    Effect.gen(function*() {
      const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 3, seed: 1 }))
      const server = PeerId.tcp("10.0.6.1", 3001)
      yield* responderAt(server, chain, 0)
      const answers: Array<Handshake.Message> = []
      let port = 40600
      const propose = (hex: string) =>
        Effect.gen(function*() {
          const context = yield* Layer.build(TestInterface.layer({ address: PeerId.tcp("10.0.6.2", port++), protocols }))
          const iface = Context.get(context, Interface.Interface)
          const before = answers.length
          yield* Effect.forkScoped(Stream.runForEach(iface.events, (e) =>
            Effect.sync(() => {
              if (e._tag === "Recv") for (const m of e.messages) if (m.protocol === "handshake") answers.push(m as Handshake.Message)
            })))
          yield* iface.dispatch({ _tag: "Connect", peer: server })
          // the proposal as the old client wrote it: decoded, then written again by our codec (same bytes)
          const m = decode(hex)
          assert.strictEqual(Cbor.toHex(Handshake.protocol.encode(m)), hex)
          yield* iface.dispatch({ _tag: "Send", peer: server, message: m })
          yield* advanceUntil(() => answers.length > before, 1, 10_000)
          return answers[before]
        })
      const MAGIC2 = "02"
      const old = yield* propose(`8200a4` + `01${MAGIC2}` + `03${MAGIC2}` + `0482${MAGIC2}f4` + `0682${MAGIC2}f4`)
      assert.deepStrictEqual(old, Handshake.make.refuse({ _tag: "VersionMismatch", versions: [11, 12, 13, 14, 15, 16] }))
      const mixed = yield* propose(`8200a3` + `01${MAGIC2}` + `0682${MAGIC2}f4` + `0e84${MAGIC2}f401f4`)
      assert.strictEqual(mixed?._tag, "MsgAcceptVersion")
      if (mixed?._tag === "MsgAcceptVersion") assert.strictEqual(mixed.version, 14)
    }).pipe(Effect.scoped, Effect.provide(TestInterface.SimNetwork.layer)))
})
