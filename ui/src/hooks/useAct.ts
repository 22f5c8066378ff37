import { useQueryClient } from "@tanstack/react-query";

import { useToast } from "../components/Toasts";

/**
 * Runs a user's action: a toast saying it was done or why not, then the views under
 * `keys` read again. Resolves to whether it succeeded.
 */
export function useAct(...keys: string[][]) {
  const client = useQueryClient();
  const toast = useToast();
  return async (done: string, run: () => Promise<unknown>): Promise<boolean> => {
    let ok = true;
    try {
      await run();
      toast(done);
    } catch (e) {
      ok = false;
      toast((e as Error).message, "error");
    }
    for (const queryKey of keys) await client.invalidateQueries({ queryKey });
    return ok;
  };
}
