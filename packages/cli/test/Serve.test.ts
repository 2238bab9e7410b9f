/**
 * `network2 serve`: flag parsing, wiring and what it logs, over a scripted in-memory transport (the
 * over-TCP tests, including the independent npm client, need the node package's TCP interface).
 */
import { assert, describe, it } from "@effect/vitest"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as Command from "effect/cli/Command"
import { Interface, InterfaceEvent, PeerId } from "@pallas-network2/core"
import type { InterfaceCommand, InterfaceShape } from "@pallas-network2/core/Interface"
import { Handshake, KeepAlive } from "@pallas-network2/core/protocol"
import type { AnyNodeToNodeMessage } from "@pallas-network2/core/protocol/NodeToNode"
import * as Serve from "../src/commands/Serve.ts"

/** An Interface that replays `script` and records what it was asked to do. */
const scripted = (
  script: ReadonlyArray<InterfaceEvent<AnyNodeToNodeMessage>>,
  commands: Array<InterfaceCommand<AnyNodeToNodeMessage>>
) =>
  Layer.effect(
    Interface.key<AnyNodeToNodeMessage>(),
    Effect.gen(function*() {
      const events = yield* Queue.unbounded<InterfaceEvent<AnyNodeToNodeMessage>>()
      for (const e of script) yield* Queue.offer(events, e)
      const shape: InterfaceShape<AnyNodeToNodeMessage> = {
        dispatch: (command) =>
          Effect.gen(function*() {
            commands.push(command)
            if (command._tag === "Send") yield* Queue.offer(events, InterfaceEvent.Sent(command.peer, command.message))
            if (command._tag === "SendMany") yield* Queue.offer(events, InterfaceEvent.Sent(command.peer, ...command.messages))
            if (command._tag === "Disconnect") yield* Queue.offer(events, InterfaceEvent.Disconnected(command.peer))
          }),
        events: Stream.fromQueue(events)
      }
      return shape
    })
  )

describe("network2 serve", () => {
  it.live("parses its flags, labels the generated chain as synthetic, logs each peer, and closes on interrupt", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make<unknown, void>(({ message }) => {
        lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
      })
      const peer = PeerId.tcp("127.0.0.1", 45000)
      const other = PeerId.tcp("127.0.0.1", 45001)
      const commands: Array<InterfaceCommand<AnyNodeToNodeMessage>> = []
      const script: Array<InterfaceEvent<AnyNodeToNodeMessage>> = [
        InterfaceEvent.Connected(peer, "inbound"),
        InterfaceEvent.Recv(peer, [Handshake.make.propose(Handshake.n2nVersionTable({ magic: 2, versions: [14] }))]),
        InterfaceEvent.Recv(peer, [KeepAlive.make.keepAlive(9)]),
        InterfaceEvent.Connected(other, "inbound"),
        InterfaceEvent.Recv(other, [Handshake.make.propose(Handshake.n2nVersionTable({ magic: 1, versions: [14] }))])
      ]
      let listened: readonly [string, number] | undefined
      const cli = Command.runWith(
        Serve.command((host, port) => {
          listened = [host, port]
          return scripted(script, commands)
        }),
        { version: "0.1.0" }
      )
      const fiber = yield* cli(["--port", "3999", "--magic", "2", "--blocks", "30"]).pipe(
        Effect.provide(Layer.mergeAll(NodeServices.layer, Logger.layer([capture]))),
        Effect.forkChild
      )
      // the last line the script leads to: the refused peer closed once the refusal was sent
      for (let i = 0; i < 250 && !lines.some((l) => /45001 closed: /.test(l)); i++) yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(listened, ["127.0.0.1", 3999])
      const text = lines.join("\n")
      assert.match(text, /SYNTHETIC/)
      assert.match(text, /30 blocks/)
      assert.match(text, /listening on 127\.0\.0\.1:3999, network magic 2/)
      assert.match(text, /127\.0\.0\.1:45000 handshake accepted: v14/)
      assert.match(text, /127\.0\.0\.1:45001 handshake refused: .*magic 1/)
      assert.match(text, /127\.0\.0\.1:45001 closed: handshake refused/)
      assert.match(text, /shutting down: closing 1 connection/)
      assert.ok(commands.some((c) => c._tag === "Send" && c.message._tag === "MsgKeepAliveResponse"))
    }))
})
