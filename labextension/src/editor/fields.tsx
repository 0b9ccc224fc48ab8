/** Small form fields of the properties panels; each carries `data-field` for tests. */
import * as React from 'react';

import type { Issue } from '../api/types';
import { issueField } from '../model/kinds';

/** Props shared by the fields. */
interface FieldProps {
  field: string;
  label: string;
  issues?: Issue[];
  title?: string;
  /** The field as validation issues name it, when not `field` (`parallel_run_config.X`). */
  issueField?: string;
}

/** The issues about `field` (or a part of it: `inputs` takes `inputs.data`). */
export function issuesOf(issues: Issue[] | undefined, field: string): Issue[] {
  return (issues ?? []).filter(i => {
    const f = issueField(i);
    return f === field || !!f?.startsWith(`${field}.`);
  });
}

/** The messages of some issues, each under the field (`data-testid="field-issue"`). */
export function FieldIssues(props: { issues: Issue[]; field?: string }): JSX.Element {
  return (
    <>
      {props.issues.map((i, k) => (
        <span
          key={k}
          className={`jp-PipelineField-issue jp-mod-${i.severity}`}
          data-testid="field-issue"
          data-field-issue={props.field ?? issueField(i) ?? ''}
        >
          {i.message}
        </span>
      ))}
    </>
  );
}

/** A labelled row with the field's issues under it. */
export function Row(props: FieldProps & { children: React.ReactNode }): JSX.Element {
  const mine = issuesOf(props.issues, props.issueField ?? props.field);
  return (
    <label className={`jp-PipelineField${mine.length ? ' jp-mod-issue' : ''}`} title={props.title}>
      <span className="jp-PipelineField-label">{props.label}</span>
      {props.children}
      <FieldIssues issues={mine} field={props.field} />
    </label>
  );
}

/**
 * A text input. With `onBlurOnly` the value is committed on blur/Enter (renames); otherwise on
 * each change (the editor coalesces those into one undo step).
 */
export function TextField(
  props: FieldProps & {
    value: string;
    onCommit: (value: string) => void;
    onBlurOnly?: boolean;
    multiline?: boolean;
    placeholder?: string;
  }
): JSX.Element {
  const [value, setValue] = React.useState(props.value);
  React.useEffect(() => setValue(props.value), [props.value]);
  const commit = (v: string) => {
    if (v !== props.value) {
      props.onCommit(v);
    }
  };
  const common = {
    'data-field': props.field,
    value,
    placeholder: props.placeholder,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      setValue(e.target.value);
      if (!props.onBlurOnly) {
        commit(e.target.value);
      }
    },
    onBlur: () => commit(value),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (e.key === 'Enter' && !props.multiline) {
        commit(value);
      } else if (e.key === 'Escape') {
        setValue(props.value);
      }
    }
  };
  return (
    <Row {...props}>
      {props.multiline ? <textarea rows={3} {...common} /> : <input type="text" {...common} />}
    </Row>
  );
}

/** A number input committing numbers (empty: undefined). */
export function NumberField(
  props: FieldProps & { value: number | undefined; onCommit: (value: number | undefined) => void; step?: string }
): JSX.Element {
  return (
    <TextField
      {...props}
      value={props.value === undefined ? '' : String(props.value)}
      onCommit={v => {
        const n = v.trim() === '' ? undefined : Number(v);
        if (n === undefined || Number.isFinite(n)) {
          props.onCommit(n);
        }
      }}
    />
  );
}

/** A drop-down of fixed choices; '' (the first, `empty`) means "not set". */
export function SelectField(
  props: FieldProps & {
    value: string;
    choices: readonly string[];
    empty?: string;
    onCommit: (value: string) => void;
  }
): JSX.Element {
  const known = props.value === '' || props.choices.includes(props.value);
  return (
    <Row {...props}>
      <select data-field={props.field} value={props.value} onChange={e => props.onCommit(e.target.value)}>
        {props.empty !== undefined && <option value="">{props.empty}</option>}
        {!known && <option value={props.value}>{props.value}</option>}
        {props.choices.map(c => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </Row>
  );
}

/** A checkbox. */
export function CheckField(props: FieldProps & { value: boolean; onCommit: (value: boolean) => void }): JSX.Element {
  return (
    <Row {...props}>
      <input type="checkbox" data-field={props.field} checked={props.value} onChange={e => props.onCommit(e.target.checked)} />
    </Row>
  );
}

/** A scalar typed from text: numbers and true/false become numbers/booleans, the rest stays text. */
export function parseScalar(text: string): string | number | boolean {
  const t = text.trim();
  if (t === 'true' || t === 'false') {
    return t === 'true';
  }
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) {
    return Number(t);
  }
  return text;
}

/** A list edited one item per line; unchanged lines keep their original (typed) value. */
export function LinesField(
  props: FieldProps & { value: unknown[] | undefined; onCommit: (value: unknown[] | undefined) => void }
): JSX.Element {
  const original = props.value ?? [];
  const text = original.map(v => String(v)).join('\n');
  return (
    <TextField
      {...props}
      multiline
      value={text}
      onCommit={v => {
        const lines = v.split('\n').filter(l => l.trim() !== '');
        const values = lines.map((l, i) => (i < original.length && String(original[i]) === l ? original[i] : l));
        props.onCommit(values.length ? values : undefined);
      }}
    />
  );
}

/** A key/value editor (script params, notebook parameters, environment variables). */
export function KeyValueField(
  props: FieldProps & {
    value: Record<string, unknown> | undefined;
    onCommit: (value: Record<string, unknown> | undefined) => void;
  }
): JSX.Element {
  const entries = Object.entries(props.value ?? {});
  const commit = (next: [string, unknown][]) =>
    props.onCommit(next.length ? Object.fromEntries(next) : undefined);
  return (
    <Row {...props}>
      <div className="jp-PipelineKV" data-field={props.field}>
        {entries.map(([k, v], i) => (
          <div className="jp-PipelineKV-row" key={`${i}-${k}`} data-key={k}>
            <KVInput
              value={k}
              className="jp-PipelineKV-key"
              onCommit={nk => {
                if (nk && !entries.some(([x], j) => x === nk && j !== i)) {
                  commit(entries.map((e, j) => (j === i ? [nk, e[1]] : e)));
                }
              }}
            />
            <KVInput
              value={typeof v === 'string' ? v : JSON.stringify(v)}
              className="jp-PipelineKV-value"
              onCommit={nv => commit(entries.map((e, j) => (j === i ? [e[0], parseScalar(nv)] : e)))}
            />
            <button className="jp-PipelineKV-remove" title="Remove" onClick={() => commit(entries.filter((_, j) => j !== i))}>
              ×
            </button>
          </div>
        ))}
        <button
          className="jp-PipelineKV-add"
          data-testid={`add-${props.field}`}
          onClick={e => {
            e.preventDefault();
            let n = 1;
            while (entries.some(([k]) => k === `key${n}`)) {
              n++;
            }
            commit([...entries, [`key${n}`, '']]);
          }}
        >
          + add
        </button>
      </div>
    </Row>
  );
}

/** An input committing on blur/Enter. */
export function KVInput(props: {
  value: string;
  onCommit: (v: string) => void;
  className?: string;
  field?: string;
  title?: string;
  placeholder?: string;
  /** The id of a `<datalist>` of suggestions. */
  list?: string;
}): JSX.Element {
  const [value, setValue] = React.useState(props.value);
  React.useEffect(() => setValue(props.value), [props.value]);
  return (
    <input
      type="text"
      className={props.className}
      data-field={props.field}
      title={props.title}
      placeholder={props.placeholder}
      list={props.list}
      value={value}
      onChange={e => setValue(e.target.value)}
      onBlur={() => value !== props.value && props.onCommit(value)}
      onKeyDown={e => {
        if (e.key === 'Enter' && value !== props.value) {
          props.onCommit(value);
        }
      }}
    />
  );
}
