/**
 * Scenario 5: messages/s decoded and encoded by each protocol's codec over its vectors in
 * /work/shared/vectors/*.json, beside cbor-x decoding the same bytes (generic CBOR, no typed message).
 */
import { Cbor, Protocols } from "@pallas-network2/core"
import * as cborx from "cbor-x"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Result from "effect/Result"
import type { Scenario } from "../harness.ts"

const files: Record<string, any> = {
  "handshake.json": Protocols.Handshake.protocol,
  "chainsync.json": Protocols.ChainSync.protocol,
  "blockfetch.json": Protocols.BlockFetch.protocol,
  "keepalive.json": Protocols.KeepAlive.protocol,
  "peersharing.json": Protocols.PeerSharing.protocol,
  "txsubmission2.json": Protocols.TxSubmission2.protocol,
  "localstatequery.json": Protocols.LocalStateQuery.protocol,
  "localtxmonitor.json": Protocols.LocalTxMonitor.protocol,
  "localtxsubmission.json": Protocols.LocalTxSubmission.protocol
}

/** Runs `f` over the set again and again for about `millis` ms; messages/s. */
const rate = (count: number, millis: number, f: () => void): number => {
  let n = 0
  const started = performance.now()
  let now = started
  while (now - started < millis) {
    for (let i = 0; i < 20; i++) f()
    n += 20 * count
    now = performance.now()
  }
  return n / ((now - started) / 1000)
}

export const codecScenarios = (vectorsDir: string, millis: number): Array<Scenario> => {
  const out: Array<Scenario> = []
  for (const [file, protocol] of Object.entries(files)) {
    const full = path.join(vectorsDir, file)
    if (!fs.existsSync(full)) continue
    const vectors = JSON.parse(fs.readFileSync(full, "utf8")) as Array<{ cbor_hex: string }>
    const bytes: Array<Uint8Array> = []
    const messages: Array<any> = []
    let skipped = 0
    for (const v of vectors) {
      const b = typeof v.cbor_hex === "string" ? Cbor.fromHex(v.cbor_hex) : undefined
      const r = b === undefined ? undefined : protocol.decode(b)
      if (b === undefined || r === undefined || Result.isFailure(r)) {
        skipped++
        continue
      }
      bytes.push(b)
      messages.push(r.success)
    }
    if (bytes.length === 0) continue
    const decodeAll = () => {
      for (const b of bytes) protocol.decode(b)
    }
    const encodeAll = () => {
      for (const m of messages) protocol.encode(m)
    }
    const cborxAll = () => {
      for (const b of bytes) cborx.decode(b)
    }
    const totalBytes = bytes.reduce((s, b) => s + b.length, 0)
    out.push({
      id: `5-${file.replace(".json", "")}`,
      title: `codec ${protocol.name}: ${bytes.length} vectors (${totalBytes} bytes), messages/s`,
      unit: "msg/s",
      goal: "decode within 2x of cbor-x (which builds no typed message)",
      sides: [
        { name: "network2 decode", run: () => Promise.resolve(rate(bytes.length, millis, decodeAll)) },
        { name: "network2 encode", run: () => Promise.resolve(rate(bytes.length, millis, encodeAll)) },
        { name: "cbor-x decode", run: () => Promise.resolve(rate(bytes.length, millis, cborxAll)) }
      ],
      extra: () => ({ vectors: bytes.length, skippedVectors: skipped, bytes: totalBytes })
    })
  }
  return out
}
