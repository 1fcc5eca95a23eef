export function DiffView(_: { a: string; b: string }) {
  return <p>diff</p>;
}
