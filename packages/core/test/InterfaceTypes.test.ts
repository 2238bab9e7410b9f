/**
 * The Interface is typed by the messages of the protocols it was built with, and a behavior runs only
 * on an Interface of its own messages (most of this is checked by the type checker: a line marked
 * `@ts-expect-error` that compiled would fail the typecheck).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { Behavior } from "../src/Behavior.ts"
import * as Initiator from "../src/behavior/Initiator.ts"
import * as LocalClient from "../src/behavior/LocalClient.ts"
import * as Responder from "../src/behavior/Responder.ts"
import type { ChainSource } from "../src/chain/ChainSource.ts"
import * as TestInterface from "../src/emulation/TestInterface.ts"
import * as Interface from "../src/Interface.ts"
import * as LocalNode from "../src/LocalNode.ts"
import type * as Manager from "../src/Manager.ts"
import { PeerId } from "../src/Primitives.ts"
import * as NodeToClient from "../src/protocol/NodeToClient.ts"
import * as NodeToNode from "../src/protocol/NodeToNode.ts"
import type { MessageOf } from "../src/protocol/Protocol.ts"

type N2N = NodeToNode.AnyNodeToNodeMessage
type N2C = NodeToClient.AnyNodeToClientMessage
type InitiatorOut = Manager.Manager<Initiator.InitiatorEvent, Initiator.InitiatorCommand> | Initiator.InitiatorBehaviorShape
type ResponderOut =
  | Manager.Manager<Responder.ResponderEvent, Responder.ResponderCommand>
  | Behavior<Responder.ResponderEvent, Responder.ResponderCommand, Responder.ResponderPeerState, N2N>

const address = PeerId.tcp("10.0.0.1", 3001)
const n2n = TestInterface.layer({ address, protocols: NodeToNode.protocols })
const n2c = TestInterface.layer({ address, protocols: LocalClient.protocols })

describe("Interface types", () => {
  it("the protocol lists name their messages", () => {
    const a: MessageOf<typeof NodeToNode.protocols[number]> extends N2N ? true : false = true
    const b: N2N extends MessageOf<typeof NodeToNode.protocols[number]> ? true : false = true
    const c: MessageOf<typeof LocalClient.protocols[number]> extends N2C ? true : false = true
    const d: N2C extends MessageOf<typeof LocalClient.protocols[number]> ? true : false = true
    assert.deepStrictEqual([a, b, c, d], [true, true, true, true])
  })

  it("an Interface layer carries the messages of its protocols", () => {
    const typed: Layer.Layer<Interface.Interface<N2N>, never, TestInterface.SimNetwork> = n2n
    const local: Layer.Layer<Interface.Interface<N2C>, never, TestInterface.SimNetwork> = n2c
    // @ts-expect-error a node-to-client Interface is not a node-to-node one
    const wrong: Layer.Layer<Interface.Interface<N2N>, never, TestInterface.SimNetwork> = n2c
    assert.ok(Layer.isLayer(typed) && Layer.isLayer(local) && Layer.isLayer(wrong))
  })

  it("a behavior runs on an Interface of its own messages only", () => {
    const initiator: Layer.Layer<InitiatorOut, never, TestInterface.SimNetwork> = Initiator.layerManager().pipe(Layer.provide(n2n))
    // @ts-expect-error the initiator does not run on a node-to-client Interface
    const misplaced: Layer.Layer<InitiatorOut, never, TestInterface.SimNetwork> = Initiator.layerManager().pipe(Layer.provide(n2c))
    const node: Layer.Layer<LocalNode.LocalNode, never, TestInterface.SimNetwork> = LocalNode.layer({ peer: address }).pipe(Layer.provide(n2c))
    // @ts-expect-error the local node does not run on a node-to-node Interface
    const remote: Layer.Layer<LocalNode.LocalNode, never, TestInterface.SimNetwork> = LocalNode.layer({ peer: address }).pipe(Layer.provide(n2n))
    const responder: Layer.Layer<ResponderOut, never, TestInterface.SimNetwork | ChainSource> = Responder.layerManager().pipe(Layer.provide(n2n))
    assert.ok([initiator, misplaced, node, remote, responder].every(Layer.isLayer))
  })

  it.effect("the untyped Interface still meets a typed requirement, in the one slot every Interface takes", () =>
    Effect.gen(function*() {
      const loose: Interface.InterfaceShape = { dispatch: () => Effect.void, events: Stream.empty }
      const untyped = Layer.succeed(Interface.Interface, loose)
      const initiator: Layer.Layer<InitiatorOut> = Initiator.layerManager().pipe(Layer.provide(untyped))
      assert.ok(Layer.isLayer(initiator))
      assert.strictEqual(Interface.key<N2N>().key, Interface.Interface.key)
      const found = yield* Interface.key<N2N>().pipe(Effect.provide(untyped))
      assert.strictEqual<unknown>(found, loose)
    }))
})
