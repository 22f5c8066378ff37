import { Sidebar } from "./components/Sidebar";
import { useConnectionStatus } from "./hooks/useConnectionStatus";
import { useSection } from "./hooks/useSection";
import { NotYet } from "./routes/NotYet";
import { Overview } from "./routes/Overview";

/** The shell: sidebar and the current section. */
export function App() {
  const section = useSection();
  const status = useConnectionStatus();
  return (
    <div className="shell">
      <Sidebar current={section} connection={status.data?.state ?? "unknown"} />
      {section === "overview" ? <Overview /> : <NotYet section={section} />}
    </div>
  );
}
