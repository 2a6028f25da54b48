// The examples in examples/ run as a user runs them: plain Node, importing the compiled `modular-login-client`.
import t from 'tap'
import { checkExample, LISTENING } from '../helpers/examples.js'
import { liveServer } from '../helpers/realtime.js'
import { repoPath } from '../helpers/repo.js'

for (const example of Object.keys(LISTENING) as (keyof typeof LISTENING)[]) {
  t.test(`examples/${example} serves signed-in users and sends the others to sign in`, async t => {
    await checkExample(t, await liveServer(t), example, repoPath('examples', example), repoPath())
  })
}
