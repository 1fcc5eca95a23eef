export function RunView(_: { traceId: string; stepId?: string; onTenant: (t: string) => void }) {
  return <p>run</p>;
}
