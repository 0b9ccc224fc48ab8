/** Undo/redo of pipeline documents: a bounded stack of immutable snapshots. */

/** The undo history of one editor: `present` plus past and future snapshots. */
export class History<T> {
  private past: T[] = [];
  private future: T[] = [];

  constructor(
    private current: T,
    private readonly limit = 200
  ) {}

  /** The current snapshot. */
  get present(): T {
    return this.current;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** Record a new snapshot (drops the redo stack); a snapshot identical to the present is ignored. */
  push(next: T): void {
    if (next === this.current) {
      return;
    }
    this.past.push(this.current);
    if (this.past.length > this.limit) {
      this.past.shift();
    }
    this.future = [];
    this.current = next;
  }

  /** Replace the present without recording it (e.g. an automatic layout on open). */
  replace(next: T): void {
    this.current = next;
  }

  /** Forget everything but `present` (a document reloaded from disk). */
  reset(present: T): void {
    this.past = [];
    this.future = [];
    this.current = present;
  }

  /** Go back one snapshot; returns the new present or null when there is none. */
  undo(): T | null {
    const prev = this.past.pop();
    if (prev === undefined) {
      return null;
    }
    this.future.push(this.current);
    this.current = prev;
    return prev;
  }

  /** Go forward one snapshot; returns the new present or null when there is none. */
  redo(): T | null {
    const next = this.future.pop();
    if (next === undefined) {
      return null;
    }
    this.past.push(this.current);
    this.current = next;
    return next;
  }
}
