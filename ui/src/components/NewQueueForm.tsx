import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { useApi } from "../api";
import { link } from "../hooks/useRoute";
import { useToast } from "./Toasts";

/**
 * Creates a queue so jobs can be added to it: core refuses jobs on a queue nobody created,
 * so a typo never starts a queue nobody serves. Core checks the name; its message shows
 * beside the box and the name stays for correcting.
 */
export function NewQueueForm() {
  const api = useApi();
  const client = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.createQueue(name.trim());
      toast(r.created ? `Created ${r.queue.name}` : `${r.queue.name} already exists; nothing changed`);
      setName("");
      await client.invalidateQueries({ queryKey: ["queues"] });
      window.location.hash = link("queues", [r.queue.name]);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="inline-form"
      aria-label="Create a queue"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        New queue
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="my-queue"
          required
          aria-invalid={error !== null}
          aria-describedby={error === null ? undefined : "new-queue-error"}
        />
      </label>
      <button type="submit" disabled={busy || name.trim() === ""}>
        Create
      </button>
      {error !== null && (
        <p className="error" id="new-queue-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
