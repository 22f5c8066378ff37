import { placeholderOf, type SchemaField, type Values } from "../lib/schema";

/**
 * The fields of a job type's data, rendered from its JSON Schema (lib/schema.ts): labels
 * and help from the Rust struct's titles and doc comments, the example as placeholders, a
 * select for every enum, one line per item for lists, JSON for free-form parts; an error
 * from core stands beside the field it names.
 */
export function SchemaForm({ fields, values, onChange, example, onePerLine, error, errorKey }: {
  fields: SchemaField[];
  values: Values;
  onChange(key: string, value: string | boolean): void;
  example: unknown;
  /** The field whose lines make one job each. */
  onePerLine?: string | null | undefined;
  error?: string | undefined;
  errorKey?: string | undefined;
}) {
  const groups: { group: string | undefined; fields: SchemaField[] }[] = [];
  for (const f of fields) {
    const last = groups[groups.length - 1];
    if (last && last.group === f.group) last.fields.push(f);
    else groups.push({ group: f.group, fields: [f] });
  }
  const render = (f: SchemaField) => (
    <SchemaInput key={f.key} field={f} value={values[f.key] ?? ""} example={example}
      perLine={onePerLine === f.key} error={errorKey === f.key ? error : undefined}
      onChange={(v) => onChange(f.key, v)} />
  );
  return (
    <>
      {groups.map((g, i) =>
        g.group === undefined ? (
          g.fields.map(render)
        ) : (
          <fieldset key={`${g.group}-${i}`}>
            <legend>{g.group}</legend>
            {g.fields.map(render)}
          </fieldset>
        ),
      )}
    </>
  );
}

/** A Rust doc comment as help text: one paragraph, `code` spans as code. */
function prose(doc: string) {
  return doc
    .split("\n")
    .join(" ")
    .split("`")
    .map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

function SchemaInput({ field, value, example, perLine, error, onChange }: {
  field: SchemaField;
  value: string | boolean;
  example: unknown;
  perLine: boolean;
  error: string | undefined;
  onChange(v: string | boolean): void;
}) {
  const id = `field-${field.key}`;
  const errorId = `error-${field.key}`;
  const helpId = `help-${field.key}`;
  const described = [field.description ? helpId : null, error !== undefined ? errorId : null].filter(Boolean).join(" ");
  const aria = {
    ...(described ? { "aria-describedby": described } : {}),
    ...(error !== undefined ? { "aria-invalid": true } : {}),
  };
  const text = typeof value === "string" ? value : "";
  const help = field.description ? <span className="small muted" id={helpId}>{prose(field.description)}</span> : null;
  const problem = error !== undefined ? <span className="error small" id={errorId}>{error}</span> : null;
  if (field.kind === "checkbox") {
    return (
      <div className="field check" data-field={field.key}>
        <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} {...aria} />
        <label htmlFor={id}>{field.label}</label>
        {help}
        {problem}
      </div>
    );
  }
  const label = perLine ? `${field.label} (one per line: one job each)` : field.kind === "lines" ? `${field.label} (one per line)` : field.label;
  const placeholder = placeholderOf(field, example);
  let control;
  if (field.kind === "select") {
    control = (
      <select id={id} value={text} onChange={(e) => onChange(e.target.value)} {...aria}>
        <option value="">{field.required ? "choose…" : "default"}</option>
        {field.choices.map((c) => <option key={c} value={c}>{c}</option>)}
      </select>
    );
  } else if (field.kind === "lines" || field.kind === "json" || perLine) {
    control = (
      <textarea id={id} className={field.kind === "json" ? "code" : undefined} rows={field.kind === "json" ? 5 : 3}
        value={text} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} {...aria} />
    );
  } else {
    const type = field.kind === "date" ? "date" : field.kind === "url" ? "url" : "text";
    control = (
      <input id={id} type={type} inputMode={field.kind === "number" ? (field.integer ? "numeric" : "decimal") : undefined}
        value={text} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} {...aria} />
    );
  }
  return (
    <div className="field" data-field={field.key}>
      <label htmlFor={id}>
        {label}
        {field.required && <span aria-hidden="true"> *</span>}
      </label>
      {control}
      {help}
      {problem}
    </div>
  );
}
