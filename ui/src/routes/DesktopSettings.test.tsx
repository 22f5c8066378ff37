import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import {
  ApiError,
  type AlertPrefs,
  type ConnectionList,
  type DashboardSettings,
  type DashboardStatus,
  type DesktopApi,
  type HttpTargetInput,
  type HttpTargetsView,
} from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { Settings } from "./Settings";

const prefs: AlertPrefs = {
  enabled: true,
  kinds: ["failures", "connection", "health", "schedules", "nodes"],
  mutedQueues: [],
  cooldownSecs: 300,
  quietHours: null,
};

const production = { id: "c1", name: "production", url: "rediss://redis.example:6380/0", username: "app", hasPassword: true };

const connections: ConnectionList = {
  connections: [production],
  active: null,
  secretStore: "/home/me/.config/antrian/secrets.json",
  overriddenBy: null,
};

function desktop(extra: Partial<DesktopApi> = {}): DesktopApi {
  return {
    getNotificationPrefs: vi.fn(() => Promise.resolve(prefs)),
    saveNotificationPrefs: vi.fn((p: AlertPrefs) => Promise.resolve(p)),
    getCloseToTray: vi.fn(() => Promise.resolve(false)),
    setCloseToTray: vi.fn((on: boolean) => Promise.resolve(on)),
    listConnections: vi.fn(() => Promise.resolve(connections)),
    saveConnection: vi.fn(() => Promise.resolve(production)),
    removeConnection: vi.fn(() => Promise.resolve()),
    testConnection: vi.fn(() => Promise.resolve({ address: "redis://redis.example:6380", version: "7.2.4", latencyMs: 1.5 })),
    useConnection: vi.fn(() => Promise.resolve()),
    pauseAllQueues: vi.fn(() => Promise.resolve([])),
    resumeAllQueues: vi.fn(() => Promise.resolve([])),
    onNavigate: vi.fn(() => Promise.resolve(() => undefined)),
    getDashboard: vi.fn(() => Promise.resolve(dashboard)),
    saveDashboard: vi.fn((settings: DashboardSettings) => Promise.resolve({ ...dashboard, settings })),
    getDashboardPassword: vi.fn(() => Promise.resolve("Zq3kP9v2Lm7xR4tY8wB1nC6d")),
    getHttpTargets: vi.fn(() => Promise.resolve(targets)),
    saveHttpTargets: vi.fn((t: HttpTargetInput[]) => Promise.resolve({ ...targets, targets: t })),
    getSigningSecret: vi.fn(() => Promise.resolve("Nf4Qw8Zt2Lk9Xb3Vm7Rc1Hy6Pd5Js0Ga")),
    ...extra,
  };
}

const targets: HttpTargetsView = {
  targets: [{ queue: "partner-feed", url: "https://hooks.example/antrian" }],
  configuredElsewhere: false,
  signedWith: "the secret Settings shows",
};

const dashboard: DashboardStatus = {
  settings: { enabled: true, host: "127.0.0.1", port: 3001, username: "admin" },
  url: null,
  error: "cannot listen on 127.0.0.1:3001: Address already in use (os error 98)",
  passwordStore: "keyring",
};

function render(d: DesktopApi) {
  const api = fakeApi({
    desktop: d,
    listQueues: () => Promise.resolve([]),
    getConnectionStatus: () => Promise.reject(new ApiError("unavailable", "starting")),
  });
  return renderWith(api, <Settings />);
}

describe("Settings in the desktop app", () => {
  it("adds an HTTP target, shows core's refusal, saves the list and shows the signing secret", async () => {
    const d = desktop({
      saveHttpTargets: vi
        .fn()
        .mockRejectedValueOnce(new ApiError("invalid_input", "scraping-queue is one of Antrian's own queues"))
        .mockImplementationOnce((t: HttpTargetInput[]) => Promise.resolve({ ...targets, targets: t })),
    });
    render(d);
    const form = await screen.findByRole("form", { name: "HTTP targets" });
    await within(form).findByDisplayValue("partner-feed");
    fireEvent.click(within(form).getByRole("button", { name: "Add a target" }));
    const second = within(form).getByRole("group", { name: "Target 2" });
    fireEvent.change(within(second).getByLabelText("Queue"), { target: { value: "scraping-queue" } });
    fireEvent.change(within(second).getByLabelText("URL"), { target: { value: "https://erp.example/jobs" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save HTTP targets" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("one of Antrian's own queues");
    fireEvent.change(within(second).getByLabelText("Queue"), { target: { value: "erp-sync" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save HTTP targets" }));
    await waitFor(() =>
      expect(d.saveHttpTargets).toHaveBeenLastCalledWith([
        { queue: "partner-feed", url: "https://hooks.example/antrian" },
        { queue: "erp-sync", url: "https://erp.example/jobs" },
      ]),
    );
    fireEvent.click(within(form).getByRole("button", { name: "Show signing secret" }));
    expect(await screen.findByTestId("signing-secret")).toHaveTextContent("Nf4Qw8Zt2Lk9Xb3Vm7Rc1Hy6Pd5Js0Ga");
  });

  it("says plainly when the dashboard's port is taken, changes it, and shows the password", async () => {
    const d = desktop({
      saveDashboard: vi.fn((settings: DashboardSettings) =>
        Promise.resolve({ ...dashboard, settings, error: null, url: "http://127.0.0.1:3002" }),
      ),
    });
    render(d);
    const status = await screen.findByTestId("dashboard-status");
    expect(status).toHaveTextContent("The dashboard is not running: cannot listen on 127.0.0.1:3001: Address already in use");
    const form = screen.getByRole("form", { name: "Dashboard settings" });
    fireEvent.change(within(form).getByLabelText("Port"), { target: { value: "3002" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save dashboard settings" }));
    await waitFor(() =>
      expect(d.saveDashboard).toHaveBeenCalledWith({ enabled: true, host: "127.0.0.1", port: 3002, username: "admin" }),
    );
    expect(await screen.findByTestId("dashboard-url")).toHaveTextContent("http://127.0.0.1:3002");
    fireEvent.click(screen.getByRole("button", { name: "Show password" }));
    expect(await screen.findByTestId("dashboard-password")).toHaveTextContent("Zq3kP9v2Lm7xR4tY8wB1nC6d");
  });

  it("keeps the dashboard settings and shows core's refusal beside them", async () => {
    const d = desktop({
      saveDashboard: vi.fn(() => Promise.reject(new ApiError("invalid_input", 'host: "localhost:1" is not an IP address'))),
    });
    render(d);
    const form = await screen.findByRole("form", { name: "Dashboard settings" });
    fireEvent.change(within(form).getByLabelText("Address"), { target: { value: "localhost:1" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save dashboard settings" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("is not an IP address");
    expect((within(form).getByLabelText("Address") as HTMLInputElement).value).toBe("localhost:1");
  });

  it("saves notification preferences: kinds, cooldown and quiet hours", async () => {
    const d = desktop();
    render(d);
    const form = await screen.findByRole("form", { name: "Notifications" });
    fireEvent.click(within(form).getByLabelText(/Health degraded/));
    fireEvent.change(within(form).getByLabelText(/Group repeated failures/), { target: { value: "60" } });
    fireEvent.click(within(form).getByLabelText("Quiet hours"));
    fireEvent.change(within(form).getByLabelText("until"), { target: { value: "06:30" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save notification preferences" }));
    await waitFor(() =>
      expect(d.saveNotificationPrefs).toHaveBeenCalledWith({
        ...prefs,
        kinds: ["failures", "connection", "schedules", "nodes"],
        cooldownSecs: 60,
        quietHours: { start: "22:00", end: "06:30" },
      }),
    );
    expect(await screen.findByText("Notification preferences saved")).toBeTruthy();
  });

  it("shows core's refusal of bad preferences by the field it names", async () => {
    const d = desktop({
      saveNotificationPrefs: vi.fn(() =>
        Promise.reject(new ApiError("invalid_input", "cooldownSecs: the cooldown must be from 1 second to 86400 (a day)")),
      ),
    });
    render(d);
    const form = await screen.findByRole("form", { name: "Notifications" });
    fireEvent.change(within(form).getByLabelText(/Group repeated failures/), { target: { value: "0" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save notification preferences" }));
    expect((await within(form).findByRole("alert")).textContent).toContain("cooldownSecs");
  });

  it("tests and saves a connection without showing its password again, and says where passwords live", async () => {
    const d = desktop();
    render(d);
    expect(await screen.findByText(/passwords are kept in \/home\/me\/.config\/antrian\/secrets.json/)).toBeTruthy();
    const row = await screen.findByTestId("connection-production");
    expect(row.textContent).toContain("password saved");
    fireEvent.click(within(row).getByRole("button", { name: "Edit production" }));
    const form = screen.getByRole("form", { name: "Edit production" });
    expect((within(form).getByLabelText("Server") as HTMLInputElement).value).toBe("redis.example:6380/0");
    expect((within(form).getByLabelText("TLS (rediss://)") as HTMLInputElement).checked).toBe(true);
    const password = within(form).getByLabelText("Password") as HTMLInputElement;
    expect(password.value).toBe("");
    expect(password.placeholder).toContain("leave empty to keep it");
    fireEvent.click(within(form).getByRole("button", { name: "Test connection" }));
    expect((await screen.findByTestId("connection-test")).textContent).toContain("Redis 7.2.4");
    expect(d.testConnection).toHaveBeenCalledWith({
      id: "c1",
      name: "production",
      url: "redis.example:6380/0",
      tls: true,
      username: "app",
    });
    fireEvent.change(password, { target: { value: "n3w" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() =>
      expect(d.saveConnection).toHaveBeenCalledWith({
        id: "c1",
        name: "production",
        url: "redis.example:6380/0",
        tls: true,
        username: "app",
        password: "n3w",
      }),
    );
  });

  it("switches connections and shows a failed test's message", async () => {
    const d = desktop({
      testConnection: vi.fn(() =>
        Promise.reject(new ApiError("unavailable", "Redis at redis://10.0.0.9:6379 rejected the password")),
      ),
    });
    render(d);
    fireEvent.click(await screen.findByRole("button", { name: "Use production" }));
    await waitFor(() => expect(d.useConnection).toHaveBeenCalledWith("c1"));
    fireEvent.click(screen.getByRole("button", { name: "Add a connection" }));
    const form = screen.getByRole("form", { name: "New connection" });
    fireEvent.change(within(form).getByLabelText("Server"), { target: { value: "10.0.0.9:6379" } });
    fireEvent.click(within(form).getByRole("button", { name: "Test connection" }));
    expect((await within(form).findByRole("alert")).textContent).toContain("rejected the password");
  });

  it("keeps to the tray when asked", async () => {
    const d = desktop();
    render(d);
    fireEvent.click(await screen.findByLabelText(/Keep running in the tray/));
    await waitFor(() => expect(d.setCloseToTray).toHaveBeenCalledWith(true));
  });
});

describe("Settings in the browser", () => {
  it("says the desktop-only settings are in the desktop app", async () => {
    renderWith(
      fakeApi({ transport: "http", desktop: null, getConnectionStatus: () => Promise.reject(new ApiError("unavailable", "x")) }),
      <Settings />,
    );
    expect((await screen.findByTestId("desktop-only")).textContent).toContain("desktop app");
    expect(screen.queryByRole("form", { name: "Notifications" })).toBeNull();
  });
});
