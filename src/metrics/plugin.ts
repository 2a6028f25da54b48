import cluster from 'node:cluster'
import type { FastifyInstance } from 'fastify'
import { AggregatorRegistry } from 'prom-client'
import type { Config } from '../config.js'
import { socketTimeouts } from '../http/socket-timeouts.js'
import { readiness, readinessAnswer } from './readiness.js'
import { serveMetrics, type MetricsEndpoint } from './server.js'
import { answerReadinessQuestions, workersReadinessAnswer } from './worker-readiness.js'

/**
 * When `LOGIN_METRICS_PORT` is set: times every request by route pattern
 * (never the raw URL, which would make one series per user id) and serves
 * `/metrics` once the server is ready. Under `LOGIN_WORKERS` > 1 each worker
 * hands its registry to the supervisor, which serves the sum
 * ({@link serveClusterMetrics}).
 */
export function instrument(app: FastifyInstance): void {
  const { config, metrics } = app.ctx
  // Without a metrics endpoint nobody reads the durations: no request pays for timing itself (a histogram
  // observation costs more than a check's own work, docs/architecture.md, "Benchmarks").
  if (config.metricsPort === null) return
  // A callback, not an async function: it runs for every request, and a promise each costs more than the count.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = { route, method: request.method, status_class: `${Math.floor(reply.statusCode / 100)}xx` }
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000)
    done()
  })
  // The supervisor of several workers serves their sum itself (main.ts).
  if (config.workers > 1 && cluster.isPrimary) return
  metrics.collectProcessMetrics()
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([metrics.registry])
    // Constructing one makes this worker answer the supervisor's requests for its metrics.
    new AggregatorRegistry()
    const stop = answerReadinessQuestions(app.ctx)
    app.addHook('onClose', async () => stop())
    return
  }
  let endpoint: MetricsEndpoint | null = null
  // onReady, not onListen: a metrics port that cannot be bound stops the start with its error.
  app.addHook('onReady', async () => {
    endpoint = await serveMetrics(
      config.metricsPort!,
      config.metricsHost,
      {
        '/metrics': async () => ({
          status: 200,
          contentType: metrics.registry.contentType,
          body: await metrics.registry.metrics(),
        }),
        '/ready': async () => readinessAnswer(await readiness(app.ctx)),
      },
      app.ctx.log,
      socketTimeouts(config),
    )
    metrics.url = endpoint.url
  })
  app.addHook('onClose', async () => endpoint?.close())
}

/** The supervisor of `LOGIN_WORKERS` > 1: serves every worker's metrics, summed, and each worker's readiness. */
export async function serveClusterMetrics(config: Config, log: FastifyInstance['log']): Promise<void> {
  if (config.metricsPort === null) return
  const aggregator = new AggregatorRegistry()
  const answers = {
    '/metrics': async () => ({
      status: 200,
      contentType: aggregator.contentType,
      body: await aggregator.clusterMetrics(),
    }),
    '/ready': workersReadinessAnswer,
  }
  await serveMetrics(config.metricsPort, config.metricsHost, answers, log, socketTimeouts(config))
}
