/**
 * The node-to-client commands as a user runs them: `network2 serve --socket-path` and the client
 * commands (`query`, `submit-tx`, `mempool`, `follow --socket-path`) as separate processes over a
 * real Unix socket in a temporary directory; and the client commands against a stand-in in this
 * process whose query handler answers the UTxO and protocol-parameter queries.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cbor, ChainSource, GeneratedChain, LocalNode, LocalServer } from "@pallas-network2/core"
import * as LocalNodeSocket from "@pallas-network2/node/LocalNodeSocket"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as cp from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { vectorsAvailable } from "../../core/test/utils/vectors.ts"
import { parseAddress, readUtxo, txId } from "../src/commands/LocalCommands.ts"
import { run, serveChunk, serveProcess, tempSocket, unixServer } from "./support/localProcess.ts"
import { bin, root } from "./support/process.ts"

const MAGIC = 42

const lines = (text: string) => text.split("\n").filter((l) => l.length > 0)

const tx = (seed: number): Uint8Array =>
  Cbor.encode([new Map<Cbor.Value, Cbor.Value>([[0, [[new Uint8Array(32).fill(seed), 1]]], [2, 200_000 + seed]]), new Map(), true, null])

describe.skipIf(!vectorsAvailable)("network2 serve --socket-path with the real chunk, and the client commands (processes)", () => {
  it.live("query tip is the chunk's tip; follow gets every block; submit-tx (hex, envelope, raw) then mempool lists them", () =>
    Effect.gen(function*() {
      const { chunk, dir, server, socketPath } = yield* serveChunk()
      const last = chunk[chunk.length - 1]!
      const env = { CARDANO_NODE_SOCKET_PATH: socketPath }

      const tip = yield* run(["query", "tip", "--testnet-magic", "42", "--json"], env)
      assert.strictEqual(tip.code, 0, tip.err)
      assert.deepStrictEqual(JSON.parse(tip.out), {
        block: last.blockNo,
        epoch: Math.floor(last.slot / 432_000),
        era: "Babbage",
        hash: Cbor.toHex(last.hash),
        slot: last.slot
      })

      const follow = yield* run(["follow", "--socket-path", socketPath, "--magic", "42", "--from", "origin", "--limit", String(chunk.length), "--json"])
      assert.strictEqual(follow.code, 0, follow.err)
      const blocks = lines(follow.out).map((l) => JSON.parse(l) as { event: string; point?: string; blockNo?: number })
      assert.deepStrictEqual(blocks[0], { event: "rollBackward", point: "origin", tipBlockNo: last.blockNo } as never)
      const forward = blocks.filter((b) => b.event === "block")
      assert.strictEqual(forward.length, chunk.length)
      assert.deepStrictEqual(forward.map((b) => b.point), chunk.map((b) => `${b.slot}.${Cbor.toHex(b.hash)}`))

      // three forms of a transaction file
      const txs = [tx(1), tx(2), tx(3)]
      fs.writeFileSync(path.join(dir, "tx1.hex"), Cbor.toHex(txs[0]!) + "\n")
      fs.writeFileSync(path.join(dir, "tx2.signed"), JSON.stringify({ type: "Witnessed Tx BabbageEra", description: "", cborHex: Cbor.toHex(txs[1]!) }))
      fs.writeFileSync(path.join(dir, "tx3.raw"), txs[2]!)
      for (const [file, i] of [["tx1.hex", 0], ["tx2.signed", 1], ["tx3.raw", 2]] as const) {
        const r = yield* run(["submit-tx", path.join(dir, file), "--testnet-magic", "42", "--json"], env)
        assert.strictEqual(r.code, 0, r.err)
        assert.deepStrictEqual(JSON.parse(r.out), { txId: Cbor.toHex(txId(txs[i]!)), accepted: true })
      }
      const mempool = yield* run(["mempool", "--testnet-magic", "42", "--json"], env)
      assert.strictEqual(mempool.code, 0, mempool.err)
      const snapshot = JSON.parse(mempool.out) as { numberOfTxs: number; sizeInBytes: number; txs: Array<{ txId: string; era: string; size: number }> }
      assert.strictEqual(snapshot.numberOfTxs, 3)
      assert.strictEqual(snapshot.sizeInBytes, txs.reduce((n, t) => n + t.length, 0))
      assert.deepStrictEqual(snapshot.txs, txs.map((t) => ({ txId: Cbor.toHex(txId(t)), era: "Babbage", size: t.length })))
      assert.include(server.log(), "accepted")
    }), 120_000)

  it.live("bad input: one line on stderr and a non-zero exit each, and the stand-in stays up", () =>
    Effect.gen(function*() {
      const { dir, socketPath } = yield* serveChunk()
      const env = { CARDANO_NODE_SOCKET_PATH: socketPath }
      fs.writeFileSync(path.join(dir, "plain-file"), "x")
      fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ type: "Tx ConwayEra", cborHex: "82zz" }))
      fs.writeFileSync(path.join(dir, "trailing.hex"), Cbor.toHex(tx(4)) + "00")
      fs.writeFileSync(path.join(dir, "not-a-tx.hex"), "1864")
      // a socket that accepts and never answers
      const silent = path.join(dir, "silent.socket")
      yield* unixServer(silent)
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, number, RegExp]> = [
        [["query", "tip", "--testnet-magic", "1"], 1, /^network2 query: node at .*: handshake refused: .*network magic 1 is not ours \(42\)/],
        [["query", "tip", "--socket-path", path.join(dir, "absent")], 1, /^network2 query: socket .*absent: no such file$/],
        [["query", "tip", "--socket-path", path.join(dir, "plain-file")], 1, /^network2 query: socket .*plain-file: not a socket$/],
        [["query", "tip", "--socket-path", silent, "--timeout", "1s"], 1, /^network2 query: no answer from the node at .*silent.socket within 1 s \(waiting for the connection and the handshake\)$/],
        [["query", "protocol-parameters", "--testnet-magic", "42"], 1, /^network2 query: node at .*: query GetCurrentPParams failed \(Unanswered\)/],
        [["query", "tip", "--mainnet", "--testnet-magic", "42"], 2, /^network2 query: give --mainnet or --testnet-magic N, not both$/],
        [["query", "utxo", "--address", "addr1notbech32", "--testnet-magic", "42"], 2, /^network2 query utxo: Invalid value for flag --address: "addr1notbech32"/],
        [["submit-tx", path.join(dir, "bad.json"), "--testnet-magic", "42"], 1, /^network2 submit-tx: .*bad.json: cborHex is not hex$/],
        [["submit-tx", path.join(dir, "trailing.hex"), "--testnet-magic", "42"], 1, /^network2 submit-tx: .*trailing.hex: not one CBOR item/],
        [["submit-tx", path.join(dir, "not-a-tx.hex"), "--testnet-magic", "42"], 1, /^network2 submit-tx: .*not-a-tx.hex: not a transaction/],
        [["submit-tx", path.join(dir, "missing.signed"), "--testnet-magic", "42"], 1, /^network2 submit-tx: .*missing.signed: cannot read the file \(ENOENT\)$/],
        [["follow", "--socket-path", silent, "--timeout", "1s"], 1, /^network2 follow: no answer from the node at .*silent.socket within 1 s \(waiting for the connection and the handshake\)$/]
      ]
      for (const [args, code, pattern] of cases) {
        const r = yield* run(args, env)
        assert.strictEqual(r.code, code, `${args.join(" ")}: ${r.err}`)
        assert.strictEqual(lines(r.err).length, 1, `${args.join(" ")}: ${r.err}`)
        assert.match(r.err.trim(), pattern)
        assert.strictEqual(r.out, "")
      }
      // no socket path at all
      const none = yield* run(["mempool"], { CARDANO_NODE_SOCKET_PATH: undefined })
      assert.strictEqual(none.code, 1)
      assert.strictEqual(none.err, "network2 mempool: no socket path: give one, or set CARDANO_NODE_SOCKET_PATH\n")
      // the stand-in still serves
      const tip = yield* run(["query", "tip", "--testnet-magic", "42"], env)
      assert.strictEqual(tip.code, 0, tip.err)
      assert.match(tip.out, /^tip: block 911275 at 27777565\.501a67d6/)
    }), 120_000)
})

describe("network2 serve --socket-path --live (a process)", () => {
  it.live("follow --socket-path sees blocks appended after it started and roll-backs; SIGINT stops the stand-in with exit 0 and removes the socket", () =>
    Effect.gen(function*() {
      const { socketPath } = yield* tempSocket()
      const server = yield* serveProcess(socketPath, [
        "--blocks", "40", "--max-body-size", "1500", "--live", "--start", "5", "--block-time", "700ms", "--rollback-every", "3", "--rollback-depth", "1"
      ])
      const follow = yield* run(["follow", "--socket-path", socketPath, "--magic", "42", "--from", "origin", "--limit", "16", "--json"])
      assert.strictEqual(follow.code, 0, follow.err)
      const events = lines(follow.out).map((l) => JSON.parse(l) as { event: string; blockNo?: number })
      assert.strictEqual(events.filter((e) => e.event === "block").length, 16)
      assert.isTrue(events.filter((e) => e.event === "rollBackward").length >= 2, "the first roll-back and at least one of the live chain's")
      assert.strictEqual(yield* server.stop.pipe(Effect.timeout("20 seconds")), 0, server.log())
      assert.isFalse(fs.existsSync(socketPath), "the socket file is removed")
    }).pipe(Effect.scoped), 120_000)
})

describe("a node that accepts the handshake and then stops answering", () => {
  it.live("query tip, mempool and submit-tx each end at --timeout, follow at its answer timeout, with one line naming what they waited for", () =>
    Effect.gen(function*() {
      const { dir, socketPath } = yield* tempSocket("mute.socket")
      // accept v23 at once (magic 42), then never answer anything
      yield* unixServer(socketPath, (socket) =>
        socket.once("data", () => {
          const payload = Cbor.encode([1, 23 | 0x8000, [42, false]])
          const head = Buffer.alloc(8)
          head.writeUInt16BE(0x8000, 4)
          head.writeUInt16BE(payload.length, 6)
          socket.write(Buffer.concat([head, Buffer.from(payload)]))
        }))
      fs.writeFileSync(path.join(dir, "tx.hex"), Cbor.toHex(tx(5)))
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["query", "tip"], "network2 query: no answer from the node at SOCKET within 1 s (waiting for the tip's state queries)"],
        [["mempool"], "network2 mempool: no answer from the node at SOCKET within 1 s (waiting for a mempool snapshot)"],
        [["submit-tx", path.join(dir, "tx.hex"), "--era", "6"], "network2 submit-tx: no answer from the node at SOCKET within 1 s (waiting for the node's verdict on the transaction)"]
      ]
      for (const [args, line] of cases) {
        const r = yield* run([...args, "--socket-path", socketPath, "--testnet-magic", "42", "--timeout", "1s"])
        assert.strictEqual(r.code, 1, r.err)
        assert.strictEqual(r.err, line.replace("SOCKET", socketPath) + "\n")
        assert.strictEqual(r.out, "")
      }
      // follow has no whole deadline (it runs until stopped); its first chain-sync answer is due and
      // gets --timeout plus a second
      const started = Date.now()
      const follow = yield* run(["follow", "--socket-path", socketPath, "--magic", "42", "--timeout", "1s"])
      assert.strictEqual(follow.code, 1, follow.err)
      assert.match(follow.err, /^network2 follow: .*no answer from the node within 2000 ms \(waiting for a local-chain-sync answer\)\n$/)
      assert.isBelow(Date.now() - started, 20_000)
      assert.strictEqual(follow.out, "")
    }).pipe(Effect.scoped), 120_000)
})

describe("the client commands against a stand-in in this process (its query handler answers UTxO and parameters)", () => {
  it.live("query utxo --address (bech32 and hex) and protocol-parameters print the handler's answers; mempool --watch sees a submit", () =>
    Effect.gen(function*() {
      const { dir, socketPath } = yield* tempSocket()
      const address = Cbor.fromHex("60" + "11".repeat(28))!
      const utxo = Cbor.encode(new Map<Cbor.Value, Cbor.Value>([
        [[new Uint8Array(32).fill(0xaa), 0], new Map<Cbor.Value, Cbor.Value>([[0, address], [1, 5_000_000]])],
        [[new Uint8Array(32).fill(0xbb), 3], [address, [2_000_000, new Map([[new Uint8Array(28).fill(1), new Map([[new Uint8Array([0x41]), 7]])]])]]]
      ]))
      const params = Cbor.encode([44, 155381, 65536])
      const asked: Array<string> = []
      const fallback = LocalServer.defaultQueries()
      const handler = Layer.succeed(LocalServer.QueryHandler, {
        answer: (query, state) => {
          asked.push(Cbor.toHex(query))
          const q = Cbor.decode(query) as ReadonlyArray<Cbor.Value>
          const inner = (q[1] as ReadonlyArray<Cbor.Value> | undefined)?.[1] as ReadonlyArray<Cbor.Value> | undefined
          const body = inner?.[1] as ReadonlyArray<Cbor.Value> | undefined
          if (q[0] === 0 && body?.[0] === 6) return Effect.succeed(Cbor.encode([Cbor.decode(utxo)]))
          if (q[0] === 0 && body?.[0] === 3) return Effect.succeed(Cbor.encode([Cbor.decode(params)]))
          return fallback(query, state)
        }
      })
      const chain = yield* ChainSource.makeMemory(GeneratedChain.generate({ blocks: 5 }))
      const context = yield* Layer.build(
        LocalNodeSocket.layerStandInUnix({ socketPath, networkMagic: MAGIC }).pipe(
          Layer.provide(handler),
          Layer.provide(Layer.succeed(ChainSource.ChainSource, chain))
        )
      )
      yield* Effect.forkScoped(Stream.runDrain(Context.get(context, LocalServer.LocalServerManager).events))
      const env = { CARDANO_NODE_SOCKET_PATH: socketPath }

      // the bech32 form of the address (header 0x60: an enterprise address on test networks)
      const bech = "addr_test1vqg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygxrcya6"
      assert.strictEqual(Cbor.toHex(parseAddress(bech)!), Cbor.toHex(address))
      for (const a of [bech, Cbor.toHex(address)]) {
        const r = yield* run(["query", "utxo", "--address", a, "--testnet-magic", "42"], env)
        assert.strictEqual(r.code, 0, r.err)
        assert.deepStrictEqual(lines(r.out), [
          "2 unspent outputs (Babbage)",
          `${"aa".repeat(32)}#0 5000000 lovelace`,
          `${"bb".repeat(32)}#3 2000000 lovelace + 1 asset`
        ])
      }
      // the generated chain is in the Babbage era: the query sent is [0, [0, [5 (Babbage), [6, [address]]]]]
      assert.include(asked, Cbor.toHex(Cbor.encode([0, [0, [5, [6, [address]]]]])))
      const json = yield* run(["query", "utxo", "--address", Cbor.toHex(address), "--testnet-magic", "42", "--json"], env)
      assert.strictEqual(json.code, 0, json.err)
      assert.deepStrictEqual(JSON.parse(json.out).utxo[`${"aa".repeat(32)}#0`], {
        address: Cbor.toHex(address),
        lovelace: "5000000",
        assets: 0,
        cborHex: readUtxo(utxo)![0]!.cborHex
      })
      const pp = yield* run(["query", "protocol-parameters", "--testnet-magic", "42", "--json"], env)
      assert.strictEqual(pp.code, 0, pp.err)
      assert.deepStrictEqual(JSON.parse(pp.out), { era: "Babbage", cborHex: Cbor.toHex(params) })

      // mempool --watch: the empty mempool, then the submitted tx (the watcher is killed once it shows)
      const watcher = cp.spawn(process.execPath, [bin, "mempool", "--watch", "--interval", "100ms", "--testnet-magic", "42", "--json"], {
        cwd: root,
        env: { ...process.env, ...env }
      })
      let seen = ""
      const saw = Effect.callback<void>((resume) => {
        watcher.stdout.on("data", (d) => {
          seen += d.toString()
          if (lines(seen).length >= 2) resume(Effect.void)
        })
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => watcher.kill("SIGKILL")))
      yield* Effect.sleep("500 millis")
      fs.writeFileSync(path.join(dir, "tx.hex"), Cbor.toHex(tx(9)))
      const submitted = yield* run(["submit-tx", path.join(dir, "tx.hex"), "--testnet-magic", "42"], env)
      assert.strictEqual(submitted.code, 0, submitted.err)
      assert.strictEqual(submitted.out, `transaction ${Cbor.toHex(txId(tx(9)))} accepted\n`)
      yield* saw.pipe(Effect.timeout("20 seconds"))
      const [first, second] = lines(seen).map((l) => JSON.parse(l) as { numberOfTxs: number; txs: Array<{ txId: string }> })
      assert.strictEqual(first!.numberOfTxs, 0)
      assert.strictEqual(second!.numberOfTxs, 1)
      assert.strictEqual(second!.txs[0]!.txId, Cbor.toHex(txId(tx(9))))
      // the stand-in's node-level view agrees: our LocalNode sees the same transaction
      const node = Context.get(yield* Layer.build(LocalNodeSocket.layerUnix({ socketPath, networkMagic: MAGIC })), LocalNode.LocalNode)
      assert.isTrue(yield* node.hasTx(txId(tx(9))))
    }).pipe(Effect.scoped), 120_000)
})
