/** Copy and paste of steps: a self-contained fragment of a pipeline document. */
import type { PipelineDocument, StepDoc } from '../api/types';
import { clone, setPositions, uniqueName, type XY } from './document';

/** Copied steps with their positions; recognised on the system clipboard by `kind`. */
export interface StepClipboard {
  kind: 'jupyter-pipelines/steps';
  steps: Record<string, StepDoc>;
  positions: Record<string, XY>;
}

/** The named steps (and their positions) as a clipboard fragment. */
export function copySteps(doc: PipelineDocument, names: Iterable<string>): StepClipboard {
  const steps: Record<string, StepDoc> = {};
  const positions: Record<string, XY> = {};
  for (const name of names) {
    if (doc.steps[name]) {
      steps[name] = clone(doc.steps[name]);
      const p = doc.layout?.nodes?.[name];
      if (p) {
        positions[name] = { ...p };
      }
    }
  }
  return { kind: 'jupyter-pipelines/steps', steps, positions };
}

/** A clipboard fragment parsed from text, or null when the text is not one. */
export function parseClipboard(text: string): StepClipboard | null {
  try {
    const data = JSON.parse(text);
    return data && data.kind === 'jupyter-pipelines/steps' && data.steps ? (data as StepClipboard) : null;
  } catch {
    return null;
  }
}

/**
 * Paste a fragment: steps get unique names, inputs among the pasted steps are rewired to the
 * copies (inputs and run_after pointing outside the fragment are kept as they were), and
 * positions are shifted by `offset`. Returns the new document and the pasted steps' names.
 */
export function pasteSteps(
  doc: PipelineDocument,
  clip: StepClipboard,
  offset: XY = { x: 40, y: 120 }
): { doc: PipelineDocument; names: string[] } {
  const taken = new Set(Object.keys(doc.steps));
  const rename = new Map<string, string>();
  for (const name of Object.keys(clip.steps)) {
    const fresh = uniqueName(name, taken);
    taken.add(fresh);
    rename.set(name, fresh);
  }
  const steps = { ...doc.steps };
  const moved: Record<string, XY> = {};
  let i = 0;
  for (const [old, step] of Object.entries(clip.steps)) {
    const copy = clone(step);
    for (const input of Object.values(copy.inputs ?? {})) {
      if (typeof input.step === 'string' && rename.has(input.step)) {
        input.step = rename.get(input.step);
      }
    }
    if (copy.run_after) {
      copy.run_after = copy.run_after.map(s => rename.get(s) ?? s);
    }
    const fresh = rename.get(old) as string;
    steps[fresh] = copy;
    const p = clip.positions[old] ?? { x: i * 30, y: i * 30 };
    moved[fresh] = { x: p.x + offset.x, y: p.y + offset.y };
    i++;
  }
  return { doc: setPositions({ ...doc, steps }, moved), names: [...rename.values()] };
}
