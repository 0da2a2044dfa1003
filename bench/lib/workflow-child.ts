// The process in which measure-workflow.ts runs its local stack (see workflow.bench.ts for why).
import { BenchError } from './bench-error.ts';
import { measureWorkflow } from './measure-workflow.ts';

if (!process.send) throw new BenchError('workflow-child.ts sends its figures over IPC: start it with runInChild');
const figures = await measureWorkflow();
// Exit once sent: a keep-alive socket of an SDK client must not hold the benchmark up.
process.send(figures, () => process.exit(0));
