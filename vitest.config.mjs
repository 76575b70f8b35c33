import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.{ts,mjs,js}'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process and server tests are I/O bound; two workers fit the 2-core machines.
    maxWorkers: 2,
  },
})
