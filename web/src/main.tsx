// The tracegraph web UI: trace list, run view (tree, DAG, step panel, lineage), diff.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { apiKey, setApiKey } from "./api";
import { DiffView } from "./views/DiffView";
import { prefetchRun, RunView } from "./views/RunView";
import { TraceList } from "./views/TraceList";
import "./style.css";

const THEME_STORAGE = "tracegraph.theme";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function ThemeToggle() {
  const [theme, setTheme] = useState(localStorage.getItem(THEME_STORAGE) ?? "");
  useEffect(() => {
    if (theme) document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
  }, [theme]);
  const dark = theme ? theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  const next = dark ? "light" : "dark";
  return (
    <button type="button" class="ghost" aria-label={`Switch to ${next} theme`}
      onClick={() => { localStorage.setItem(THEME_STORAGE, next); setTheme(next); }}>
      {dark ? "☀ Light" : "☾ Dark"}
    </button>
  );
}

function KeyForm({ onChange }: { onChange: () => void }) {
  const [value, setValue] = useState("");
  const stored = apiKey();
  if (stored) {
    return (
      <span class="key">
        API key set
        <button type="button" class="ghost" onClick={() => { setApiKey(""); onChange(); }}>
          Forget key
        </button>
      </span>
    );
  }
  return (
    <form class="key" onSubmit={(e) => { e.preventDefault(); setApiKey(value.trim()); onChange(); }}>
      <label for="api-key">API key</label>
      <input id="api-key" type="password" autocomplete="off" placeholder="none in local mode"
        value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Use key</button>
    </form>
  );
}

export function App() {
  const hash = useHash();
  const [tenant, setTenant] = useState<string>("");
  const [keyVersion, setKeyVersion] = useState(0);
  const [path, query] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query ?? "");
  const parts = (path || "/").split("/").filter(Boolean).map(decodeURIComponent);
  let view;
  if (parts[0] === "run" && parts[1]) {
    view = <RunView key={`${parts[1]}:${keyVersion}`} traceId={parts[1]}
      stepId={params.get("step") ?? undefined} onTenant={setTenant} />;
  } else if (parts[0] === "diff") {
    view = <DiffView key={keyVersion} a={params.get("a") ?? ""} b={params.get("b") ?? ""} />;
  } else {
    view = <TraceList key={keyVersion} params={params} onTenant={setTenant} />;
  }
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top" role="banner">
        <strong class="brand"><a href="#/">tracegraph</a></strong>
        <nav aria-label="Main">
          <a href="#/" aria-current={parts[0] ? undefined : "page"}>Traces</a>
          <a href="#/diff" aria-current={parts[0] === "diff" ? "page" : undefined}>Diff</a>
          <a href="/graphql">GraphiQL</a>
        </nav>
        <span class="tenant" data-testid="tenant">Tenant: <b>{tenant || "—"}</b></span>
        <KeyForm onChange={() => setKeyVersion((v) => v + 1)} />
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1}>{view}</main>
    </>
  );
}

const opening = /^#\/run\/([^?/]+)/.exec(location.hash);
if (opening) prefetchRun(decodeURIComponent(opening[1]));
render(<App />, document.getElementById("app")!);
