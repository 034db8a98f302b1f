// Entry of an executor thread: the library ships TypeScript sources, so the thread registers the
// tsx loader before importing them (a no-op cost when the sources are already compiled JS).
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
