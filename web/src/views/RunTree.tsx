// The nested tree of a run's traces and steps: a virtualised list (only the rows in view
// are in the DOM), collapsible traces, arrow-key navigation (WAI-ARIA tree pattern).
import { useEffect, useRef, useState } from "preact/hooks";
import type { TreeRow } from "../run";

const ROW = 24;
const OVERSCAN = 10;

export function RunTree({ rows, expanded, selected, highlight, broken, onToggle, onSelect }: {
  rows: TreeRow[]; expanded: Set<string>; selected: string | null; highlight: Set<string>;
  broken: string | null; onToggle: (traceId: string) => void; onSelect: (row: TreeRow) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const index = Math.max(0, rows.findIndex((r) => r.id === selected));

  useEffect(() => { if (box.current) setHeight(box.current.clientHeight); }, []);
  useEffect(() => {  // keep the selected row in view
    const el = box.current;
    if (!el || !selected) return;
    const top = index * ROW;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW - el.clientHeight;
  }, [selected, index]);

  const first = Math.max(0, Math.floor(scroll / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scroll + height) / ROW) + OVERSCAN);

  function onKey(ev: KeyboardEvent) {
    const row = rows[index];
    const move = (i: number) => { const r = rows[Math.max(0, Math.min(rows.length - 1, i))]; if (r) onSelect(r); };
    if (ev.key === "ArrowDown") move(index + 1);
    else if (ev.key === "ArrowUp") move(index - 1);
    else if (ev.key === "Home") move(0);
    else if (ev.key === "End") move(rows.length - 1);
    else if (ev.key === "PageDown") move(index + Math.floor(height / ROW));
    else if (ev.key === "PageUp") move(index - Math.floor(height / ROW));
    else if (ev.key === "ArrowRight" && row?.kind === "trace" && !expanded.has(row.id)) onToggle(row.id);
    else if (ev.key === "ArrowLeft" && row?.kind === "trace" && expanded.has(row.id)) onToggle(row.id);
    else if ((ev.key === "Enter" || ev.key === " ") && row?.kind === "trace") onToggle(row.id);
    else return;
    ev.preventDefault();
  }

  return (
    <div ref={box} class="tree" role="tree" aria-label="Traces and steps of the run" tabIndex={0}
      aria-activedescendant={selected ? `row-${cssId(selected)}` : undefined}
      onScroll={(e) => setScroll(e.currentTarget.scrollTop)} onKeyDown={onKey} data-testid="tree">
      <div style={{ height: `${rows.length * ROW}px`, position: "relative" }} role="none">
        {rows.slice(first, last).map((r, i) => {
          const open = expanded.has(r.id);
          return (
            <div key={r.id} id={`row-${cssId(r.id)}`} role="treeitem" aria-level={r.level + 1}
              aria-expanded={r.kind === "trace" ? open : undefined} aria-selected={r.id === selected}
              data-row={r.id}
              class={`tree-row${highlight.has(r.id) ? " hl" : ""}`}
              style={{ top: `${(first + i) * ROW}px`, paddingLeft: `${4 + r.level * 14}px` }}
              onClick={() => { onSelect(r); if (r.kind === "trace") onToggle(r.id); }}>
              <span class="twisty" aria-hidden="true">{r.kind === "trace" ? (open ? "▾" : "▸") : "·"}</span>
              {r.kind === "trace" && r.id === broken && <span class="badge broken">broken</span>}
              <span>{r.label}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

function cssId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, "_");
}
