// Lint rules that `npm test` enforces; formatting itself is Prettier's (.prettierrc.json).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'client/dist/', 'run/', 'tmp/', '.tap/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
      },
    },
    rules: {
      // Prettier wraps code at 120; strings and comments it cannot wrap stay under 140.
      'max-len': ['error', { code: 140, ignoreUrls: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Fastify's own logger is off (src/http/logging.ts): what is logged through it is lost.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "MemberExpression[property.name='log'][object.type='Identifier'][object.name=/^(request|reply|app)$/]",
          message: "Fastify's logger is off: log through requestLog(request) or ctx.log (src/http/logging.ts)",
        },
      ],
    },
  },
  {
    // An async call left without `await` runs after the check that depends on it (a test that passes by luck, a
    // change that lands after the answer): refused with the types' help. tap's `t.test()` runs by itself.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
    },
  },
)
