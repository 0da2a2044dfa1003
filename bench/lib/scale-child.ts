// The process in which measure-scale.ts runs its local stack (see scale.bench.ts for why).
import { BenchError } from './bench-error.ts';
import { measureScale, scaleOptions } from './measure-scale.ts';

if (!process.send) throw new BenchError('scale-child.ts sends its figures over IPC: start it with runInChild');
const figures = await measureScale(scaleOptions());
// Exit once sent: a keep-alive socket of an SDK client must not hold the benchmark up.
process.send(figures, () => process.exit(0));
