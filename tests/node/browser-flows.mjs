// The UI's end-to-end flows in a real browser (Debian's chromium through playwright-core),
// against the HTTP dashboard that tests/browser.rs starts with workers and a fixture site.
//   node browser-flows.mjs   (configured by the environment, see below)
// Prints one line per finished flow ("ok <flow> <facts as JSON>") and exits non-zero on
// the first failure, after saving a screenshot of the page it failed on.
import { chromium } from "playwright-core";

const { BASE_URL, DASHBOARD_USER, DASHBOARD_PASSWORD, FIXTURE_URL, ARTIFACTS } = process.env;
const TIMEOUT = 30_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({
  httpCredentials: { username: DASHBOARD_USER, password: DASHBOARD_PASSWORD },
  viewport: { width: 1280, height: 800 },
});
context.setDefaultTimeout(TIMEOUT);
const page = await context.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));

const shot = (name) => page.screenshot({ path: `${ARTIFACTS}/browser-${name}.png`, fullPage: true });
const go = (hash) => page.goto(`${BASE_URL}/${hash}`);
const report = (flow, facts = {}) => process.stdout.write(`ok ${flow} ${JSON.stringify(facts)}\n`);
const jobState = page.getByTestId("job-state");

/** A link to every page kind, for the checks that go over them all. */
const EVERY_PAGE = [
  "#/overview",
  "#/queues",
  "#/queues/scraping-queue?state=completed",
  "#/queues/scraping-queue?state=failed",
  "#/queues/scraping-queue/jobs/1",
  "#/add-job?queue=scraping-queue",
  "#/schedules",
  "#/workers",
  "#/results",
  "#/health",
  "#/audit",
  "#/settings",
];

async function flow(name, run) {
  try {
    await run();
  } catch (e) {
    await shot(`failed-${name}`).catch(() => undefined);
    process.stderr.write(`flow ${name} failed: ${e.stack ?? e}\n`);
    await browser.close();
    process.exit(1);
  }
}

/** Adds product-scraping jobs for `urls` through the form; the new jobs' links. */
async function addProductJobs(urls, attempts) {
  await go("#/add-job?queue=scraping-queue");
  await page.getByLabel("Job type").selectOption({ label: "Product scraping (scraping-queue)" });
  await page.getByLabel(/^Product URL/).fill(urls.join("\n"));
  await page.getByLabel("Account", { exact: true }).fill("user123");
  await page.getByLabel("Attempts", { exact: true }).fill(String(attempts));
  await page.getByRole("button", { name: "Add job" }).click();
  const added = page.getByTestId("added");
  await added.getByText(urls.length === 1 ? "Added 1 job" : `Added ${urls.length} jobs`).waitFor();
  return added.getByRole("link");
}

await flow("overview", async () => {
  await go("#/overview");
  await page.getByTestId("connection-state").getByText("connected").waitFor();
  await page.getByTestId("queue-scraping-queue").waitFor();
  // First meaningful paint: navigation start to the queue table on screen.
  const queueTableMs = Math.round(await page.evaluate(() => performance.now()));
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
  await shot("overview");
  report("overview", { queueTableMs, firstContentfulPaintMs: fcp === null ? null : Math.round(fcp) });
});

await flow("add-and-run", async () => {
  // Checked by core's rules as it is typed, beside the field, before anything is added.
  await go("#/add-job?queue=scraping-queue");
  await page.getByLabel(/^Product URL/).fill("ftp://shop.example/p/1");
  await page.locator("#error-url").getByText(/only http and https/).waitFor();
  await page.getByLabel(/^Product URL/).fill(`${FIXTURE_URL}/p/jsonld/e2e-1`);
  await page.getByTestId("check-state").getByText("accepts this job").waitFor();
  const links = await addProductJobs([`${FIXTURE_URL}/p/jsonld/e2e-1`], 1);
  await shot("add-job");
  await links.first().click();
  await jobState.getByText("completed").waitFor();
  await page.getByText(/"url": "http/).first().waitFor();
  await shot("job-completed");
  report("add-and-run", { url: page.url() });
});

await flow("fail-then-retry", async () => {
  const links = await addProductJobs([`${FIXTURE_URL}/bad/flaky/e2e-retry`], 1);
  await links.first().click();
  await jobState.getByText("failed").waitFor();
  await page.getByTestId("failure").getByRole("heading", { name: /500/ }).waitFor();
  await shot("job-failed");
  // In the failed list the reason shows first, without the URL, and on screen at 1280 px.
  const jobUrl = page.url();
  await go("#/queues/scraping-queue?state=failed");
  const reason = page.locator("td.reason").filter({ hasText: /^HTTP 500/ }).first();
  await reason.waitFor();
  const box = await reason.boundingBox();
  if (box === null || box.x + Math.min(box.width, 80) > 1280) throw new Error(`the reason is off-screen: ${JSON.stringify(box)}`);
  await shot("queue-failed-reasons");
  await page.goto(jobUrl);
  await page.getByRole("button", { name: "Retry" }).click();
  await jobState.getByText("completed").waitFor();
  // A job that fails three times keeps each attempt's error, and its log says what became
  // of each attempt.
  const three = await addProductJobs([`${FIXTURE_URL}/bad/status/500?e2e-three`], 3);
  await three.first().click();
  await jobState.getByText("failed").waitFor();
  const timeline = page.getByTestId("timeline");
  await timeline.getByText("Attempt 1 failed", { exact: true }).waitFor();
  await timeline.getByText("Attempt 2 failed", { exact: true }).waitFor();
  await timeline.getByText("Failed for good").waitFor();
  const errors = await timeline.locator("li.bad .small").allTextContents();
  if (errors.length !== 3 || !errors.every((e) => e.includes("HTTP 500"))) {
    throw new Error(`each attempt's error: ${JSON.stringify(errors)}`);
  }
  const logs = page.getByTestId("logs");
  await logs.getByText(/attempt 2 of 3 failed: .*HTTP 500.*; retrying after the job's backoff \(1 left\)/).waitFor();
  await logs.getByText(/attempt 3 of 3 failed: .*HTTP 500.*; no attempts left/).waitFor();
  await shot("job-three-attempts");
  report("fail-then-retry");
});

await flow("bulk-retry", async () => {
  const urls = Array.from({ length: 20 }, (_, i) => `${FIXTURE_URL}/bad/flaky/e2e-bulk-${i}`);
  await addProductJobs(urls, 1);
  // Found by a data field, beyond the first page, and retried together ("all matching").
  await go("#/queues/scraping-queue?state=failed&pageSize=20");
  await page.getByTestId("page-of").getByText("20 jobs").waitFor();
  await page.getByRole("searchbox").fill("E2E-BULK");
  await page.getByLabel("Data field").selectOption({ label: "URL" });
  await page.getByRole("button", { name: "Filter" }).click();
  await page.getByLabel("Page size").selectOption("50");
  await page.getByTestId("search-scope").getByText("20 matching of the 20 failed jobs").waitFor();
  await page.getByLabel("Page size").selectOption("20");
  await page.getByTestId("page-of").getByText("20 matching jobs").waitFor();
  await page.getByLabel("Order").selectOption("oldest");
  await page.locator("tbody tr").first().getByText(/e2e-bulk-0 ·/).waitFor();
  await go("#/queues/scraping-queue?state=failed&pageSize=5&field=url&text=e2e-bulk");
  await page.getByTestId("page-of").getByText("Page 1 of 4 · 20 matching jobs").waitFor();
  await page.getByLabel("Select every job on this page").check();
  await page.getByRole("button", { name: "Select all 20 matching" }).click();
  await page.getByTestId("selection").getByText("All 20 matching selected").waitFor();
  await shot("queue-failed-selected");
  await page.getByRole("button", { name: "Retry", exact: true }).click();
  // A mass retry asks first, with the count; Cancel leaves every job failed.
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Retry 20 matching failed jobs of scraping-queue?").waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await page.getByTestId("page-of").getByText("20 matching jobs").waitFor();
  await page.getByRole("button", { name: "Retry", exact: true }).click();
  await shot("queue-confirm-retry");
  await dialog.getByRole("button", { name: "Retry 20" }).click();
  await page.getByText("Retried: 20 done").waitFor();
  // Live updates empty the failed tab as the retried jobs complete.
  await page.getByTestId("no-jobs").waitFor();
  await go("#/queues/scraping-queue?state=completed&pageSize=50");
  await page.getByTestId("page-of").getByText("22 jobs").waitFor();
  await shot("queue-completed");
  report("bulk-retry");
});

await flow("edit-and-retry", async () => {
  // A URL that answers 404 fails for good; its data is fixed in place and it runs again.
  const links = await addProductJobs([`${FIXTURE_URL}/bad/status/404`], 1);
  await links.first().click();
  await jobState.getByText("failed").waitFor();
  await page.getByRole("button", { name: "Edit data" }).click();
  const box = page.getByLabel("Job data (JSON)");
  const data = JSON.parse(await box.inputValue());
  await box.fill(JSON.stringify({ ...data, url: "ftp://nowhere/p/1" }));
  await page.getByRole("button", { name: "Save", exact: true }).click();
  // Core's own rule for scraping URLs, shown where the edit was made.
  await page.locator("#edit-data-error").getByText(/url/).waitFor();
  await box.fill(JSON.stringify({ ...data, url: `${FIXTURE_URL}/p/jsonld/e2e-edited` }));
  await shot("job-edit-data");
  await page.getByRole("button", { name: "Save and retry" }).click();
  await jobState.getByText("completed").waitFor();
  await page.getByText(/e2e-edited/).first().waitFor();
  report("edit-and-retry");
});

/** The example's data for the fixture site: its URLs there, its account a test one. */
function localData(type) {
  const swap = (v) => {
    if (typeof v === "string") {
      if (v.startsWith("https://shopee.co.id/product/")) return `${FIXTURE_URL}/p/jsonld/e2e-type-${v.split("/").pop()}`;
      if (v.startsWith("https://shopee.co.id/shop/")) return `${FIXTURE_URL}/p/jsonld/e2e-type-shop`;
      if (v.startsWith("https://api.example.com/")) return `${FIXTURE_URL}/bad/status/410`;
      if (v === "user123") return "e2e-types";
      return v;
    }
    if (Array.isArray(v)) return v.map(swap);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  return swap(type.example);
}

/** Fills the generated form's fields (`#field-<path>`) with `data`, as a user types it. */
async function fillForm(data, prefix = "") {
  for (const [key, value] of Object.entries(data)) {
    const path = prefix + key;
    const field = page.locator(`[id="field-${path}"]`);
    if ((await field.count()) === 0) {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        await fillForm(value, `${path}.`);
        continue;
      }
      throw new Error(`the form has no field for ${path}`);
    }
    const [tag, type, json] = await field.evaluate((e) => [e.tagName, e.getAttribute("type"), e.classList.contains("code")]);
    if (type === "checkbox") await field.setChecked(value === true);
    else if (tag === "SELECT") await field.selectOption(String(value));
    else if (json) await field.fill(JSON.stringify(value));
    else if (Array.isArray(value)) await field.fill(value.join("\n"));
    else await field.fill(String(value));
  }
}

await flow("every-type", async () => {
  // One job of every type in the catalogue, through the form rendered from its schema;
  // each reaches the state its handler gives that input, never refused by the form.
  const catalogue = await page.evaluate(async () => (await fetch("/api/job-types")).json());
  const jobs = [];
  for (const type of catalogue.jobTypes) {
    await go(`#/add-job?queue=${type.queue}`);
    await page.getByLabel("Job type").selectOption(`${type.queue}/${type.name}`);
    await fillForm(localData(type));
    await page.getByLabel("Attempts", { exact: true }).fill("1");
    await page.getByTestId("check-state").getByText("accepts this job").waitFor();
    if (type.name === "batch-scraping") await shot("add-job-batch");
    await page.getByRole("button", { name: "Add job" }).click();
    const link = page.getByTestId("added").getByRole("link").first();
    await link.waitFor();
    const id = (await link.getAttribute("href")).split("/").pop();
    await link.click();
    await jobState.getByText(/^(completed|failed)$/).waitFor();
    const state = (await jobState.textContent()).trim();
    jobs.push({ queue: type.queue, name: type.name, id, state });
    if (type.name === "batch-scraping") {
      // The batch's page lists its children (the flow); a child links back to its batch.
      const children = page.getByTestId("children");
      await children.getByText("Children (2)").waitFor();
      await children.getByText("2 completed").waitFor();
      await shot("job-batch-children");
      await children.getByRole("link").first().click();
      await page.getByTestId("parent").getByRole("link", { name: `batch-scraping #${id}` }).waitFor();
    }
  }
  report("every-type", { jobs });
});

await flow("backoff", async () => {
  // Each backoff strategy with its parameters, read back from Redis by the test.
  const strategies = [
    ["fixed", { "Backoff delay (ms)": "1500" }],
    ["exponential", { "Backoff delay (ms)": "2000", Factor: "3", "Max delay (ms)": "30000" }],
    ["linear", { "Backoff delay (ms)": "1000", "Increment (ms per attempt)": "700" }],
  ];
  for (const [strategy, params] of strategies) {
    await go("#/add-job?queue=cleanup-queue");
    await page.getByLabel("Job type").selectOption("cleanup-queue/cleanup-old-data");
    await fillForm({ collections: ["products"], olderThan: 30, dryRun: true });
    await page.getByLabel("Delay (seconds)").fill("3600");
    await page.getByLabel("Attempts", { exact: true }).fill("4");
    await page.getByLabel("Job id").fill(`e2e-backoff-${strategy}`);
    await page.getByLabel("Backoff", { exact: true }).selectOption(strategy);
    for (const [label, value] of Object.entries(params)) await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByRole("button", { name: "Add job" }).click();
    await page.getByTestId("added").getByText("Added 1 job").waitFor();
  }
  await shot("add-job-backoff");
  report("backoff");
});

await flow("new-queue", async () => {
  // A typo'd queue is refused; a created one takes jobs (read back from Redis by the test).
  await go("#/add-job");
  await page.getByRole("button", { name: "JSON", exact: true }).click();
  await page.getByLabel("Queue", { exact: true }).fill("partner-feed");
  await page.getByLabel("Job name", { exact: true }).fill("sync-catalogue");
  await page.getByLabel("Data (JSON object)").fill('{"partner": "acme"}');
  await page.getByRole("button", { name: "Add job" }).click();
  await page.getByText("there is no queue `partner-feed`").first().waitFor();
  await go("#/queues");
  const name = page.getByLabel("New queue");
  await name.fill("partner:feed");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("alert").getByText("is not a queue name").waitFor();
  await name.fill("partner-feed");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.waitForURL(/#\/queues\/partner-feed/);
  await go("#/add-job");
  await page.getByRole("button", { name: "JSON", exact: true }).click();
  await page.getByLabel("Queue", { exact: true }).fill("partner-feed");
  await page.getByLabel("Job name", { exact: true }).fill("sync-catalogue");
  await page.getByLabel("Data (JSON object)").fill('{"partner": "acme"}');
  await page.getByRole("button", { name: "Add job" }).click();
  await page.getByTestId("added").getByText("Added 1 job").waitFor();
  await go("#/queues");
  await page.getByTestId("queue-partner-feed").waitFor();
  await shot("queues");
  report("new-queue");
});

await flow("scale-by-hand", async () => {
  // Past the bounds is refused with the range; a size by hand is pinned until handed back.
  await go("#/workers");
  const pool = page.getByTestId("pool-scraping");
  await pool.waitFor();
  const size = page.getByLabel("scraping workers");
  await size.fill("5000");
  await pool.getByRole("button", { name: "Scale" }).click();
  await page.getByText("5000 is outside the allowed range").waitFor();
  await size.fill("3");
  await pool.getByRole("button", { name: "Scale" }).click();
  await pool.getByText("pinned", { exact: true }).waitFor();
  await shot("workers-pinned");
  await pool.getByRole("button", { name: "Auto" }).click();
  await pool.getByText("auto", { exact: true }).waitFor();
  report("scale-by-hand");
});

await flow("schedule", async () => {
  await go("#/schedules");
  await page.getByTestId("no-schedules").waitFor();
  await page.getByTestId("no-dynamic").waitFor();
  await page.getByRole("button", { name: "New schedule" }).click();
  await page.getByLabel("Name", { exact: true }).fill("e2e-nightly");
  await page.getByLabel("Cron expression").fill("30 2 * * *");
  await page.getByLabel("Time zone (IANA)").fill("Asia/Jakarta");
  const preview = page.getByTestId("cron-preview");
  await preview.getByText(/At 02:30/).waitFor();
  // Fire times read in the schedule's own zone.
  await preview.getByText(/2:30:00 AM GMT\+7/).first().waitFor();
  const runs = await preview.locator("li").count();
  if (runs !== 5) throw new Error(`the preview shows ${runs} runs, not 5`);
  // Every field the API takes: the job's data in its type's form, options, dates, limit,
  // overlap.
  await page.getByLabel("Job", { exact: true }).selectOption("cleanup-queue/cleanup-old-data");
  await fillForm({ collections: ["products"], olderThan: 45, dryRun: true });
  await page.getByLabel("Priority", { exact: true }).selectOption("low");
  await page.getByLabel("Attempts", { exact: true }).fill("2");
  await page.getByLabel("Backoff", { exact: true }).selectOption("exponential");
  await page.getByLabel("Backoff delay (ms)").fill("2000");
  await page.getByLabel("Factor", { exact: true }).fill("3");
  await page.getByLabel("Max delay (ms)").fill("60000");
  await page.getByLabel("Start (no run before)").fill("2027-01-01T00:00");
  await page.getByLabel("End (no run after)").fill("2027-12-31T23:30");
  await page.getByLabel(/^Run limit/).fill("10");
  await page.getByLabel("While the previous run is still going").selectOption("skip");
  await shot("schedule-editor");
  await page.getByRole("button", { name: "Save" }).click();
  const row = page.getByTestId("schedule-e2e-nightly");
  await row.waitFor();
  const toggle = page.getByLabel("e2e-nightly enabled");
  await toggle.uncheck();
  await page.getByText("e2e-nightly disabled").waitFor();
  await toggle.isChecked().then((on) => {
    if (on) throw new Error("still enabled after disabling");
  });
  await toggle.check();
  await page.getByText("e2e-nightly enabled").waitFor();
  // Edited in place: a new time, the same name.
  await page.getByRole("button", { name: "Edit e2e-nightly" }).click();
  // The editor holds what was saved.
  const limit = await page.getByLabel(/^Run limit/).inputValue();
  if (limit !== "10") throw new Error(`the editor shows run limit ${limit}`);
  await page.getByLabel("Cron expression").fill("0 3 * * 1-5");
  await preview.getByText(/03:00/).waitFor();
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("e2e-nightly saved").waitFor();
  await row.locator('[title="0 3 * * 1-5 (Asia/Jakarta)"]').waitFor();
  await row.getByTestId("overlap").getByText("skips a run while one is due").waitFor();
  // A condition-based schedule from its editor: the seed's high-queue alert.
  await page.getByRole("button", { name: "New condition-based schedule" }).click();
  const editor = page.getByRole("form", { name: "New condition-based schedule" });
  await editor.getByLabel("Threshold (jobs waiting)").fill("500");
  await editor.getByRole("button", { name: "Save" }).click();
  const alert = page.getByTestId("dynamic-high-queue-alert");
  await alert.getByText(/500/).waitFor();
  // Edited in place: a new threshold, the e-mail's subject in its form, a cooldown.
  await page.getByRole("button", { name: "Edit high-queue-alert" }).click();
  const edit = page.getByRole("form", { name: "Edit high-queue-alert" });
  await edit.getByLabel("Threshold (jobs waiting)").fill("750");
  await edit.locator('[id="field-subject"]').fill("Scraping backs up");
  await edit.getByLabel("Cooldown (seconds)").fill("600");
  await shot("dynamic-editor");
  await edit.getByRole("button", { name: "Save" }).click();
  await page.getByText("high-queue-alert saved").waitFor();
  await alert.getByText(/750/).waitFor();
  await page.getByLabel("high-queue-alert enabled").uncheck();
  await page.getByText("high-queue-alert disabled").waitFor();
  await shot("schedules");
  report("schedule", { runs });
});

await flow("results", async () => {
  await go("#/results");
  await page.getByLabel("Search").fill("e2e-1");
  // The scraped product, saved by the data pool after the scraping job completed.
  await page.getByTestId("product-table").getByText("Kopi Arabika e2e-1").waitFor();
  await page.getByTestId("site-127.0.0.1").waitFor();
  await shot("results");
  report("results");
});

await flow("throughput", async () => {
  await go("#/overview");
  // The jobs the flows above ran (at least 23), per minute, from BullMQ's metrics. The
  // first paint may show the chart as cached when the Overview was last open, and the pools
  // write their counts a second at a time; the chart refreshes on each write's
  // `queue:metrics` event, so it gets there without a reload.
  const chart = page.getByRole("img", {
    name: /^(2[3-9]|[3-9]\d|\d{3,}) completed and \d+ failed in the last 60 minutes/,
  });
  await chart.waitFor();
  const label = await chart.getAttribute("aria-label");
  await shot("overview-chart");
  report("throughput", { label });
});

/** GETs `path` from the dashboard as the page does (its origin, its credentials). */
const apiGet = (path) =>
  page.evaluate(async (path) => {
    const r = await fetch(path);
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  }, path);

await flow("remove-and-audit", async () => {
  // Three jobs due in an hour, added over the API the window uses.
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const added = await page.evaluate(async (i) => {
      const r = await fetch("/api/queues/scraping-queue/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "product-scraping",
          data: { url: `https://example.com/p/e2e-remove-${i}` },
          opts: { delay: 3_600_000 },
        }),
      });
      if (!r.ok) throw new Error(await r.text());
      return r.json();
    }, i);
    ids.push(added.id);
  }
  await go("#/queues/scraping-queue?state=delayed&field=url&text=e2e-remove");
  await page.getByTestId("page-of").getByText("3 matching jobs").waitFor();
  await page.getByLabel("Select every job on this page").check();
  await page.getByRole("button", { name: "Remove", exact: true }).click();
  // Remove asks first, with the count; Cancel leaves every job where it was.
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Remove 3 jobs from scraping-queue?").waitFor();
  await shot("queue-confirm-remove");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "detached" });
  for (const id of ids) {
    const job = await apiGet(`/api/queues/scraping-queue/jobs/${id}`);
    if (job.state !== "delayed") throw new Error(`job ${id} is ${job.state} after Cancel`);
  }
  await page.getByRole("button", { name: "Remove", exact: true }).click();
  await dialog.getByRole("button", { name: "Remove 3" }).click();
  await page.getByTestId("no-jobs").waitFor();
  // The audit log says who removed what, newest first.
  await go("#/audit");
  const log = page.getByTestId("audit-log");
  for (const id of ids) await log.getByText(`removed job ${id} from scraping-queue`).waitFor();
  await log.locator("tbody tr").first().getByText("Dashboard · admin from 127.0.0.1").waitFor();
  await shot("audit");
  report("remove-and-audit", { ids });
});

await flow("backend-gone", async () => {
  // The dashboard stops under the window: the sidebar says so within seconds, every page
  // keeps its last data greyed under a notice, and the window comes back by itself.
  await go("#/overview");
  const state = page.getByTestId("sidebar-connection");
  await state.getByText("Connected", { exact: true }).waitFor();
  process.stdout.write("control stop-backend\n");
  const stopped = Date.now();
  await state.getByText("Disconnected", { exact: true }).waitFor({ timeout: 10_000 });
  const noticedAfterMs = Date.now() - stopped;
  await page.getByTestId("stale-notice").waitFor();
  if ((await page.locator(".content[data-stale] > main").count()) !== 1) throw new Error("the page is not greyed");
  await shot("stale-overview");
  await page.evaluate(() => (window.location.hash = "#/queues/scraping-queue?state=completed"));
  await page.getByTestId("stale-notice").waitFor();
  await shot("stale-queue");
  process.stdout.write("control start-backend\n");
  const restarted = Date.now();
  await state.getByText("Connected", { exact: true }).waitFor({ timeout: 20_000 });
  await page.getByTestId("stale-notice").waitFor({ state: "detached" });
  await page.getByTestId("job-table").waitFor();
  report("backend-gone", { noticedAfterMs, backAfterMs: Date.now() - restarted });
});

await flow("failing-queue", async () => {
  // A queue failing every job stands out: Health names it with its failure rate (12
  // send-email jobs, one attempt each, and no SMTP server configured).
  for (let i = 0; i < 12; i++) {
    await page.evaluate(async (i) => {
      const r = await fetch("/api/queues/notifications-queue/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "send-email", data: { to: "ops@example.com", subject: `e2e ${i}` }, opts: { attempts: 1 } }),
      });
      if (!r.ok) throw new Error(await r.text());
    }, i);
  }
  await go("#/health");
  await page.getByText(/notifications-queue failed (1[2-9]|[2-9]\d) of \d+ jobs in the last minute/).waitFor();
  await shot("health-failing-queue");
  // On the Overview its failed count and rate are red.
  await go("#/overview");
  const row = page.getByTestId("queue-notifications-queue");
  await row.locator("td.bad a").waitFor();
  report("failing-queue");
});

await flow("pages", async () => {
  for (const section of ["queues", "workers", "health", "settings"]) {
    await go(`#/${section}`);
    await page.locator("h1").waitFor();
    await shot(`page-${section}`);
  }
  report("pages");
});

await flow("accessibility", async () => {
  // axe-core (Deque's rules engine) on every page, light and dark: WCAG 2 A and AA rules,
  // labels and names of controls, contrast, landmarks. Serious and critical findings fail.
  const axe = new URL("./node_modules/axe-core/axe.min.js", import.meta.url).pathname;
  const found = [];
  for (const [scheme, hash] of ["light", "dark"].flatMap((scheme) => EVERY_PAGE.map((hash) => [scheme, hash]))) {
    await page.emulateMedia({ colorScheme: scheme });
    await go(hash);
    await page.locator("h1").waitFor();
    await page.waitForLoadState("networkidle");
    await page.addScriptTag({ path: axe });
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
      return result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
    });
    for (const v of violations) found.push(`${scheme} ${hash} ${v}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
  if (found.length > 0) throw new Error(`accessibility:\n${found.join("\n")}`);
  report("accessibility");
});

await flow("small-window", async () => {
  // Every page at 1280 and 800 px, light and dark, to test-artifacts/. At 800 px (the
  // narrowest window the UI is built for) no page may scroll sideways, and every button
  // and button-link must be on screen, not cut off at the right.
  const problems = [];
  for (const [width, height] of [[1280, 800], [800, 700]]) {
    await page.setViewportSize({ width, height });
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const hash of EVERY_PAGE) {
        await go(hash);
        await page.locator("h1").waitFor();
        await page.waitForLoadState("networkidle");
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (wide > 0) problems.push(`${hash} at ${width} px scrolls sideways by ${wide}px`);
        const cut = await page.evaluate(() =>
          [...document.querySelectorAll("main button, main a.button")]
            .filter((b) => b.getClientRects().length > 0)
            .filter((b) => b.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((b) => b.textContent.trim()),
        );
        if (cut.length > 0) problems.push(`${hash} at ${width} px cuts off: ${cut.join(", ")}`);
        await shot(`${width}-${scheme}-${hash.slice(2).replace(/[^a-z0-9]+/gi, "-")}`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
  if (problems.length > 0) throw new Error(problems.join("\n"));
  report("small-window");
});

if (errors.length > 0) {
  process.stderr.write(`errors in the page: ${errors.join("\n")}\n`);
  process.exit(1);
}
await browser.close();
