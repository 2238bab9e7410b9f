/**
 * A Prometheus scrape endpoint over node:http: `GET /metrics` answers with every metric of the
 * registry in the Prometheus text format (effect/observability's `PrometheusMetrics`), the stack's
 * `network2_*` series among them. One `Layer.provide` adds it to an application; the server closes
 * with the layer's scope.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PrometheusMetrics } from "effect/observability"
import * as Schema from "effect/Schema"
import * as http from "node:http"
import type * as net from "node:net"

/**
 * The endpoint could not listen (the address is taken, or not ours).
 *
 * @category errors
 * @since 0.1.0
 */
export class PrometheusServerError extends Schema.TaggedError<PrometheusServerError>()("PrometheusServerError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Options of {@link layer}.
 *
 * @category models
 * @since 0.1.0
 */
export interface PrometheusServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
  /** 0 lets the system pick one (read it from {@link PrometheusServer}). */
  readonly port: number
  /** Default `/metrics`. */
  readonly path?: string | undefined
  /** Prepended to every metric name (joined with `_`). */
  readonly prefix?: string | undefined
}

/**
 * The running endpoint's address.
 *
 * @category services
 * @since 0.1.0
 */
export class PrometheusServer extends Context.Service<PrometheusServer, {
  readonly host: string
  readonly port: number
  /** `http://host:port/metrics`. */
  readonly url: string
}>()("@pallas-network2/node/PrometheusServer") {}

/**
 * Serves the scrape endpoint for as long as the layer's scope is open.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import * as PrometheusServer from "@pallas-network2/node/PrometheusServer"
 * declare const program: Effect.Effect<void>
 * const scraped = program.pipe(Effect.provide(PrometheusServer.layer({ host: "127.0.0.1", port: 9464 })))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: PrometheusServerOptions): Layer.Layer<PrometheusServer, PrometheusServerError> =>
  Layer.effect(
    PrometheusServer,
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      const path = options.path ?? "/metrics"
      const host = options.host ?? "127.0.0.1"
      const format = { prefix: options.prefix }
      const server = yield* Effect.acquireRelease(
        Effect.callback<http.Server, PrometheusServerError>((resume) => {
          const s = http.createServer((req, res) => {
            const url = (req.url ?? "/").split("?")[0]
            if (req.method !== "GET" || url !== path) {
              res.writeHead(404, { "content-type": "text/plain" }).end("not found\n")
              return
            }
            let body: string
            try {
              body = PrometheusMetrics.formatUnsafe(context, format)
            } catch (e) {
              res.writeHead(500, { "content-type": "text/plain" }).end(`${e instanceof Error ? e.message : String(e)}\n`)
              return
            }
            res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(body)
          })
          s.once("error", (e) => resume(Effect.fail(new PrometheusServerError({ detail: `metrics endpoint on ${host}:${options.port}: ${e.message}` }))))
          s.listen(options.port, host, () => resume(Effect.succeed(s)))
        }),
        (s) =>
          Effect.callback<void>((resume) => {
            s.closeAllConnections()
            s.close(() => resume(Effect.void))
          })
      )
      const port = (server.address() as net.AddressInfo).port
      return { host, port, url: `http://${host.includes(":") ? `[${host}]` : host}:${port}${path}` }
    })
  )
