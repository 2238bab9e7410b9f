/**
 * How a behavior hands the messages of a `Sent` event to its mini-protocols' sides: one call per run
 * of one protocol's messages, not one per message (a write of blocks is one call).
 *
 * @internal
 */
import type { Message } from "../../Message.ts"

/**
 * Calls `each` with every run of consecutive messages of one protocol, in order: the array itself
 * when all are of one protocol (the usual case: a write of blocks, an answer), else a slice per run.
 */
export const forEachRun = <M extends Message>(
  messages: ReadonlyArray<M>,
  each: (protocol: M["protocol"], run: ReadonlyArray<M>) => void
): void => {
  const n = messages.length
  let start = 0
  for (let i = 1; i <= n; i++) {
    if (i < n && messages[i]!.protocol === messages[start]!.protocol) continue
    each(messages[start]!.protocol, start === 0 && i === n ? messages : messages.slice(start, i))
    start = i
  }
}
