/**
 * What `--metrics`, `--otlp` and `--log-format` add to a long-running command: the Prometheus
 * endpoint, the OTLP exporter (or the one `OTEL_EXPORTER_OTLP_ENDPOINT` configures), and a logger on
 * stderr in the chosen format. Each is one layer, provided around the command's handler.
 *
 * @since 0.1.0
 */
import { Observability } from "@pallas-network2/core"
import * as PrometheusServer from "@pallas-network2/node/PrometheusServer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as References from "effect/References"
import process from "node:process"
import * as StderrLine from "./internal/stderrLine.ts"

/**
 * The telemetry flags as parsed.
 *
 * @category models
 * @since 0.1.0
 */
export interface TelemetryFlags {
  readonly metrics: Option.Option<{ readonly host: string; readonly port: number }>
  readonly otlp: Option.Option<string>
  readonly logFormat: Option.Option<"pretty" | "json" | "logfmt">
}

/**
 * The logger of `--log-format`, on stderr, debug level included.
 *
 * @category layers
 * @since 0.1.0
 */
export const logger = (format: "pretty" | "json" | "logfmt"): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.layer([format === "json" ? Logger.consoleJson : format === "logfmt" ? Logger.consoleLogFmt : Logger.consolePretty({ colors: false })]),
    Layer.succeed(Logger.LogToStderr, true),
    Layer.succeed(References.MinimumLogLevel, "Debug")
  )

/** The runner's stderr lines (`<ISO time> <LEVEL> <message>`), info and above, debug level let through to other loggers. */
const stderrInfo: Layer.Layer<never> = Layer.mergeAll(
  Logger.layer([Logger.make((options) => {
    if (LogLevel.isGreaterThanOrEqualTo(options.logLevel, "Info")) StderrLine.write(options)
  })]),
  Layer.succeed(References.MinimumLogLevel, "Debug")
)

/**
 * The layers the flags ask for (none: an empty layer). The endpoint's address is printed on
 * stderr as `metrics: http://HOST:PORT/metrics`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (flags: TelemetryFlags): Layer.Layer<never, PrometheusServer.PrometheusServerError> => {
  const layers: Array<Layer.Layer<any, PrometheusServer.PrometheusServerError>> = []
  if (Option.isSome(flags.metrics)) {
    layers.push(
      Layer.effectDiscard(Effect.gen(function*() {
        const server = yield* PrometheusServer.PrometheusServer
        process.stderr.write(`metrics: ${server.url}\n`)
      })).pipe(Layer.provideMerge(PrometheusServer.layer(flags.metrics.value)))
    )
  }
  const otlp = Option.isSome(flags.otlp)
    ? Observability.layerOtlp({ baseUrl: flags.otlp.value })
    : (process.env["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "") !== ""
    ? Observability.layerOtlpFromEnv
    : undefined
  // the console logger first, so that the OTLP logger joins it; with OTLP alone the collector gets
  // the debug lines (connection events) while stderr keeps info and above, as without the flag
  const console = Option.isSome(flags.logFormat) ? logger(flags.logFormat.value) : otlp !== undefined ? stderrInfo : undefined
  if (otlp !== undefined) layers.push(console === undefined ? otlp : otlp.pipe(Layer.provideMerge(console)))
  else if (console !== undefined) layers.push(console as Layer.Layer<any>)
  // the layers provide more (the endpoint's address, the OTLP flusher): nothing a command needs
  return (layers.length === 0 ? Layer.empty : Layer.mergeAll(...(layers as [Layer.Layer<any, PrometheusServer.PrometheusServerError>]))) as Layer.Layer<
    never,
    PrometheusServer.PrometheusServerError
  >
}

/**
 * How {@link layer} can fail: the metrics endpoint could not listen.
 *
 * @category errors
 * @since 0.1.0
 */
export type TelemetryError = PrometheusServer.PrometheusServerError
