import { Component, type ReactNode } from "react";

type State = { error: Error | null };

/**
 * Keeps the shell (sidebar, connection state) up when a page cannot be shown: its code
 * could not be loaded — the dashboard's server stopped or was upgraded since the page was
 * opened — or it failed while rendering. A page's code that failed to load stays failed
 * until the window is reloaded, so the message offers that.
 */
export class PageBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render() {
    const { error } = this.state;
    if (error === null) return this.props.children;
    return (
      <main className="page">
        <p className="error" role="alert" data-testid="page-error">
          This page could not be shown: {error.message}
        </p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </main>
    );
  }
}
