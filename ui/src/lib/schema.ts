/**
 * Reading the job-type catalogue's JSON Schemas (generated in Rust from the structs the
 * handlers parse) into form fields, and form values back into job data. Nothing here knows
 * a job type: every field, label, choice and requirement comes from the schema.
 */

/** The JSON Schema keywords forms read (schemars' 2020-12 output, subschemas inlined). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

/** How a field is edited. */
export type FieldKind = "text" | "url" | "date" | "number" | "checkbox" | "select" | "lines" | "json";

/** A form field for one property of the data, possibly nested (`dateRange.start`). */
export interface SchemaField {
  /** Where its value goes in the data. */
  path: string[];
  /** `path` joined with dots: the key of its value in the form's state. */
  key: string;
  label: string;
  description: string | undefined;
  kind: FieldKind;
  required: boolean;
  /** The choices of a `select`, or of each line of `lines`. */
  choices: string[];
  /** The group it sits in (a nested object's title), if any. */
  group: string | undefined;
  /** Whole numbers only. */
  integer: boolean;
  /** Bounds of a number. */
  minimum: number | undefined;
  maximum: number | undefined;
}

/** Form values by field key. */
export type Values = Record<string, string | boolean>;

/** The schema's types less `null` (an `Option` in Rust). */
function types(s: JsonSchema): string[] {
  const t = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  return t.filter((x) => x !== "null");
}

/** "accountId" → "Account id": a label for a property the struct gave no title. */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(s: JsonSchema): { kind: FieldKind; choices: string[]; integer: boolean } {
  const t = types(s);
  const strings = (e: unknown[] | undefined) => (e ?? []).filter((x): x is string => typeof x === "string");
  if (s.enum !== undefined) return { kind: "select", choices: strings(s.enum), integer: false };
  if (s.anyOf !== undefined) {
    // `to`: one address or several; a list one per line covers both.
    const list = s.anyOf.find((a) => types(a).includes("array") && types(a.items ?? {}).includes("string"));
    if (list && s.anyOf.every((a) => types(a).includes("string") || a === list)) {
      return { kind: "lines", choices: [], integer: false };
    }
    return { kind: "json", choices: [], integer: false };
  }
  if (t.length === 1) {
    const [only] = t;
    if (only === "string") {
      if (s.format === "uri") return { kind: "url", choices: [], integer: false };
      if (s.format === "date") return { kind: "date", choices: [], integer: false };
      return { kind: "text", choices: [], integer: false };
    }
    if (only === "integer" || only === "number") return { kind: "number", choices: [], integer: only === "integer" };
    if (only === "boolean") return { kind: "checkbox", choices: [], integer: false };
    if (only === "array" && s.items && types(s.items).length === 1 && types(s.items)[0] === "string") {
      return { kind: "lines", choices: strings(s.items.enum), integer: false };
    }
  }
  // Free-form parts (documents, records, headers, arrays of objects): JSON.
  return { kind: "json", choices: [], integer: false };
}

/** The fields of an object schema, nested objects flattened into groups. */
export function fieldsOf(schema: JsonSchema, path: string[] = [], group?: string): SchemaField[] {
  const required = new Set(schema.required ?? []);
  const out: SchemaField[] = [];
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const here = [...path, key];
    if (types(sub).length === 1 && types(sub)[0] === "object" && sub.properties !== undefined) {
      out.push(...fieldsOf(sub, here, sub.title ?? humanize(key)));
      continue;
    }
    const { kind, choices, integer } = kindOf(sub);
    out.push({
      path: here,
      key: here.join("."),
      label: sub.title ?? humanize(key),
      description: sub.description,
      kind,
      // A nested object's required fields are needed once the object is given; forms
      // mark them all the same, since leaving the group empty is rarely what is meant.
      required: required.has(key),
      choices,
      group,
      integer,
      minimum: sub.minimum,
      maximum: sub.maximum,
    });
  }
  return out;
}

function at(data: unknown, path: string[]): unknown {
  let node = data;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A value as the field's input shows it. */
export function display(field: SchemaField, value: unknown): string | boolean {
  if (field.kind === "checkbox") return value === true;
  if (value === undefined || value === null) return "";
  if (field.kind === "lines") return Array.isArray(value) ? value.map(String).join("\n") : String(value);
  if (field.kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}

/** The form's values for existing data (editing a schedule's job), or empty ones. */
export function valuesOf(fields: SchemaField[], data: Record<string, unknown> | undefined): Values {
  return Object.fromEntries(
    fields.map((f) => {
      const value = at(data, f.path);
      if (value === undefined && f.kind === "checkbox") return [f.key, false];
      return [f.key, display(f, value)];
    }),
  );
}

/** JSON text as an object, or undefined when it is not one (a form's data being typed). */
export function objectOf(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What a field's placeholder shows: the example's value, one line for lists. */
export function placeholderOf(field: SchemaField, example: unknown): string {
  const value = at(example, field.path);
  if (value === undefined || field.kind === "checkbox") return "";
  const shown = display(field, value);
  return typeof shown === "string" ? shown : "";
}

const lines = (s: string) =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");

/** A form value the user typed that cannot become data, named by its field. */
export class FieldError extends Error {
  readonly key: string;

  constructor(field: SchemaField, message: string) {
    super(`${field.label}: ${message}`);
    this.name = "FieldError";
    this.key = field.key;
  }
}

function set(target: Record<string, unknown>, path: string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/**
 * The job data of a form: empty fields are left out (core's defaults apply, and core names
 * a missing required one); a value that is not even a number or JSON throws a FieldError.
 * With `onePerLine`, the key of a field whose lines make one job each, one object per line.
 */
export function buildData(fields: SchemaField[], values: Values, onePerLine?: string | null): Record<string, unknown>[] {
  const data: Record<string, unknown> = {};
  let perLine: { field: SchemaField; lines: string[] } | null = null;
  for (const f of fields) {
    const raw = values[f.key];
    if (f.kind === "checkbox") {
      // Top-level flags are sent either way (a dry run says so); nested ones only when on,
      // so an untouched group stays out of the data.
      if (raw === true || f.path.length === 1) set(data, f.path, raw === true);
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") continue;
    let value: unknown = text;
    if (f.kind === "number") {
      const n = Number(text);
      if (!Number.isFinite(n)) throw new FieldError(f, `“${text}” is not a number`);
      if (f.integer && !Number.isInteger(n)) throw new FieldError(f, `${text} is not a whole number`);
      value = n;
    } else if (f.kind === "json") {
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new FieldError(f, `not JSON (${(e as Error).message})`);
      }
    } else if (f.kind === "lines") {
      if (onePerLine === f.key) {
        perLine = { field: f, lines: lines(text) };
        continue;
      }
      value = lines(text);
    } else if (onePerLine === f.key) {
      perLine = { field: f, lines: lines(text) };
      continue;
    }
    set(data, f.path, value);
  }
  if (perLine === null) return [data];
  const { field, lines: each } = perLine;
  return each.map((line) => {
    const copy = structuredClone(data);
    set(copy, field.path, line);
    return copy;
  });
}

/** Core's message less its "data: invalid <job> data:" lead, for beside the field. */
export function ruleOf(message: string): string {
  return message.replace(/^(data: )?invalid [\w-]+ data: /, "");
}

/**
 * The field a message from core is about: its messages name the data path (`url`,
 * `options.concurrency`, `dateRange.start`) as a word of its own; a FieldError names its
 * key. Paths shorter than 3 letters (`to`) are too common a word to tell.
 */
export function fieldOfMessage(fields: SchemaField[], message: string): string | undefined {
  const byLabel = fields.find((f) => message.startsWith(`${f.label}:`));
  if (byLabel) return byLabel.key;
  const rule = ruleOf(message);
  const named = fields
    .map((f) => f.key)
    .filter((key) => key.length >= 3)
    .filter((key) => new RegExp(`(^|[\\s\`(:])${key.replace(/\./g, "\\.")}($|[\\s\`:,.)\\[])`).test(rule))
    .sort((a, b) => b.length - a.length);
  return named[0];
}
