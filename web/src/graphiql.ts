// GraphiQL served from the package's own assets (no CDN): the same /graphql endpoint and
// graphql-transport-ws subscriptions, with the UI's stored API key as the default header.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

const key = sessionStorage.getItem("tracegraph.apiKey") ?? "";
const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
const fetcher = createGraphiQLFetcher({
  url: "/graphql",
  subscriptionUrl: wsUrl,
  wsConnectionParams: key ? { Authorization: `Bearer ${key}` } : {},
});

createRoot(document.getElementById("graphiql")!).render(
  createElement(GraphiQL, {
    fetcher,
    defaultHeaders: key ? JSON.stringify({ Authorization: `Bearer ${key}` }, null, 2) : undefined,
    shouldPersistHeaders: false,
  }),
);
