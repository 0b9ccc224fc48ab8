// Vitest: the unit tests of the pure model and helpers (every src/**/*.test.ts), run in Node.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node'
  }
});
