import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { ConfigProblem } from './config-problem.ts';
import { PushgateConfig } from './config-schema.ts';
import { formatPath } from './format-path.ts';
import { yamlPosition } from './yaml-position.ts';

export type ParseConfigResult = { ok: true; config: PushgateConfig } | { ok: false; problems: ConfigProblem[] };
export type ParseYamlResult<T> = { ok: true; value: T } | { ok: false; problems: ConfigProblem[] };

/**
 * Reads `pushgate.yml`: YAML syntax first (a broken file has no structure worth checking), then the
 * schema, reporting every problem with its path and line so that one push shows a user all of them.
 */
export function parseConfig(text: string): ParseConfigResult {
  const parsed = parseYamlWith(PushgateConfig, text);
  return parsed.ok ? { ok: true, config: parsed.value } : parsed;
}

/** Any YAML (or JSON) document checked against `schema`, with every problem's path and line. */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string): ParseYamlResult<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => ({
        path: '',
        // prettyErrors appends the position and a source excerpt; the line is kept separately.
        message: (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, ''),
        line: error.linePos?.[0].line,
      })),
    };
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // yaml refuses documents whose aliases expand excessively (a resource exhaustion attack).
    return { ok: false, problems: [{ path: '', message: error instanceof Error ? error.message : String(error) }] };
  }
  if (data === null || data === undefined) {
    return { ok: false, problems: [{ path: '', message: 'the file is empty: start with "version: 1"' }] };
  }

  const parsed = schema.safeParse(data, { error: messageFor });
  if (parsed.success) return { ok: true, value: parsed.data };

  const problems = parsed.error.issues.flatMap((issue): ConfigProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => problemAt(doc, lineCounter, [...issue.path, key], 'unknown key'));
    }
    if (issue.code === 'invalid_key') {
      // zod says "Invalid key in record"; the reason is in the nested issue.
      const reason = issue.issues[0]?.message ?? issue.message;
      return [problemAt(doc, lineCounter, issue.path, `invalid name: ${reason}`)];
    }
    return [problemAt(doc, lineCounter, issue.path, issue.message)];
  });
  // Reading order: top to bottom (Array.prototype.sort is stable, so same-line problems keep theirs).
  problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  return { ok: false, problems };
}

/** Plainer words than zod's defaults for the two mistakes people make most. */
function messageFor(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return 'required';
  if (issue.code === 'invalid_type') {
    const expected = { object: 'a mapping', array: 'a list' }[issue.expected as string] ?? issue.expected;
    return `expected ${expected}, got ${describeType(issue.input)}`;
  }
  if (issue.code === 'invalid_value' && issue.values.length > 1) {
    return `expected one of ${issue.values.join(', ')}; got ${JSON.stringify(issue.input)}`;
  }
  return undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function problemAt(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  message: string,
): ConfigProblem {
  const line = lineAt(doc, lineCounter, path);
  return line === undefined ? { path: formatPath(path), message } : { path: formatPath(path), message, line };
}

/** The line of the deepest node on `path` that exists (yaml-position.ts). */
function lineAt(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  return yamlPosition(doc, lineCounter, path)?.line;
}
