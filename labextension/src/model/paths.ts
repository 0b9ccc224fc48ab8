/** File paths and names of the editor's documents: relative paths, stems, identifiers, and
 * the step a dropped file becomes. */
import type { StepDoc } from '../api/types';

/** A valid identifier made from any text (a file stem): `[A-Za-z_][A-Za-z0-9_]*`. */
export function toIdentifier(text: string): string {
  let id = text.replace(/[^A-Za-z0-9_]/g, '_');
  if (!id) {
    id = 'step';
  }
  if (/^[0-9]/.test(id)) {
    id = `_${id}`;
  }
  return id;
}

/** True when `name` is a valid port/parameter identifier. */
export function isIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name);
}

/** The directory part of a `/`-separated path ('' for a top-level file). */
export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** `path` (relative to the server root) relative to the folder `fromDir` (also root-relative). */
export function relativePath(path: string, fromDir: string): string {
  const to = path.split('/').filter(Boolean);
  const from = fromDir.split('/').filter(Boolean);
  let i = 0;
  while (i < from.length && i < to.length - 1 && from[i] === to[i]) {
    i++;
  }
  return [...from.slice(i).map(() => '..'), ...to.slice(i)].join('/');
}

/** A step document for a file: notebook for `.ipynb`, python_script for `.py`, else a command. */
export function stepForFile(relPath: string): StepDoc {
  const lower = relPath.toLowerCase();
  if (lower.endsWith('.ipynb')) {
    return { type: 'notebook', notebook: relPath };
  }
  if (lower.endsWith('.py')) {
    return { type: 'python_script', script: relPath };
  }
  if (lower.endsWith('.sh')) {
    return { type: 'command', command: `bash ${relPath}` };
  }
  return { type: 'command', command: relPath.includes('/') ? relPath : `./${relPath}` };
}

/** The file stem of a path (`a/b/train.v2.ipynb` -> `train.v2`). */
export function fileStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
