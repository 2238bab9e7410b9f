import * as cborx from "cbor-x"
import * as cborg from "cborg"
import { Cbor } from "../packages/core/src/cbor/index.ts"
const hex = (h: string) => Cbor.fromHex(h)!
// what each library keeps: indefinite list, tag 24, definite map order
const samples = { indefList: "8201 9f8200410001ff".replace(/ /g,""), tag24: "8204d8184401020304", versionMap: "8200a20e841a2d964a09f401f40f841a2d964a09f401f4" }
for (const [name, h] of Object.entries(samples)) {
  const b = hex(h)
  let x = "err", g = "err"
  try { x = Buffer.from(cborx.encode(cborx.decode(b))).toString("hex") } catch (e) { x = "throws: " + (e as Error).message.slice(0, 50) }
  try { g = Buffer.from(cborg.encode(cborg.decode(b, { tags: Object.assign([], { 24: (v: unknown) => v }) }))).toString("hex") } catch (e) { g = "throws: " + (e as Error).message.slice(0, 60) }
  console.log(name, "\n  in      ", h, "\n  cbor-x  ", x, "\n  cborg   ", g, "\n  ours    ", Cbor.toHex(Cbor.encode(Cbor.decode(b))))
}
