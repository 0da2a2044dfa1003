import { LineCounter, parseDocument, type Document } from 'yaml';
import { yamlPosition } from '../../../functions/lib/config/yaml-position.ts';

/** 1-based line and column in the file. */
export interface Position {
  line: number;
  column: number;
}

export type PathSegment = string | number;

/**
 * `projects[1].engine`, `environments["a b"].after` (as functions/lib/config/format-path.ts writes
 * them) back into segments; undefined when the text is not such a path.
 */
export function parsePath(path: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  const token = /^(?:\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = path;
  while (rest.length > 0) {
    const match = token.exec(rest);
    if (!match) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3]!) as string);
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/**
 * Where things are in a YAML text: the node at a path (the deepest that exists, as parse-config.ts
 * finds its line; for a mapping entry, its key) and the column of a syntax error on a line.
 */
export class YamlLocator {
  private readonly lineCounter = new LineCounter();
  private readonly doc: Document;

  constructor(text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: true });
  }

  at(path: readonly PathSegment[]): Position | undefined {
    const position = yamlPosition(this.doc, this.lineCounter, path);
    return position === undefined ? undefined : { line: position.line, column: position.col };
  }

  /** The column of the first YAML syntax error on `line`. */
  syntaxErrorColumn(line: number): number | undefined {
    return this.doc.errors.find((error) => error.linePos?.[0].line === line)?.linePos?.[0].col;
  }
}
