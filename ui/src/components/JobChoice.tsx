import { useMemo } from "react";

import type { Catalogue, JobType } from "../api";
import { buildData, fieldsOf, objectOf, valuesOf, type JsonSchema, type SchemaField, type Values } from "../lib/schema";
import { SchemaForm } from "./SchemaForm";

/**
 * The job a schedule adds, as edited: one of the catalogue's types with its data form, or
 * any queue and job name with JSON data (`json`). `values` holds the form's text once the
 * user has typed; until then it is read from `dataText`.
 */
export interface JobChoice {
  queue: string;
  name: string;
  json: boolean;
  dataText: string;
  values: Values | null;
}

/** The choice for a stored job (a schedule being edited) or a new one. */
export function jobChoice(queue: string, name: string, data: Record<string, unknown>): JobChoice {
  return { queue, name, json: false, dataText: JSON.stringify(data, null, 2), values: null };
}

const keyOf = (t: JobType) => `${t.queue}/${t.name}`;

/** The catalogue type a choice is, unless it is written as JSON or the catalogue lacks it. */
function typeOf(choice: JobChoice, catalogue: Catalogue | undefined): JobType | undefined {
  if (choice.json) return undefined;
  return catalogue?.jobTypes.find((t) => t.queue === choice.queue.trim() && t.name === choice.name.trim());
}

function formOf(choice: JobChoice, type: JobType | undefined): { fields: SchemaField[]; values: Values } {
  const fields = type ? fieldsOf(type.schema as JsonSchema) : [];
  return { fields, values: choice.values ?? (type ? valuesOf(fields, objectOf(choice.dataText)) : {}) };
}

/**
 * The job data of a choice: from the type's form, or parsed from its JSON. Throws an Error
 * naming the field (or "Job data") when the text cannot become data.
 */
export function dataOf(choice: JobChoice, catalogue: Catalogue | undefined): Record<string, unknown> {
  const type = typeOf(choice, catalogue);
  if (type) {
    const { fields, values } = formOf(choice, type);
    return buildData(fields, values)[0] ?? {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(choice.dataText);
  } catch (e) {
    throw new Error(`Job data: not JSON (${(e as Error).message})`, { cause: e });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("Job data: must be a JSON object");
  return parsed as Record<string, unknown>;
}

/** The job's fields: a select over the catalogue, then its data form, or queue, name and JSON. */
export function JobChoiceFields({ value, onChange, catalogue }: {
  value: JobChoice;
  onChange(v: JobChoice): void;
  catalogue: Catalogue | undefined;
}) {
  const type = typeOf(value, catalogue);
  const { fields, values } = useMemo(() => formOf(value, type), [value, type]);
  const text = (key: "queue" | "name", label: string) => (
    <label>
      {label}
      <input value={value[key]} required onChange={(e) => onChange({ ...value, [key]: e.target.value })} />
    </label>
  );
  return (
    <>
      <label>
        Job
        <select
          aria-label="Job"
          value={type ? keyOf(type) : ""}
          onChange={(e) => {
            const t = catalogue?.jobTypes.find((j) => keyOf(j) === e.target.value);
            if (t) onChange({ queue: t.queue, name: t.name, json: false, dataText: "{}", values: {} });
            else {
              // To JSON, carrying what the form holds so far.
              let dataText = value.dataText;
              try {
                dataText = JSON.stringify(dataOf(value, catalogue), null, 2);
              } catch {
                // A box that is not yet data: the JSON starts from what was stored.
              }
              onChange({ ...value, json: true, dataText });
            }
          }}
        >
          {catalogue?.jobTypes.map((t) => (
            <option key={keyOf(t)} value={keyOf(t)}>{t.label} ({t.queue})</option>
          ))}
          <option value="">another queue or job (JSON)</option>
        </select>
      </label>
      {type ? (
        <fieldset>
          <legend>Job data</legend>
          <SchemaForm fields={fields} values={values} example={type.example}
            onChange={(key, v) => onChange({ ...value, values: { ...values, [key]: v } })} />
        </fieldset>
      ) : (
        <>
          {text("queue", "Queue")}
          {text("name", "Job name")}
          <label>
            Job data (JSON)
            <textarea className="code" rows={4} value={value.dataText} onChange={(e) => onChange({ ...value, dataText: e.target.value })} />
          </label>
        </>
      )}
    </>
  );
}
