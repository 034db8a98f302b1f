// Entry of an executor thread in development, where the library runs from its TypeScript sources:
// the thread registers the tsx loader before importing them. Compiled (dist/), threads start at
// worker-main.js directly and tsx is not needed.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
