/**
 * Runs Switchyard from its compiled output, as an application that installed the package does:
 * everything the benchmarks import from `src/` is loaded from `dist/` (`npm run build`) instead of
 * being transpiled on the fly. The benchmark code itself still runs through tsx, whose transpiled
 * output (with its name-keeping helpers on every closure) would otherwise be what gets measured.
 */
import { register } from 'node:module';

register('./compiled-hooks.mjs', import.meta.url);
