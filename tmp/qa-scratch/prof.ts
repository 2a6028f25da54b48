import autocannon from 'autocannon'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { startMemcached } from '../../test/helpers/memcached.js'
const mode = process.argv[2] ?? 'memcached'
const mc = await startMemcached()
const child = fork('bench/target-server.ts', [JSON.stringify({ kind: mode === 'hello' ? 'hello' : 'login', memcached: mode === 'memcached' ? mc!.servers : [], logLevel: 'warn' })],
  { execArgv: [...process.execArgv, '--cpu-prof', '--cpu-prof-dir=tmp/qa-scratch/prof'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
const [ready] = await once(child, 'message') as any
const url = `http://127.0.0.1:${ready.port}${mode === 'hello' ? '/' : '/login/check'}`
const r = await autocannon({ url, headers: ready.cookie ? { cookie: ready.cookie } : {}, connections: 32, duration: 6 })
console.log(mode, r.requests.average, r.non2xx)
child.kill('SIGTERM'); await once(child, 'exit'); await mc?.kill()
