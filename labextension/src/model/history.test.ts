import { describe, expect, it } from 'vitest';

import { History } from './history';

describe('History', () => {
  it('undoes and redoes in order', () => {
    const h = new History('a');
    h.push('b');
    h.push('c');
    expect(h.undo()).toBe('b');
    expect(h.undo()).toBe('a');
    expect(h.undo()).toBeNull();
    expect(h.present).toBe('a');
    expect(h.redo()).toBe('b');
    expect(h.present).toBe('b');
  });

  it('a new edit drops the redo stack', () => {
    const h = new History(1);
    h.push(2);
    h.undo();
    h.push(3);
    expect(h.canRedo).toBe(false);
    expect(h.redo()).toBeNull();
    expect(h.undo()).toBe(1);
  });

  it('is bounded and ignores identical snapshots', () => {
    const h = new History(0, 3);
    const same = 0;
    h.push(same);
    expect(h.canUndo).toBe(false);
    for (let i = 1; i <= 5; i++) {
      h.push(i);
    }
    expect([h.undo(), h.undo(), h.undo(), h.undo()]).toEqual([4, 3, 2, null]);
  });

  it('replace and reset do not record', () => {
    const h = new History('x');
    h.replace('y');
    expect(h.canUndo).toBe(false);
    h.push('z');
    h.reset('w');
    expect(h.present).toBe('w');
    expect(h.canUndo).toBe(false);
  });
});
