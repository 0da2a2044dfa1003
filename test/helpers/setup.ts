// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks; without it every Task
// fails silently into a States.ALL Catch. Lambda runs Node 22, which has it.
import '../../local/polyfills.ts';
