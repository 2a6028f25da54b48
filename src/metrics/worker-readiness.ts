import cluster, { type Worker } from 'node:cluster'
import { json, readiness, type Readiness, type ReadinessParts } from './readiness.js'
import type { Answer } from './server.js'

const QUESTION = 'modular-login:readiness?'
const REPLY = 'modular-login:readiness'
/** How long the supervisor waits for each worker's answer (each probes within 1.5 s). */
const ANSWER_MS = 2000

interface Question {
  type: typeof QUESTION
  id: number
}

interface Reply {
  type: typeof REPLY
  id: number
  readiness: Readiness
}

function isQuestion(message: unknown): message is Question {
  return (message as Partial<Question> | null)?.type === QUESTION
}

function isReply(message: unknown, id: number): message is Reply {
  const reply = message as Partial<Reply> | null
  return reply?.type === REPLY && reply.id === id
}

/**
 * In a worker of `LOGIN_WORKERS` > 1: answers the supervisor's questions
 * about this process's readiness (the supervisor serves the metrics port).
 * Answers how to stop.
 */
export function answerReadinessQuestions(ctx: ReadinessParts): () => void {
  const listener = (message: unknown) => {
    if (!isQuestion(message)) return
    void readiness(ctx).then(answer => process.send?.({ type: REPLY, id: message.id, readiness: answer }))
  }
  process.on('message', listener)
  return () => process.off('message', listener)
}

let questions = 0

/** A worker's readiness, or null when it did not answer in time. */
function ask(worker: Worker): Promise<Readiness | null> {
  const id = ++questions
  return new Promise(resolve => {
    const done = (answer: Readiness | null) => {
      clearTimeout(timer)
      worker.off('message', listener)
      resolve(answer)
    }
    const listener = (message: unknown) => {
      if (isReply(message, id)) done(message.readiness)
    }
    const timer = setTimeout(() => done(null), ANSWER_MS)
    worker.on('message', listener)
    worker.send({ type: QUESTION, id } satisfies Question)
  })
}

/** The supervisor's `GET /ready` on the metrics port: each worker's details; ready when every worker is. */
export async function workersReadinessAnswer(): Promise<Answer> {
  const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined)
  const answers = await Promise.all(workers.map(ask))
  const ready = answers.length > 0 && answers.every(answer => answer?.ready)
  return json(ready, {
    status: ready ? 'ready' : 'not ready',
    workers: answers.map((answer, i) => ({
      pid: workers[i]!.process.pid,
      ...(answer ?? { ready: false, error: `no answer within ${ANSWER_MS} ms` }),
    })),
  })
}
