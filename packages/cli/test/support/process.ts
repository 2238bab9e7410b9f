/**
 * Shared by the tests that run `network2` as a child process: where the binary is, and a free TCP
 * port on 127.0.0.1.
 */
import * as Effect from "effect/Effect"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..")
export const bin = path.join(root, "packages/cli/bin/network2.js")

/** A port nobody listens on right now (the OS picks it; the listener is closed again). */
export const freePort = Effect.callback<number>((resume) => {
  const s = net.createServer()
  s.listen(0, "127.0.0.1", () => {
    const port = (s.address() as net.AddressInfo).port
    s.close(() => resume(Effect.succeed(port)))
  })
})
