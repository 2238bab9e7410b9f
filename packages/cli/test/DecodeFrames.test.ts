/**
 * `network2 decode --frames HEX` without a protocol name: each segment's protocol read from its
 * number (node-to-node numbering, `--n2c` node-to-client), through the command and `decodeFrames`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cbor } from "@pallas-network2/core"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import * as Decode from "../src/commands/Decode.ts"
import { bin, root } from "./support/process.ts"

const node = path.join(root, "node_modules/.bin/node")
const run = (args: ReadonlyArray<string>) => {
  const r = spawnSync(node, [bin, ...args], { encoding: "utf8", cwd: root, timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const segment = (time: number, protocol: number, responder: boolean, payload: string) => {
  const head = new Uint8Array(8)
  const view = new DataView(head.buffer)
  view.setUint32(0, time)
  view.setUint16(4, (responder ? 0x8000 : 0) | protocol)
  view.setUint16(6, payload.length / 2)
  return Cbor.toHex(head) + payload
}

// a node-to-client session: handshake v23 magic 42, local state query acquire + result, tx monitor acquired, local chain-sync request
const n2c = [
  segment(0, 0, false, Cbor.toHex(Cbor.encode([0, new Map([[23 | 0x8000, [42, false]]])]))),
  segment(1, 7, false, "8108"),
  segment(2, 7, true, "820405"),
  segment(3, 9, true, "82021904d2"),
  segment(4, 5, false, "8100"),
  segment(5, 6, true, "8101")
].join("")

// a node-to-node one: chain-sync request next, keep-alive, block-fetch done
const n2n = [segment(0, 2, false, "8100"), segment(1, 8, false, "82001904d2"), segment(2, 3, false, "8101")].join("")

describe("network2 decode --frames without a protocol name", () => {
  it("--n2c: each segment decoded by the node-to-client protocol of its number", () => {
    const r = run(["decode", "--frames", n2c, "--n2c"])
    assert.strictEqual(r.code, 0, r.stderr)
    const { segments } = JSON.parse(r.stdout) as { segments: Array<{ segment: { protocol: number }; messages: Array<{ msg: string }> }> }
    assert.deepStrictEqual(segments.map((s) => [s.segment.protocol, s.messages.map((m) => m.msg)]), [
      [0, ["MsgProposeVersions"]],
      [7, ["MsgAcquire"]],
      [7, ["MsgResult"]],
      [9, ["MsgAcquired"]],
      [5, ["MsgRequestNext"]],
      [6, ["MsgAcceptTx"]]
    ])
  })

  it("node-to-node numbering by default; a node-to-client number there is one line and exit 1, naming --n2c", () => {
    const r = run(["decode", "--frames", n2n])
    assert.strictEqual(r.code, 0, r.stderr)
    const { segments } = JSON.parse(r.stdout) as { segments: Array<{ messages: Array<{ msg: string }> }> }
    assert.deepStrictEqual(segments.map((s) => s.messages.map((m) => m.msg)), [["MsgRequestNext"], ["MsgKeepAlive"], ["MsgClientDone"]])
    const wrong = run(["decode", "--frames", n2c])
    assert.strictEqual(wrong.code, 1)
    assert.strictEqual(
      wrong.stderr,
      "network2 decode: segment at byte 18: no node-to-node mini-protocol has number 7 (--n2c for node-to-client numbering)\n"
    )
    const wrongN2c = run(["decode", "--frames", n2n, "--n2c"])
    assert.strictEqual(wrongN2c.code, 1)
    assert.match(wrongN2c.stderr, /^network2 decode: segment at byte 0: no node-to-client mini-protocol has number 2\n$/)
  })

  it("a hex without --frames needs the protocol's name (exit 2); a named protocol still decodes as before", () => {
    const r = run(["decode", "8100"])
    assert.strictEqual(r.code, 2)
    assert.strictEqual(r.stderr, "network2 decode: give the protocol (its name), or --frames to read each segment's protocol from its number\n")
    const named = run(["decode", "local-state-query", "8108"])
    assert.strictEqual(named.code, 0, named.stderr)
    assert.strictEqual(JSON.parse(named.stdout).msg, "MsgAcquire")
  })

  it("decodeFrames with a chooser picks the module by number", async () => {
    const chainSync = await Effect.runPromise(Decode.loadProtocol("local-chain-sync"))
    const r = Decode.decodeFrames((n) => (n === 5 ? chainSync : `no module for ${n}`), Cbor.fromHex(segment(0, 5, false, "8100") + segment(1, 7, false, "8108"))!, true)
    assert.strictEqual(r.segments.length, 1, "the first segment decoded, the second named in the error")
    assert.strictEqual(r.error, "segment at byte 10: no module for 7")
  })
})
