/** A field of an add-job form; `path` is where its value goes in the job data. */
export interface Field {
  path: string[];
  label: string;
  kind: "text" | "url" | "urls" | "list" | "number" | "checkbox" | "date" | "json";
  required?: boolean;
  placeholder?: string;
  initial?: string | boolean;
}

/** One of the seed's job types, with the form that builds its data. */
export interface JobType {
  queue: string;
  name: string;
  label: string;
  fields: Field[];
  /** A field of kind `urls` that adds one job per line instead of one job in all. */
  onePerLine?: string;
}

/** The seed's job types ("Job Types" in the seed), as forms. */
export const JOB_TYPES: JobType[] = [
  {
    queue: "scraping-queue",
    name: "product-scraping",
    label: "Product scraping",
    onePerLine: "url",
    fields: [
      { path: ["url"], label: "Product URLs (one per line: one job each)", kind: "urls", required: true, placeholder: "https://shopee.co.id/product/123/456" },
      { path: ["accountId"], label: "Account", kind: "text", placeholder: "user123" },
      { path: ["options", "useProxy"], label: "Use proxy", kind: "checkbox" },
    ],
  },
  {
    queue: "scraping-queue",
    name: "shop-scraping",
    label: "Shop scraping",
    fields: [{ path: ["shopUrl"], label: "Shop URL", kind: "url", required: true, placeholder: "https://shopee.co.id/shop/123456" }],
  },
  {
    queue: "scraping-queue",
    name: "order-scraping",
    label: "Order scraping",
    fields: [
      { path: ["accountId"], label: "Account", kind: "text", required: true, placeholder: "user123" },
      { path: ["dateRange", "start"], label: "From", kind: "date", required: true },
      { path: ["dateRange", "end"], label: "To", kind: "date", required: true },
    ],
  },
  {
    queue: "scraping-queue",
    name: "batch-scraping",
    label: "Batch scraping",
    fields: [
      { path: ["urls"], label: "URLs (paste a list, one per line)", kind: "list", required: true },
      { path: ["accountId"], label: "Account", kind: "text" },
      { path: ["options", "concurrency"], label: "Concurrency", kind: "number", initial: "3" },
    ],
  },
  {
    queue: "data-processing-queue",
    name: "save-product-data",
    label: "Save product data",
    fields: [{ path: ["productData"], label: "Products (JSON array)", kind: "json", required: true, initial: '[{"productId": "prod123", "name": "Sample Product", "price": 100000}]' }],
  },
  {
    queue: "data-processing-queue",
    name: "validate-data",
    label: "Validate data",
    fields: [
      { path: ["data"], label: "Data (JSON)", kind: "json", required: true, initial: "[]" },
      { path: ["validationRules"], label: "Rules (JSON)", kind: "json", required: true, initial: '[{"field": "productId", "type": "string", "required": true}]' },
    ],
  },
  {
    queue: "notifications-queue",
    name: "send-email",
    label: "E-mail",
    fields: [
      { path: ["to"], label: "To", kind: "text", required: true, placeholder: "admin@example.com" },
      { path: ["subject"], label: "Subject", kind: "text", required: true },
      { path: ["template"], label: "Template", kind: "text", initial: "notice" },
      { path: ["data"], label: "Template data (JSON)", kind: "json", initial: "{}" },
    ],
  },
  {
    queue: "notifications-queue",
    name: "send-webhook",
    label: "Webhook",
    fields: [
      { path: ["url"], label: "URL", kind: "url", required: true, placeholder: "https://api.example.com/webhook" },
      { path: ["method"], label: "Method", kind: "text", initial: "POST" },
      { path: ["data"], label: "Payload (JSON)", kind: "json", initial: "{}" },
    ],
  },
  {
    queue: "cleanup-queue",
    name: "cleanup-old-data",
    label: "Clean up old data",
    fields: [
      { path: ["collections"], label: "Collections (one per line)", kind: "list", initial: "products" },
      { path: ["olderThan"], label: "Older than (days)", kind: "number", required: true, initial: "30" },
      { path: ["dryRun"], label: "Dry run (count only)", kind: "checkbox", initial: true },
    ],
  },
  {
    queue: "cleanup-queue",
    name: "cleanup-temp-files",
    label: "Clean up temp files",
    fields: [
      { path: ["directories"], label: "Directories (one per line)", kind: "list", required: true },
      { path: ["olderThan"], label: "Older than (days)", kind: "number", required: true, initial: "1" },
      { path: ["extensions"], label: "Extensions (one per line)", kind: "list", initial: ".tmp\n.temp" },
    ],
  },
];

/** Form values by field key (`path.join(".")`). */
export type Values = Record<string, string | boolean>;

export const keyOf = (f: Field) => f.path.join(".");

export function initialValues(type: JobType): Values {
  return Object.fromEntries(type.fields.map((f) => [keyOf(f), f.initial ?? (f.kind === "checkbox" ? false : "")]));
}

const lines = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");

/**
 * The job data each form makes: one object, or one per line of the `onePerLine` field.
 * Throws an Error naming the field when a value cannot be read (a required one empty, bad
 * JSON, not a number); the rest of the rules are core's, checked when the job is added.
 */
export function buildData(type: JobType, values: Values): Record<string, unknown>[] {
  const data: Record<string, unknown> = {};
  let perLine: string[] | null = null;
  for (const f of type.fields) {
    const raw = values[keyOf(f)];
    let value: unknown;
    if (f.kind === "checkbox") value = raw === true;
    else {
      const text = typeof raw === "string" ? raw.trim() : "";
      if (text === "") {
        if (f.required) throw new Error(`${f.label}: required`);
        continue;
      }
      if (f.kind === "number") {
        value = Number(text);
        if (!Number.isFinite(value)) throw new Error(`${f.label}: ${text} is not a number`);
      } else if (f.kind === "json") {
        try {
          value = JSON.parse(text);
        } catch (e) {
          throw new Error(`${f.label}: not JSON (${(e as Error).message})`, { cause: e });
        }
      } else if (f.kind === "list") value = lines(text);
      else if (f.kind === "urls" && type.onePerLine === keyOf(f)) {
        perLine = lines(text);
        continue;
      } else value = text;
    }
    set(data, f.path, value);
  }
  if (perLine === null) return [data];
  const field = type.fields.find((f) => keyOf(f) === type.onePerLine);
  return perLine.map((line) => {
    const copy = structuredClone(data);
    if (field) set(copy, field.path, line);
    return copy;
  });
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

/** Job options from the common fields; empty ones are left to the queue's defaults. */
export function buildOptions(o: { priority: string; delaySeconds: string; attempts: string; backoff: string; backoffMs: string }): Record<string, unknown> {
  const opts: Record<string, unknown> = {};
  if (o.priority !== "") opts.priority = o.priority;
  const number = (label: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${label}: ${text} is not a number of 0 or more`);
    return n;
  };
  if (o.delaySeconds.trim() !== "") opts.delay = Math.round(number("Delay", o.delaySeconds) * 1000);
  if (o.attempts.trim() !== "") opts.attempts = number("Attempts", o.attempts);
  if (o.backoff !== "") opts.backoff = { type: o.backoff, delay: number("Backoff delay", o.backoffMs || "0") };
  return opts;
}

/**
 * The form field a message is about, when it names one: a message this module made starts
 * with the field's label; core's name the data path (`url`, `options.concurrency`), which
 * must stand as a word of its own. Paths shorter than 3 letters (`to`) are too common a
 * word to tell; their messages stay with the form as a whole.
 */
export function fieldOf(type: JobType, message: string): string | undefined {
  const byLabel = type.fields.find((f) => message.startsWith(`${f.label}:`));
  if (byLabel) return keyOf(byLabel);
  // Core's data messages start "data: invalid <job> data: "; the rule follows.
  const rule = message.replace(/^(data: )?invalid [\w-]+ data: /, "");
  const named = type.fields
    .map((f) => keyOf(f))
    .filter((key) => key.length >= 3)
    .filter((key) => new RegExp(`(^|[\\s\`(:])${key.replace(/\./g, "\\.")}($|[\\s\`:,.)])`).test(rule))
    .sort((a, b) => b.length - a.length);
  return named[0];
}
