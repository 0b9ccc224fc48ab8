/**
 * The state of one pipeline editor, outside React: the document and its history, the
 * selection, validation issues, the run being shown, and the round trip with the server that
 * turns the document into the file's text (`pipelines/format`).
 */
import { Signal, type ISignal } from '@lumino/signaling';

import { ApiError, requestAPI } from '../api/request';
import type { Issue, PipelineDocument } from '../api/types';
import { History } from '../model/history';
import { unplaced } from '../model/graph';
import { autoLayout, prepareLayout } from '../model/layout';
import { setPositions } from '../model/document';

/** A performance mark (`jp-pipelines:NAME`), to see where opening a pipeline spends time. */
function mark(name: string): void {
  try {
    performance.mark(`jp-pipelines:${name}`);
  } catch {
    // no performance API (tests)
  }
}

/** Run `fn` after the next frames are drawn (React Flow measures its nodes in between). */
function afterPaint(fn: () => void): void {
  if (typeof requestAnimationFrame === 'undefined') {
    setTimeout(fn, 0);
    return;
  }
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(fn, 0)));
}

/** What the editor widget gives the controller: the file's text model and where it lives. */
export interface EditorHost {
  /** The file's path relative to the server root. */
  path(): string;
  /** The text in the document model. */
  getText(): string;
  /** Put text in the document model (makes the widget dirty). */
  setText(text: string): void;
  /** True for an Elyra `.pipeline` file (opened converted, never written back). */
  readonly elyra: boolean;
}

/** The answer of `pipelines/format`. */
interface FormatReply {
  text: string;
  valid: boolean;
  issues: Issue[];
}

/** An editor's state with edit, undo/redo and format/validation operations. */
export class EditorController {
  /** The document shown (null until loaded or when the file does not parse). */
  doc: PipelineDocument | null = null;
  /** The parse error shown instead of the canvas, if any. */
  loadError: string | null = null;
  issues: Issue[] = [];
  /** The step shown in the properties panel. */
  selected: string | null = null;
  /** Steps and edges selected on the canvas (delete, copy). */
  selection: string[] = [];
  selectedEdges: { source: string; target: string; input: string | null }[] = [];
  /** The run whose statuses are shown. */
  runId: string | null = null;
  /** A transient message for the status line. */
  message: string | null = null;
  /** Bumped on each change (React's useSyncExternalStore snapshot). */
  version = 0;

  private history: History<PipelineDocument> | null = null;
  private formatted: PipelineDocument | null = null;
  private loop: Promise<void> | null = null;
  private ownText: string | null = null;
  private coalesceKey: string | null = null;
  private coalesceAt = 0;
  private _changed = new Signal<this, void>(this);

  constructor(readonly host: EditorHost) {}

  /** Emitted after every state change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Folder of the pipeline file relative to the server root. */
  get baseDir(): string {
    const path = this.host.path();
    const i = path.lastIndexOf('/');
    return i < 0 ? '' : path.slice(0, i);
  }

  get canUndo(): boolean {
    return !!this.history?.canUndo;
  }

  get canRedo(): boolean {
    return !!this.history?.canRedo;
  }

  /** Notify views. */
  emit(): void {
    this.version++;
    this._changed.emit();
  }

  /** Show a message in the status line. */
  notify(message: string | null): void {
    this.message = message;
    this.emit();
  }

  /** (Re)load the document from the file's text (or, for Elyra, by converting the file). */
  async load(): Promise<void> {
    const text = this.host.getText();
    mark('load-start');
    if (this.host.elyra || !/^layout:/m.test(text)) {
      prepareLayout(); // positions will be needed: load elk while the server parses
    }
    try {
      const reply = this.host.elyra
        ? await requestAPI<{ document: PipelineDocument }>('pipelines/convert', { body: { path: this.host.path() } })
        : await requestAPI<{ document: PipelineDocument }>('pipelines/parse', {
            body: { text, source: this.host.path() }
          });
      mark('parsed');
      this.ownText = text;
      this.loadError = null;
      let doc = reply.document;
      const missing = unplaced(doc).length;
      if (missing) {
        doc = await this.layoutDoc(doc, missing === Object.keys(doc.steps).length);
        mark('laid-out');
      }
      this.doc = doc;
      this.formatted = doc;
      this.history = new History(doc);
      if (this.selected && !(this.selected in doc.steps)) {
        this.selected = null;
      }
      this.emit();
      mark('rendered');
      // Validation (a server round trip as long as the parse on big pipelines) waits until the
      // canvas is drawn, so that it does not compete with the first render.
      afterPaint(() => void this.validate());
    } catch (error) {
      this.doc = null;
      this.loadError = error instanceof Error ? error.message : String(error);
      this.emit();
    }
  }

  /** Called when the text model changed: reload unless the change is the editor's own. */
  textChanged(): void {
    if (this.host.elyra || this.host.getText() === this.ownText) {
      return;
    }
    void this.load();
  }

  /** Positions for unplaced steps (or all, when `all`), by elk. */
  private async layoutDoc(doc: PipelineDocument, all: boolean): Promise<PipelineDocument> {
    try {
      const positions = await autoLayout(doc);
      if (!all) {
        const missing = new Set(unplaced(doc));
        const existing = Object.values(doc.layout?.nodes ?? {});
        const maxY = existing.length ? Math.max(...existing.map(p => p.y)) + 160 : 0;
        for (const name of Object.keys(positions)) {
          if (!missing.has(name)) {
            delete positions[name];
          } else {
            positions[name] = { x: positions[name].x, y: positions[name].y + maxY };
          }
        }
      }
      return setPositions(doc, positions);
    } catch (error) {
      console.warn('jupyter-pipelines: automatic layout failed', error);
      return doc;
    }
  }

  /**
   * Apply an edit: record it for undo (consecutive edits with the same `coalesce` key within
   * a second make one undo step), then refresh the text and issues.
   */
  apply(doc: PipelineDocument, coalesce: string | null = null): void {
    if (!this.history || doc === this.doc) {
      return;
    }
    const now = Date.now();
    if (coalesce && coalesce === this.coalesceKey && now - this.coalesceAt < 1000) {
      this.history.replace(doc);
    } else {
      this.history.push(doc);
    }
    this.coalesceKey = coalesce;
    this.coalesceAt = now;
    this.doc = doc;
    if (this.selected && !(this.selected in doc.steps)) {
      this.selected = null;
    }
    this.emit();
    void this.format();
  }

  /** Run an edit function, reporting its error in the status line instead of throwing. */
  edit(fn: (doc: PipelineDocument) => PipelineDocument, coalesce: string | null = null): boolean {
    if (!this.doc) {
      return false;
    }
    try {
      this.apply(fn(this.doc), coalesce);
      return true;
    } catch (error) {
      this.notify(error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  undo(): void {
    const doc = this.history?.undo();
    if (doc) {
      this.coalesceKey = null;
      this.doc = doc;
      this.emit();
      void this.format();
    }
  }

  redo(): void {
    const doc = this.history?.redo();
    if (doc) {
      this.coalesceKey = null;
      this.doc = doc;
      this.emit();
      void this.format();
    }
  }

  /** Lay out every step again (undoable). */
  async layout(): Promise<void> {
    if (this.doc) {
      this.apply(await this.layoutDoc(this.doc, true));
    }
  }

  select(step: string | null): void {
    if (step !== this.selected) {
      this.selected = step;
      this.emit();
    }
  }

  /**
   * Bring the file's text up to date with the document: one request at a time, always for
   * the latest document (edits made meanwhile are coalesced into the next request).
   */
  format(): Promise<void> {
    if (!this.loop) {
      this.loop = (async () => {
        await Promise.resolve();
        while (this.doc && this.formatted !== this.doc) {
          const doc = this.doc;
          try {
            const reply = await requestAPI<FormatReply>('pipelines/format', {
              body: { document: doc, base_dir: this.baseDir, source: this.host.path() }
            });
            this.issues = reply.issues;
            if (!this.host.elyra && reply.text !== this.host.getText()) {
              this.ownText = reply.text;
              this.host.setText(reply.text);
            }
          } catch (error) {
            this.issues = [
              {
                severity: 'error',
                step: null,
                field: null,
                message: error instanceof ApiError ? error.message : String(error)
              }
            ];
          }
          this.formatted = doc;
          this.emit();
        }
      })().finally(() => {
        this.loop = null;
      });
    }
    return this.loop;
  }

  /** Resolves once the file's text matches the current document. */
  async flush(): Promise<void> {
    while (this.doc && (this.loop || this.formatted !== this.doc)) {
      await (this.loop ?? this.format());
    }
  }

  /** Ask the server for the issues of the current document (the text is left as it is). */
  async validate(): Promise<void> {
    if (!this.doc) {
      return;
    }
    const doc = this.doc;
    let issues: Issue[];
    try {
      const reply = await requestAPI<FormatReply>('pipelines/format', {
        body: { document: doc, base_dir: this.baseDir, source: this.host.path() }
      });
      issues = reply.issues;
    } catch (error) {
      issues = [{ severity: 'error', step: null, field: null, message: String(error) }];
    }
    if (this.doc !== doc) {
      return; // edited meanwhile: the issues of the newer document come with its text
    }
    this.issues = issues;
    this.emit();
  }

  /** The current document's text as the SDK writes it. */
  async text(): Promise<string> {
    const reply = await requestAPI<FormatReply>('pipelines/format', {
      body: { document: this.doc, base_dir: this.baseDir, source: this.host.path() }
    });
    return reply.text;
  }
}
